import type { DeviceStatus, HostKeyInfo } from '../../contract/index.js';
import type { ShellCommand } from '../device/quote.js';

export type ResolvedAuth =
  | { kind: 'agent'; socket: string | undefined }
  | { kind: 'identityFile'; path: string; passphrase: string | undefined }
  | { kind: 'password'; password: string | undefined };

/** Everything needed to open one SSH hop. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  auth: ResolvedAuth;
  /** Reach `host` through this hop first (ssh -J). */
  jump?: SshTarget;
}

export interface PresentedHostKey extends HostKeyInfo {
  /** Raw public key blob, base64 (the second field of a known_hosts line). */
  key: string;
}

export type HostKeyVerdict =
  { kind: 'trusted' } | { kind: 'unknown' } | { kind: 'mismatch'; expected: HostKeyInfo; source: string };

/** Decides whether a presented host key is trusted. Called before any credential is sent. */
export interface HostKeyPolicy {
  check(host: string, port: number, key: PresentedHostKey): Promise<HostKeyVerdict>;
}

export interface KeepaliveSettings {
  intervalMs: number;
  countMax: number;
}

/** A device as the connection manager sees it: an id, a name for messages, and how to reach it. */
export interface Endpoint {
  id: string;
  name: string;
  /** Resolved fresh on every (re)connect, so edited settings and secrets apply. */
  target(): Promise<SshTarget>;
}

export interface ExecOptions {
  /** Kill the remote command and reject after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /**
   * Keep the command's stdin open for writing: called once the channel is open. For commands that read a
   * conversation (a lease holder's heartbeat), not a fixed input; use `stdin` for that.
   */
  input?: (channel: ExecInput) => void;
  /** Keep at most this many bytes of stdout/stderr in the result (streams still see everything). */
  maxBufferBytes?: number;
}

export interface ExecInput {
  write(text: string): void;
  end(): void;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export type ConnectionStatusListener = (deviceId: string, status: DeviceStatus) => void;
export type { ShellCommand };

import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
// ssh2 is CommonJS; Node's ESM loader only sees its default export.
import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import { fingerprint, keyAlgorithm, keyTypeLabel } from './fingerprint.js';
import type {
  HostKeyPolicy,
  HostKeyVerdict,
  KeepaliveSettings,
  PresentedHostKey,
  SshTarget,
} from './types.js';

/** Why a connection attempt failed, in the terms the status enum uses. */
export class ConnectFailure extends Error {
  constructor(
    readonly kind:
      | 'unreachable'
      | 'auth_failed'
      | 'hostkey_unknown'
      | 'hostkey_mismatch'
      | 'protocol'
      /** The device closed the connection before its SSH greeting: it turned the login away for now. */
      | 'busy',
    message: string,
    readonly hop: { host: string; port: number },
    readonly presented?: PresentedHostKey,
    readonly verdict?: HostKeyVerdict,
  ) {
    super(message);
    this.name = 'ConnectFailure';
  }
}

export interface OpenOptions {
  policy: HostKeyPolicy;
  keepalive: KeepaliveSettings;
  /** From the SSH greeting to a logged-in client (key exchange and authentication). */
  readyTimeoutMs: number;
  /**
   * For the TCP connection and the device's SSH greeting, apart from `readyTimeoutMs`: a device that does not
   * answer is given up quickly, so the next try can find the network back.
   */
  reachTimeoutMs: number;
  /**
   * Called once the device has greeted, before the key exchange: the login gate's wait for a place (login-gate.ts).
   * Called for every hop of a jump chain.
   */
  beforeHandshake?: () => Promise<void>;
}

export interface OpenedClient {
  client: Client;
  /** Jump hops, outermost first; closed together with the client. */
  hops: Client[];
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

const NET_ERRORS: Record<string, string> = {
  ENOTFOUND: 'the name does not resolve; check the address',
  EAI_AGAIN: 'the name could not be resolved right now (DNS); check the network',
  ECONNREFUSED: 'the port refused the connection; check the port and that sshd runs',
  EHOSTUNREACH: 'no route to the host; check the network',
  ENETUNREACH: 'the network is unreachable; check the laptop’s connection',
  ETIMEDOUT: 'the connection timed out; the device may be off or firewalled',
  ECONNRESET: 'the connection was reset',
};

function describeNetError(err: NodeJS.ErrnoException): string {
  return (err.code && NET_ERRORS[err.code]) ?? err.message;
}

async function authConfig(
  target: SshTarget,
  hop: { host: string; port: number },
): Promise<Partial<ConnectConfig>> {
  const auth = target.auth;
  const fail = (message: string) => new ConnectFailure('auth_failed', message, hop);
  switch (auth.kind) {
    case 'agent':
      if (!auth.socket)
        throw fail('No SSH agent is running here (SSH_AUTH_SOCK is not set). Start one, or use a key file.');
      return { agent: auth.socket };
    case 'password':
      if (auth.password === undefined)
        throw fail('No password is stored for this device. Edit the device and enter it.');
      return { password: auth.password, tryKeyboard: true };
    case 'identityFile': {
      const file = expandHome(auth.path);
      let data: Buffer;
      try {
        data = await fs.readFile(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT')
          throw fail(`The key file ${file} does not exist. Edit the device and check the path.`);
        if (code === 'EACCES') throw fail(`Tally may not read the key file ${file}. Check its permissions.`);
        throw fail(`Cannot read the key file ${file}: ${(err as Error).message}.`);
      }
      const parsed = ssh2.utils.parseKey(data, auth.passphrase);
      if (parsed instanceof Error) {
        if (/no passphrase/i.test(parsed.message))
          throw fail(`The key file ${file} is encrypted. Edit the device and enter its passphrase.`);
        if (/passphrase|decrypt|bad/i.test(parsed.message))
          throw fail(`The passphrase for ${file} is wrong. Edit the device and enter it again.`);
        throw fail(`The key file ${file} is not a usable private key (${parsed.message}).`);
      }
      return { privateKey: data, ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) };
    }
  }
}

function tcpConnect(host: string, port: number, deadline: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(
      () => {
        socket.destroy();
        reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
      },
      Math.max(0, deadline - Date.now()),
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** What came of waiting for the device's SSH identification line. */
type Greeting =
  | { ok: true }
  | { ok: false; why: 'timeout' }
  | { ok: false; why: 'closed'; text: string }
  | { ok: false; why: 'error'; err: NodeJS.ErrnoException };

/** The longest text a server may send before its identification line that we wait through (RFC 4253 allows some). */
const GREETING_MAX_BYTES = 8192;

/**
 * Wait for the server's identification line (`SSH-2.0-…`) before ssh2 writes anything, then put what was read
 * back for ssh2 to parse. A server that closes before it turned the login away: OpenSSH past its MaxStartups
 * writes "Exceeded MaxStartups" and closes (older versions just close); since nothing was written yet, that is a
 * clean close, not a reset.
 */
function awaitGreeting(sock: Duplex, deadline: number): Promise<Greeting> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Greeting): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onClosed);
      sock.off('close', onClosed);
      sock.off('error', onError);
      if (result.ok) {
        sock.pause();
        if (chunks.length > 0) sock.unshift(Buffer.concat(chunks));
      } else {
        sock.on('error', () => undefined);
        sock.destroy();
      }
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      // Past the limit ssh2 gets the bytes and says what is wrong with them.
      if (size > GREETING_MAX_BYTES || /(^|\n)SSH-/.test(Buffer.concat(chunks).toString('latin1')))
        finish({ ok: true });
    };
    const onClosed = (): void =>
      finish({ ok: false, why: 'closed', text: Buffer.concat(chunks).toString('latin1') });
    const onError = (err: NodeJS.ErrnoException): void => finish({ ok: false, why: 'error', err });
    const timer = setTimeout(() => finish({ ok: false, why: 'timeout' }), Math.max(0, deadline - Date.now()));
    sock.on('data', onData);
    sock.on('end', onClosed);
    sock.on('close', onClosed);
    sock.on('error', onError);
  });
}

/** Why a greeting did not come, in the failure the status shows. */
function greetingFailure(
  greeting: Exclude<Greeting, { ok: true }>,
  hop: { host: string; port: number },
  reachTimeoutMs: number,
): ConnectFailure {
  const where = `${hop.host}:${hop.port}`;
  switch (greeting.why) {
    case 'timeout':
      return new ConnectFailure(
        'unreachable',
        `Cannot reach ${where}: no SSH greeting within ${Math.round(reachTimeoutMs / 100) / 10} s; the device may be off or the network down.`,
        hop,
      );
    case 'error':
      return new ConnectFailure(
        'unreachable',
        `Cannot reach ${where}: ${describeNetError(greeting.err)} before the SSH greeting.`,
        hop,
      );
    case 'closed':
      return new ConnectFailure(
        'busy',
        /Exceeded MaxStartups/i.test(greeting.text)
          ? 'The device turned the login away for now (sshd MaxStartups: too many logins at once)'
          : 'The device closed the connection before its SSH greeting: it turned the login away for now (as sshd ' +
              'does past MaxStartups: too many logins at once)',
        hop,
      );
  }
}

function forwardOut(via: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, host, port, (err, channel) => (err ? reject(err) : resolve(channel)));
  });
}

/**
 * Open one authenticated SSH client to `target`, through its jump hops. The host key is checked by the policy
 * before any credential leaves this process; ssh2 calls the verifier before it starts authentication.
 */
export async function openClient(target: SshTarget, opts: OpenOptions): Promise<OpenedClient> {
  const hop = { host: target.host, port: target.port };
  // Credentials first: no socket waits on a key file, and nothing is left open when one is missing.
  const auth = await authConfig(target, hop);
  const hops: Client[] = [];
  let sock: Duplex;
  let reachBy = Date.now() + opts.reachTimeoutMs;
  if (target.jump) {
    const outer = await openClient(target.jump, opts).catch((err: unknown) => {
      if (err instanceof ConnectFailure) err.message = `Jump host ${target.jump?.host}: ${err.message}`;
      throw err;
    });
    hops.push(...outer.hops, outer.client);
    try {
      sock = await forwardOut(outer.client, target.host, target.port);
    } catch (err) {
      hops.forEach((c) => c.end());
      throw new ConnectFailure(
        'unreachable',
        `The jump host cannot reach ${target.host}:${target.port} (${(err as Error).message}).`,
        hop,
      );
    }
    reachBy = Date.now() + opts.reachTimeoutMs;
  } else {
    try {
      sock = await tcpConnect(target.host, target.port, reachBy);
    } catch (err) {
      throw new ConnectFailure(
        'unreachable',
        `Cannot reach ${target.host}:${target.port}: ${describeNetError(err as NodeJS.ErrnoException)}.`,
        hop,
      );
    }
  }
  // Through a jump host the forward opens at once; the greeting still shows whether the device answers.
  const greeting = await awaitGreeting(sock, reachBy);
  if (!greeting.ok) {
    hops.forEach((c) => c.end());
    throw greetingFailure(greeting, hop, opts.reachTimeoutMs);
  }
  if (opts.beforeHandshake) {
    try {
      await opts.beforeHandshake();
    } catch (err) {
      sock.destroy();
      hops.forEach((c) => c.end());
      throw err;
    }
  }

  const client = new ssh2.Client();
  let presented: PresentedHostKey | undefined;
  let verdict: HostKeyVerdict | undefined;
  return new Promise<OpenedClient>((resolve, reject) => {
    const cleanup = () => {
      client.removeAllListeners('ready');
      client.removeAllListeners('error');
    };
    client.once('ready', () => {
      cleanup();
      // Errors after ready surface through 'close' and are handled by the owner.
      client.on('error', () => undefined);
      resolve({ client, hops });
    });
    client.once('error', (err: Error & { level?: string }) => {
      cleanup();
      client.on('error', () => undefined);
      client.end();
      hops.forEach((c) => c.end());
      if (verdict && verdict.kind !== 'trusted' && presented) {
        const kind = verdict.kind === 'unknown' ? 'hostkey_unknown' : 'hostkey_mismatch';
        const message =
          verdict.kind === 'unknown'
            ? `First connection: ${target.host} presented the ${presented.keyType} host key ${presented.fingerprint}. Check it and trust it to continue.`
            : `The host key of ${target.host} changed: it presented ${presented.fingerprint}, but ${verdict.source} is ${verdict.expected.fingerprint}. This can be an attack or a reinstalled device; nothing was sent.`;
        reject(new ConnectFailure(kind, message, hop, presented, verdict));
        return;
      }
      if (err.level === 'client-authentication') {
        const how =
          target.auth.kind === 'password'
            ? 'the password was not accepted'
            : target.auth.kind === 'agent'
              ? 'none of the agent’s keys was accepted'
              : 'the key was not accepted';
        reject(
          new ConnectFailure(
            'auth_failed',
            `Login as ${target.user} failed: ${how}. Check the user and credentials.`,
            hop,
          ),
        );
        return;
      }
      if (err.level === 'client-timeout')
        reject(
          new ConnectFailure(
            'unreachable',
            `${target.host} did not complete the SSH handshake in time.`,
            hop,
          ),
        );
      else
        reject(
          new ConnectFailure(
            'unreachable',
            `SSH to ${target.host}:${target.port} failed: ${err.message}.`,
            hop,
          ),
        );
    });
    client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => {
      const password = target.auth.kind === 'password' ? (target.auth.password ?? '') : '';
      finish(prompts.map(() => password));
    });
    client.connect({
      sock,
      host: target.host,
      port: target.port,
      username: target.user,
      keepaliveInterval: opts.keepalive.intervalMs,
      keepaliveCountMax: opts.keepalive.countMax,
      readyTimeout: opts.readyTimeoutMs,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const algorithm = keyAlgorithm(key);
        presented = {
          fingerprint: fingerprint(key),
          keyType: keyTypeLabel(algorithm),
          key: key.toString('base64'),
        };
        opts.policy.check(target.host, target.port, presented).then(
          (v) => {
            verdict = v;
            verify(v.kind === 'trusted');
          },
          () => verify(false),
        );
      },
      ...auth,
    } as ConnectConfig);
  });
}

import net from 'node:net';
import type { ClientChannel } from 'ssh2';
import { ContractError, type ConnectionState, type DeviceStatus } from '../../contract/index.js';
import { DeviceConnection, type ReconnectSettings } from './device-connection.js';
import { execOnClient } from './exec.js';
import { LoginGate, type LoginGateOptions } from './login-gate.js';
import type {
  ConnectionStatusListener,
  Endpoint,
  ExecOptions,
  ExecResult,
  HostKeyPolicy,
  KeepaliveSettings,
  PresentedHostKey,
  ShellCommand,
} from './types.js';

export interface ConnectionManagerOptions {
  hostKeys: HostKeyPolicy;
  keepalive: KeepaliveSettings;
  reconnect?: ReconnectSettings;
  /** From the SSH greeting to logged in (default 10 s). */
  readyTimeoutMs?: number;
  /** For the TCP connection and the device's SSH greeting (default 4 s). */
  reachTimeoutMs?: number;
  /** Limits on logins in flight (login-gate.ts; default 4 at once, 3 per address, 100 ms apart). */
  loginGate?: Partial<LoginGateOptions>;
}

export interface LocalForward {
  localPort: number;
  close(): Promise<void>;
}

/** The sentence behind `notConnected`: reconnecting by itself, or waiting for the producer. */
export function notConnectedText(name: string, status: DeviceStatus): string {
  const attempt = status.linkLost?.attempt ?? status.retry?.attempt;
  if (status.linkLost || status.retry)
    return (
      `${name} is not reachable right now: Tally is reconnecting by itself` +
      `${attempt !== undefined ? ` (attempt ${attempt})` : ''}. Try again once the link is back.`
    );
  if (status.state === 'connecting') return `${name} is still connecting. Try again in a moment.`;
  return `${name} is not connected (${status.state.replace('_', ' ')}). Connect it first.`;
}

/** One persistent SSH connection per device, shared by every service in the core. */
export class ConnectionManager {
  private readonly connections = new Map<string, DeviceConnection>();
  private readonly listeners = new Set<ConnectionStatusListener>();
  /** Shared by every device: logins are spread across the whole console. */
  readonly loginGate: LoginGate;

  constructor(private readonly opts: ConnectionManagerOptions) {
    this.loginGate = new LoginGate(opts.loginGate);
  }

  /** New keepalive settings apply to connections opened from now on. */
  setKeepalive(keepalive: KeepaliveSettings): void {
    this.opts.keepalive = keepalive;
    this.connections.forEach((c) => c.setOpenOptions({ ...c.openOptions, keepalive }));
  }

  /** How long a silent link lasts before keepalive calls it dead: the interval times the misses allowed, plus one. */
  keepaliveWindowMs(): number {
    return this.opts.keepalive.intervalMs * (this.opts.keepalive.countMax + 1);
  }

  onStatus(listener: ConnectionStatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private entry(endpoint: Endpoint): DeviceConnection {
    let conn = this.connections.get(endpoint.id);
    if (!conn) {
      conn = new DeviceConnection(
        endpoint,
        {
          policy: this.opts.hostKeys,
          keepalive: this.opts.keepalive,
          readyTimeoutMs: this.opts.readyTimeoutMs ?? 10_000,
          reachTimeoutMs: this.opts.reachTimeoutMs ?? 4000,
        },
        this.opts.reconnect,
        (status) => this.listeners.forEach((l) => l(endpoint.id, status)),
        { gate: this.loginGate },
      );
      this.connections.set(endpoint.id, conn);
    }
    return conn;
  }

  connect(endpoint: Endpoint): void {
    this.entry(endpoint).start();
  }

  async disconnect(deviceId: string): Promise<void> {
    await this.connections.get(deviceId)?.stop();
  }

  /** Disconnect and forget a device (it was removed or its address changed). */
  async drop(deviceId: string): Promise<void> {
    await this.connections.get(deviceId)?.stop();
    this.connections.delete(deviceId);
  }

  status(deviceId: string): DeviceStatus {
    return (
      this.connections.get(deviceId)?.status ?? {
        state: 'disconnected',
        detail: 'Not connected.',
        since: Date.now(),
      }
    );
  }

  /** Put a device that waits on the user back to a plain disconnected state, with a note. */
  resetStatus(deviceId: string, detail: string): void {
    this.connections.get(deviceId)?.reset(detail);
  }

  presentedKey(deviceId: string): (PresentedHostKey & { host: string; port: number }) | undefined {
    return this.connections.get(deviceId)?.presentedKey;
  }

  waitFor(deviceId: string, states: ConnectionState[], timeoutMs: number): Promise<DeviceStatus> {
    const now = this.status(deviceId);
    if (states.includes(now.state)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const off = this.onStatus((id, status) => {
        if (id !== deviceId || !states.includes(status.state)) return;
        clearTimeout(timer);
        off();
        resolve(status);
      });
      const timer = setTimeout(() => {
        off();
        const last = this.status(deviceId);
        reject(
          new Error(
            `Device ${deviceId} did not reach ${states.join('/')} in ${timeoutMs} ms; it is ${last.state}: ${last.detail}`,
          ),
        );
      }, timeoutMs);
    });
  }

  /**
   * Why a command cannot run on the device now, for a person: while the console is getting the link back by
   * itself it says so (asking the producer to connect would be wrong); otherwise connecting is what to do.
   */
  notConnected(deviceId: string, name?: string): ContractError {
    const status = this.status(deviceId);
    const who = name ?? this.connections.get(deviceId)?.endpoint.name ?? 'The device';
    return new ContractError('unavailable', notConnectedText(who, status));
  }

  private live(deviceId: string) {
    const conn = this.connections.get(deviceId);
    const client = conn?.ssh;
    if (!conn || !client) throw this.notConnected(deviceId);
    return { conn, client };
  }

  async exec(deviceId: string, cmd: ShellCommand, opts?: ExecOptions): Promise<ExecResult> {
    const { conn, client } = this.live(deviceId);
    return execOnClient(client, conn.endpoint.name, cmd, opts);
  }

  /** Wait for the connection (for callers that should ride out a short drop). */
  async ready(deviceId: string, timeoutMs: number): Promise<boolean> {
    const conn = this.connections.get(deviceId);
    return conn ? conn.whenReady(timeoutMs) : false;
  }

  async shell(deviceId: string, pty: { cols: number; rows: number }): Promise<ClientChannel> {
    const { conn, client } = this.live(deviceId);
    return new Promise((resolve, reject) => {
      client.shell({ term: 'xterm-256color', cols: pty.cols, rows: pty.rows }, (err, channel) =>
        err
          ? reject(
              new ContractError('device_error', `${conn.endpoint.name} refused a terminal: ${err.message}.`),
            )
          : resolve(channel),
      );
    });
  }

  /**
   * Listen on a loopback port and carry each connection over the device's SSH connection to
   * remoteHost:remotePort as seen from the device. Follows reconnects: each new TCP connection uses the live link.
   */
  async forwardLocal(deviceId: string, remoteHost: string, remotePort: number): Promise<LocalForward> {
    this.live(deviceId);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const conn = this.connections.get(deviceId);
      const client = conn?.ssh;
      if (!client) {
        socket.destroy();
        return;
      }
      // A browser that drops its TCP connection mid-write gives EPIPE/ECONNRESET here; without a listener that
      // error would take the whole console down.
      socket.on('error', () => socket.destroy());
      client.forwardOut('127.0.0.1', socket.localPort ?? 0, remoteHost, remotePort, (err, channel) => {
        if (err) {
          socket.destroy();
          return;
        }
        channel.on('error', () => {
          socket.destroy();
          channel.close();
        });
        socket.pipe(channel).pipe(socket);
        channel.on('close', () => socket.destroy());
        socket.on('close', () => channel.close());
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    return {
      localPort: address.port,
      close: () =>
        new Promise<void>((resolve) => {
          sockets.forEach((s) => s.destroy());
          server.close(() => resolve());
        }),
    };
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.stop()));
    this.connections.clear();
  }
}

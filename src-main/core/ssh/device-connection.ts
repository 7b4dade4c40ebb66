import type { Client, ClientChannel } from 'ssh2';
import { isLive, type ConnectionState, type DeviceStatus } from '../../contract/index.js';
import { argv } from '../device/quote.js';
import { LoginGate, LoginWaitAborted, type LoginSlot } from './login-gate.js';
import { ConnectFailure, openClient, type OpenOptions } from './open-client.js';
import { reconnectSettings, retryDelay, type ReconnectSettings } from './retry-policy.js';
import type { Endpoint, PresentedHostKey, SshTarget } from './types.js';

export type { ReconnectSettings };

/** What a connection shares with the others and what tests replace. */
export interface DeviceConnectionDeps {
  /** The console's login gate; a private one when not given. */
  gate?: LoginGate;
  open?: typeof openClient;
  random?: () => number;
}

/** Every address a login to `target` connects to (jump hops, then the device): each takes a share of the gate. */
export function loginHosts(target: SshTarget): string[] {
  const hosts: string[] = [];
  for (let t: SshTarget | undefined = target; t; t = t.jump) hosts.unshift(`${t.host}:${t.port}`);
  return hosts;
}

/** States after which we wait for the user instead of retrying: retrying cannot fix them. */
const NEEDS_USER: ReadonlySet<ConnectionState> = new Set([
  'auth_failed',
  'hostkey_unknown',
  'hostkey_mismatch',
]);

const HEARTBEAT_MS = 2000;
const DEGRADED_RTT_MS = 1000;

/**
 * One device's persistent SSH connection: connects, notices a dead link by keepalive, reconnects with
 * backoff and jitter, and measures round trips through a tiny echo channel to tell "degraded" from "connected".
 */
export class DeviceConnection {
  private client: Client | undefined;
  private hops: Client[] = [];
  private wanted = false;
  private attempt = 0;
  /** Logins the device turned away in a row (sshd MaxStartups). */
  private busyStreak = 0;
  /** Calls off the attempt's wait for a login slot when the producer disconnects. */
  private attemptAbort: AbortController | undefined;
  private readonly settings: Required<ReconnectSettings>;
  private readonly gate: LoginGate;
  private readonly openFn: typeof openClient;
  private readonly random: () => number;
  private retryTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private heartbeat:
    { channel: ClientChannel; timer: NodeJS.Timeout; sentAt?: number; rtts: number[] } | undefined;
  private current: DeviceStatus;
  /** When the device last answered (connect, heartbeat echo): "last seen" once the link is lost. */
  private lastHeard = 0;
  /** Set from a loss of a live link until it is live again or the producer lets go: the status carries it. */
  private lostSince: number | undefined;
  /** The last key presented that the user may trust. */
  presentedKey: (PresentedHostKey & { host: string; port: number }) | undefined;
  private readonly readyWaiters = new Set<() => void>();

  constructor(
    readonly endpoint: Endpoint,
    private open: OpenOptions,
    reconnect: ReconnectSettings | undefined,
    private readonly emit: (status: DeviceStatus) => void,
    deps: DeviceConnectionDeps = {},
  ) {
    this.settings = reconnectSettings(reconnect);
    this.gate = deps.gate ?? new LoginGate();
    this.openFn = deps.open ?? openClient;
    this.random = deps.random ?? Math.random;
    this.current = { state: 'disconnected', detail: 'Not connected.', since: Date.now() };
  }

  get openOptions(): OpenOptions {
    return this.open;
  }

  setOpenOptions(open: OpenOptions): void {
    this.open = open;
  }

  get status(): DeviceStatus {
    return this.current;
  }

  /** The live client, or undefined when not connected. */
  get ssh(): Client | undefined {
    return this.client;
  }

  private set(state: ConnectionState, detail: string, extra: Partial<DeviceStatus> = {}): void {
    const since = state === this.current.state ? this.current.since : Date.now();
    const lost =
      this.lostSince !== undefined && !isLive(state)
        ? { linkLost: { since: this.lostSince, attempt: Math.max(1, this.attempt) } }
        : {};
    this.current = { state, detail, since, ...extra, ...lost };
    this.emit(this.current);
    if (isLive(state)) this.readyWaiters.forEach((w) => w());
  }

  /** Wait until connected, or until `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.client) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.readyWaiters.delete(onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.readyWaiters.add(onReady);
    });
  }

  start(): void {
    this.wanted = true;
    clearTimeout(this.retryTimer);
    if (this.client || this.current.state === 'connecting') return;
    this.attempt = 0;
    this.busyStreak = 0;
    void this.tryConnect();
  }

  /** After the user resolved a blocking state (e.g. forgot a changed key), show a neutral state again. */
  reset(detail: string): void {
    if (this.client || this.current.state === 'connecting') return;
    this.presentedKey = undefined;
    this.set('disconnected', detail);
  }

  async stop(detail = 'Disconnected.'): Promise<void> {
    this.wanted = false;
    this.lostSince = undefined;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.attemptAbort?.abort();
    this.attemptAbort = undefined;
    this.teardown();
    this.set('disconnected', detail);
  }

  private teardown(): void {
    if (this.heartbeat) {
      clearInterval(this.heartbeat.timer);
      this.heartbeat.channel.close();
      this.heartbeat = undefined;
    }
    const client = this.client;
    this.client = undefined;
    client?.removeAllListeners('close');
    client?.end();
    this.hops.forEach((h) => h.end());
    this.hops = [];
  }

  private async tryConnect(): Promise<void> {
    const gen = ++this.generation;
    const doing = this.attempt > 0 ? `Reconnecting (attempt ${this.attempt})` : 'Connecting';
    this.set('connecting', `${doing}…`);
    let slot: LoginSlot | undefined;
    let outcome: 'ready' | 'failed' = 'failed';
    try {
      const target = await this.endpoint.target();
      if (gen !== this.generation) return;
      const abort = new AbortController();
      this.attemptAbort = abort;
      const waiting = () => {
        const { maxInFlight, maxPerHost } = this.gate.options;
        this.set(
          'connecting',
          `${doing}: waiting its turn to log in (Tally runs at most ${maxInFlight} logins at once, ` +
            `${maxPerHost} per address, so devices coming back together are not overrun).`,
        );
      };
      let waited = false;
      slot = await this.gate.acquire(loginHosts(target), {
        signal: abort.signal,
        onWait: () => {
          waited = true;
          waiting();
        },
      });
      if (gen !== this.generation || !this.wanted) return;
      if (waited) this.set('connecting', `${doing}…`);
      const place = slot;
      const opened = await this.openFn(target, {
        ...this.open,
        beforeHandshake: async () => {
          let queued = false;
          await place.handshake(() => {
            queued = true;
            waiting();
          });
          if (queued && gen === this.generation) this.set('connecting', `${doing}…`);
        },
      });
      if (gen !== this.generation || !this.wanted) {
        opened.client.end();
        opened.hops.forEach((h) => h.end());
        return;
      }
      outcome = 'ready';
      this.client = opened.client;
      this.hops = opened.hops;
      this.attempt = 0;
      this.busyStreak = 0;
      this.lostSince = undefined;
      this.lastHeard = Date.now();
      this.presentedKey = undefined;
      let lostBecause = 'the device closed the connection';
      opened.client.on('error', (err: Error & { level?: string }) => {
        lostBecause = err.level === 'client-timeout' ? 'no answer to keepalive' : err.message;
      });
      opened.client.on('close', () => this.onLost(gen, lostBecause));
      this.set('connected', `Connected to ${target.user}@${target.host}:${target.port}.`);
      this.startHeartbeat(gen);
    } catch (err) {
      if (gen !== this.generation || err instanceof LoginWaitAborted) return;
      const failure =
        err instanceof ConnectFailure
          ? err
          : new ConnectFailure('unreachable', (err as Error).message, { host: '?', port: 0 });
      if (failure.kind === 'busy') {
        this.busyStreak++;
        this.scheduleRetry('unreachable', failure.message, 'busy');
        return;
      }
      this.busyStreak = 0;
      const kind = failure.kind === 'protocol' ? 'unreachable' : failure.kind;
      if (failure.presented) this.presentedKey = { ...failure.presented, ...failure.hop };
      const keyInfo = failure.presented
        ? { presentedKey: { fingerprint: failure.presented.fingerprint, keyType: failure.presented.keyType } }
        : {};
      const expected = failure.verdict?.kind === 'mismatch' ? { expectedKey: failure.verdict.expected } : {};
      if (NEEDS_USER.has(kind)) {
        this.wanted = false;
        // Waiting for the producer now, not reconnecting: the status says what they must do instead.
        this.lostSince = undefined;
        this.set(kind, failure.message, { ...keyInfo, ...expected });
        return;
      }
      this.scheduleRetry(kind, failure.message, 'failed');
    } finally {
      slot?.release(outcome);
      if (gen === this.generation) this.attemptAbort = undefined;
    }
  }

  private onLost(gen: number, because: string): void {
    if (gen !== this.generation) return;
    this.teardown();
    if (!this.wanted) {
      this.set('disconnected', 'Disconnected.');
      return;
    }
    this.lostSince = this.lastHeard || Date.now();
    this.scheduleRetry('disconnected', `The link to the device was lost (${because}).`, 'failed');
  }

  private scheduleRetry(state: ConnectionState, detail: string, reason: 'failed' | 'busy'): void {
    if (!this.wanted) {
      this.set(state, detail);
      return;
    }
    this.attempt++;
    const delay = retryDelay(
      {
        attempt: this.attempt,
        reason,
        busyStreak: this.busyStreak,
        ...(this.lostSince !== undefined ? { lostForMs: Date.now() - this.lostSince } : {}),
      },
      this.settings,
      this.random,
    );
    const at = Date.now() + delay;
    const seconds = Math.max(1, Math.ceil(delay / 1000));
    const text =
      reason === 'busy'
        ? `${detail}; retrying in ${seconds} s.`
        : `${detail.replace(/\.?$/, '.')} Retrying in ${seconds} s.`;
    this.set(state, text, { retry: { attempt: this.attempt, at } });
    this.retryTimer = setTimeout(() => {
      if (this.wanted) void this.tryConnect();
    }, delay);
  }

  private startHeartbeat(gen: number): void {
    const client = this.client;
    if (!client) return;
    // `cat` echoes one byte back: a round trip through the device without spawning a process per probe.
    client.exec(argv('cat').text, (err, channel) => {
      if (err || gen !== this.generation) return;
      const hb = {
        channel,
        warm: false,
        rtts: [] as number[],
        sentAt: undefined as number | undefined,
        timer: setInterval(() => {
          if (hb.sentAt !== undefined && performance.now() - hb.sentAt > DEGRADED_RTT_MS)
            // Before the first echo, a slow `cat` start (a heavy login profile) is not a slow link.
            if (hb.warm) this.markDegraded(hb.rtts);
          if (hb.sentAt === undefined) {
            hb.sentAt = performance.now();
            channel.write('.');
          }
        }, HEARTBEAT_MS),
      };
      this.heartbeat = hb;
      channel.on('data', () => {
        this.lastHeard = Date.now();
        if (hb.sentAt === undefined) return;
        const rtt = performance.now() - hb.sentAt;
        hb.sentAt = undefined;
        // The first echo includes starting `cat` on the device; it says nothing about the link.
        if (!hb.warm) {
          hb.warm = true;
          return;
        }
        hb.rtts.push(rtt);
        if (hb.rtts.length > 5) hb.rtts.shift();
        const median = [...hb.rtts].sort((a, b) => a - b)[Math.floor(hb.rtts.length / 2)] ?? rtt;
        const state: ConnectionState = median > DEGRADED_RTT_MS ? 'degraded' : 'connected';
        const detail =
          state === 'degraded' ? `Slow link: round trip ${Math.round(median)} ms.` : this.connectedDetail();
        if (
          state !== this.current.state ||
          this.current.rttMs === undefined ||
          Math.abs(this.current.rttMs - median) > 5
        )
          this.set(state, detail, { rttMs: Math.round(median * 10) / 10 });
      });
      channel.on('close', () => {
        clearInterval(hb.timer);
      });
      hb.sentAt = performance.now();
      channel.write('.');
    });
  }

  private connectedDetail(): string {
    return this.current.state === 'connected' ? this.current.detail : 'Connected.';
  }

  private markDegraded(rtts: number[]): void {
    if (this.current.state === 'connected')
      this.set('degraded', 'The device is slow to answer; the link may be failing.', {
        ...(rtts.length ? { rttMs: rtts[rtts.length - 1] } : {}),
      });
  }
}

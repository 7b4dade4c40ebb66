/**
 * Spreads SSH logins over time and over hosts, so a fleet coming back after a network blip does not log in all at
 * once. A login (TCP connect, greeting, key exchange and authentication, until ready or failed) starts at least
 * `minSpacingMs` after the one before, and at most `maxPerHost` run to one address at a time: an sshd drops
 * connections past its `MaxStartups` (10:30:100 by default: from 10 unauthenticated ones on), counted from the TCP
 * accept. From the device's greeting on, the part that costs CPU (key exchange, signatures), at most `maxInFlight`
 * logins run across the console. A device that does not answer holds no such place while its TCP connect and
 * greeting time out, so part of a fleet being gone never holds up the logins of the rest. Waiters are served first
 * come, first served, except that one whose address is full lets the next one by.
 */

export interface LoginGateOptions {
  /** Logins past their device's greeting (key exchange and authentication) at once, across the console. */
  maxInFlight: number;
  /** Logins in flight at once to one `host:port`, from the TCP connect on. */
  maxPerHost: number;
  /** Least time between two login starts, in ms. */
  minSpacingMs: number;
  /**
   * How long an address's share stays taken after a login there succeeded, in ms. sshd counts a connection as
   * unauthenticated until its session process tells the listener, a moment after the client heard "success"; a
   * login started in that moment could be refused.
   */
  hostSettleMs: number;
}

export const LOGIN_GATE_DEFAULTS: Readonly<LoginGateOptions> = {
  maxInFlight: 4,
  maxPerHost: 3,
  minSpacingMs: 100,
  hostSettleMs: 200,
};

/** One login that has started: give its slot back when it is ready or has failed. */
export interface LoginSlot {
  readonly startedAt: number;
  /**
   * Wait for one of the console's `maxInFlight` places before the key exchange; `onWait` is called, synchronously,
   * if it must wait. Later calls (the next hop of a jump chain) resolve at once: one login holds one place.
   * Rejects with `LoginWaitAborted` when the login is called off first.
   */
  handshake(onWait?: () => void): Promise<void>;
  /** Idempotent. `ready` keeps the addresses' shares `hostSettleMs` longer. */
  release(outcome: 'ready' | 'failed'): void;
}

/** A login the gate started, for figures (benchmarks, tests): when it started and how it ended. */
export interface LoginRecord {
  hosts: readonly string[];
  /** When its TCP connect started (ms since the epoch). */
  startedAt: number;
  /** Time spent waiting for its turn to start, in ms. */
  waitedMs: number;
  /** When it got its place for the key exchange. */
  handshakeAt?: number;
  endedAt?: number;
  outcome?: 'ready' | 'failed';
}

export class LoginWaitAborted extends Error {
  constructor() {
    super('The login was called off while it waited its turn.');
    this.name = 'LoginWaitAborted';
  }
}

interface Waiter {
  hosts: readonly string[];
  queuedAt: number;
  grantedAt?: number;
  grant: () => void;
}

const RECORDS_KEPT = 512;

/** Wait in `queue` until `pump` grants, or reject when `signal` aborts first. */
function queueUp(
  queue: Waiter[],
  hosts: readonly string[],
  signal: AbortSignal | undefined,
  pump: () => void,
): { queued: Waiter; granted: Promise<void> } {
  let queued!: Waiter;
  const granted = new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      const i = queue.indexOf(queued);
      if (i < 0) return;
      queue.splice(i, 1);
      reject(new LoginWaitAborted());
      // The one that left may have been holding the line for others (its address was free, theirs not).
      pump();
    };
    queued = {
      hosts,
      queuedAt: Date.now(),
      grant: () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    queue.push(queued);
  });
  return { queued, granted };
}

export class LoginGate {
  readonly options: Readonly<LoginGateOptions>;
  private readonly starting: Waiter[] = [];
  private readonly handshaking: Waiter[] = [];
  private readonly perHost = new Map<string, number>();
  private inFlight = 0;
  private inHandshake = 0;
  private lastStart: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly records: LoginRecord[] = [];

  constructor(options: Partial<LoginGateOptions> = {}) {
    const merged = { ...LOGIN_GATE_DEFAULTS, ...options };
    for (const [key, value] of Object.entries(merged))
      if (!Number.isFinite(value) || value < 0)
        throw new Error(`Login gate: ${key} must be a number of 0 or more, got ${String(value)}.`);
    if (merged.maxInFlight < 1 || merged.maxPerHost < 1)
      throw new Error('Login gate: maxInFlight and maxPerHost must be at least 1.');
    this.options = merged;
  }

  /** Logins started and not ended now. */
  get running(): number {
    return this.inFlight;
  }

  /** Logins in their key exchange or authentication now. */
  get handshakes(): number {
    return this.inHandshake;
  }

  /** Logins waiting for their turn now (to start, or for the key exchange). */
  get waiting(): number {
    return this.starting.length + this.handshaking.length;
  }

  /** The most recent logins (up to 512), oldest first. */
  recent(): readonly LoginRecord[] {
    return this.records;
  }

  /**
   * Wait for a turn to log in to `hosts` (every `host:port` the login connects to: jump hops and the target).
   * `onWait` is called once, synchronously, when the login cannot start at once. Rejects with `LoginWaitAborted`
   * when `signal` aborts first; the same signal calls off a wait in `handshake()`.
   */
  async acquire(
    hosts: readonly string[],
    opts: { signal?: AbortSignal; onWait?: () => void } = {},
  ): Promise<LoginSlot> {
    if (opts.signal?.aborted) throw new LoginWaitAborted();
    const { queued, granted } = queueUp(this.starting, [...new Set(hosts)], opts.signal, () =>
      this.pumpStarts(),
    );
    this.pumpStarts();
    if (this.starting.includes(queued)) opts.onWait?.();
    await granted;
    return this.start(queued, opts.signal);
  }

  private hostFree(hosts: readonly string[]): boolean {
    return hosts.every((h) => (this.perHost.get(h) ?? 0) < this.options.maxPerHost);
  }

  private pumpStarts(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.starting.length > 0) {
      const now = Date.now();
      const wait = this.lastStart === undefined ? 0 : this.lastStart + this.options.minSpacingMs - now;
      if (wait > 0) {
        this.timer = setTimeout(() => this.pumpStarts(), wait);
        return;
      }
      const i = this.starting.findIndex((w) => this.hostFree(w.hosts));
      // Every waiter's address is full: a release wakes the gate again.
      if (i < 0) return;
      const [waiter] = this.starting.splice(i, 1);
      if (!waiter) return;
      this.inFlight++;
      this.lastStart = now;
      waiter.grantedAt = now;
      for (const h of waiter.hosts) this.perHost.set(h, (this.perHost.get(h) ?? 0) + 1);
      waiter.grant();
    }
  }

  private pumpHandshakes(): void {
    while (this.handshaking.length > 0 && this.inHandshake < this.options.maxInFlight) {
      const waiter = this.handshaking.shift();
      this.inHandshake++;
      waiter?.grant();
    }
  }

  private start(waiter: Waiter, signal: AbortSignal | undefined): LoginSlot {
    const startedAt = waiter.grantedAt ?? Date.now();
    const record: LoginRecord = { hosts: waiter.hosts, startedAt, waitedMs: startedAt - waiter.queuedAt };
    this.records.push(record);
    if (this.records.length > RECORDS_KEPT) this.records.shift();
    let place: Promise<void> | undefined;
    let holdsPlace = false;
    let released = false;
    const freeHosts = () => {
      for (const h of waiter.hosts) {
        const n = (this.perHost.get(h) ?? 1) - 1;
        if (n > 0) this.perHost.set(h, n);
        else this.perHost.delete(h);
      }
      this.pumpStarts();
    };
    return {
      startedAt,
      handshake: (onWait) => {
        if (released) return Promise.reject(new LoginWaitAborted());
        if (place) return place;
        if (signal?.aborted) return (place = Promise.reject(new LoginWaitAborted()));
        const { queued, granted } = queueUp(this.handshaking, waiter.hosts, signal, () =>
          this.pumpHandshakes(),
        );
        this.pumpHandshakes();
        if (this.handshaking.includes(queued)) onWait?.();
        place = granted.then(() => {
          record.handshakeAt = Date.now();
          holdsPlace = true;
          // Released while it waited (the attempt gave up): hand the place on at once.
          if (released) this.endHandshake();
        });
        return place;
      },
      release: (outcome) => {
        if (released) return;
        released = true;
        record.endedAt = Date.now();
        record.outcome = outcome;
        this.inFlight--;
        if (holdsPlace) this.endHandshake();
        if (outcome === 'ready' && this.options.hostSettleMs > 0)
          setTimeout(freeHosts, this.options.hostSettleMs).unref();
        else freeHosts();
      },
    };
  }

  private endHandshake(): void {
    this.inHandshake--;
    this.pumpHandshakes();
  }
}

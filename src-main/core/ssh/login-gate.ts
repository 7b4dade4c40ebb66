/**
 * Spreads SSH logins over time and over hosts, so a fleet coming back after a network blip does not log in all at
 * once: at most `maxInFlight` logins (TCP connect, handshake and authentication) run at the same time across the
 * console, at most `maxPerHost` to one address (an sshd refuses connections past its `MaxStartups`, 10:30:100 by
 * default: from 10 unauthenticated ones it starts dropping), and two logins start at least `minSpacingMs` apart.
 * Waiters are served first come, first served, except that one whose address is full lets the next one by.
 */

export interface LoginGateOptions {
  /** Logins in flight at once across the console. */
  maxInFlight: number;
  /** Logins in flight at once to one `host:port`. */
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
  /** Idempotent. `ready` keeps the addresses' shares `hostSettleMs` longer. */
  release(outcome: 'ready' | 'failed'): void;
}

/** A login the gate started, for figures (benchmarks, tests): when it started and how it ended. */
export interface LoginRecord {
  hosts: readonly string[];
  startedAt: number;
  /** Time spent waiting for the slot, in ms. */
  waitedMs: number;
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
  grant: (slot: LoginSlot) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

const RECORDS_KEPT = 512;

export class LoginGate {
  readonly options: Readonly<LoginGateOptions>;
  private readonly waiters: Waiter[] = [];
  private readonly perHost = new Map<string, number>();
  private inFlight = 0;
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

  /** Logins running now. */
  get running(): number {
    return this.inFlight;
  }

  /** Logins waiting for their turn now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** The most recent logins (up to 512), oldest first. */
  recent(): readonly LoginRecord[] {
    return this.records;
  }

  /**
   * Wait for a turn to log in to `hosts` (every `host:port` the login connects to: jump hops and the target).
   * `onWait` is called once, synchronously, when the login cannot start at once. Rejects with `LoginWaitAborted`
   * when `signal` aborts first.
   */
  acquire(
    hosts: readonly string[],
    opts: { signal?: AbortSignal; onWait?: () => void } = {},
  ): Promise<LoginSlot> {
    if (opts.signal?.aborted) return Promise.reject(new LoginWaitAborted());
    return new Promise<LoginSlot>((resolve, reject) => {
      const waiter: Waiter = {
        hosts: [...new Set(hosts)],
        queuedAt: Date.now(),
        grant: resolve,
        signal: opts.signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i < 0) return;
          this.waiters.splice(i, 1);
          reject(new LoginWaitAborted());
          // The one that left may have been holding the line for others (its address was free, theirs not).
          this.pump();
        },
      };
      opts.signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
      if (this.waiters.includes(waiter)) opts.onWait?.();
    });
  }

  private hostFree(hosts: readonly string[]): boolean {
    return hosts.every((h) => (this.perHost.get(h) ?? 0) < this.options.maxPerHost);
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.waiters.length > 0 && this.inFlight < this.options.maxInFlight) {
      const now = Date.now();
      const wait = this.lastStart === undefined ? 0 : this.lastStart + this.options.minSpacingMs - now;
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      const i = this.waiters.findIndex((w) => this.hostFree(w.hosts));
      // Every waiter's address is full: a release wakes the gate again.
      if (i < 0) return;
      const [waiter] = this.waiters.splice(i, 1);
      if (waiter) this.start(waiter, now);
    }
  }

  private start(waiter: Waiter, now: number): void {
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    this.inFlight++;
    this.lastStart = now;
    for (const h of waiter.hosts) this.perHost.set(h, (this.perHost.get(h) ?? 0) + 1);
    const record: LoginRecord = { hosts: waiter.hosts, startedAt: now, waitedMs: now - waiter.queuedAt };
    this.records.push(record);
    if (this.records.length > RECORDS_KEPT) this.records.shift();
    let released = false;
    waiter.grant({
      startedAt: now,
      release: (outcome) => {
        if (released) return;
        released = true;
        record.endedAt = Date.now();
        record.outcome = outcome;
        this.inFlight--;
        const freeHosts = () => {
          for (const h of waiter.hosts) {
            const n = (this.perHost.get(h) ?? 1) - 1;
            if (n > 0) this.perHost.set(h, n);
            else this.perHost.delete(h);
          }
          this.pump();
        };
        if (outcome === 'ready' && this.options.hostSettleMs > 0)
          setTimeout(freeHosts, this.options.hostSettleMs).unref();
        else freeHosts();
        this.pump();
      },
    });
  }
}

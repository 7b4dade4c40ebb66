import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoginGate, LoginWaitAborted, type LoginSlot } from '../../../src-main/core/ssh/login-gate.js';

const T0 = Date.parse('2026-12-06T12:00:00Z');

/** Ask for a slot and keep what came of it, so a test can see who started and when. */
function ask(gate: LoginGate, hosts: string[], signal?: AbortSignal) {
  const entry: { slot?: LoginSlot; waited: boolean; error?: unknown } = { waited: false };
  gate
    .acquire(hosts, { ...(signal ? { signal } : {}), onWait: () => (entry.waited = true) })
    .then((slot) => (entry.slot = slot))
    .catch((err: unknown) => (entry.error = err));
  return entry;
}

/** Let promise callbacks run without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('login gate', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts the first login at once and says nothing about waiting', async () => {
    const gate = new LoginGate();
    const a = ask(gate, ['box-1:22']);
    await settle();
    expect(a.slot?.startedAt).toBe(T0);
    expect(a.waited).toBe(false);
  });

  it('never starts two logins closer than the spacing: 32 devices at once take at least 3.1 s to start', async () => {
    const gate = new LoginGate({ maxInFlight: 32, maxPerHost: 32, minSpacingMs: 100 });
    const all = Array.from({ length: 32 }, (_, i) => ask(gate, [`box-${i}:22`]));
    await settle();
    expect(all.filter((e) => e.slot)).toHaveLength(1);
    expect(all.slice(1).every((e) => e.waited)).toBe(true);
    await vi.advanceTimersByTimeAsync(3099);
    expect(all.filter((e) => e.slot)).toHaveLength(31);
    await vi.advanceTimersByTimeAsync(1);
    const starts = all.map((e) => e.slot?.startedAt ?? NaN);
    expect(starts).toEqual(Array.from({ length: 32 }, (_, i) => T0 + i * 100));
  });

  it('keeps at most maxInFlight logins in their key exchange across the console, and lets the next in as one ends', async () => {
    const gate = new LoginGate({ maxInFlight: 4, maxPerHost: 3, minSpacingMs: 0 });
    const all = Array.from({ length: 6 }, (_, i) => ask(gate, [`box-${i}:22`]));
    await settle();
    // Starting (TCP connect, greeting) is not limited by it.
    expect(all.filter((e) => e.slot)).toHaveLength(6);
    const places = all.map(() => ({ got: false, waited: false }));
    all.forEach((e, i) => {
      const p = places[i];
      void e.slot?.handshake(() => p && (p.waited = true)).then(() => p && (p.got = true));
    });
    await settle();
    expect(places.map((p) => p.got)).toEqual([true, true, true, true, false, false]);
    expect(places.map((p) => p.waited)).toEqual([false, false, false, false, true, true]);
    expect(gate.handshakes).toBe(4);
    all[0]?.slot?.release('failed');
    await settle();
    expect(places.map((p) => p.got)).toEqual([true, true, true, true, true, false]);
    // Releasing twice gives back one place only.
    all[0]?.slot?.release('failed');
    await settle();
    expect(places[5]?.got).toBe(false);
  });

  it('lets devices that do not answer hold no key-exchange place while their connects time out', async () => {
    const gate = new LoginGate({ maxInFlight: 2, maxPerHost: 3, minSpacingMs: 0 });
    // Four devices gone: their logins started and wait for a greeting that does not come.
    const gone = Array.from({ length: 4 }, (_, i) => ask(gate, [`gone-${i}:22`]));
    const healthy = ask(gate, ['here:22']);
    await settle();
    expect(gone.every((e) => e.slot)).toBe(true);
    let got = false;
    void healthy.slot?.handshake().then(() => (got = true));
    await settle();
    expect(got).toBe(true);
  });

  it('gives one login one place, through every hop of a jump chain', async () => {
    const gate = new LoginGate({ maxInFlight: 1, maxPerHost: 3, minSpacingMs: 0 });
    const chain = ask(gate, ['bastion:22', 'box:22']);
    await settle();
    await chain.slot?.handshake();
    let second = false;
    void chain.slot?.handshake().then(() => (second = true));
    await settle();
    expect(second).toBe(true);
    expect(gate.handshakes).toBe(1);
    chain.slot?.release('failed');
    expect(gate.handshakes).toBe(0);
  });

  it('calls off a wait for a key-exchange place when the device is disconnected', async () => {
    const gate = new LoginGate({ maxInFlight: 1, maxPerHost: 3, minSpacingMs: 0 });
    const first = ask(gate, ['a:22']);
    const abort = new AbortController();
    const second = ask(gate, ['b:22'], abort.signal);
    await settle();
    await first.slot?.handshake();
    let error: unknown;
    second.slot?.handshake().catch((err: unknown) => (error = err));
    await settle();
    abort.abort();
    await settle();
    expect(error).toBeInstanceOf(LoginWaitAborted);
    expect(gate.waiting).toBe(0);
  });

  it('keeps at most maxPerHost logins on one address, and lets logins to other addresses by meanwhile', async () => {
    const gate = new LoginGate({ maxInFlight: 10, maxPerHost: 3, minSpacingMs: 0, hostSettleMs: 0 });
    const same = Array.from({ length: 5 }, () => ask(gate, ['127.0.0.1:2222']));
    const other = ask(gate, ['10.0.0.9:22']);
    await settle();
    expect(same.filter((e) => e.slot)).toHaveLength(3);
    expect(other.slot).toBeDefined();
    same[1]?.slot?.release('failed');
    await settle();
    expect(same[3]?.slot).toBeDefined();
    expect(same[4]?.slot).toBeUndefined();
  });

  it('counts a jump host as an address of its own: logins through one bastion share its limit', async () => {
    const gate = new LoginGate({ maxInFlight: 10, maxPerHost: 2, minSpacingMs: 0 });
    const a = ask(gate, ['bastion:22', 'box-1:22']);
    const b = ask(gate, ['bastion:22', 'box-2:22']);
    const c = ask(gate, ['bastion:22', 'box-3:22']);
    const direct = ask(gate, ['box-3:22']);
    await settle();
    expect([a, b, c, direct].map((e) => e.slot !== undefined)).toEqual([true, true, false, true]);
  });

  it('after a login succeeds, keeps its address taken a moment longer (sshd still counts it unauthenticated)', async () => {
    const gate = new LoginGate({ maxInFlight: 10, maxPerHost: 1, minSpacingMs: 0, hostSettleMs: 200 });
    const first = ask(gate, ['box:22']);
    const second = ask(gate, ['box:22']);
    await settle();
    first.slot?.release('ready');
    await vi.advanceTimersByTimeAsync(199);
    expect(second.slot).toBeUndefined();
    expect(gate.running).toBe(0);
    expect(gate.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(second.slot?.startedAt).toBe(T0 + 200);
    // A failed login gives its address back at once.
    const third = ask(gate, ['box:22']);
    second.slot?.release('failed');
    await settle();
    expect(third.slot).toBeDefined();
  });

  it('drops a waiter whose device is disconnected, and the ones behind it move up', async () => {
    const gate = new LoginGate({ maxInFlight: 1, maxPerHost: 1, minSpacingMs: 0 });
    const running = ask(gate, ['a:22', 'shared:22']);
    const abort = new AbortController();
    const gone = ask(gate, ['b:22', 'shared:22'], abort.signal);
    const next = ask(gate, ['c:22', 'shared:22']);
    await settle();
    abort.abort();
    await settle();
    expect(gone.error).toBeInstanceOf(LoginWaitAborted);
    expect(gate.waiting).toBe(1);
    running.slot?.release('failed');
    await settle();
    expect(next.slot).toBeDefined();
    expect(gone.slot).toBeUndefined();
  });

  it('refuses an already aborted wait at once', async () => {
    const gate = new LoginGate();
    const abort = new AbortController();
    abort.abort();
    const e = ask(gate, ['a:22'], abort.signal);
    await settle();
    expect(e.error).toBeInstanceOf(LoginWaitAborted);
    expect(gate.running).toBe(0);
  });

  it('records each login: when it started, how long it waited and how it ended', async () => {
    const gate = new LoginGate({ maxInFlight: 1, maxPerHost: 1, minSpacingMs: 100, hostSettleMs: 0 });
    const a = ask(gate, ['box:22']);
    const b = ask(gate, ['box:22']);
    await settle();
    await a.slot?.handshake();
    await vi.advanceTimersByTimeAsync(250);
    a.slot?.release('ready');
    await settle();
    b.slot?.release('failed');
    expect(gate.recent()).toEqual([
      { hosts: ['box:22'], startedAt: T0, waitedMs: 0, handshakeAt: T0, endedAt: T0 + 250, outcome: 'ready' },
      { hosts: ['box:22'], startedAt: T0 + 250, waitedMs: 250, endedAt: T0 + 250, outcome: 'failed' },
    ]);
  });

  it('says what is wrong with bad limits', () => {
    expect(() => new LoginGate({ maxInFlight: 0 })).toThrow(/at least 1/);
    expect(() => new LoginGate({ minSpacingMs: -5 })).toThrow(/minSpacingMs must be a number of 0 or more/);
  });
});

/**
 * DeviceConnection's reconnects with a fake SSH opener and fake timers: how soon a lost link is tried again, how a
 * login the device turned away is told apart and retried, and the status while a device waits its turn to log in.
 */
import { EventEmitter } from 'node:events';
import type { Client } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceStatus } from '../../../src-main/contract/index.js';
import { DeviceConnection } from '../../../src-main/core/ssh/device-connection.js';
import { LoginGate } from '../../../src-main/core/ssh/login-gate.js';
import {
  ConnectFailure,
  type OpenedClient,
  type OpenOptions,
} from '../../../src-main/core/ssh/open-client.js';
import type { Endpoint, SshTarget } from '../../../src-main/core/ssh/types.js';

const T0 = Date.parse('2026-12-06T12:00:00Z');
const HOP = { host: '10.0.0.5', port: 22 };

class FakeClient extends EventEmitter {
  ended = false;
  exec(_cmd: string, cb: (err: Error | undefined) => void): void {
    cb(new Error('no heartbeat in this test'));
  }
  end(): void {
    this.ended = true;
  }
  /** The link dies: ssh2 reports the keepalive timeout, then closes. */
  die(): void {
    this.emit('error', Object.assign(new Error('Keepalive timeout'), { level: 'client-timeout' }));
    this.emit('close');
  }
}

const target: SshTarget = {
  ...HOP,
  user: 'linaro',
  auth: { kind: 'identityFile', path: '/k', passphrase: undefined },
};
const endpoint = (id: string): Endpoint => ({ id, name: id, target: () => Promise.resolve(target) });
const options = {} as OpenOptions;

type Outcome = 'ok' | 'busy' | 'unreachable' | 'auth';

/** An opener that answers each call with the next scripted outcome (the last one repeats). */
function opener(script: Outcome[]) {
  const clients: FakeClient[] = [];
  let calls = 0;
  const open = vi.fn(async (_target: SshTarget, o: OpenOptions): Promise<OpenedClient> => {
    const outcome = script[Math.min(calls++, script.length - 1)];
    await Promise.resolve();
    if (outcome !== 'unreachable') await o.beforeHandshake?.();
    if (outcome === 'busy')
      throw new ConnectFailure(
        'busy',
        'The device turned the login away for now (sshd MaxStartups: too many logins at once)',
        HOP,
      );
    if (outcome === 'unreachable')
      throw new ConnectFailure('unreachable', 'Cannot reach 10.0.0.5:22: no SSH greeting within 4 s.', HOP);
    if (outcome === 'auth') throw new ConnectFailure('auth_failed', 'Login as linaro failed.', HOP);
    const client = new FakeClient();
    clients.push(client);
    return { client: client as unknown as Client, hops: [] };
  });
  return { open, clients };
}

function connection(
  id: string,
  open: (t: SshTarget, o: OpenOptions) => Promise<OpenedClient>,
  gate = new LoginGate(),
) {
  const statuses: DeviceStatus[] = [];
  const conn = new DeviceConnection(endpoint(id), options, undefined, (s) => statuses.push(s), {
    gate,
    open,
    random: () => 0,
  });
  return { conn, statuses };
}

describe('device connection retries', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tries a lost link again every 2 s at most while it stays down, then connects at once when it answers', async () => {
    const { open, clients } = opener(['ok', ...Array<Outcome>(12).fill('unreachable'), 'ok']);
    const { conn, statuses } = connection('d1', open);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.status.state).toBe('connected');
    clients[0]?.die();
    const retries: number[] = [];
    for (let i = 0; i < 13; i++) {
      const retry = conn.status.retry;
      if (!retry) break;
      retries.push(retry.at - Date.now());
      await vi.advanceTimersByTimeAsync(retry.at - Date.now());
    }
    expect(conn.status.state).toBe('connected');
    expect(retries).toEqual([500, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000]);
    expect(statuses.some((s) => s.linkLost?.attempt === 13)).toBe(true);
    expect(conn.status.linkLost).toBeUndefined();
  });

  it('falls back to the long ceiling for a device gone longer than 3 minutes', async () => {
    const { open, clients } = opener(['ok', 'unreachable']);
    const { conn } = connection('d1', open);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    clients[0]?.die();
    let last = 0;
    while (Date.now() - T0 < 200_000) {
      const at = conn.status.retry?.at ?? Date.now();
      last = at - Date.now();
      await vi.advanceTimersByTimeAsync(Math.max(1, at - Date.now()));
    }
    expect(last).toBe(15_000);
    await conn.stop();
  });

  it('tells a login the device turned away (MaxStartups) apart, and retries it soon however many attempts ran', async () => {
    const { open } = opener([
      'unreachable',
      'unreachable',
      'unreachable',
      'unreachable',
      'busy',
      'busy',
      'ok',
    ]);
    const { conn, statuses } = connection('d1', open);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 4; i++) await vi.advanceTimersByTimeAsync((conn.status.retry?.at ?? 0) - Date.now());
    const busy = conn.status;
    expect(busy.state).toBe('unreachable');
    expect(busy.detail).toBe(
      'The device turned the login away for now (sshd MaxStartups: too many logins at once); retrying in 1 s.',
    );
    expect((busy.retry?.at ?? 0) - Date.now()).toBe(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(conn.status.detail).toMatch(/retrying in 2 s\.$/);
    await vi.advanceTimersByTimeAsync(2000);
    expect(conn.status.state).toBe('connected');
    expect(statuses.some((s) => s.state === 'auth_failed')).toBe(false);
  });

  it('shows a device waiting for a login slot as connecting, waiting its turn', async () => {
    const gate = new LoginGate({ maxInFlight: 1, maxPerHost: 1, minSpacingMs: 100 });
    let finish: (() => void) | undefined;
    const slow = vi.fn(
      () =>
        new Promise<OpenedClient>((resolve) => {
          finish = () => resolve({ client: new FakeClient() as unknown as Client, hops: [] });
        }),
    );
    const first = connection('d1', slow, gate);
    const { open } = opener(['ok']);
    const second = connection('d2', open, gate);
    first.conn.start();
    second.conn.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(second.conn.status.state).toBe('connecting');
    expect(second.conn.status.detail).toMatch(
      /^Connecting: waiting its turn to log in \(Tally runs at most 1/,
    );
    expect(open).not.toHaveBeenCalled();
    finish?.();
    // Same address: its share comes back a moment after the first login succeeded.
    await vi.advanceTimersByTimeAsync(200);
    expect(second.conn.status.state).toBe('connected');
    expect(second.statuses.map((s) => s.detail.split(':')[0])).toEqual([
      'Connecting…',
      'Connecting',
      'Connecting…',
      'Connected to linaro@10.0.0.5',
    ]);
  });

  it('shows a device that greeted but waits for a key-exchange place as waiting its turn too', async () => {
    const gate = new LoginGate({ maxInFlight: 1, maxPerHost: 3, minSpacingMs: 0 });
    const busy = connection(
      'd1',
      async (_t, o) => {
        await o.beforeHandshake?.();
        return new Promise<OpenedClient>(() => undefined);
      },
      gate,
    );
    const { open } = opener(['ok']);
    const second = connection('d2', open, gate);
    busy.conn.start();
    await vi.advanceTimersByTimeAsync(0);
    second.conn.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(open).toHaveBeenCalledTimes(1);
    expect(second.conn.status.state).toBe('connecting');
    expect(second.conn.status.detail).toMatch(/^Connecting: waiting its turn to log in/);
  });

  it('stops waiting for a slot when the producer disconnects, and never logs in', async () => {
    const gate = new LoginGate({ maxInFlight: 1, maxPerHost: 1, minSpacingMs: 0 });
    const hold = connection('d1', () => new Promise<OpenedClient>(() => undefined), gate);
    const { open } = opener(['ok']);
    const waiting = connection('d2', open, gate);
    hold.conn.start();
    waiting.conn.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(gate.waiting).toBe(1);
    await waiting.conn.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(gate.waiting).toBe(0);
    expect(open).not.toHaveBeenCalled();
    expect(waiting.conn.status.state).toBe('disconnected');
  });

  it('still waits for the producer after a refused key or password: that is not retried', async () => {
    const { open } = opener(['auth']);
    const { conn } = connection('d1', open);
    conn.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(conn.status.state).toBe('auth_failed');
    expect(open).toHaveBeenCalledTimes(1);
  });
});

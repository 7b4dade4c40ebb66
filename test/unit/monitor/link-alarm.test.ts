import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alarm, DeviceStatus } from '../../../src-main/contract/index.js';
import { AlarmCenter } from '../../../src-main/core/monitor/alarm-center.js';
import { LinkAlarms } from '../../../src-main/core/monitor/link-alarm.js';
import { notConnectedText } from '../../../src-main/core/ssh/connection-manager.js';

const T0 = Date.parse('2026-11-21T12:00:00Z');
const WINDOW = 4000;

function lost(since: number, attempt: number, state: DeviceStatus['state'] = 'disconnected'): DeviceStatus {
  return {
    state,
    detail: `The link to the device was lost (no answer to keepalive). Retrying in 1 s.`,
    since: T0,
    retry: { attempt, at: T0 + 1000 },
    linkLost: { since, attempt },
  };
}

const connected: DeviceStatus = { state: 'connected', detail: 'Connected.', since: T0 };

function setup(recording: { camera: string }[] | undefined) {
  const resolved: Alarm[] = [];
  const alarms = new AlarmCenter({ onChange: () => undefined, onResolved: (a) => resolved.push(a) });
  let current: DeviceStatus = connected;
  const links = new LinkAlarms({
    alarms,
    deviceName: () => 'studio-r58',
    windowMs: () => WINDOW,
    recordingsOf: () => recording,
    statusOf: () => current,
  });
  const status = (s: DeviceStatus): void => {
    current = s;
    links.onStatus('d1', s);
  };
  const open = (): Alarm[] => alarms.list().filter((a) => a.acknowledged === null);
  return { alarms, links, status, open, resolved };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

describe('the lost-link alarm', () => {
  it('waits out the keepalive window from the last time the device was heard, then raises it once', () => {
    const { status, open } = setup(undefined);
    // Noticed 1 s after the device was last heard: a blip could still heal within the window.
    status(lost(T0 - 1000, 1));
    expect(open()).toHaveLength(0);
    vi.advanceTimersByTime(2900);
    expect(open()).toHaveLength(0);
    vi.advanceTimersByTime(200);
    expect(open()).toHaveLength(1);
    expect(open()[0]).toMatchObject({ kind: 'link_lost', severity: 'warning', title: 'Link lost', count: 1 });
    // Later attempts update its words; it is still one loss.
    status(lost(T0 - 1000, 2, 'connecting'));
    expect(open()).toHaveLength(1);
    expect(open()[0]?.count).toBe(1);
    expect(open()[0]?.detail).toContain('(attempt 2)');
  });

  it('raises at once when keepalive took longer than the window to notice, critical while recording', () => {
    const { status, open } = setup([{ camera: 'cam0' }, { camera: 'cam1' }]);
    status(lost(T0 - 5000, 1));
    const [alarm] = open();
    expect(alarm).toMatchObject({ severity: 'critical', title: 'Link lost while recording 2 cameras' });
    expect(alarm?.detail).toContain('The box was recording cam0, cam1');
    expect(alarm?.detail).toContain('Tally is reconnecting by itself (attempt 1)');
  });

  it('is not raised when the link comes back within the window, and is closed by Tally when it comes back later', () => {
    const { status, open, resolved } = setup(undefined);
    status(lost(T0, 1));
    vi.advanceTimersByTime(1000);
    status(connected);
    vi.advanceTimersByTime(10_000);
    expect(open()).toHaveLength(0);

    status(lost(Date.now(), 1));
    vi.advanceTimersByTime(WINDOW);
    expect(open()).toHaveLength(1);
    status(connected);
    expect(open()).toHaveLength(0);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.acknowledged?.by).toBe('Tally: the link is back');
  });

  it('is closed when the producer disconnects on purpose', () => {
    const { status, open, resolved } = setup(undefined);
    status(lost(T0 - 5000, 1));
    expect(open()).toHaveLength(1);
    status({ state: 'disconnected', detail: 'Disconnected.', since: T0 });
    expect(open()).toHaveLength(0);
    expect(resolved[0]?.acknowledged?.by).toBe('Tally: disconnected on purpose');
  });

  it('does not fire from a timer after the device came back', () => {
    const { status, open, links } = setup(undefined);
    status(lost(T0, 1));
    links.onStatus('d1', connected); // the timer's own status read still says lost: the cancel must win
    vi.advanceTimersByTime(WINDOW * 2);
    expect(open()).toHaveLength(0);
  });
});

describe('AlarmCenter.resolve', () => {
  it('moves an open alarm to the acknowledged ones, naming why, and does nothing when none is open', () => {
    const alarms = new AlarmCenter({ onChange: () => undefined });
    expect(alarms.resolve('d1', 'link_lost', 'x')).toBeUndefined();
    alarms.raise({
      deviceId: 'd1',
      device: 'r58',
      kind: 'link_lost',
      severity: 'warning',
      title: 'Link lost',
      detail: '',
      evidence: [],
      recovery: false,
      occurrence: '1',
    });
    const done = alarms.resolve('d1', 'link_lost', 'Tally: the link is back');
    expect(done?.acknowledged?.by).toBe('Tally: the link is back');
    expect(alarms.isOpen('d1', 'link_lost')).toBe(false);
    expect(alarms.list()).toHaveLength(1);
  });
});

describe('notConnectedText', () => {
  it('says Tally is reconnecting, with the attempt, while it gets a lost link back', () => {
    const text = notConnectedText('studio-r58', lost(T0, 3));
    expect(text).toBe(
      'studio-r58 is not reachable right now: Tally is reconnecting by itself (attempt 3). Try again once the link is back.',
    );
    expect(text).not.toMatch(/connect (it )?first/i);
  });

  it('asks the producer to connect only when nobody is trying to', () => {
    expect(notConnectedText('studio-r58', { state: 'disconnected', detail: '', since: 0 })).toBe(
      'studio-r58 is not connected (disconnected). Connect it first.',
    );
    expect(notConnectedText('studio-r58', { state: 'connecting', detail: '', since: 0 })).toMatch(
      /still connecting/,
    );
  });
});

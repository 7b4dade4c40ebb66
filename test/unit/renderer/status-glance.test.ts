import { describe, expect, it } from 'vitest';
import type { Alarm, DeviceStatus, RecorderState } from '../../../src-main/contract/index.js';
import { ALARM_SHORT } from '../../../src-renderer/alarms/alarm-order.js';
import {
  clockDuration,
  computeGlance,
  spokenDuration,
  type GlanceInput,
} from '../../../src-renderer/lib/status-strip/glance.js';

const NOW = Date.parse('2026-11-21T14:10:00Z');
const LIMITS = {
  vpuSafe: 6,
  vpuPractical: 8,
  temperatureWarnC: 85,
  temperatureCriticalC: 95,
  cpuWarnPercent: 85,
};
const connected: DeviceStatus = { state: 'connected', detail: 'Connected.', since: NOW - 60_000, rttMs: 2 };

function recording(cameras: string[], startedAt?: string): RecorderState {
  return {
    unit: 'preke-recorder',
    activeState: 'active',
    subState: 'running',
    since: null,
    mainPid: 42,
    restarts: 0,
    recordings: cameras.map((camera) => ({
      camera,
      file: `/var/recordings/${camera}.mp4`,
      ...(startedAt ? { startedAt } : {}),
    })),
  };
}

function alarm(over: Partial<Alarm>): Alarm {
  return {
    id: 'a1',
    deviceId: 'd1',
    device: 'demo-r58',
    kind: 'oops',
    severity: 'critical',
    title: 'Kernel Oops in gst-launch-1.0 (rkvenc)',
    detail: '',
    evidence: [],
    raisedAt: '2026-11-21T14:09:00Z',
    lastAt: '2026-11-21T14:09:00Z',
    count: 1,
    acknowledged: null,
    recovery: true,
    ...over,
  };
}

function input(over: Partial<GlanceInput> = {}): GlanceInput {
  return {
    name: 'demo-r58',
    status: connected,
    recorder: { state: recording([]), at: NOW - 1000 },
    reading: { at: NOW - 500, vpuSessions: 4, cpuPercent: 23.4, temperatureC: 52.2 },
    limits: LIMITS,
    alarms: [],
    alarmShort: ALARM_SHORT,
    now: NOW,
    ...over,
  };
}

describe('the glance of a device', () => {
  it('is green only when all is well, with the readings against the limits', () => {
    const g = computeGlance(input());
    expect(g.health).toBe('ok');
    expect(g.healthLabel).toBe('Health: good');
    expect(g.reasons).toEqual([]);
    expect(g.link).toMatchObject({ kind: 'live', text: 'Connected', tone: 'ok' });
    expect(g.rec).toBeNull();
    expect(g.vpu).toMatchObject({ text: 'VPU 4/8', tone: 'ok' });
    expect(g.cpu).toMatchObject({ text: 'CPU 23 %', tone: 'ok' });
    expect(g.temperature).toMatchObject({ text: '52 °C', tone: 'ok' });
    expect(g.lastSeen).toBeNull();
  });

  it('shows REC with the time since the earliest recording started and the cameras', () => {
    const state = recording(['cam0', 'cam1', 'cam2', 'cam3'], '2026-11-21T14:07:55Z');
    state.recordings[2] = { ...state.recordings[2]!, startedAt: '2026-11-21T14:07:50Z' };
    const g = computeGlance(input({ recorder: { state, at: NOW } }));
    expect(g.rec).toMatchObject({
      text: 'REC 2:10 · 4 cams',
      label: 'Recording 4 cameras (cam0, cam1, cam2, cam3) for 2 min 10 s.',
      cameras: ['cam0', 'cam1', 'cam2', 'cam3'],
    });
    expect(g.health).toBe('ok');
    const one = computeGlance(input({ recorder: { state: recording(['cam2']), at: NOW } }));
    expect(one.rec?.text).toBe('REC · cam2');
  });

  it('is red while a critical alarm is open, amber for a warning one, naming the worst', () => {
    const oops = alarm({});
    const hot = alarm({
      id: 'a2',
      kind: 'vpu_sessions_safe',
      severity: 'warning',
      title: 'VPU sessions at 6',
    });
    const red = computeGlance(input({ alarms: [hot, oops] }));
    expect(red.health).toBe('alarm');
    expect(red.healthLabel).toBe('Health: alarm — Kernel Oops in gst-launch-1.0 (rkvenc)');
    expect(red.alarm).toMatchObject({ text: 'Oops +1', tone: 'bad', more: 1 });
    const amber = computeGlance(input({ alarms: [hot] }));
    expect(amber.health).toBe('warning');
    expect(amber.alarm?.text).toBe('VPU high');
    // Acknowledged alarms do not count.
    expect(computeGlance(input({ alarms: [{ ...oops, acknowledged: { by: 'x', at: 'y' } }] })).health).toBe(
      'ok',
    );
  });

  it('colours the readings by the limits and sums them into the health', () => {
    const practical = computeGlance(
      input({ reading: { at: NOW, vpuSessions: 8, cpuPercent: 10, temperatureC: 40 } }),
    );
    expect(practical.vpu?.tone).toBe('bad');
    expect(practical.health).toBe('alarm');
    const warm = computeGlance(
      input({ reading: { at: NOW, vpuSessions: 2, cpuPercent: 91, temperatureC: 86 } }),
    );
    expect(warm.cpu?.tone).toBe('warn');
    expect(warm.temperature?.tone).toBe('warn');
    expect(warm.health).toBe('warning');
    expect(warm.reasons).toEqual(['CPU at 91 %', 'SoC at 86 °C']);
    // A board out of CPU is a warning on its own (seed 000: software encoders starve it).
    const busy = computeGlance(
      input({ reading: { at: NOW, vpuSessions: 4, cpuPercent: 100, temperatureC: 50 } }),
    );
    expect(busy.cpu?.tone).toBe('warn');
    expect(busy.health).toBe('warning');
    expect(busy.reasons).toEqual(['CPU at 100 %']);
  });

  it('keeps the last known state through a lost link, greyed and stamped with its age, red while it was recording', () => {
    const lostAt = NOW - 14_000;
    const status: DeviceStatus = {
      state: 'connecting',
      detail: 'Reconnecting (attempt 3)…',
      since: NOW - 500,
      linkLost: { since: lostAt, attempt: 3 },
    };
    const state = recording(['cam0', 'cam1', 'cam2', 'cam3'], '2026-11-21T14:00:00Z');
    const g = computeGlance(
      input({
        status,
        recorder: { state, at: lostAt - 2000 },
        reading: { at: lostAt - 500, vpuSessions: 4, cpuPercent: 55, temperatureC: 60 },
      }),
    );
    expect(g.health).toBe('alarm');
    expect(g.healthLabel).toBe('Health: alarm — Link lost while recording 4 cameras');
    expect(g.link).toMatchObject({
      kind: 'lost',
      text: 'Link lost 14 s · reconnecting (attempt 3)',
      tone: 'bad',
    });
    expect(g.lastSeen?.text).toBe('last seen 14 s ago — the box was recording 4 cameras');
    // The running time stops where the console last saw it.
    expect(g.rec).toMatchObject({ text: 'REC 9:46 · 4 cams', tone: 'idle' });
    expect(g.rec?.label).toMatch(/^Was recording 4 cameras/);
    expect(g.cpu).toMatchObject({ text: 'CPU 55 %', tone: 'idle' });
    expect(g.cpu?.label).toContain('(14 s ago)');
    expect(g.vpu?.tone).toBe('idle');
    // Its own alarm is not named twice beside the link segment.
    const withAlarm = computeGlance(
      input({
        status,
        recorder: { state, at: lostAt },
        alarms: [alarm({ kind: 'link_lost', title: 'Link lost while recording 4 cameras' })],
      }),
    );
    expect(withAlarm.alarm).toBeNull();
    expect(withAlarm.reasons).toEqual(['Link lost while recording 4 cameras']);
  });

  it('is amber for a lost link when the box was not recording', () => {
    const g = computeGlance(
      input({
        status: {
          state: 'disconnected',
          detail: 'The link was lost.',
          since: NOW,
          retry: { attempt: 1, at: NOW + 500 },
          linkLost: { since: NOW - 5000, attempt: 1 },
        },
        reading: { at: NOW - 6000, vpuSessions: 0, cpuPercent: 5, temperatureC: 40 },
      }),
    );
    expect(g.health).toBe('warning');
    expect(g.link.tone).toBe('warn');
    expect(g.lastSeen?.text).toBe('last seen 5 s ago — the box was not recording');
  });

  it('shows nothing it last knew after a deliberate disconnect: grey, offline', () => {
    const g = computeGlance(
      input({
        status: { state: 'disconnected', detail: 'Disconnected.', since: NOW },
        recorder: { state: recording(['cam0']), at: NOW - 60_000 },
      }),
    );
    expect(g.health).toBe('offline');
    expect(g.link).toMatchObject({ kind: 'off', text: 'Disconnected', tone: 'idle' });
    expect(g.rec).toBeNull();
    expect(g.vpu).toBeNull();
    expect(g.lastSeen).toBeNull();
    // An alarm still open keeps it red.
    expect(
      computeGlance(input({ status: { state: 'disconnected', detail: '', since: NOW }, alarms: [alarm({})] }))
        .health,
    ).toBe('alarm');
  });

  it('greys readings that stopped coming while the link is up, with their age', () => {
    const g = computeGlance(
      input({ reading: { at: NOW - 12_000, vpuSessions: 9, cpuPercent: 50, temperatureC: 50 } }),
    );
    expect(g.vpu).toMatchObject({ tone: 'idle' });
    expect(g.vpu?.label).toContain('(12 s ago)');
    // An old reading says nothing about now: it does not turn the device red.
    expect(g.health).toBe('ok');
  });

  it('tells trust and login trouble, and a first connection that keeps failing', () => {
    const at = (status: Partial<DeviceStatus>) =>
      computeGlance(input({ status: { detail: 'x', since: NOW, ...status } as DeviceStatus }));
    expect(at({ state: 'hostkey_mismatch' })).toMatchObject({
      health: 'alarm',
      link: { text: 'Host key mismatch' },
    });
    expect(at({ state: 'auth_failed' })).toMatchObject({ health: 'warning', link: { text: 'Auth failed' } });
    expect(at({ state: 'hostkey_unknown' })).toMatchObject({
      health: 'warning',
      link: { text: 'Needs trust' },
    });
    expect(at({ state: 'unreachable', retry: { attempt: 2, at: NOW } })).toMatchObject({
      health: 'warning',
      link: { kind: 'retrying', text: 'Unreachable · retrying (attempt 2)' },
    });
    expect(at({ state: 'degraded', rttMs: 1400 })).toMatchObject({
      health: 'warning',
      link: { text: 'Slow link 1400 ms' },
    });
  });
});

describe('durations', () => {
  it('reads like a clock for running times and like words for ages', () => {
    expect(clockDuration(7_000)).toBe('0:07');
    expect(clockDuration(754_000)).toBe('12:34');
    expect(clockDuration(3_723_000)).toBe('1:02:03');
    expect(clockDuration(-5)).toBe('0:00');
    expect(spokenDuration(14_200)).toBe('14 s');
    expect(spokenDuration(185_000)).toBe('3 min 05 s');
    expect(spokenDuration(7_440_000)).toBe('2 h 04 min');
  });
});

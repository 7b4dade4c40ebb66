/** The fleet overview's rows: what each cell says, built from the status strip's glance, and the sparklines. */
import { describe, expect, it } from 'vitest';
import { SPARK_HEIGHT, SPARK_WIDTH, SPARK_WINDOW_MS } from '../../../src-renderer/fleet-view/fleet-row.js';
import { sparkPath, type SparkFrame } from '../../../src-renderer/lib/charts/sparkline.js';
import { CONNECTED, NOW, alarm, box, history, mixer, sample } from './fleet-view-fixtures.js';

const FRAME: SparkFrame = { from: 0, to: 100, width: 10, height: 10, min: 0, max: 100, gapMs: 15 };

describe('a sparkline', () => {
  it('draws the readings on a fixed scale, left to right across the window', () => {
    const d = sparkPath(
      [
        { at: 0, value: 0 },
        { at: 50, value: 50 },
        { at: 100, value: 100 },
      ],
      { ...FRAME, gapMs: 60 },
    );
    expect(d).toBe('M0,10L5,5L10,0');
  });

  it('keeps the highest reading of a pixel column, so a spike is not averaged away', () => {
    const d = sparkPath(
      [
        { at: 10, value: 10 },
        { at: 12, value: 90 },
        { at: 14, value: 10 },
        { at: 20, value: 10 },
      ],
      FRAME,
    );
    expect(d).toBe('M1,1L2,9');
  });

  it('breaks where readings stop or are missing, and shows a lone reading as a dot', () => {
    const d = sparkPath(
      [
        { at: 0, value: 20 },
        { at: 10, value: 20 },
        { at: 60, value: 40 },
        { at: 70, value: null },
        { at: 80, value: 20 },
        { at: 90, value: 20 },
      ],
      FRAME,
    );
    expect(d).toBe('M0,8L1,8M6,6L6,6M8,8L9,8');
  });

  it('reads only the window and clamps readings outside the scale', () => {
    const d = sparkPath(
      [
        { at: -50, value: 100 },
        { at: 0, value: 150 },
        { at: 10, value: -5 },
        { at: 200, value: 50 },
      ],
      FRAME,
    );
    expect(d).toBe('M0,0L1,10');
    expect(sparkPath([], FRAME)).toBe('');
    expect(sparkPath([{ at: 5, value: 1 }], { ...FRAME, max: 0 })).toBe('');
  });
});

describe('a fleet row', () => {
  it('says what the status strip says: health in colour and word, the link with its round trip, the readings', () => {
    const row = box({ name: 'box-1', tags: ['room-a'] });
    expect(row).toMatchObject({
      name: 'box-1',
      tags: ['room-a'],
      health: 'ok',
      healthWord: 'OK',
      healthLabel: 'Health: good',
      healthTone: 'ok',
      link: { text: 'Connected · 2.4 ms', tone: 'ok' },
      vpu: { text: '4/8', tone: 'ok', fill: 0.5, safeAt: 0.75 },
      cpu: { text: '20 %', tone: 'ok' },
      temperature: { text: '50 °C', tone: 'ok' },
      rec: null,
      program: { kind: 'none', text: '—' },
      alarm: null,
      openAlarms: 0,
      stale: false,
    });
    expect(row.link.label).toMatch(/Round trip 2\.4 ms\.$/);
  });

  it('draws the last minutes of CPU and temperature, and nothing older', () => {
    const old = sample(NOW - SPARK_WINDOW_MS - 60_000, { cpuPercent: 100 });
    const row = box({ name: 'box-1', samples: [old, ...history(60, () => ({ cpuPercent: 50 }))] });
    expect(row.cpu?.path).toMatch(/^M\d+,7L/);
    // Half way up at 50 %; the old 100 % reading is not drawn.
    expect(row.cpu?.path).not.toMatch(/,0(L|M|$)/);
    expect(row.cpu?.path.split('M')).toHaveLength(2);
    expect(Number(row.cpu?.path.split(',')[1]?.split('L')[0])).toBe(SPARK_HEIGHT / 2);
  });

  it('draws a short history across the whole width, over at least half a minute', () => {
    const just = box({ name: 'b', samples: history(60) });
    expect(just.cpu?.path).toMatch(/^M0,/);
    const fresh = box({ name: 'b', samples: history(5) });
    expect(Number(/^M(\d+),/.exec(fresh.cpu?.path ?? '')?.[1])).toBeGreaterThan(SPARK_WIDTH / 2);
  });

  it('shows VPU against its limit in warning colour past the safe limit, full and red at the practical one', () => {
    const vpu = (n: number) =>
      box({ name: 'b', samples: history(5, () => ({ vpu: { ...sample(0).vpu, total: n } })) }).vpu;
    expect(vpu(6)).toMatchObject({ text: '6/8', tone: 'warn', fill: 0.75 });
    expect(vpu(9)).toMatchObject({ text: '9/8', tone: 'bad', fill: 1 });
  });

  it('names the worst open alarm, counts them all, and knows whether it is critical and when it was last seen', () => {
    const row = box({
      name: 'box-27',
      alarms: [
        alarm({ id: 'x', kind: 'vpu_sessions_safe', severity: 'warning', title: 'VPU high' }),
        alarm({ id: 'y', lastAt: '2026-11-21T14:09:30Z' }),
      ],
    });
    expect(row.health).toBe('alarm');
    expect(row.alarm).toMatchObject({
      text: 'Oops +1',
      tone: 'bad',
      critical: true,
      at: Date.parse('2026-11-21T14:09:30Z'),
    });
    expect(row.openAlarms).toBe(2);
  });

  it('shows REC with its cameras, and what the mixer has on Program', () => {
    const row = box({ name: 'b', recording: ['cam0', 'cam1'], mixer: mixer() });
    expect(row.rec).toMatchObject({ text: 'REC 2:00 · 2 cams', tone: 'bad' });
    expect(row.program).toMatchObject({ kind: 'on', text: 'Wide', label: 'Wide is on Program.' });
    expect(box({ name: 'b', mixer: mixer({ status: 'off', program: null }) }).program.kind).toBe('none');
    expect(box({ name: 'b', mixer: mixer({ status: 'unknown' }) }).program).toMatchObject({
      kind: 'stale',
      text: 'Wide',
    });
    expect(box({ name: 'b', mixer: mixer({ status: 'failed', detail: 'no inputs' }) }).program).toMatchObject(
      {
        kind: 'failed',
        label: 'The mixer failed: no inputs',
      },
    );
  });

  it('keeps the last known readings, marked stale, while the link is being got back', () => {
    const lost = {
      ...CONNECTED,
      state: 'disconnected' as const,
      linkLost: { since: NOW - 14_000, attempt: 2 },
      retry: { attempt: 2, at: NOW + 1000 },
    };
    const row = box({
      name: 'b',
      status: lost,
      samples: history(30).map((s) => ({ ...s, at: s.at - 14_000 })),
    });
    expect(row.stale).toBe(true);
    expect(row.linkKind).toBe('lost');
    expect(row.link.text).toBe('Link lost 14 s');
    expect(row.link.label).toMatch(/^Link lost 14 s · reconnecting \(attempt 2\)\./);
    expect(row.cpu?.tone).toBe('idle');
    expect(row.cpu?.path).not.toBe('');
  });

  it('has no readings for a box never connected', () => {
    const row = box({
      name: 'b',
      status: { state: 'disconnected', detail: 'Not connected.', since: NOW },
      samples: [],
    });
    expect(row).toMatchObject({
      health: 'offline',
      healthWord: 'Offline',
      vpu: null,
      cpu: null,
      temperature: null,
    });
    expect(row.link.text).toBe('Disconnected');
  });
});

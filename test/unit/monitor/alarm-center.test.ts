import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../../src-main/contract/index.js';
import { AlarmCenter, Threshold, type AlarmInput } from '../../../src-main/core/monitor/alarm-center.js';

function input(over: Partial<AlarmInput> = {}): AlarmInput {
  return {
    deviceId: 'd1',
    device: 'studio-r58',
    kind: 'oops',
    severity: 'critical',
    title: 'Kernel Oops in gst-launch-1.0',
    detail: 'detail',
    evidence: ['Internal error: Oops: 96000005 [#1] SMP'],
    recovery: true,
    occurrence: 'k-1',
    ...over,
  };
}

function center() {
  const changes: Alarm[][] = [];
  const raised: Alarm[] = [];
  const acked: Alarm[] = [];
  let clock = Date.parse('2026-11-21T12:00:00Z');
  const c = new AlarmCenter({
    onChange: (a) => changes.push(a),
    onRaised: (a) => raised.push(a),
    onAcknowledged: (a) => acked.push(a),
    now: () => new Date((clock += 1000)),
  });
  return { c, changes, raised, acked };
}

describe('AlarmCenter', () => {
  it('keeps one open alarm per device and cause, counting repeats but not updates of the same report', () => {
    const { c, raised } = center();
    const first = c.raise(input());
    c.raise(input({ title: 'Kernel Oops in gst-launch-1.0 at rkvenc_run', evidence: ['a', 'b'] }));
    expect(c.list()).toHaveLength(1);
    expect(c.list()[0]).toMatchObject({
      id: first.id,
      count: 1,
      title: 'Kernel Oops in gst-launch-1.0 at rkvenc_run',
    });
    c.raise(input({ occurrence: 'k-2' }));
    expect(c.list()[0]?.count).toBe(2);
    c.raise(input({ deviceId: 'd2', device: 'other' }));
    c.raise(input({ kind: 'vpu_error', occurrence: 'line-9' }));
    expect(c.list()).toHaveLength(3);
    expect(raised).toHaveLength(3);
  });

  it('stays until acknowledged, then a new occurrence is a new alarm', () => {
    const { c, acked } = center();
    const a = c.raise(input());
    const done = c.acknowledge(a.id, 'ana@laptop (web)');
    expect(done.acknowledged?.by).toBe('ana@laptop (web)');
    expect(acked).toHaveLength(1);
    expect(c.isOpen('d1', 'oops')).toBe(false);
    // Acknowledging twice is harmless; an unknown id says so.
    expect(c.acknowledge(a.id, 'x').acknowledged?.by).toBe('ana@laptop (web)');
    expect(() => c.acknowledge('nope', 'x')).toThrow(/no longer listed/);
    const b = c.raise(input({ occurrence: 'k-3' }));
    expect(b.id).not.toBe(a.id);
    expect(c.list().map((x) => x.id)).toEqual([b.id, a.id]);
  });

  it('lists critical before warning, and escalates an open warning when a critical one comes', () => {
    const { c } = center();
    c.raise(input({ kind: 'temperature', severity: 'warning', occurrence: 's1' }));
    c.raise(input({ kind: 'vpu_sessions_safe', severity: 'warning', occurrence: 's1' }));
    c.raise(input({ kind: 'oops' }));
    expect(c.list().map((a) => a.kind)).toEqual(['oops', 'vpu_sessions_safe', 'temperature']);
    c.raise(input({ kind: 'temperature', severity: 'critical', occurrence: 's2' }));
    expect(c.list().find((a) => a.kind === 'temperature')?.severity).toBe('critical');
  });

  it('drops a removed device’s alarms', () => {
    const { c, changes } = center();
    c.raise(input());
    c.raise(input({ deviceId: 'd2' }));
    c.forgetDevice('d1');
    expect(c.list().map((a) => a.deviceId)).toEqual(['d2']);
    expect(changes.at(-1)).toHaveLength(1);
  });
});

describe('Threshold', () => {
  it('fires once on crossing and re-arms only below the hysteresis band', () => {
    const t = new Threshold(85, 3);
    expect([80, 85, 90, 86, 83, 84, 81, 86, null].map((v) => t.check(v))).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
    ]);
  });
  it('counts "at or above" as over, as the VPU limits are written', () => {
    const t = new Threshold(6);
    expect(t.check(5)).toBe(false);
    expect(t.check(6)).toBe(true);
    expect(t.check(5)).toBe(false);
    expect(t.check(6)).toBe(true);
  });
});

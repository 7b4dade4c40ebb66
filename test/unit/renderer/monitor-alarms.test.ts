import { describe, expect, it } from 'vitest';
import {
  compareAlarms,
  openAlarms,
  replaceAlarm,
  worstByDevice,
} from '../../../src-renderer/alarms/alarm-order.js';
import { alarm } from './monitor-fixtures.js';

describe('alarm ordering', () => {
  it('puts critical before warning, a panic before an Oops, and the most recent first among equals', () => {
    const list = [
      alarm('a', { kind: 'vpu_sessions_safe', severity: 'warning' }),
      alarm('b', { kind: 'oops', lastAt: '2026-03-14T10:00:00.000Z' }),
      alarm('c', { kind: 'panic' }),
      alarm('d', { kind: 'oops', lastAt: '2026-03-14T10:05:00.000Z' }),
      alarm('e', { kind: 'temperature', severity: 'critical' }),
    ];
    expect(openAlarms(list).map((a) => a.id)).toEqual(['c', 'd', 'b', 'e', 'a']);
    expect(compareAlarms(list[0]!, list[0]!)).toBe(0);
  });

  it('leaves acknowledged alarms out', () => {
    const list = [
      alarm('a'),
      alarm('b', { acknowledged: { by: 'producer', at: '2026-03-14T10:01:00.000Z' } }),
    ];
    expect(openAlarms(list).map((a) => a.id)).toEqual(['a']);
  });

  it('finds each device its worst open alarm and counts the rest', () => {
    const list = [
      alarm('a', { deviceId: 'one', kind: 'vpu_sessions_safe', severity: 'warning' }),
      alarm('b', { deviceId: 'one', kind: 'rcu_stall' }),
      alarm('c', { deviceId: 'two', kind: 'temperature', severity: 'warning' }),
      alarm('d', {
        deviceId: 'two',
        kind: 'oops',
        acknowledged: { by: 'p', at: '2026-03-14T10:01:00.000Z' },
      }),
    ];
    const worst = worstByDevice(list);
    expect(worst.get('one')).toMatchObject({ worst: { id: 'b' }, count: 2 });
    expect(worst.get('two')).toMatchObject({ worst: { id: 'c' }, count: 1 });
    expect(worst.has('three')).toBe(false);
  });

  it('replaces an alarm by id with the acknowledge reply, or adds it when unknown', () => {
    const list = [alarm('a'), alarm('b')];
    const acked = alarm('b', { acknowledged: { by: 'p', at: '2026-03-14T10:01:00.000Z' } });
    expect(replaceAlarm(list, acked).map((a) => [a.id, a.acknowledged !== null])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(replaceAlarm(list, alarm('z')).map((a) => a.id)).toEqual(['z', 'a', 'b']);
  });
});

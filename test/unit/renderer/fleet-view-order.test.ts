/** The fleet overview's order, filters and groups, and what its bulk actions say. */
import { describe, expect, it } from 'vitest';
import {
  compareByName,
  groupByTag,
  matchesText,
  queryRows,
  stateCounts,
  worstRank,
} from '../../../src-renderer/fleet-view/fleet-order.js';
import {
  acknowledgedText,
  connectAllText,
  fleetSum,
  someNames,
} from '../../../src-renderer/fleet-view/fleet-words.js';
import { CONNECTED, NOW, alarm, box } from './fleet-view-fixtures.js';

const off = { state: 'disconnected' as const, detail: 'Not connected.', since: NOW };
const lost = {
  ...CONNECTED,
  state: 'disconnected' as const,
  linkLost: { since: NOW - 5000, attempt: 1 },
  retry: { attempt: 1, at: NOW + 500 },
};
const trust = { state: 'hostkey_unknown' as const, detail: 'Check the key.', since: NOW };

const fleet = [
  box({ name: 'box-10', tags: ['room-b'] }),
  box({ name: 'box-2', tags: ['room-a', 'venue'], status: off, samples: [] }),
  box({
    name: 'box-27',
    tags: ['room-b'],
    alarms: [alarm({ kind: 'oops', lastAt: '2026-11-21T14:09:50Z' })],
  }),
  box({
    name: 'box-3',
    alarms: [alarm({ kind: 'vpu_sessions_safe', severity: 'warning', title: 'VPU above safe' })],
  }),
  box({ name: 'box-4', status: lost, recording: ['cam0'] }),
  box({
    name: 'box-5',
    alarms: [alarm({ kind: 'rcu_stall', lastAt: '2026-11-21T14:05:00Z', title: 'RCU stall' })],
  }),
  box({ name: 'box-6', status: trust, samples: [] }),
  box({ name: 'box-7', recording: ['cam0', 'cam1'] }),
];
const names = (rows: readonly { name: string }[]): string[] => rows.map((r) => r.name);

describe('worst first', () => {
  it('puts alarms first (the newest first), then warnings, then boxes out of reach, then the well ones by name', () => {
    const sorted = queryRows(fleet, { sort: 'worst', text: '', state: 'all' });
    expect(names(sorted)).toEqual([
      // Red: two critical alarms, the newest first, then box-4, which lost its link while recording.
      'box-27',
      'box-5',
      'box-4',
      // Amber: an alarm, then a host key to check.
      'box-3',
      'box-6',
      // Out of reach, then all well by name.
      'box-2',
      'box-7',
      'box-10',
    ]);
  });

  it('ranks a critical alarm before a warning one at the same health', () => {
    const warnOnly = box({
      name: 'a-warn',
      alarms: [alarm({ kind: 'temperature', severity: 'warning', lastAt: '2026-11-21T14:09:59Z' })],
    });
    const hotAndOops = box({
      name: 'z-crit',
      alarms: [alarm({ kind: 'oops', lastAt: '2026-11-21T14:00:00Z' })],
    });
    expect(worstRank(warnOnly)).toBe(1);
    expect(worstRank(hotAndOops)).toBe(0);
    expect(names(queryRows([warnOnly, hotAndOops], { sort: 'worst', text: '', state: 'all' }))).toEqual([
      'z-crit',
      'a-warn',
    ]);
  });

  it('keeps a lost link that was not recording with the boxes out of reach, and a host key to check with the warnings', () => {
    const lostIdle = box({ name: 'l', status: lost });
    expect(lostIdle.health).toBe('warning');
    expect(worstRank(lostIdle)).toBe(2);
    expect(worstRank(box({ name: 't', status: trust }))).toBe(1);
  });
});

describe('by name', () => {
  it('counts numbers as numbers: box-2 before box-10', () => {
    expect(names([...fleet].sort(compareByName))).toEqual([
      'box-2',
      'box-3',
      'box-4',
      'box-5',
      'box-6',
      'box-7',
      'box-10',
      'box-27',
    ]);
  });
});

describe('filters', () => {
  it('finds every word typed in the name or a tag, ignoring case', () => {
    expect(names(queryRows(fleet, { sort: 'name', text: 'ROOM-B', state: 'all' }))).toEqual([
      'box-10',
      'box-27',
    ]);
    expect(names(queryRows(fleet, { sort: 'name', text: 'room venue', state: 'all' }))).toEqual(['box-2']);
    expect(names(queryRows(fleet, { sort: 'name', text: 'box-2', state: 'all' }))).toEqual([
      'box-2',
      'box-27',
    ]);
    expect(matchesText(fleet[0]!, '   ')).toBe(true);
    expect(queryRows(fleet, { sort: 'name', text: 'nowhere', state: 'all' })).toEqual([]);
  });

  it('filters by state, and counts what each state would show under the text typed', () => {
    const by = (state: 'alarm' | 'warning' | 'offline' | 'recording'): string[] =>
      names(queryRows(fleet, { sort: 'name', text: '', state }));
    expect(by('alarm')).toEqual(['box-4', 'box-5', 'box-27']);
    expect(by('warning')).toEqual(['box-3', 'box-6']);
    expect(by('offline')).toEqual(['box-2', 'box-4']);
    expect(by('recording')).toEqual(['box-4', 'box-7']);
    expect(stateCounts(fleet, '')).toEqual({ all: 8, alarm: 3, warning: 2, offline: 2, recording: 2 });
    expect(stateCounts(fleet, 'room-b')).toEqual({ all: 2, alarm: 1, warning: 0, offline: 0, recording: 0 });
  });
});

describe('grouped by tag', () => {
  it('shows a box under each of its tags, tags by name, "No tag" last, in the order given', () => {
    const sorted = queryRows(fleet, { sort: 'worst', text: '', state: 'all' });
    const groups = groupByTag(sorted);
    expect(groups.map((g) => [g.title, names(g.rows)])).toEqual([
      ['room-a', ['box-2']],
      ['room-b', ['box-27', 'box-10']],
      ['venue', ['box-2']],
      ['No tag', ['box-5', 'box-4', 'box-3', 'box-6', 'box-7']],
    ]);
    expect(groups.at(-1)?.tag).toBeNull();
  });

  it('takes tags that differ only in case as one group, named as first seen', () => {
    const groups = groupByTag([box({ name: 'a', tags: ['Stage'] }), box({ name: 'b', tags: ['stage'] })]);
    expect(groups.map((g) => [g.title, names(g.rows)])).toEqual([['Stage', ['a', 'b']]]);
  });
});

describe('what the bulk actions say', () => {
  it('Connect all names what it started, and what waits for a host key check', () => {
    expect(connectAllText(['box-3', 'box-5'], 0)).toBe('Connecting 2 devices: box-3 and box-5.');
    expect(connectAllText(['a', 'b', 'c', 'd', 'e'], 1)).toBe(
      'Connecting 5 devices: a, b, c and 2 more. 1 device waits for you to check a host key.',
    );
    expect(connectAllText([], 0)).toBe('Nothing to connect: every device is connected or connecting.');
    expect(connectAllText(['x'], 0)).toBe('Connecting 1 device: x.');
  });

  it('Acknowledge all says how many', () => {
    expect(acknowledgedText('box-27', 2)).toBe('Acknowledged 2 alarms of box-27.');
    expect(acknowledgedText('box-27', 0)).toBe('box-27 had no open alarm left to acknowledge.');
  });

  it('sums the fleet for its sidebar entry', () => {
    expect(fleetSum(fleet)).toBe('8 devices · 3 alarms · 2 warnings · 1 offline');
    expect(fleetSum([])).toBe('0 devices');
    expect(someNames(['a', 'b', 'c'])).toBe('a, b and c');
  });
});

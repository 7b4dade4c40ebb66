import { describe, expect, it } from 'vitest';
import {
  appendSample,
  intake,
  mergeEvents,
  onlyDevices,
  summaryOf,
  withSummary,
} from '../../../src-renderer/monitor/monitor-data.js';
import { line, report, sample } from './monitor-fixtures.js';

describe('monitor store data', () => {
  it('takes only lines newer than the snapshot, and counts seqs that never came', () => {
    const held = [line(9), line(10), line(11), line(14)];
    const taken = intake(held, 10, true);
    expect(taken.fresh.map((l) => l.seq)).toEqual([11, 14]);
    expect(taken.lastSeq).toBe(14);
    expect(taken.missing).toBe(2);
    // A snapshot may start anywhere: no gap is counted from nothing.
    expect(intake([line(500), line(502)], 0, false).missing).toBe(0);
    expect(intake([line(500)], 0, true).missing).toBe(0);
  });

  it('replaces a growing report by id and keeps the newest reports within capacity', () => {
    let events = mergeEvents(new Map(), [report('a', 'oops', 1, 3), report('b', 'rcu_stall', 4, 4)]);
    events = mergeEvents(events, [{ ...report('a', 'oops', 1, 9), open: true }]);
    expect(events.get('a')?.lastSeq).toBe(9);
    expect(events.size).toBe(2);
    const capped = mergeEvents(events, [report('c', 'vpu', 10, 10)], 2);
    expect([...capped.keys()]).toEqual(['b', 'c']);
  });

  it('appends samples in time order, drops repeats, and keeps at most the capacity', () => {
    let samples = appendSample([], sample(1000, 1), 3);
    samples = appendSample(samples, sample(1000, 9), 3);
    expect(samples).toHaveLength(1);
    const detail = { topProcesses: [{ pid: 7, name: 'gst-launch-1.0', percent: 12 }], cores: 8 };
    for (let i = 2; i <= 5; i++) samples = appendSample(samples, sample(i * 1000, i, detail), 3);
    expect(samples.map((s) => s.vpu.total)).toEqual([3, 4, 5]);
    // Only the newest keeps its detail; the older ones keep the figures the charts draw.
    expect(samples.at(-1)).toEqual(sample(5000, 5, detail));
    expect(samples[0]).toEqual(sample(3000, 3, { cores: null }));
  });

  it('keeps the latest reading per device for the fleet list, and forgets removed devices', () => {
    let summaries = withSummary(new Map(), summaryOf('one', sample(1000, 4)));
    summaries = withSummary(summaries, summaryOf('two', sample(1000, null, { cpuPercent: null })));
    expect(summaries.get('one')).toEqual({
      deviceId: 'one',
      vpuSessions: 4,
      cpuPercent: 20,
      temperatureC: 50,
    });
    expect(summaries.get('two')?.vpuSessions).toBeNull();
    expect(onlyDevices(summaries, ['one', 'two'])).toBe(summaries);
    expect([...onlyDevices(summaries, ['two']).keys()]).toEqual(['two']);
  });
});

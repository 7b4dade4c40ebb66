import { describe, expect, it } from 'vitest';
import type { MonitorSample } from '../../src-main/contract/index.js';
import { SampleHistory } from '../../src-main/core/monitor/sample-history.js';

function sample(at: number, cpu: number | null): MonitorSample {
  return {
    at,
    vpu: {
      source: '/sys/kernel/debug/mpp_service/session',
      total: at % 9,
      encoders: 4,
      decoders: null,
      byProcess: [{ pid: 7, name: 'gst-launch-1.0', sessions: 4, kind: 'enc' }],
    },
    cpuPercent: cpu,
    cores: 8,
    topProcesses: [{ pid: 7, name: 'gst-launch-1.0', percent: 12 }],
    memory: { totalBytes: 8e9, availableBytes: 6e9 },
    temperatureC: 50 + (at % 5),
    zones: [{ name: 'soc-thermal', celsius: 50 }],
    load: [1, 1, 1],
  };
}

describe('sample history', () => {
  it('keeps the last `capacity` samples in order, the newest whole and the older ones as their figures', () => {
    const h = new SampleHistory(4);
    for (let at = 1; at <= 6; at++) h.push(sample(at, at === 4 ? null : at * 10));
    const all = h.toArray();
    expect(all.map((s) => s.at)).toEqual([3, 4, 5, 6]);
    expect(all.map((s) => s.cpuPercent)).toEqual([30, null, 50, 60]);
    expect(all.map((s) => s.vpu.total)).toEqual([3, 4, 5, 6]);
    expect(all[0]?.vpu.decoders).toBeNull();
    expect(all[0]?.temperatureC).toBe(53);
    expect(all[0]?.topProcesses).toEqual([]);
    expect(all[3]).toEqual(sample(6, 60));
    expect(h.last()).toEqual(sample(6, 60));
    expect(h.size).toBe(4);
  });

  it('gives the samples since a time, and nothing before the first push', () => {
    const h = new SampleHistory(10);
    expect(h.toArray()).toEqual([]);
    expect(h.last()).toBeUndefined();
    for (let at = 1; at <= 5; at++) h.push(sample(at * 1000, at));
    expect(h.since(3000).map((s) => s.cpuPercent)).toEqual([3, 4, 5]);
    expect(h.since(9000)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { MonitorLimits } from '../../../src-main/contract/index.js';
import {
  cpuColumns,
  hasValues,
  recent,
  temperatureColumns,
  vpuColumns,
} from '../../../src-renderer/monitor/chart-data.js';
import { sample } from './monitor-fixtures.js';

const limits: MonitorLimits = { vpuSafe: 6, vpuPractical: 8, temperatureWarnC: 85, temperatureCriticalC: 95 };

describe('chart data shaping', () => {
  it('gives uPlot columns: x in seconds, sessions, and the two limits as flat lines', () => {
    const samples = [sample(1_000, 4), sample(2_000, null), sample(3_000, 7)];
    expect(vpuColumns(samples, limits)).toEqual([
      [1, 2, 3],
      [4, null, 7],
      [6, 6, 6],
      [8, 8, 8],
    ]);
  });

  it('keeps a missing reading a gap (null), never a zero', () => {
    const samples = [sample(1_000, 4, { cpuPercent: null, temperatureC: Number.NaN })];
    expect(cpuColumns(samples)[1]).toEqual([null]);
    expect(temperatureColumns(samples, limits)[1]).toEqual([null]);
    expect(hasValues(cpuColumns(samples)[1])).toBe(false);
    expect(hasValues(vpuColumns(samples, limits)[1])).toBe(true);
  });

  it('shows only the window before the newest sample', () => {
    const samples = Array.from({ length: 20 }, (_, i) => sample(i * 60_000, i));
    const shown = recent(samples, 5 * 60_000);
    expect(shown.map((s) => s.vpu.total)).toEqual([14, 15, 16, 17, 18, 19]);
    expect(recent([], 1000)).toEqual([]);
  });
});

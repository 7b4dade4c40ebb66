import { describe, expect, it } from 'vitest';
import {
  cpuColumns,
  hasValues,
  recent,
  temperatureColumns,
  vpuColumns,
} from '../../../src-renderer/lib/charts/chart-data.js';
import { sample } from './monitor-fixtures.js';

describe('chart data shaping', () => {
  it('gives uPlot columns: x in seconds, then the sessions', () => {
    const samples = [sample(1_000, 4), sample(2_000, null), sample(3_000, 7)];
    expect(vpuColumns(samples)).toEqual([
      [1, 2, 3],
      [4, null, 7],
    ]);
  });

  it('keeps a missing reading a gap (null), never a zero', () => {
    const samples = [sample(1_000, 4, { cpuPercent: null, temperatureC: Number.NaN })];
    expect(cpuColumns(samples)[1]).toEqual([null]);
    expect(temperatureColumns(samples)[1]).toEqual([null]);
    expect(hasValues(cpuColumns(samples)[1])).toBe(false);
    expect(hasValues(vpuColumns(samples)[1])).toBe(true);
  });

  it('shows only the window before the newest sample', () => {
    const samples = Array.from({ length: 20 }, (_, i) => sample(i * 60_000, i));
    const shown = recent(samples, 5 * 60_000);
    expect(shown.map((s) => s.vpu.total)).toEqual([14, 15, 16, 17, 18, 19]);
    expect(recent([], 1000)).toEqual([]);
  });
});

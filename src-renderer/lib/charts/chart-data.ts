/**
 * Samples shaped for uPlot: column arrays, x in seconds. Missing readings stay null so the chart shows a gap,
 * not a drop to zero.
 */
import type { MonitorSample } from '../../../src-main/contract/index.js';

export type Column = (number | null)[];
/** uPlot's AlignedData: x first, then one column per series. */
export type ChartColumns = [number[], ...Column[]];

/** How much history the charts show. */
export const CHART_WINDOW_MS = 10 * 60 * 1000;

/** The samples within `windowMs` of the newest one. */
export function recent(
  samples: readonly MonitorSample[],
  windowMs = CHART_WINDOW_MS,
): readonly MonitorSample[] {
  const newest = samples.at(-1);
  if (!newest) return samples;
  const from = newest.at - windowMs;
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((samples[mid]?.at ?? 0) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? samples : samples.slice(lo);
}

function finite(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

/** VPU sessions; the profile's limits are drawn by the chart across its whole width. */
export function vpuColumns(samples: readonly MonitorSample[]): ChartColumns {
  return [samples.map((s) => s.at / 1000), samples.map((s) => finite(s.vpu.total))];
}

export function cpuColumns(samples: readonly MonitorSample[]): ChartColumns {
  return [samples.map((s) => s.at / 1000), samples.map((s) => finite(s.cpuPercent))];
}

/** The hottest zone. */
export function temperatureColumns(samples: readonly MonitorSample[]): ChartColumns {
  return [samples.map((s) => s.at / 1000), samples.map((s) => finite(s.temperatureC))];
}

/** Whether a column has at least one value: an all-null chart is replaced by words. */
export function hasValues(column: Column | undefined): boolean {
  return column !== undefined && column.some((v) => v !== null);
}

/** Small helpers shared by benchmarks: timing, summaries and a fixed-width table. */

export interface Summary {
  n: number;
  medianMs: number;
  p90Ms: number;
  meanMs: number;
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function summarize(samples: number[]): Summary {
  return {
    n: samples.length,
    medianMs: percentile(samples, 50),
    p90Ms: percentile(samples, 90),
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

/** Run `fn` `warmup` times unmeasured, then `count` times sequentially; returns each duration in ms. */
export async function timeSequential(
  count: number,
  fn: () => Promise<unknown>,
  warmup = 3,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 1)} ms`;

/** What one benchmark hands back to the runner: a title and lines to print. */
export interface BenchReport {
  title: string;
  lines: string[];
}

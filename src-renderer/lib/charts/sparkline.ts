/**
 * A sparkline as one SVG path: the last few minutes of a reading, drawn on a fixed scale so rows can be compared
 * at a glance (a box at 80 % stands out among boxes at 20 %). Cheap by construction: at most one point per pixel
 * column (the highest reading in it, so a spike is not averaged away), and a break wherever the readings stop
 * (a lost link shows as a gap, not a straight line across it). Pure.
 */

export interface SparkPoint {
  /** When (ms). */
  at: number;
  /** The reading, or null when there was none then. */
  value: number | null;
}

export interface SparkFrame {
  /** The window shown, [from, to] in ms. */
  from: number;
  to: number;
  /** The drawing in pixels. */
  width: number;
  height: number;
  /** The scale: `min` at the bottom, `max` at the top; readings outside are drawn at the edge. */
  min: number;
  max: number;
  /** Two readings further apart than this are not joined. */
  gapMs: number;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * The path's `d` ("M0,12L1,11.5…"), empty when nothing falls in the window. `points` are in time order; only
 * the ones inside the window are read (a scan back from the end, so a long history costs nothing).
 */
export function sparkPath(points: readonly SparkPoint[], frame: SparkFrame): string {
  const { from, to, width, height, min, max, gapMs } = frame;
  const span = to - from;
  if (!(span > 0) || !(width > 0) || !(height > 0) || !(max > min)) return '';
  let start = points.length;
  while (start > 0 && (points[start - 1]?.at ?? -Infinity) >= from) start--;

  let d = '';
  let lastAt = -Infinity;
  /** The pixel column being filled, and its highest point so far. */
  let column = -1;
  let columnY = 0;
  /** Points written in the current run, and the last one (a lone point is drawn as a dot). */
  let run = 0;
  let last = '';
  const flush = (): void => {
    if (column < 0) return;
    last = `${column},${round1(columnY)}`;
    d += `${run > 0 ? 'L' : 'M'}${last}`;
    run++;
    column = -1;
  };
  const breakRun = (): void => {
    flush();
    if (run === 1) d += `L${last}`;
    run = 0;
  };
  for (let i = start; i < points.length; i++) {
    const p = points[i];
    if (!p || p.at > to) break;
    if (p.value === null || !Number.isFinite(p.value)) {
      breakRun();
      lastAt = -Infinity;
      continue;
    }
    if (p.at - lastAt > gapMs) breakRun();
    lastAt = p.at;
    const x = Math.min(width, Math.max(0, Math.round(((p.at - from) / span) * width)));
    const clamped = Math.min(max, Math.max(min, p.value));
    const y = height - ((clamped - min) / (max - min)) * height;
    if (x === column) {
      // Same pixel column: keep the highest reading (the smallest y).
      columnY = Math.min(columnY, y);
      continue;
    }
    flush();
    column = x;
    columnY = y;
  }
  breakRun();
  return d;
}

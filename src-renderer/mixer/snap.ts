/**
 * Snapping while a box is dragged: to the frame's edges, its thirds, its centre lines, a grid of 1/16 and the edges
 * of the other boxes. The threshold is in canvas pixels (what the hand feels), turned into fractions per axis by the
 * caller's canvas size. Every result carries the guides it hit, so the canvas can draw them while dragging.
 */
import { handleSigns, moveRect, resizeRect, type Handle, type Rect, type ResizeOptions } from './geometry.js';

export type GuideKind = 'frame' | 'box' | 'centre' | 'third' | 'grid';

/** A line to snap to: `axis` x is a vertical line at x = `at`, y a horizontal one at y = `at`. */
export interface Guide {
  axis: 'x' | 'y';
  at: number;
  kind: GuideKind;
}

export interface SnapTargets {
  x: Guide[];
  y: Guide[];
}

export const GRID_STEPS = 16;
/** Pixels on the canvas within which an edge jumps to a line. */
export const SNAP_PX = 8;

/** When two lines are as near, the stronger one wins: the frame, a box, the centre, a third, the grid. */
const STRENGTH: Record<GuideKind, number> = { frame: 0, box: 1, centre: 2, third: 3, grid: 4 };

const EPS = 1e-9;

/** The lines a box can snap to: everything fixed on the frame, plus the edges of the other boxes. */
export function snapTargets(others: readonly Rect[], grid = GRID_STEPS): SnapTargets {
  const lines = (axis: 'x' | 'y'): Guide[] => {
    const out: Guide[] = [
      { axis, at: 0, kind: 'frame' },
      { axis, at: 1, kind: 'frame' },
      { axis, at: 0.5, kind: 'centre' },
      { axis, at: 1 / 3, kind: 'third' },
      { axis, at: 2 / 3, kind: 'third' },
    ];
    for (let i = 1; i < grid; i++) out.push({ axis, at: i / grid, kind: 'grid' });
    for (const r of others) {
      const [start, size] = axis === 'x' ? [r.x, r.w] : [r.y, r.h];
      out.push({ axis, at: start, kind: 'box' }, { axis, at: start + size, kind: 'box' });
    }
    return out;
  };
  return { x: lines('x'), y: lines('y') };
}

/** The one shift that brings any of `points` onto a line within `threshold`, nearest first, the stronger on a tie. */
function bestShift(points: readonly number[], lines: readonly Guide[], threshold: number): number | null {
  let best: { d: number; strength: number } | null = null;
  for (const p of points) {
    for (const line of lines) {
      const d = line.at - p;
      if (Math.abs(d) > threshold + EPS) continue;
      const strength = STRENGTH[line.kind];
      if (
        best === null ||
        Math.abs(d) < Math.abs(best.d) - EPS ||
        (Math.abs(Math.abs(d) - Math.abs(best.d)) <= EPS && strength < best.strength)
      )
        best = { d, strength };
    }
  }
  return best?.d ?? null;
}

/** The lines that `points` lie on (after snapping), one per place, the strongest kind named. */
function guidesHit(points: readonly number[], lines: readonly Guide[]): Guide[] {
  const hit = new Map<string, Guide>();
  for (const p of points) {
    for (const line of lines) {
      if (Math.abs(line.at - p) > 2e-6) continue;
      const key = line.at.toFixed(6);
      const had = hit.get(key);
      if (!had || STRENGTH[line.kind] < STRENGTH[had.kind]) hit.set(key, line);
    }
  }
  return [...hit.values()];
}

export interface Snapped {
  rect: Rect;
  guides: Guide[];
}

/** Thresholds per axis in fractions of the frame, from the canvas size in pixels. */
export function thresholds(
  canvas: { width: number; height: number },
  px = SNAP_PX,
): { x: number; y: number } {
  return { x: canvas.width > 0 ? px / canvas.width : 0, y: canvas.height > 0 ? px / canvas.height : 0 };
}

const xPoints = (r: Rect): number[] => [r.x, r.x + r.w / 2, r.x + r.w];
const yPoints = (r: Rect): number[] => [r.y, r.y + r.h / 2, r.y + r.h];

/** A move by (dx, dy), with its left, centre or right (top, middle or bottom) pulled onto the nearest line. */
export function snapMove(
  start: Rect,
  dx: number,
  dy: number,
  targets: SnapTargets,
  threshold: { x: number; y: number },
): Snapped {
  const raw = moveRect(start, dx, dy);
  const sx = bestShift(xPoints(raw), targets.x, threshold.x) ?? 0;
  const sy = bestShift(yPoints(raw), targets.y, threshold.y) ?? 0;
  // The frame stops the box; a line it can no longer reach is not drawn.
  const rect = moveRect(raw, sx, sy);
  return { rect, guides: [...guidesHit(xPoints(rect), targets.x), ...guidesHit(yPoints(rect), targets.y)] };
}

/** A resize by `handle`, with the edges the handle moves pulled onto the nearest line. */
export function snapResize(
  start: Rect,
  handle: Handle,
  dx: number,
  dy: number,
  targets: SnapTargets,
  threshold: { x: number; y: number },
  opts: ResizeOptions = {},
): Snapped {
  const { sx, sy } = handleSigns(handle);
  const raw = resizeRect(start, handle, dx, dy, opts);
  const movingX = sx === 1 ? [raw.x + raw.w] : sx === -1 ? [raw.x] : [];
  const movingY = sy === 1 ? [raw.y + raw.h] : sy === -1 ? [raw.y] : [];
  const shiftX = bestShift(movingX, targets.x, threshold.x) ?? 0;
  const shiftY = bestShift(movingY, targets.y, threshold.y) ?? 0;
  let rect = raw;
  if (shiftX !== 0 || shiftY !== 0) {
    // The pulls the raw box stands for (after the frame stopped it), plus the shift onto the line.
    const pullX = sx * (raw.w - start.w) + shiftX;
    const pullY = sy * (raw.h - start.h) + shiftY;
    if (opts.keepAspect) {
      // Keeping the aspect, one axis decides the size: the one that snaps by less.
      const drive = shiftX !== 0 && (shiftY === 0 || Math.abs(shiftX) <= Math.abs(shiftY)) ? 'x' : 'y';
      rect = resizeRect(start, handle, pullX, pullY, { ...opts, drive });
    } else {
      rect = resizeRect(start, handle, pullX, pullY, opts);
    }
  }
  const edgesX = sx === 1 ? [rect.x + rect.w] : sx === -1 ? [rect.x] : [];
  const edgesY = sy === 1 ? [rect.y + rect.h] : sy === -1 ? [rect.y] : [];
  return { rect, guides: [...guidesHit(edgesX, targets.x), ...guidesHit(edgesY, targets.y)] };
}

/**
 * Boxes on the scene canvas, in fractions of the program frame (0..1, like the contract's SceneBox): moving and
 * resizing them by a drag, keeping them inside the frame and above the smallest size, keeping their aspect, arrow-key
 * nudges in program pixels, and the title/action-safe areas. Pure: the canvas turns pointer pixels into fractions.
 */

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The program frame in pixels (MixerState.output). */
export interface FrameSize {
  width: number;
  height: number;
}

/** The contract's smallest box: 2 % of the frame each way, so it can still be seen and grabbed. */
export const MIN_SIZE = 0.02;

export const HANDLES = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'] as const;
export type Handle = (typeof HANDLES)[number];

/** Words for each handle, for a pointer's title and for tests. */
export const HANDLE_NAMES: Record<Handle, string> = {
  nw: 'top left',
  n: 'top',
  ne: 'top right',
  e: 'right',
  se: 'bottom right',
  s: 'bottom',
  sw: 'bottom left',
  w: 'left',
};

/** Fractions without float noise (0.30000000000000004), fine enough for a 8K frame's pixel. */
export function tidy(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export function tidyRect(r: Rect): Rect {
  return { x: tidy(r.x), y: tidy(r.y), w: tidy(r.w), h: tidy(r.h) };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

/** The box made to fit: at least the smallest size, at most the frame, and inside it (moved, not shrunk, first). */
export function clampRect(r: Rect, min = MIN_SIZE): Rect {
  const w = clamp(r.w, min, 1);
  const h = clamp(r.h, min, 1);
  return tidyRect({ x: clamp(r.x, 0, 1 - w), y: clamp(r.y, 0, 1 - h), w, h });
}

/** Moved by (dx, dy) fractions of the frame, stopping at its edges. */
export function moveRect(start: Rect, dx: number, dy: number): Rect {
  return tidyRect({
    x: clamp(start.x + dx, 0, 1 - start.w),
    y: clamp(start.y + dy, 0, 1 - start.h),
    w: start.w,
    h: start.h,
  });
}

/** Which way a handle pulls on each axis: 1 the far edge (right, bottom), -1 the near one, 0 neither. */
export function handleSigns(handle: Handle): { sx: -1 | 0 | 1; sy: -1 | 0 | 1 } {
  return {
    sx: handle.includes('e') ? 1 : handle.includes('w') ? -1 : 0,
    sy: handle.includes('s') ? 1 : handle.includes('n') ? -1 : 0,
  };
}

export interface ResizeOptions {
  /** Keep the box's width-to-height ratio (Shift while dragging). */
  keepAspect?: boolean;
  min?: number;
  /** Keeping the aspect from a corner: the axis whose pull decides the size (the larger relative pull if absent). */
  drive?: 'x' | 'y';
}

/**
 * Resized by dragging `handle` by (dx, dy) fractions of the frame. The opposite edge (or corner) stays put; the
 * box stays inside the frame and at least `min` each way. With `keepAspect` the larger of the two pulls decides the
 * size, an edge handle grows the other axis about the box's centre, and the box stops where either axis hits the frame.
 */
export function resizeRect(
  start: Rect,
  handle: Handle,
  dx: number,
  dy: number,
  opts: ResizeOptions = {},
): Rect {
  const min = opts.min ?? MIN_SIZE;
  const { sx, sy } = handleSigns(handle);
  // The fixed side on each axis: the edge opposite the handle, or the centre for an axis the handle does not pull.
  const ax = sx === 1 ? start.x : sx === -1 ? start.x + start.w : start.x + start.w / 2;
  const ay = sy === 1 ? start.y : sy === -1 ? start.y + start.h : start.y + start.h / 2;
  const room = (s: -1 | 0 | 1, anchor: number): number =>
    s === 1 ? 1 - anchor : s === -1 ? anchor : 2 * Math.min(anchor, 1 - anchor);
  const place = (s: -1 | 0 | 1, anchor: number, size: number): number =>
    s === 1 ? anchor : s === -1 ? anchor - size : anchor - size / 2;

  if (!opts.keepAspect) {
    const w = sx === 0 ? start.w : clamp(start.w + sx * dx, Math.min(min, room(sx, ax)), room(sx, ax));
    const h = sy === 0 ? start.h : clamp(start.h + sy * dy, Math.min(min, room(sy, ay)), room(sy, ay));
    return tidyRect({
      x: sx === 0 ? start.x : place(sx, ax, w),
      y: sy === 0 ? start.y : place(sy, ay, h),
      w,
      h,
    });
  }

  const ratio = start.w / start.h;
  const wFromX = start.w + sx * dx;
  const hFromY = start.h + sy * dy;
  let w: number;
  if (sx !== 0 && sy !== 0) {
    // A corner: whichever pull changes the box more, relative to its size, wins (unless told).
    const byX = opts.drive
      ? opts.drive === 'x'
      : Math.abs(wFromX / start.w - 1) >= Math.abs(hFromY / start.h - 1);
    w = byX ? wFromX : hFromY * ratio;
  } else if (sx !== 0) {
    w = wFromX;
  } else {
    w = hFromY * ratio;
  }
  const maxW = Math.min(room(sx, ax), room(sy, ay) * ratio);
  const minW = Math.min(Math.max(min, min * ratio), maxW);
  w = clamp(w, minW, maxW);
  const h = w / ratio;
  return tidyRect({ x: place(sx, ax, w), y: place(sy, ay, h), w, h });
}

/** Where a fraction lands after a step of whole pixels: on the pixel grid, so repeated steps never drift. */
function stepPixels(fraction: number, stepPx: number, size: number): number {
  return (Math.round(fraction * size) + stepPx) / size;
}

/** Moved by whole program pixels (arrow keys: 1 px, with Shift 10 px), stopping at the frame's edges. */
export function nudgeRect(r: Rect, dxPx: number, dyPx: number, frame: FrameSize): Rect {
  return moveRect(
    r,
    dxPx === 0 ? 0 : stepPixels(r.x, dxPx, frame.width) - r.x,
    dyPx === 0 ? 0 : stepPixels(r.y, dyPx, frame.height) - r.y,
  );
}

/** Grown or shrunk at the right and bottom edges by whole program pixels (Alt + arrow keys). */
export function resizeByPixels(r: Rect, dwPx: number, dhPx: number, frame: FrameSize): Rect {
  return resizeRect(
    r,
    'se',
    dwPx === 0 ? 0 : stepPixels(r.w, dwPx, frame.width) - r.w,
    dhPx === 0 ? 0 : stepPixels(r.h, dhPx, frame.height) - r.h,
  );
}

/** The broadcast safe areas: titles stay inside 10 % from each edge, action inside 5 %. */
export const SAFE_MARGIN = { title: 0.1, action: 0.05 } as const;
export type SafeArea = keyof typeof SAFE_MARGIN;

export function safeArea(kind: SafeArea): Rect {
  const m = SAFE_MARGIN[kind];
  return tidyRect({ x: m, y: m, w: 1 - 2 * m, h: 1 - 2 * m });
}

/** Whether the box lies wholly inside the safe area (a hair of tolerance for rounding). */
export function insideSafe(r: Rect, kind: SafeArea): boolean {
  const s = safeArea(kind);
  const e = 1e-6;
  return r.x >= s.x - e && r.y >= s.y - e && r.x + r.w <= s.x + s.w + e && r.y + r.h <= s.y + s.h + e;
}

/** A fraction of the frame as whole program pixels along one axis. */
export function toPixels(fraction: number, size: number): number {
  return Math.round(fraction * size);
}

/** Same rectangle? Within half a pixel of an 8K frame. */
export function sameRect(a: Rect, b: Rect): boolean {
  const e = 5e-5;
  return (
    Math.abs(a.x - b.x) < e && Math.abs(a.y - b.y) < e && Math.abs(a.w - b.w) < e && Math.abs(a.h - b.h) < e
  );
}

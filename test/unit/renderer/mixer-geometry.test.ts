/** Boxes on the scene canvas: moves and resizes in fractions of the frame, kept inside it and above the least size. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HANDLES,
  MIN_SIZE,
  clampRect,
  insideSafe,
  moveRect,
  nudgeRect,
  resizeByPixels,
  resizeRect,
  safeArea,
  tidy,
  type Rect,
} from '../../../src-renderer/mixer/geometry.js';

const FRAME = { width: 1920, height: 1080 };

function inside(r: Rect): boolean {
  const e = 1e-6;
  return r.x >= -e && r.y >= -e && r.x + r.w <= 1 + e && r.y + r.h <= 1 + e;
}

const rect = fc
  .record({
    x: fc.double({ min: 0, max: 0.98, noNaN: true }),
    y: fc.double({ min: 0, max: 0.98, noNaN: true }),
    w: fc.double({ min: MIN_SIZE, max: 1, noNaN: true }),
    h: fc.double({ min: MIN_SIZE, max: 1, noNaN: true }),
  })
  .map((r) => clampRect(r));
const delta = fc.double({ min: -2, max: 2, noNaN: true });

describe('moving a box', () => {
  it('moves by fractions of the frame', () => {
    expect(moveRect({ x: 0.1, y: 0.2, w: 0.5, h: 0.5 }, 0.2, 0.1)).toEqual({
      x: 0.3,
      y: 0.3,
      w: 0.5,
      h: 0.5,
    });
  });

  it('stops at the frame edges without changing size', () => {
    expect(moveRect({ x: 0.4, y: 0.4, w: 0.5, h: 0.5 }, 0.3, -0.9)).toEqual({ x: 0.5, y: 0, w: 0.5, h: 0.5 });
  });

  it('never leaves the frame, whatever the drag', () => {
    fc.assert(
      fc.property(rect, delta, delta, (r, dx, dy) => {
        const m = moveRect(r, dx, dy);
        return inside(m) && Math.abs(m.w - r.w) < 1e-6 && Math.abs(m.h - r.h) < 1e-6;
      }),
    );
  });
});

describe('resizing a box by one of its 8 handles', () => {
  const start = { x: 0.25, y: 0.25, w: 0.5, h: 0.5 };

  it('the bottom-right handle grows right and down, the opposite corner stays', () => {
    expect(resizeRect(start, 'se', 0.1, 0.05)).toEqual({ x: 0.25, y: 0.25, w: 0.6, h: 0.55 });
  });

  it('the top-left handle moves the near edges, the bottom right stays', () => {
    expect(resizeRect(start, 'nw', -0.1, 0.1)).toEqual({ x: 0.15, y: 0.35, w: 0.6, h: 0.4 });
  });

  it('an edge handle changes one axis only', () => {
    expect(resizeRect(start, 'e', 0.1, 0.3)).toEqual({ x: 0.25, y: 0.25, w: 0.6, h: 0.5 });
    expect(resizeRect(start, 'n', 0.3, -0.1)).toEqual({ x: 0.25, y: 0.15, w: 0.5, h: 0.6 });
  });

  it('stops at the frame', () => {
    expect(resizeRect(start, 'se', 1, 1)).toEqual({ x: 0.25, y: 0.25, w: 0.75, h: 0.75 });
    expect(resizeRect(start, 'w', -1, 0)).toEqual({ x: 0, y: 0.25, w: 0.75, h: 0.5 });
  });

  it('keeps the contract least size, from the fixed edge', () => {
    expect(resizeRect(start, 'se', -1, -1)).toEqual({ x: 0.25, y: 0.25, w: MIN_SIZE, h: MIN_SIZE });
    expect(resizeRect(start, 'nw', 1, 1)).toEqual({
      x: tidy(0.75 - MIN_SIZE),
      y: tidy(0.75 - MIN_SIZE),
      w: MIN_SIZE,
      h: MIN_SIZE,
    });
  });

  it('with Shift a corner keeps the aspect, the larger pull deciding', () => {
    const wide = { x: 0, y: 0, w: 0.4, h: 0.2 };
    expect(resizeRect(wide, 'se', 0.2, 0.01, { keepAspect: true })).toEqual({ x: 0, y: 0, w: 0.6, h: 0.3 });
    expect(resizeRect(wide, 'se', 0.01, 0.2, { keepAspect: true })).toEqual({ x: 0, y: 0, w: 0.8, h: 0.4 });
  });

  it('with Shift an edge grows the other axis about the centre', () => {
    expect(resizeRect(start, 'e', 0.1, 0, { keepAspect: true })).toEqual({ x: 0.25, y: 0.2, w: 0.6, h: 0.6 });
  });

  it('with Shift it stops where either axis meets the frame, still in shape', () => {
    const r = resizeRect({ x: 0.5, y: 0.1, w: 0.2, h: 0.2 }, 'se', 0.9, 0.9, { keepAspect: true });
    expect(r).toEqual({ x: 0.5, y: 0.1, w: 0.5, h: 0.5 });
  });

  it('whatever the handle and drag, the box stays inside and at least the least size', () => {
    fc.assert(
      fc.property(
        rect,
        fc.constantFrom(...HANDLES),
        delta,
        delta,
        fc.boolean(),
        (r, handle, dx, dy, keepAspect) => {
          const out = resizeRect(r, handle, dx, dy, { keepAspect });
          const minOk = out.w >= Math.min(MIN_SIZE, r.w) - 1e-6 && out.h >= Math.min(MIN_SIZE, r.h) - 1e-6;
          const aspectOk = !keepAspect || Math.abs(out.w / out.h - r.w / r.h) < 1e-3 * (r.w / r.h) + 1e-4;
          return inside(out) && minOk && aspectOk;
        },
      ),
    );
  });
});

describe('arrow-key nudges in program pixels', () => {
  it('one pixel of a 1920×1080 frame', () => {
    const r = nudgeRect({ x: 0.5, y: 0.5, w: 0.25, h: 0.25 }, 1, -1, FRAME);
    expect(r.x * 1920).toBeCloseTo(961, 2);
    expect(r.y * 1080).toBeCloseTo(539, 2);
  });

  it('ten pixels with Shift, stopping at the edge', () => {
    const r = nudgeRect({ x: 0.002, y: 0, w: 0.25, h: 0.25 }, -10, -10, FRAME);
    expect(r).toMatchObject({ x: 0, y: 0 });
  });

  it('a thousand 1 px nudges land on whole pixels (no drift)', () => {
    let r: Rect = { x: 0, y: 0, w: 0.25, h: 0.25 };
    for (let i = 0; i < 1000; i++) r = nudgeRect(r, 1, i % 2 === 0 ? 1 : 0, FRAME);
    expect(r.x * 1920).toBeCloseTo(1000, 2);
    expect(r.y * 1080).toBeCloseTo(500, 2);
  });

  it('a nudge from between two pixels lands on one', () => {
    const r = nudgeRect({ x: 0.3333, y: 0, w: 0.25, h: 0.25 }, 1, 0, FRAME);
    expect(r.x * 1920).toBeCloseTo(641, 2);
  });

  it('Alt + arrows resize from the bottom right', () => {
    const r = resizeByPixels({ x: 0, y: 0, w: 0.5, h: 0.5 }, 10, -10, FRAME);
    expect(r.w * 1920).toBeCloseTo(970, 2);
    expect(r.h * 1080).toBeCloseTo(530, 2);
  });
});

describe('safe areas', () => {
  it('title safe is 10 % in from each edge, action safe 5 %', () => {
    expect(safeArea('title')).toEqual({ x: 0.1, y: 0.1, w: 0.8, h: 0.8 });
    expect(safeArea('action')).toEqual({ x: 0.05, y: 0.05, w: 0.9, h: 0.9 });
  });

  it('the picture-in-picture inset sits inside action safe, not title safe', () => {
    const inset = { x: 0.67, y: 0.65, w: 0.28, h: 0.28 };
    expect(insideSafe(inset, 'action')).toBe(true);
    expect(insideSafe(inset, 'title')).toBe(false);
  });
});

describe('clampRect', () => {
  it('moves a box back inside before shrinking it', () => {
    expect(clampRect({ x: 0.9, y: -0.1, w: 0.3, h: 0.01 })).toEqual({ x: 0.7, y: 0, w: 0.3, h: MIN_SIZE });
  });
});

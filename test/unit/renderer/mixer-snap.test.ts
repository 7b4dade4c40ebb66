/** Snapping while dragging: frame edges, thirds, centre lines, the 1/16 grid and other boxes, with the guides hit. */
import { describe, expect, it } from 'vitest';
import {
  snapMove,
  snapResize,
  snapTargets,
  thresholds,
  type Guide,
} from '../../../src-renderer/mixer/snap.js';

const CANVAS = { width: 800, height: 450 };
const T = thresholds(CANVAS); // 8 px: 0.01 of the width, 0.0178 of the height
const NONE = snapTargets([]);

const kinds = (guides: Guide[]): string[] =>
  guides.map((g) => `${g.axis}:${g.kind}@${g.at.toFixed(4)}`).sort();

describe('thresholds', () => {
  it('are canvas pixels turned into fractions per axis', () => {
    expect(T.x).toBeCloseTo(0.01);
    expect(T.y).toBeCloseTo(8 / 450);
    expect(thresholds({ width: 0, height: 0 })).toEqual({ x: 0, y: 0 });
  });
});

describe('snapping a move', () => {
  const box = { x: 0.2, y: 0.2, w: 0.3, h: 0.3 };

  it('pulls an edge near the frame onto it and names the guide', () => {
    const s = snapMove(box, -0.195, 0, NONE, T);
    expect(s.rect.x).toBe(0);
    expect(kinds(s.guides)).toContain('x:frame@0.0000');
  });

  it('pulls the box centre onto the centre line', () => {
    // centre at 0.35 + 0.146 = 0.496, 4 hundredths of a percent off the middle
    const s = snapMove(box, 0.146, 0.0, NONE, T);
    expect(s.rect.x + s.rect.w / 2).toBeCloseTo(0.5, 6);
    expect(kinds(s.guides)).toContain('x:centre@0.5000');
  });

  it('pulls an edge onto a third', () => {
    // left at 0.33: the third is 0.0033 away, the nearest grid line 0.0175
    const s = snapMove({ x: 0.2, y: 0.2, w: 0.25, h: 0.25 }, 0.13, 0, NONE, T);
    expect(s.rect.x).toBeCloseTo(1 / 3, 5);
    expect(s.guides.some((g) => g.kind === 'third' && g.axis === 'x')).toBe(true);
  });

  it('pulls an edge onto the 1/16 grid', () => {
    const s = snapMove({ x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, 0.026, 0, NONE, T); // left at 0.126, grid at 0.125
    expect(s.rect.x).toBeCloseTo(0.125, 6);
    expect(s.guides.find((g) => g.axis === 'x')?.kind).toBe('grid');
  });

  it("pulls an edge onto another box's edge", () => {
    const targets = snapTargets([{ x: 0.57, y: 0.05, w: 0.2, h: 0.2 }]);
    const s = snapMove(box, 0.075, 0, targets, T); // right at 0.575
    expect(s.rect.x + s.rect.w).toBeCloseTo(0.57, 6);
    expect(kinds(s.guides)).toContain('x:box@0.5700');
  });

  it('leaves the box where it is when nothing is within the threshold', () => {
    const s = snapMove(box, 0.0203, 0.03, snapTargets([], 4), T);
    expect(s.rect).toEqual({ x: 0.2203, y: 0.23, w: 0.3, h: 0.3 });
    expect(s.guides).toEqual([]);
  });

  it('a threshold of 0 (snapping off) moves freely', () => {
    const s = snapMove(box, -0.195, 0, NONE, { x: 0, y: 0 });
    expect(s.rect.x).toBeCloseTo(0.005, 6);
  });

  it('the nearest line wins', () => {
    // left at 0.33 (third 0.0033 away) and right at 0.63 (grid 0.625, 0.005 away): the third wins
    const s = snapMove({ x: 0.2, y: 0.2, w: 0.3, h: 0.3 }, 0.13, 0, NONE, T);
    expect(s.rect.x).toBeCloseTo(1 / 3, 5);
  });

  it('on a tie the stronger kind is named: the centre line over the grid line at 1/2', () => {
    const s = snapMove({ x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, 0.303, 0, NONE, T); // centre at 0.503
    expect(s.rect.x + s.rect.w / 2).toBeCloseTo(0.5, 6);
    expect(s.guides.find((g) => Math.abs(g.at - 0.5) < 1e-9)?.kind).toBe('centre');
  });

  it('snaps each axis on its own', () => {
    const s = snapMove(box, -0.195, 0.2968, NONE, T); // left → 0; top at 0.4968 → 0.5
    expect(s.rect.x).toBe(0);
    expect(s.rect.y).toBeCloseTo(0.5, 6);
    expect(kinds(s.guides)).toEqual(expect.arrayContaining(['x:frame@0.0000', 'y:centre@0.5000']));
  });

  it('a line the frame keeps the box from reaching is not drawn', () => {
    // right edge would snap to 1 only by moving past the frame: it stops at the edge, on the frame line
    const s = snapMove({ x: 0.5, y: 0.2, w: 0.5, h: 0.3 }, 0.2, 0, NONE, T);
    expect(s.rect.x).toBe(0.5);
    expect(
      s.guides.every((g) => g.axis !== 'x' || [0.5, 0.75, 1].some((at) => Math.abs(g.at - at) < 1e-6)),
    ).toBe(true);
  });
});

describe('snapping a resize', () => {
  const box = { x: 0.1, y: 0.1, w: 0.3, h: 0.3 };

  it('snaps only the edges the handle moves', () => {
    const s = snapResize(box, 'e', 0.095, 0, NONE, T); // right edge at 0.495 → 0.5
    expect(s.rect).toEqual({ x: 0.1, y: 0.1, w: 0.4, h: 0.3 });
    expect(kinds(s.guides)).toEqual(['x:centre@0.5000']);
  });

  it('a corner snaps both of its edges', () => {
    const s = snapResize(box, 'se', 0.232, 0.226, NONE, T); // right 0.632 → 0.625 grid, bottom 0.626 → 0.625
    expect(s.rect.x + s.rect.w).toBeCloseTo(0.625, 6);
    expect(s.rect.y + s.rect.h).toBeCloseTo(0.625, 6);
    expect(s.guides).toHaveLength(2);
  });

  it('keeping the aspect, the axis that snaps by less decides and the box stays in shape', () => {
    const s = snapResize(box, 'se', 0.098, 0.098, NONE, T, { keepAspect: true }); // both edges at 0.498
    expect(s.rect.w / s.rect.h).toBeCloseTo(1, 6);
    expect(s.rect.x + s.rect.w).toBeCloseTo(0.5, 6);
    expect(s.guides.some((g) => g.axis === 'x' && g.kind === 'centre')).toBe(true);
  });

  it('an edge handle keeping the aspect still lands the pulled edge on the line', () => {
    const s = snapResize({ x: 0.1, y: 0.3, w: 0.2, h: 0.2 }, 'e', 0.128, 0, NONE, T, { keepAspect: true }); // right at 0.428
    expect(s.rect.x + s.rect.w).toBeCloseTo(0.4375, 6); // 7/16, the nearest line
    expect(s.rect.w).toBeCloseTo(s.rect.h, 6);
  });

  it("snaps to another box's edge", () => {
    const targets = snapTargets([{ x: 0.6, y: 0.6, w: 0.2, h: 0.2 }]);
    const s = snapResize(box, 's', 0, 0.203, targets, T); // bottom at 0.603 → 0.6
    expect(s.rect.y + s.rect.h).toBeCloseTo(0.6, 6);
    expect(kinds(s.guides)).toEqual(['y:box@0.6000']);
  });
});

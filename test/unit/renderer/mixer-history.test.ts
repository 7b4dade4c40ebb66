/** Undo and redo for the scene editor: one step per commit, merged steps, at most 100 kept. */
import { describe, expect, it } from 'vitest';
import {
  MAX_STEPS,
  canRedo,
  canUndo,
  commit,
  redo,
  startHistory,
  undo,
} from '../../../src-renderer/mixer/history.js';

describe('history', () => {
  it('undoes and redoes committed steps in order', () => {
    let h = startHistory({ n: 0 });
    h = commit(h, { n: 1 });
    h = commit(h, { n: 2 });
    expect(canUndo(h)).toBe(true);
    expect(canRedo(h)).toBe(false);
    h = undo(h);
    expect(h.present).toEqual({ n: 1 });
    h = undo(h);
    expect(h.present).toEqual({ n: 0 });
    expect(canUndo(h)).toBe(false);
    h = redo(h);
    h = redo(h);
    expect(h.present).toEqual({ n: 2 });
    expect(canRedo(h)).toBe(false);
  });

  it('a new commit after an undo drops the redo steps', () => {
    let h = commit(commit(startHistory(0), 1), 2);
    h = commit(undo(h), 5);
    expect(h.present).toBe(5);
    expect(canRedo(h)).toBe(false);
    expect(undo(h).present).toBe(1);
  });

  it('a commit equal to the present is not a step (a click without a drag)', () => {
    const h = commit(startHistory({ a: [1, 2] }), { a: [1, 2] });
    expect(canUndo(h)).toBe(false);
  });

  it('a whole drag committed once is one undo step', () => {
    // The canvas shows the drag as it goes and commits only when the pointer lets go.
    let h = startHistory({ x: 0 });
    h = commit(h, { x: 0.4 });
    expect(undo(h).present).toEqual({ x: 0 });
  });

  it('steps with the same key one after the other merge (an arrow held down)', () => {
    let h = startHistory(0);
    h = commit(h, 1, 'nudge:box-1');
    h = commit(h, 2, 'nudge:box-1');
    h = commit(h, 3, 'nudge:box-1');
    expect(h.past).toEqual([0]);
    h = commit(h, 4, 'nudge:box-2');
    expect(h.past).toEqual([0, 3]);
    expect(undo(undo(h)).present).toBe(0);
  });

  it('an undo in between starts a new step even with the same key', () => {
    let h = commit(commit(startHistory(0), 1, 'k'), 2, 'k');
    h = undo(h);
    h = commit(h, 7, 'k');
    expect(h.past).toEqual([0]);
  });

  it('keeps at most 100 steps, dropping the oldest', () => {
    let h = startHistory(0);
    for (let i = 1; i <= 150; i++) h = commit(h, i);
    expect(h.past).toHaveLength(MAX_STEPS);
    expect(MAX_STEPS).toBe(100);
    let back = h;
    while (canUndo(back)) back = undo(back);
    expect(back.present).toBe(50);
  });

  it('undo and redo at the ends change nothing', () => {
    const h = startHistory('a');
    expect(undo(h)).toBe(h);
    expect(redo(h)).toBe(h);
  });
});

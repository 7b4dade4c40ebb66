/**
 * Undo and redo for the scene editor, as immutable values: every committed edit is one step (a whole drag is one
 * commit, made when the pointer lets go), at most 100 steps are kept, and steps that carry the same `key` one after
 * the other (an arrow key held down on one box) merge into one.
 */

export const MAX_STEPS = 100;

export interface History<T> {
  /** Oldest first. */
  readonly past: readonly T[];
  readonly present: T;
  /** Next redo first. */
  readonly future: readonly T[];
  /** The merge key of the last commit, if it had one. */
  readonly key: string | null;
}

export function startHistory<T>(present: T): History<T> {
  return { past: [], present, future: [], key: null };
}

function same<T>(a: T, b: T): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * `next` becomes the present; the old present becomes one undo step and the redo steps are gone. A commit equal to
 * the present changes nothing. With `key` equal to the last commit's key, the two merge into one step.
 */
export function commit<T>(h: History<T>, next: T, key: string | null = null, max = MAX_STEPS): History<T> {
  if (same(h.present, next)) return h;
  if (key !== null && key === h.key && h.past.length > 0) {
    return { past: h.past, present: next, future: [], key };
  }
  const past = [...h.past, h.present];
  return { past: past.length > max ? past.slice(past.length - max) : past, present: next, future: [], key };
}

export function canUndo<T>(h: History<T>): boolean {
  return h.past.length > 0;
}

export function canRedo<T>(h: History<T>): boolean {
  return h.future.length > 0;
}

export function undo<T>(h: History<T>): History<T> {
  const prev = h.past[h.past.length - 1];
  if (prev === undefined) return h;
  return { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future], key: null };
}

export function redo<T>(h: History<T>): History<T> {
  const [next, ...rest] = h.future;
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: rest, key: null };
}

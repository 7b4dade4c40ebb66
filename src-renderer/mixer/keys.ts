/**
 * The Mixer's keys, decided from the key and where focus is (pure, so the rules can be tested):
 * - studio: 1–9 put scene N on Preview, Space takes (a cut); never while typing in a text field, and Space leaves
 *   checkboxes and switches to toggle as usual;
 * - a focused box on the canvas: arrows nudge by 1 program pixel (Shift: 10), Alt + arrows resize from the bottom
 *   right, Delete or Backspace removes it;
 * - the editor: Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z (or Ctrl+Y) redoes, except in a text field (it has its own).
 */

import { isTyping, type KeyLike, type TargetLike } from '../lib/shortcuts.js';

/** Typing goes into text (inputs, text areas, editable elements, the terminal): the same rule as every shortcut. */
export { isTyping as isTextEntry, type KeyLike, type TargetLike };

/** Whether Space toggles the focused element (a checkbox, a radio, a switch), so it must not take. */
export function spaceToggles(target: TargetLike | null | undefined): boolean {
  if (!target) return false;
  const tag = (target.tagName ?? '').toLowerCase();
  const type = (target.type ?? '').toLowerCase();
  if (tag === 'input' && (type === 'checkbox' || type === 'radio')) return true;
  const role = target.getAttribute?.('role');
  return role === 'checkbox' || role === 'switch' || role === 'radio' || role === 'menuitemcheckbox';
}

export type StudioAction = { kind: 'preview'; index: number } | { kind: 'take' };

function digit(e: KeyLike): number | null {
  if (/^[1-9]$/.test(e.key)) return Number(e.key);
  const m = /^(?:Digit|Numpad)([1-9])$/.exec(e.code ?? '');
  return m ? Number(m[1]) : null;
}

export function studioKey(e: KeyLike, target: TargetLike | null | undefined): StudioAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (isTyping(target)) return null;
  if (e.key === ' ' || e.code === 'Space') {
    if (e.shiftKey || spaceToggles(target)) return null;
    return { kind: 'take' };
  }
  const n = digit(e);
  return n === null ? null : { kind: 'preview', index: n - 1 };
}

export type CanvasAction =
  { kind: 'nudge'; dx: number; dy: number } | { kind: 'resize'; dw: number; dh: number } | { kind: 'delete' };

const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/** Pixels per arrow press, and with Shift. */
export const NUDGE_PX = 1;
export const NUDGE_SHIFT_PX = 10;

export function canvasKey(e: KeyLike): CanvasAction | null {
  if (e.ctrlKey || e.metaKey) return null;
  const arrow = ARROWS[e.key];
  if (arrow) {
    const step = e.shiftKey ? NUDGE_SHIFT_PX : NUDGE_PX;
    const [x, y] = arrow;
    return e.altKey
      ? { kind: 'resize', dw: x * step, dh: y * step }
      : { kind: 'nudge', dx: x * step, dy: y * step };
  }
  if ((e.key === 'Delete' || e.key === 'Backspace') && !e.altKey && !e.shiftKey) return { kind: 'delete' };
  return null;
}

export function historyKey(e: KeyLike, target: TargetLike | null | undefined): 'undo' | 'redo' | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  if (isTyping(target)) return null;
  const key = e.key.toLowerCase();
  if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && e.ctrlKey && !e.metaKey && !e.shiftKey) return 'redo';
  return null;
}

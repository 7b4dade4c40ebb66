/** The Mixer's keys: studio keys only outside text fields, canvas nudges and resizes, undo and redo. */
import { describe, expect, it } from 'vitest';
import {
  canvasKey,
  historyKey,
  isTextEntry,
  spaceToggles,
  studioKey,
  type KeyLike,
  type TargetLike,
} from '../../../src-renderer/mixer/keys.js';

function key(k: string, mods: Partial<KeyLike> = {}): KeyLike {
  return { key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods };
}
const el = (tagName: string, extra: Partial<TargetLike> & { role?: string } = {}): TargetLike => ({
  tagName,
  ...extra,
  getAttribute: (name) => (name === 'role' ? (extra.role ?? null) : null),
});

const BODY = el('BODY');
const BUTTON = el('BUTTON');
const TEXT = el('INPUT', { type: 'text' });

describe('what counts as typing', () => {
  it.each([
    ['a text input', el('INPUT', { type: 'text' })],
    ['an input without a type', el('INPUT')],
    ['a number input', el('INPUT', { type: 'number' })],
    ['a text area', el('TEXTAREA')],
    ['a select', el('SELECT')],
    ['an editable element', el('DIV', { isContentEditable: true })],
    ['a role=textbox', el('DIV', { role: 'textbox' })],
  ])('%s is a text field', (_what, target) => expect(isTextEntry(target)).toBe(true));

  it.each([
    ['a button', BUTTON],
    ['a checkbox', el('INPUT', { type: 'checkbox' })],
    ['a radio', el('INPUT', { type: 'radio' })],
    ['the page', BODY],
    ['nothing', null],
  ])('%s is not', (_what, target) => expect(isTextEntry(target)).toBe(false));

  it('Space toggles checkboxes, radios and switches', () => {
    expect(spaceToggles(el('INPUT', { type: 'checkbox' }))).toBe(true);
    expect(spaceToggles(el('BUTTON', { role: 'switch' }))).toBe(true);
    expect(spaceToggles(BUTTON)).toBe(false);
  });
});

describe('studio keys', () => {
  it('1 to 9 put scene N on Preview', () => {
    expect(studioKey(key('1'), BODY)).toEqual({ kind: 'preview', index: 0 });
    expect(studioKey(key('9'), BUTTON)).toEqual({ kind: 'preview', index: 8 });
    expect(studioKey(key('0'), BODY)).toBeNull();
  });

  it('layouts that need Shift for digits still work by the physical key', () => {
    expect(studioKey(key('&', { code: 'Digit1' }), BODY)).toEqual({ kind: 'preview', index: 0 });
    expect(studioKey(key('3', { code: 'Numpad3' }), BODY)).toEqual({ kind: 'preview', index: 2 });
  });

  it('Space takes, also on a focused button', () => {
    expect(studioKey(key(' ', { code: 'Space' }), BODY)).toEqual({ kind: 'take' });
    expect(studioKey(key(' '), BUTTON)).toEqual({ kind: 'take' });
  });

  it('never while typing in a text field', () => {
    expect(studioKey(key('1'), TEXT)).toBeNull();
    expect(studioKey(key(' '), TEXT)).toBeNull();
    expect(studioKey(key('2'), el('INPUT', { type: 'number' }))).toBeNull();
  });

  it('Space on a checkbox toggles it instead', () => {
    expect(studioKey(key(' '), el('INPUT', { type: 'checkbox' }))).toBeNull();
  });

  it('not with Ctrl, Cmd or Alt, nor Shift+Space', () => {
    expect(studioKey(key('1', { ctrlKey: true }), BODY)).toBeNull();
    expect(studioKey(key('1', { metaKey: true }), BODY)).toBeNull();
    expect(studioKey(key(' ', { altKey: true }), BODY)).toBeNull();
    expect(studioKey(key(' ', { shiftKey: true }), BODY)).toBeNull();
  });
});

describe('keys on a focused box', () => {
  it('arrows nudge by 1 program pixel, with Shift by 10', () => {
    expect(canvasKey(key('ArrowLeft'))).toEqual({ kind: 'nudge', dx: -1, dy: 0 });
    expect(canvasKey(key('ArrowDown', { shiftKey: true }))).toEqual({ kind: 'nudge', dx: 0, dy: 10 });
  });

  it('Alt + arrows resize', () => {
    expect(canvasKey(key('ArrowRight', { altKey: true }))).toEqual({ kind: 'resize', dw: 1, dh: 0 });
    expect(canvasKey(key('ArrowUp', { altKey: true, shiftKey: true }))).toEqual({
      kind: 'resize',
      dw: 0,
      dh: -10,
    });
  });

  it('Delete and Backspace remove', () => {
    expect(canvasKey(key('Delete'))).toEqual({ kind: 'delete' });
    expect(canvasKey(key('Backspace'))).toEqual({ kind: 'delete' });
  });

  it('other keys and Ctrl combinations are left alone', () => {
    expect(canvasKey(key('a'))).toBeNull();
    expect(canvasKey(key('ArrowLeft', { ctrlKey: true }))).toBeNull();
    expect(canvasKey(key('Tab'))).toBeNull();
  });
});

describe('undo and redo keys', () => {
  it('Ctrl/Cmd+Z undoes, with Shift redoes, Ctrl+Y redoes', () => {
    expect(historyKey(key('z', { ctrlKey: true }), BODY)).toBe('undo');
    expect(historyKey(key('z', { metaKey: true }), BODY)).toBe('undo');
    expect(historyKey(key('Z', { ctrlKey: true, shiftKey: true }), BODY)).toBe('redo');
    expect(historyKey(key('Z', { metaKey: true, shiftKey: true }), BODY)).toBe('redo');
    expect(historyKey(key('y', { ctrlKey: true }), BODY)).toBe('redo');
  });

  it('a text field keeps its own undo', () => {
    expect(historyKey(key('z', { ctrlKey: true }), TEXT)).toBeNull();
  });

  it('plain z is not undo', () => {
    expect(historyKey(key('z'), BODY)).toBeNull();
  });
});

/** The console's keyboard shortcuts: which key asks for what, and never while typing or behind a dialog. */
import { describe, expect, it } from 'vitest';
import {
  SHORTCUTS,
  endsHold,
  isTyping,
  matchShortcut,
  shortcut,
  shortcutAttrs,
  type KeyLike,
  type TargetLike,
} from '../../../src-renderer/lib/shortcuts.js';

function key(k: string, code: string, mods: Partial<KeyLike> = {}): KeyLike {
  return { key: k, code, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods };
}
const alt = (k: string, code: string): KeyLike => key(k, code, { altKey: true });

function el(
  tagName: string,
  extra: Partial<TargetLike> & { role?: string; inTerminal?: boolean } = {},
): TargetLike {
  const { role, inTerminal, ...rest } = extra;
  return {
    tagName,
    ...rest,
    getAttribute: (name) => (name === 'role' ? (role ?? null) : null),
    closest: (selector) => (selector === '.xterm' && inTerminal ? {} : null),
  };
}

const BODY = el('BODY');
const BUTTON = el('BUTTON');
const free = { target: BODY, modalOpen: false };

describe('which key asks for which shortcut', () => {
  it.each([
    ['Digit1', 'tab.overview'],
    ['Digit2', 'tab.monitor'],
    ['Digit3', 'tab.recorder'],
    ['Digit4', 'tab.previews'],
    ['Digit5', 'tab.mixer'],
    ['Digit6', 'tab.terminal'],
    ['Digit7', 'tab.service'],
    ['Numpad7', 'tab.service'],
    ['Numpad3', 'tab.recorder'],
    ['Digit0', 'fleet.show'],
    ['Numpad0', 'fleet.show'],
  ])('Alt+%s shows a tab, or the fleet overview', (code, id) => {
    expect(matchShortcut(alt(code.slice(-1), code), free)).toBe(id);
  });

  it('Alt+A acknowledges, Alt+R records, Alt+S stops', () => {
    expect(matchShortcut(alt('a', 'KeyA'), free)).toBe('alarm.acknowledge');
    expect(matchShortcut(alt('r', 'KeyR'), free)).toBe('record.start');
    expect(matchShortcut(alt('s', 'KeyS'), free)).toBe('record.stop');
  });

  it('goes by the physical key: Option+S on a Mac types ß and still stops', () => {
    expect(matchShortcut(alt('ß', 'KeyS'), free)).toBe('record.stop');
    expect(matchShortcut(alt('¡', 'Digit1'), free)).toBe('tab.overview');
  });

  it('? opens the list, typed with Shift on most layouts', () => {
    expect(matchShortcut(key('?', 'Slash', { shiftKey: true }), free)).toBe('help');
    expect(matchShortcut(key('?', 'Minus'), free)).toBe('help');
  });

  it("leaves the Mixer's plain digits and Space to the Mixer", () => {
    expect(matchShortcut(key('1', 'Digit1'), free)).toBeNull();
    expect(matchShortcut(key(' ', 'Space'), free)).toBeNull();
    expect(matchShortcut(key('s', 'KeyS'), free)).toBeNull();
  });

  it('leaves other modifiers alone: Ctrl, Cmd and Alt+Shift are the browser’s and the system’s', () => {
    expect(matchShortcut(key('1', 'Digit1', { ctrlKey: true }), free)).toBeNull();
    expect(matchShortcut(key('s', 'KeyS', { metaKey: true, altKey: true }), free)).toBeNull();
    expect(matchShortcut(key('S', 'KeyS', { altKey: true, shiftKey: true }), free)).toBeNull();
    expect(matchShortcut(alt('q', 'KeyQ'), free)).toBeNull();
  });

  it('works with focus on a button or a checkbox', () => {
    expect(matchShortcut(alt('r', 'KeyR'), { target: BUTTON, modalOpen: false })).toBe('record.start');
    const box = el('INPUT', { type: 'checkbox' });
    expect(matchShortcut(alt('2', 'Digit2'), { target: box, modalOpen: false })).toBe('tab.monitor');
  });
});

describe('never while typing', () => {
  it.each([
    ['a text input', el('INPUT', { type: 'text' })],
    ['an input without a type', el('INPUT')],
    ['a search field', el('INPUT', { type: 'search' })],
    ['a number input', el('INPUT', { type: 'number' })],
    ['a text area', el('TEXTAREA')],
    ['a select list', el('SELECT')],
    ['an editable element', el('DIV', { isContentEditable: true })],
    ['a role=textbox', el('DIV', { role: 'textbox' })],
    ["the terminal's text area", el('TEXTAREA', { inTerminal: true })],
    ['the terminal itself', el('DIV', { inTerminal: true })],
  ])('%s takes every key', (_what, target) => {
    expect(isTyping(target)).toBe(true);
    for (const e of [
      alt('s', 'KeyS'),
      alt('1', 'Digit1'),
      alt('a', 'KeyA'),
      key('?', 'Slash', { shiftKey: true }),
    ])
      expect(matchShortcut(e, { target, modalOpen: false })).toBeNull();
  });

  it('nothing focused is not typing', () => {
    expect(isTyping(null)).toBe(false);
    expect(isTyping(BODY)).toBe(false);
  });
});

describe('never behind a modal dialog', () => {
  it('a confirmation or the list itself is open: no shortcut reaches the page', () => {
    expect(matchShortcut(alt('s', 'KeyS'), { target: BUTTON, modalOpen: true })).toBeNull();
    expect(
      matchShortcut(key('?', 'Slash', { shiftKey: true }), { target: BODY, modalOpen: true }),
    ).toBeNull();
  });
});

describe('holding the stop key', () => {
  it('letting go of S or of Alt ends the hold; other keys do not', () => {
    expect(endsHold(key('s', 'KeyS'), 'record.stop')).toBe(true);
    expect(endsHold(key('Alt', 'AltLeft'), 'record.stop')).toBe(true);
    expect(endsHold(key('Alt', 'AltRight'), 'record.stop')).toBe(true);
    expect(endsHold(key('r', 'KeyR'), 'record.stop')).toBe(false);
  });

  it('stop is the one that must be held', () => {
    expect(shortcut('record.stop').holdMs).toBeGreaterThanOrEqual(1000);
    expect(SHORTCUTS.filter((s) => s.holdMs !== undefined).map((s) => s.id)).toEqual(['record.stop']);
  });
});

describe('one table for the list and the attributes', () => {
  it('gives a control its keys and its id', () => {
    expect(shortcutAttrs('record.start')).toEqual({
      'aria-keyshortcuts': 'Alt+R',
      'data-shortcut': 'record.start',
    });
    expect(shortcutAttrs('mixer.take')['aria-keyshortcuts']).toBe('Space');
  });

  it('has one entry per id and no two entries on the same keys', () => {
    const ids = SHORTCUTS.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    const keys = SHORTCUTS.map((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('matches every console shortcut it lists by the keys it shows', () => {
    for (const s of SHORTCUTS.filter((x) => x.handler === 'console')) {
      const m = /^Alt\+(\w)$/.exec(s.keys);
      const e = m
        ? alt(m[1]!.toLowerCase(), /\d/.test(m[1]!) ? `Digit${m[1]}` : `Key${m[1]}`)
        : key(s.keys, 'Slash', { shiftKey: true });
      expect(matchShortcut(e, free)).toBe(s.id);
    }
  });

  it('throws for an id not in the table', () => {
    expect(() => shortcut('nope' as never)).toThrow(/No keyboard shortcut "nope"/);
  });
});

/**
 * The console's keyboard shortcuts, in one table: the `?` overlay lists it, the controls carry its keys in
 * `aria-keyshortcuts`, and the key handler matches against it. Pure, so the rules can be tested:
 * - no shortcut fires while typing (a text field, a select list, an editable element, the terminal);
 * - none fires behind a modal dialog;
 * - the Mixer's own keys (1–9, Space) are plain keys inside its tab, so the console's use Alt and never clash.
 *
 * Keys are matched by their physical key (`event.code`), so Alt+S is Alt+S on a Mac (where Option+S types ß)
 * and on any layout.
 */

export type ShortcutId =
  | 'tab.overview'
  | 'tab.monitor'
  | 'tab.recorder'
  | 'tab.previews'
  | 'tab.mixer'
  | 'tab.terminal'
  | 'tab.service'
  | 'alarm.acknowledge'
  | 'record.start'
  | 'record.stop'
  | 'mixer.take'
  | 'fleet.show'
  | 'help';

export interface Shortcut {
  id: ShortcutId;
  /** As `aria-keyshortcuts` wants it, and as the overlay shows it: "Alt+1". */
  keys: string;
  /** What it does, in the words of the control it presses. */
  action: string;
  /** Where it works. */
  where: string;
  /** Held this long before it acts (for what ends something live); absent: acts on the key press. */
  holdMs?: number;
  /**
   * Who handles the key: the console's handler presses the control carrying `data-shortcut` (`console`), or a
   * view handles it itself and the table only documents it (`view`).
   */
  handler: 'console' | 'view';
}

/** How long the stop key is held before it presses Stop recording. */
export const STOP_HOLD_MS = 1500;

const TAB_KEYS: [ShortcutId, string][] = [
  ['tab.overview', 'Overview'],
  ['tab.monitor', 'Monitor'],
  ['tab.recorder', 'Recorder'],
  ['tab.previews', 'Previews'],
  ['tab.mixer', 'Mixer'],
  ['tab.terminal', 'Terminal'],
  // A transcoder's or VMS host's own screen; its number follows the R58's tabs so theirs keep their keys.
  ['tab.service', 'Service'],
];

export const SHORTCUTS: readonly Shortcut[] = [
  ...TAB_KEYS.map(([id, name], i): Shortcut => ({
    id,
    keys: `Alt+${i + 1}`,
    action: `Show the ${name} tab`,
    where: id === 'tab.service' ? 'a transcoder or VMS host is selected' : 'a device is selected',
    handler: 'console',
  })),
  {
    id: 'alarm.acknowledge',
    keys: 'Alt+A',
    action: 'Acknowledge the alarm shown in the alarm strip',
    where: 'an alarm is open',
    handler: 'console',
  },
  {
    id: 'record.start',
    keys: 'Alt+R',
    action: 'Start recording',
    where: 'Recorder tab',
    handler: 'console',
  },
  {
    id: 'record.stop',
    keys: 'Alt+S',
    action: 'Stop recording',
    where: 'Recorder tab, while recording',
    holdMs: STOP_HOLD_MS,
    handler: 'console',
  },
  {
    id: 'mixer.take',
    keys: 'Space',
    action: 'Take the Preview scene to air (Cut)',
    where: 'Mixer tab',
    handler: 'view',
  },
  {
    id: 'fleet.show',
    keys: 'Alt+0',
    action: 'Show the fleet overview',
    where: 'anywhere',
    handler: 'console',
  },
  { id: 'help', keys: '?', action: 'Show this list of shortcuts', where: 'anywhere', handler: 'console' },
];

const BY_ID = new Map(SHORTCUTS.map((s) => [s.id, s]));

export function shortcut(id: ShortcutId): Shortcut {
  const found = BY_ID.get(id);
  if (!found) throw new Error(`No keyboard shortcut "${id}" in the table.`);
  return found;
}

/** The action as the overlay lists it: with how long to hold, for the held ones. */
export function actionText(s: Shortcut): string {
  return s.holdMs === undefined ? s.action : `${s.action} (hold ${s.holdMs / 1000} s)`;
}

/** "stop recording", for a sentence: "Hold Alt+S to stop recording". */
export function actionPhrase(s: Shortcut): string {
  return s.action.charAt(0).toLowerCase() + s.action.slice(1);
}

/**
 * What a control that a shortcut presses carries: its keys for assistive technology, and the id the handler
 * looks for. Spread onto the element: `<button {...shortcutAttrs('record.start')}>`.
 */
export function shortcutAttrs(id: ShortcutId): { 'aria-keyshortcuts': string; 'data-shortcut': ShortcutId } {
  return { 'aria-keyshortcuts': shortcut(id).keys, 'data-shortcut': id };
}

export interface KeyLike {
  key: string;
  /** The physical key (`KeyS`, `Digit1`). */
  code?: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** An auto-repeat of a held key. */
  repeat?: boolean;
}

/** What the handler needs to know about the focused element (an HTMLElement fits). */
export interface TargetLike {
  tagName?: string;
  type?: string;
  isContentEditable?: boolean;
  getAttribute?(name: string): string | null;
  closest?(selector: string): unknown;
}

/** Input types that take no typing: keys pressed on them are not text. */
const NOT_TEXT = new Set([
  'button',
  'checkbox',
  'radio',
  'range',
  'color',
  'file',
  'submit',
  'reset',
  'image',
]);

/** Whether keys pressed now are typing: a text field, a select list, an editable element or the terminal. */
export function isTyping(target: TargetLike | null | undefined): boolean {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = (target.tagName ?? '').toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') return !NOT_TEXT.has((target.type ?? 'text').toLowerCase());
  const role = target.getAttribute?.('role');
  if (role === 'textbox' || role === 'combobox' || role === 'spinbutton' || role === 'searchbox') return true;
  // xterm keeps focus in a hidden text area, but a click can leave it on the terminal's own element.
  return Boolean(target.closest?.('.xterm'));
}

export interface KeyContext {
  target: TargetLike | null | undefined;
  /** A modal dialog is open: what is behind it is out of reach. */
  modalOpen: boolean;
}

const ALT_KEYS: Record<string, ShortcutId> = {
  Digit1: 'tab.overview',
  Digit2: 'tab.monitor',
  Digit3: 'tab.recorder',
  Digit4: 'tab.previews',
  Digit5: 'tab.mixer',
  Digit6: 'tab.terminal',
  Digit7: 'tab.service',
  Digit0: 'fleet.show',
  Numpad1: 'tab.overview',
  Numpad2: 'tab.monitor',
  Numpad3: 'tab.recorder',
  Numpad4: 'tab.previews',
  Numpad5: 'tab.mixer',
  Numpad6: 'tab.terminal',
  Numpad7: 'tab.service',
  Numpad0: 'fleet.show',
  KeyA: 'alarm.acknowledge',
  KeyR: 'record.start',
  KeyS: 'record.stop',
};

/** The console shortcut a key press asks for, or null (a view's own key, typing, a modal open, no shortcut). */
export function matchShortcut(e: KeyLike, ctx: KeyContext): ShortcutId | null {
  if (ctx.modalOpen || isTyping(ctx.target)) return null;
  if (e.ctrlKey || e.metaKey) return null;
  if (e.altKey) {
    if (e.shiftKey) return null;
    return ALT_KEYS[e.code ?? ''] ?? null;
  }
  if (e.key === '?') return 'help';
  return null;
}

/** Whether releasing this key ends a hold of `id` (its own key, or the Alt it was pressed with). */
export function endsHold(e: KeyLike, id: ShortcutId): boolean {
  if (e.key === 'Alt' || e.code === 'AltLeft' || e.code === 'AltRight') return true;
  return ALT_KEYS[e.code ?? ''] === id;
}

/** Notes said once: a dismissal is remembered, and storage that fails only means the note shows again. */
import { describe, expect, it } from 'vitest';
import { dismissNote, noteDismissed } from '../../../src-renderer/lib/notes.js';

function memory(): Pick<Storage, 'getItem' | 'setItem'> {
  const kept = new Map<string, string>();
  return { getItem: (k) => kept.get(k) ?? null, setItem: (k, v) => void kept.set(k, v) };
}

const broken: Pick<Storage, 'getItem' | 'setItem'> = {
  getItem: () => {
    throw new Error('SecurityError');
  },
  setItem: () => {
    throw new Error('QuotaExceededError');
  },
};

describe('notes said once', () => {
  it('shows a note until it is dismissed, then remembers', () => {
    const storage = memory();
    expect(noteDismissed('web-mode-secrets', storage)).toBe(false);
    dismissNote('web-mode-secrets', storage);
    expect(noteDismissed('web-mode-secrets', storage)).toBe(true);
    expect(noteDismissed('another-note', storage)).toBe(false);
  });

  it('shows the note again when storage cannot be read or written, without throwing', () => {
    expect(() => dismissNote('web-mode-secrets', broken)).not.toThrow();
    expect(noteDismissed('web-mode-secrets', broken)).toBe(false);
    expect(noteDismissed('web-mode-secrets', undefined)).toBe(false);
  });
});

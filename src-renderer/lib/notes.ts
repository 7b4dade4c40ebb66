/**
 * Notes the producer needs to read once: dismissed, they stay away in this browser (localStorage). Storage can be
 * unavailable (a locked-down profile); the note then simply shows again next time.
 */
const PREFIX = 'tally.note.dismissed.';

export function noteDismissed(
  name: string,
  storage: Pick<Storage, 'getItem'> | undefined = store(),
): boolean {
  try {
    return storage?.getItem(PREFIX + name) === '1';
  } catch {
    return false;
  }
}

export function dismissNote(name: string, storage: Pick<Storage, 'setItem'> | undefined = store()): void {
  try {
    storage?.setItem(PREFIX + name, '1');
  } catch {
    // Not remembered: shown again after a reload, which is harmless.
  }
}

function store(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

/**
 * A unified diff (as the core sends it for config.yml) turned into rows for the diff view: each row says what it
 * is in words (`+`, `-`), carries its old and new line numbers, and a changed line that replaces another is split
 * into parts so the words that changed can be marked. config.yml keeps one camera per line, so a preset change
 * alters a few words in a long line; the marks are how the producer finds them.
 */
import { diffWordsWithSpace } from 'diff';

export type DiffRowKind = 'meta' | 'hunk' | 'context' | 'add' | 'del' | 'note';

export interface DiffPart {
  text: string;
  /** This part differs from the line it replaces (or replaced). */
  changed: boolean;
}

export interface DiffRow {
  kind: DiffRowKind;
  /** The line's text without its one-character marker. */
  text: string;
  oldNo: number | null;
  newNo: number | null;
  /** Set on an add/del row paired with a del/add row: the row's text in changed and unchanged parts. */
  parts?: DiffPart[];
}

export interface DiffSummary {
  added: number;
  removed: number;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/** Rows of a unified diff; an empty or whitespace-only diff has none. */
export function parseUnifiedDiff(diff: string): DiffRow[] {
  const rows: DiffRow[] = [];
  const lines = diff.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let oldNo = 0;
  let newNo = 0;
  // Lines of the current hunk still to come, per side: a line like `--- x` inside a hunk is a removal, not a header.
  let oldLeft = 0;
  let newLeft = 0;
  for (const line of lines) {
    const inHunk = oldLeft > 0 || newLeft > 0;
    const hunk = HUNK.exec(line);
    if (!inHunk && hunk) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[3]);
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      // An empty side starts one line early (`@@ -0,0 +1,3 @@`).
      if (oldLeft === 0) oldNo += 1;
      if (newLeft === 0) newNo += 1;
      rows.push({ kind: 'hunk', text: line, oldNo: null, newNo: null });
      continue;
    }
    if (line.startsWith('\\')) {
      rows.push({ kind: 'note', text: line.slice(1).trim(), oldNo: null, newNo: null });
      continue;
    }
    if (!inHunk) {
      if (line.trim() !== '') rows.push({ kind: 'meta', text: line, oldNo: null, newNo: null });
      continue;
    }
    const marker = line[0];
    const text = line.slice(1);
    if (marker === '+') {
      rows.push({ kind: 'add', text, oldNo: null, newNo: newNo++ });
      newLeft--;
    } else if (marker === '-') {
      rows.push({ kind: 'del', text, oldNo: oldNo++, newNo: null });
      oldLeft--;
    } else {
      // A context line; some tools drop the space of an empty context line.
      rows.push({ kind: 'context', text: marker === ' ' ? text : line, oldNo: oldNo++, newNo: newNo++ });
      oldLeft--;
      newLeft--;
    }
  }
  markChangedWords(rows);
  return rows;
}

/** Pairs each run of removed lines with the added lines right after it, one to one, and marks the words. */
function markChangedWords(rows: DiffRow[]): void {
  let i = 0;
  while (i < rows.length) {
    if (rows[i]?.kind !== 'del') {
      i++;
      continue;
    }
    const delStart = i;
    while (rows[i]?.kind === 'del') i++;
    const addStart = i;
    while (rows[i]?.kind === 'add') i++;
    const pairs = Math.min(addStart - delStart, i - addStart);
    for (let k = 0; k < pairs; k++) {
      const del = rows[delStart + k];
      const add = rows[addStart + k];
      if (!del || !add) continue;
      const [before, after] = wordParts(del.text, add.text);
      del.parts = before;
      add.parts = after;
    }
  }
}

/** The old and the new line in parts; a part is `changed` where the two differ. */
export function wordParts(oldText: string, newText: string): [DiffPart[], DiffPart[]] {
  const before: DiffPart[] = [];
  const after: DiffPart[] = [];
  for (const change of diffWordsWithSpace(oldText, newText)) {
    if (change.added) push(after, change.value, true);
    else if (change.removed) push(before, change.value, true);
    else {
      push(before, change.value, false);
      push(after, change.value, false);
    }
  }
  return [before, after];
}

function push(parts: DiffPart[], text: string, changed: boolean): void {
  const last = parts.at(-1);
  if (last && last.changed === changed) last.text += text;
  else parts.push({ text, changed });
}

export function summarize(rows: readonly DiffRow[]): DiffSummary {
  let added = 0;
  let removed = 0;
  for (const row of rows) {
    if (row.kind === 'add') added++;
    else if (row.kind === 'del') removed++;
  }
  return { added, removed };
}

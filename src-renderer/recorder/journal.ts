/** The recorder unit's journal as the renderer keeps it: in time order, bounded, without repeats. */
import type { JournalEntry } from '../../src-main/contract/index.js';

export const JOURNAL_CAPACITY = 1000;

/** syslog priorities 0–7, short and fixed-width. */
const PRIORITY = ['EMERG', 'ALERT', 'CRIT', 'ERR', 'WARN', 'NOTE', 'INFO', 'DEBUG'] as const;

export function priorityLabel(priority: number): string {
  return PRIORITY[priority] ?? 'INFO';
}

export function priorityTone(priority: number): 'bad' | 'warn' | 'normal' | 'dim' {
  if (priority <= 3) return 'bad';
  if (priority === 4) return 'warn';
  if (priority >= 7) return 'dim';
  return 'normal';
}

function key(e: JournalEntry): string {
  return `${e.at}\u0000${e.priority}\u0000${e.message}`;
}

/**
 * Appends what is new: entries older than the newest kept one are dropped, and one with the newest time is kept
 * only when not already there (a batch can overlap the snapshot it follows). Keeps the last `capacity`.
 */
export function mergeJournal(
  kept: readonly JournalEntry[],
  incoming: readonly JournalEntry[],
  capacity: number = JOURNAL_CAPACITY,
): JournalEntry[] {
  if (incoming.length === 0) return kept.slice(-capacity);
  let last = kept.at(-1)?.at ?? -Infinity;
  const atLast = new Set<string>();
  for (let i = kept.length - 1; i >= 0 && kept[i]?.at === last; i--) atLast.add(key(kept[i] as JournalEntry));
  const out = kept.slice();
  for (const entry of incoming) {
    if (entry.at < last) continue;
    if (entry.at === last && atLast.has(key(entry))) continue;
    if (entry.at > last) {
      last = entry.at;
      atLast.clear();
    }
    atLast.add(key(entry));
    out.push(entry);
  }
  return out.length > capacity ? out.slice(-capacity) : out;
}

/**
 * The recorder API's access-log lines for the reads Tally itself makes while the Recorder tab is open (uvicorn
 * logs every `GET /status`). Hidden by default so the producer sees what the recorder says, not our polling.
 */
const OWN_READS =
  /^INFO:\s+127\.0\.0\.1:\d+ - "GET \/(?:api\/)?(?:status|record\/status|recordings|health) HTTP\/1\.[01]" 200\b/;

export function isOwnStatusRead(entry: JournalEntry): boolean {
  return OWN_READS.test(entry.message);
}

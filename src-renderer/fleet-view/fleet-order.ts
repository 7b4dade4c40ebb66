/**
 * How the fleet overview orders, filters and groups its rows. Pure.
 *
 * Worst first: a red box (alarm) before an amber one (warning), then boxes out of reach (offline, or the link
 * being got back), then the green ones; among equals a critical alarm first, then the newest alarm, then by name.
 * A box whose link is lost is in the out-of-reach group even when its strip says warning; one that waits for the
 * producer (a host key to check, a refused login) stays a warning, since it needs someone to act.
 */
import type { FleetRow } from './fleet-row.js';

export type SortKey = 'worst' | 'name';
export type StateFilter = 'all' | 'alarm' | 'warning' | 'offline' | 'recording';

export const SORT_LABELS: Record<SortKey, string> = { worst: 'Worst first', name: 'Name' };
export const STATE_FILTERS: readonly StateFilter[] = ['all', 'alarm', 'warning', 'offline', 'recording'];
export const STATE_LABELS: Record<StateFilter, string> = {
  all: 'All',
  alarm: 'Alarm',
  warning: 'Warning',
  offline: 'Offline',
  recording: 'Recording',
};

export interface FleetQuery {
  sort: SortKey;
  /** Words typed in the filter field: each must be found in the name or in one of the tags. */
  text: string;
  state: StateFilter;
}

/** Names with numbers in them sort as people count: box-2 before box-10. */
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function compareNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The link is not up and the console is, or could be, getting it (lost, retrying, off, connecting). */
export function outOfReach(row: FleetRow): boolean {
  return (
    row.linkKind === 'lost' ||
    row.linkKind === 'retrying' ||
    row.linkKind === 'off' ||
    row.linkKind === 'connecting'
  );
}

/** 0 alarm, 1 warning, 2 out of reach, 3 all well. */
export function worstRank(row: FleetRow): number {
  if (row.health === 'alarm') return 0;
  if (outOfReach(row) || row.health === 'offline') return 2;
  if (row.health === 'warning') return 1;
  return 3;
}

export function compareWorst(a: FleetRow, b: FleetRow): number {
  const rank = worstRank(a) - worstRank(b);
  if (rank !== 0) return rank;
  const critical = Number(b.alarm?.critical ?? false) - Number(a.alarm?.critical ?? false);
  if (critical !== 0) return critical;
  const newest = (b.alarm?.at ?? 0) - (a.alarm?.at ?? 0);
  if (newest !== 0) return newest;
  return compareNames(a.name, b.name);
}

export function compareByName(a: FleetRow, b: FleetRow): number {
  return compareNames(a.name, b.name);
}

export function matchesState(row: FleetRow, state: StateFilter): boolean {
  switch (state) {
    case 'all':
      return true;
    case 'alarm':
      return row.health === 'alarm';
    case 'warning':
      return row.health === 'warning';
    case 'offline':
      return outOfReach(row) || row.health === 'offline';
    case 'recording':
      return row.rec !== null;
  }
}

/** Every word typed is found (ignoring case) in the name or in one of the tags. */
export function matchesText(row: FleetRow, text: string): boolean {
  const words = text
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (words.length === 0) return true;
  const name = row.name.toLowerCase();
  const tags = row.tags.map((t) => t.toLowerCase());
  return words.every((w) => name.includes(w) || tags.some((t) => t.includes(w)));
}

/** How many rows each state filter would show (after the text filter): the counts beside the filter buttons. */
export function stateCounts(rows: readonly FleetRow[], text: string): Record<StateFilter, number> {
  const counts: Record<StateFilter, number> = { all: 0, alarm: 0, warning: 0, offline: 0, recording: 0 };
  for (const row of rows) {
    if (!matchesText(row, text)) continue;
    for (const s of STATE_FILTERS) if (matchesState(row, s)) counts[s]++;
  }
  return counts;
}

/** The rows the query shows, in its order. */
export function queryRows(rows: readonly FleetRow[], query: FleetQuery): FleetRow[] {
  return rows
    .filter((r) => matchesState(r, query.state) && matchesText(r, query.text))
    .sort(query.sort === 'worst' ? compareWorst : compareByName);
}

export interface TagGroup {
  /** null: the rows without a tag. */
  tag: string | null;
  title: string;
  rows: FleetRow[];
}

export const NO_TAG = 'No tag';

/**
 * The rows under each of their tags (a box with two tags shows under both), tags by name, "No tag" last. Tags
 * that differ only in case are one group. Rows keep the order they come in.
 */
export function groupByTag(rows: readonly FleetRow[]): TagGroup[] {
  const groups = new Map<string, TagGroup>();
  const untagged: FleetRow[] = [];
  for (const row of rows) {
    if (row.tags.length === 0) untagged.push(row);
    for (const tag of row.tags) {
      const key = tag.toLowerCase();
      let group = groups.get(key);
      if (!group) {
        group = { tag, title: tag, rows: [] };
        groups.set(key, group);
      }
      if (!group.rows.includes(row)) group.rows.push(row);
    }
  }
  const out = [...groups.values()].sort((a, b) => compareNames(a.title, b.title));
  if (untagged.length > 0) out.push({ tag: null, title: NO_TAG, rows: untagged });
  return out;
}

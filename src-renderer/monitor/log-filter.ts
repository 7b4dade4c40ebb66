/**
 * Which kernel lines the log shows, and where the next alarm line is. Pure functions over plain data, so they
 * can be tested without a DOM and run over 20,000 lines per keystroke.
 */
import type { KernelCategory, KernelEvent, KernelLine } from '../../src-main/contract/index.js';

export interface LogFilter {
  /** Categories to show; none means every category. */
  categories: readonly KernelCategory[];
  /** Case-insensitive substring of the line's text; empty means any. */
  text: string;
}

export const NO_FILTER: LogFilter = { categories: [], text: '' };

/** Reports whose lines count as alarm lines, whatever each line's own severity. */
const ALARM_REPORTS: ReadonlySet<KernelCategory> = new Set(['oops', 'panic', 'rcu_stall', 'vpu']);

export type EventLookup = (id: string) => KernelEvent | undefined;

/** The category a line is filed under: its report's when it belongs to one (a call trace line is part of an Oops). */
export function categoryOf(line: KernelLine, events: EventLookup): KernelCategory {
  if (line.eventId !== undefined) {
    const event = events(line.eventId);
    if (event) return event.category;
  }
  return line.category;
}

export function isFiltering(filter: LogFilter): boolean {
  return filter.categories.length > 0 || filter.text.trim() !== '';
}

/** A predicate for the filter. Lines of a report match a category through the report, so a trace stays whole. */
export function compileFilter(filter: LogFilter, events: EventLookup): (line: KernelLine) => boolean {
  const cats = filter.categories.length > 0 ? new Set(filter.categories) : undefined;
  const needle = filter.text.trim().toLowerCase();
  if (!cats && !needle) return () => true;
  return (line) => {
    if (cats && !cats.has(line.category) && !cats.has(categoryOf(line, events))) return false;
    return !needle || line.text.toLowerCase().includes(needle);
  };
}

/** A line that needs the producer's eyes: critical or error, or part of an Oops, panic, RCU stall or VPU report. */
export function isAlarmLine(line: KernelLine, events: EventLookup): boolean {
  if (line.severity === 'critical' || line.severity === 'error') return true;
  if (line.eventId === undefined) return false;
  const event = events(line.eventId);
  return event !== undefined && ALARM_REPORTS.has(event.category);
}

/** Something indexable, oldest first: the filtered view or a plain array. */
export interface LineList {
  readonly length: number;
  at(i: number): KernelLine | undefined;
}

/**
 * The index of the next alarm line after `from` (-1 starts at the top). Lines of the report `from` sits in are
 * skipped, so one Oops with forty lines is one stop, not forty. With `wrap`, the search continues from the top.
 * Returns -1 when there is none.
 */
export function nextAlarmIndex(list: LineList, from: number, events: EventLookup, wrap = false): number {
  const current = from >= 0 ? list.at(from) : undefined;
  const skipEvent = current?.eventId;
  for (let i = from + 1; i < list.length; i++) {
    const line = list.at(i);
    if (!line) continue;
    if (skipEvent !== undefined && line.eventId === skipEvent) continue;
    if (isAlarmLine(line, events)) return i;
  }
  if (!wrap) return -1;
  for (let i = 0; i <= Math.min(from, list.length - 1); i++) {
    const line = list.at(i);
    if (line && isAlarmLine(line, events) && (skipEvent === undefined || line.eventId !== skipEvent))
      return i;
  }
  return -1;
}

/**
 * The lines the log shows, in seq order: appended at the end, dropped from the front when the ring lets go of
 * them. Index arithmetic instead of `splice`, so trimming a 20,000-line view a few times a second costs nothing.
 */
export class FilteredView implements LineList {
  private items: KernelLine[] = [];
  private start = 0;
  /** Lines dropped from the front since the view was made; lets a scrolled list keep its place. */
  dropped = 0;

  get length(): number {
    return this.items.length - this.start;
  }

  at(i: number): KernelLine | undefined {
    if (i < 0 || i >= this.length) return undefined;
    return this.items[this.start + i];
  }

  last(): KernelLine | undefined {
    return this.at(this.length - 1);
  }

  reset(lines: Iterable<KernelLine>): void {
    this.items = [...lines];
    this.start = 0;
    this.dropped = 0;
  }

  append(lines: readonly KernelLine[]): void {
    for (const line of lines) this.items.push(line);
  }

  /** Drop every line older than `seq`. */
  dropBefore(seq: number): void {
    let n = 0;
    while (this.start + n < this.items.length && (this.items[this.start + n]?.seq ?? seq) < seq) n++;
    if (n === 0) return;
    this.start += n;
    this.dropped += n;
    if (this.start > 4096 && this.start > this.items.length / 2) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  /** The index of the line with this seq, or -1. */
  indexOfSeq(seq: number): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = this.at(mid)?.seq ?? 0;
      if (at === seq) return mid;
      if (at < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  toArray(): KernelLine[] {
    return this.items.slice(this.start);
  }
}

/**
 * The log as one window shows it: the device's ring seen through a filter, frozen while paused. Plain TypeScript;
 * the component calls `sync()` once per render tick, not once per line.
 */
import type { KernelLine } from '../../src-main/contract/index.js';
import { compileFilter, FilteredView, NO_FILTER, type EventLookup, type LogFilter } from './log-filter.js';
import type { Ring } from './ring.js';

export class LogView {
  readonly view = new FilteredView();
  private filter: LogFilter = NO_FILTER;
  private match: (line: KernelLine) => boolean = () => true;
  /** The newest ring seq already looked at. */
  private seenSeq = 0;
  /** The ring's `total` when the view was paused; undefined while live. */
  private pausedAt: number | undefined;

  constructor(
    private readonly ring: Ring<KernelLine>,
    private readonly events: EventLookup,
  ) {
    this.rebuild();
  }

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }

  /** Lines that arrived since the view was paused (0 while live). */
  get heldBack(): number {
    return this.pausedAt === undefined ? 0 : this.ring.total - this.pausedAt;
  }

  /** A new filter is a new question: it is asked of everything kept, paused or not. */
  setFilter(filter: LogFilter): void {
    this.filter = filter;
    this.match = compileFilter(filter, this.events);
    this.rebuild();
    if (this.pausedAt !== undefined) this.pausedAt = this.ring.total;
  }

  /** Everything the ring holds, filtered again (a new filter, resuming after a pause, a fresh snapshot). */
  rebuild(): void {
    const lines: KernelLine[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const line = this.ring.at(i);
      if (line && this.match(line)) lines.push(line);
    }
    this.view.reset(lines);
    this.seenSeq = this.ring.last()?.seq ?? 0;
  }

  /** Take in what the ring gained and forget what it lost. Does nothing while paused. */
  sync(): void {
    if (this.paused) return;
    const newest = this.ring.last()?.seq ?? 0;
    if (newest < this.seenSeq) {
      // The ring went back (a new snapshot after the core restarted): start over.
      this.rebuild();
      return;
    }
    if (newest > this.seenSeq) {
      let i = this.ring.length - 1;
      while (i > 0 && (this.ring.at(i - 1)?.seq ?? 0) > this.seenSeq) i--;
      const fresh: KernelLine[] = [];
      for (; i < this.ring.length; i++) {
        const line = this.ring.at(i);
        if (line && line.seq > this.seenSeq && this.match(line)) fresh.push(line);
      }
      this.view.append(fresh);
      this.seenSeq = newest;
    }
    const oldest = this.ring.first()?.seq;
    if (oldest !== undefined) this.view.dropBefore(oldest);
  }

  pause(): void {
    this.pausedAt ??= this.ring.total;
  }

  resume(): void {
    if (this.pausedAt === undefined) return;
    this.pausedAt = undefined;
    // Lines held back may have been evicted and the filter's report categories may have grown: refilter all.
    this.rebuild();
  }

  get currentFilter(): LogFilter {
    return this.filter;
  }
}

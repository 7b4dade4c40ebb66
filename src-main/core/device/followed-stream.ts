/**
 * A long-running command on a device whose output lines become items (a unit's journal, a container's log): it keeps
 * the last items, hands new ones out in batches, follows again after the stream ended while the link stayed up, and
 * stops on `pause()` (link lost) keeping what it has, so the caller can resume from where it was.
 */
import { ContractError } from '../../contract/index.js';
import { sh, unitName, type ShellCommand } from './quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { LineSplitter } from '../ssh/line-splitter.js';

export interface FollowedStreamOptions<T> {
  connections: ConnectionManager;
  deviceId: string;
  /** The command to (re)start with: it may resume from what the last run saw. */
  command(): ShellCommand;
  /** A line handler for one run (called at each start, so it can remember where the run began). */
  reader(add: (item: T) => void): (line: string) => void;
  /** "The journal of preke-recorder on r58-a stopped: <why>." from the last line the command printed. */
  stopped(why: string | undefined, exit: string): string;
  onItems(items: T[]): void;
  /** How long items gather before they go out. */
  batchMs: number;
  capacity: number;
  /** Wait before following again after the stream ended while the link stayed up. */
  retryMs: number;
  /** Whether the stream's stderr (not only its stdout) says why it stopped. */
  whyFromStdout?: boolean;
  maxBufferBytes?: number;
}

export class FollowedStream<T> {
  private kept: T[] = [];
  private pending: T[] = [];
  private abort: AbortController | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private wanted = false;
  /** Why the stream is not running, when it stopped by itself. */
  lastProblem: string | null = null;

  constructor(private readonly opts: FollowedStreamOptions<T>) {}

  items(): T[] {
    return [...this.kept, ...this.pending].slice(-this.opts.capacity);
  }

  get following(): boolean {
    return this.abort !== undefined;
  }

  /** Follow (again). Does nothing while a stream runs. */
  start(): void {
    this.wanted = true;
    if (this.abort) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const abort = new AbortController();
    this.abort = abort;
    void this.run(abort.signal).finally(() => {
      if (this.abort === abort) this.abort = undefined;
    });
  }

  /** The link is down (or the caller no longer wants the stream): stop, keep what we have and where we were. */
  pause(): void {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.abort?.abort();
    this.abort = undefined;
    this.flush();
  }

  close(): void {
    this.pause();
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const read = this.opts.reader((item) => this.add(item));
    const splitter = new LineSplitter((parts) => parts.forEach(read));
    let retry = true;
    try {
      const result = await this.opts.connections.exec(this.opts.deviceId, this.opts.command(), {
        signal,
        maxBufferBytes: this.opts.maxBufferBytes ?? 64 * 1024,
        onStdout: (chunk) => splitter.push(chunk),
      });
      splitter.end();
      if (signal.aborted) return;
      const said = this.opts.whyFromStdout
        ? result.stderr.trim() || result.stdout.trim()
        : result.stderr.trim();
      this.lastProblem = this.opts.stopped(
        said.split('\n').at(-1) || undefined,
        String(result.code ?? result.signal ?? 'unknown'),
      );
    } catch (err) {
      if (signal.aborted) return;
      this.lastProblem = (err as Error).message;
      // A lost link is handled by the caller: it starts the stream again when the device reconnects.
      if (err instanceof ContractError && err.code === 'unavailable') retry = false;
    }
    this.flush();
    if (retry && this.wanted) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.wanted && !this.abort) this.start();
      }, this.opts.retryMs);
    }
  }

  private add(item: T): void {
    this.pending.push(item);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.opts.batchMs);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.kept = this.kept.concat(batch);
    if (this.kept.length > this.opts.capacity)
      this.kept = this.kept.slice(this.kept.length - this.opts.capacity);
    this.opts.onItems(batch);
  }
}

/** The fields of one `journalctl -o json` line that Tally reads; undefined for anything else. */
export interface JournalJson {
  message: string;
  /** Microseconds since the epoch, when given. */
  usec: number | null;
  priority: number | null;
  cursor: string | undefined;
}

export function parseJournalJson(line: string): JournalJson | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const raw = fields.MESSAGE;
  // journalctl -o json gives a MESSAGE that is not valid UTF-8 as an array of bytes.
  const message =
    typeof raw === 'string'
      ? raw
      : Array.isArray(raw) && raw.every((b) => typeof b === 'number')
        ? Buffer.from(raw as number[]).toString('utf8')
        : undefined;
  if (message === undefined) return undefined;
  const usec = Number(fields.__REALTIME_TIMESTAMP);
  const priority = Number(fields.PRIORITY);
  return {
    message: message.replace(/\s+$/, ''),
    usec: Number.isFinite(usec) ? usec : null,
    priority: Number.isInteger(priority) && priority >= 0 && priority <= 7 ? priority : null,
    cursor: typeof fields.__CURSOR === 'string' ? fields.__CURSOR : undefined,
  };
}

/** Follow a unit's journal as JSON: from after the last cursor seen, or its last `backlog` entries. */
export function journalFollowCommand(
  unit: string,
  cursor: string | undefined,
  backlog: number,
): ShellCommand {
  const name = unitName(unit);
  return cursor !== undefined
    ? sh`exec journalctl -u ${name} -o json -a -f --no-pager --after-cursor=${cursor}`
    : sh`exec journalctl -u ${name} -o json -a -f --no-pager -n ${backlog}`;
}

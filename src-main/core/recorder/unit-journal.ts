/**
 * Follows one systemd unit's journal (`journalctl -u <unit> -o json -f`) over a device's SSH connection, keeps the
 * last entries and hands new ones out in batches. After a pause (link lost) it resumes from the last cursor, so
 * nothing is shown twice or skipped.
 */
import { ContractError, type JournalEntry } from '../../contract/index.js';
import { sh, unitName, type ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { LineSplitter } from '../ssh/line-splitter.js';

export interface ParsedJournalLine {
  entry: JournalEntry;
  cursor: string | undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // journalctl -o json gives a MESSAGE that is not valid UTF-8 as an array of bytes.
  if (Array.isArray(value) && value.every((b) => typeof b === 'number'))
    return Buffer.from(value as number[]).toString('utf8');
  return undefined;
}

/** One line of `journalctl -o json`; undefined for anything else (`-- No entries --`, a cut line). */
export function parseJournalEntry(line: string): ParsedJournalLine | undefined {
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
  const message = text(fields.MESSAGE);
  if (message === undefined) return undefined;
  const usec = Number(fields.__REALTIME_TIMESTAMP);
  const priority = Number(fields.PRIORITY);
  return {
    entry: {
      at: Number.isFinite(usec) ? Math.floor(usec / 1000) : Date.now(),
      priority: Number.isInteger(priority) && priority >= 0 && priority <= 7 ? priority : 6,
      message: message.replace(/\s+$/, ''),
    },
    cursor: typeof fields.__CURSOR === 'string' ? fields.__CURSOR : undefined,
  };
}

export interface UnitJournalOptions {
  connections: ConnectionManager;
  deviceId: string;
  unit: string;
  deviceName: () => string;
  onEntries: (entries: JournalEntry[]) => void;
  /** How long entries gather before they go out. */
  batchMs?: number;
  capacity?: number;
  backlog?: number;
  /** Wait before following again after the stream ended while the link stayed up. */
  retryMs?: number;
}

export class UnitJournal {
  private kept: JournalEntry[] = [];
  private pending: JournalEntry[] = [];
  private cursor: string | undefined;
  private abort: AbortController | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private wanted = false;
  /** Why the stream is not running, when it stopped by itself. */
  lastProblem: string | null = null;

  constructor(private readonly opts: UnitJournalOptions) {
    unitName(opts.unit);
  }

  entries(): JournalEntry[] {
    return [...this.kept, ...this.pending].slice(-(this.opts.capacity ?? 500));
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

  private command(): ShellCommand {
    const unit = this.opts.unit;
    return this.cursor !== undefined
      ? sh`exec journalctl -u ${unit} -o json -a -f --no-pager --after-cursor=${this.cursor}`
      : sh`exec journalctl -u ${unit} -o json -a -f --no-pager -n ${this.opts.backlog ?? 200}`;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const splitter = new LineSplitter((parts) => {
      for (const part of parts) {
        const parsed = parseJournalEntry(part);
        if (!parsed) continue;
        if (parsed.cursor !== undefined) this.cursor = parsed.cursor;
        this.add(parsed.entry);
      }
    });
    let retry = true;
    try {
      const result = await this.opts.connections.exec(this.opts.deviceId, this.command(), {
        signal,
        maxBufferBytes: 64 * 1024,
        onStdout: (chunk) => splitter.push(chunk),
      });
      splitter.end();
      if (signal.aborted) return;
      const why = result.stderr.trim().split('\n').at(-1);
      this.lastProblem = `The journal of ${this.opts.unit} on ${this.opts.deviceName()} stopped: ${
        why || `journalctl exited with ${result.code ?? result.signal ?? 'unknown'}`
      }.`;
    } catch (err) {
      if (signal.aborted) return;
      this.lastProblem = (err as Error).message;
      // A lost link is handled by the caller: it starts the journal again when the device reconnects.
      if (err instanceof ContractError && err.code === 'unavailable') retry = false;
    }
    this.flush();
    if (retry && this.wanted) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.wanted && !this.abort) this.start();
      }, this.opts.retryMs ?? 5000);
    }
  }

  private add(entry: JournalEntry): void {
    this.pending.push(entry);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.opts.batchMs ?? 200);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const capacity = this.opts.capacity ?? 500;
    this.kept = this.kept.concat(batch);
    if (this.kept.length > capacity) this.kept = this.kept.slice(this.kept.length - capacity);
    this.opts.onEntries(batch);
  }
}

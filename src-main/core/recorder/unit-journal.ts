/**
 * Follows one systemd unit's journal (`journalctl -u <unit> -o json -f`) over a device's SSH connection, keeps the
 * last entries and hands new ones out in batches. After a pause (link lost) it resumes from the last cursor, so
 * nothing is shown twice or skipped.
 */
import type { JournalEntry } from '../../contract/index.js';
import { FollowedStream, journalFollowCommand, parseJournalJson } from '../device/followed-stream.js';
import { unitName } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';

export interface ParsedJournalLine {
  entry: JournalEntry;
  cursor: string | undefined;
}

/** One line of `journalctl -o json`; undefined for anything else (`-- No entries --`, a cut line). */
export function parseJournalEntry(line: string): ParsedJournalLine | undefined {
  const j = parseJournalJson(line);
  if (!j) return undefined;
  return {
    entry: {
      at: j.usec !== null ? Math.floor(j.usec / 1000) : Date.now(),
      priority: j.priority ?? 6,
      message: j.message,
    },
    cursor: j.cursor,
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
  private cursor: string | undefined;
  private readonly stream: FollowedStream<JournalEntry>;

  constructor(opts: UnitJournalOptions) {
    const unit = unitName(opts.unit);
    this.stream = new FollowedStream<JournalEntry>({
      connections: opts.connections,
      deviceId: opts.deviceId,
      command: () => journalFollowCommand(unit, this.cursor, opts.backlog ?? 200),
      reader: (add) => (line) => {
        const parsed = parseJournalEntry(line);
        if (!parsed) return;
        if (parsed.cursor !== undefined) this.cursor = parsed.cursor;
        add(parsed.entry);
      },
      stopped: (why, exit) =>
        `The journal of ${unit} on ${opts.deviceName()} stopped: ${why || `journalctl exited with ${exit}`}.`,
      onItems: opts.onEntries,
      batchMs: opts.batchMs ?? 200,
      capacity: opts.capacity ?? 500,
      retryMs: opts.retryMs ?? 5000,
    });
  }

  /** Why the stream is not running, when it stopped by itself. */
  get lastProblem(): string | null {
    return this.stream.lastProblem;
  }

  entries(): JournalEntry[] {
    return this.stream.items();
  }

  /** Follow (again). Does nothing while a stream runs. */
  start(): void {
    this.stream.start();
  }

  /** The link is down (or the caller no longer wants the stream): stop, keep what we have and where we were. */
  pause(): void {
    this.stream.pause();
  }

  close(): void {
    this.stream.close();
  }
}

/**
 * Follows one device's kernel log over its SSH connection.
 *
 * The source is probed once per connection: `journalctl -k -o json` where the login user can read the journal
 * (the R58's linaro is in `adm`), else `dmesg -r` through `sudo -n`, else plain `dmesg`. The backlog is read on
 * the first start; after a reconnect the follower resumes exactly where it stopped: by journal cursor, or for
 * dmesg by kernel timestamp, skipping lines it already has.
 */
import { sh, type ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { LineSplitter } from '../ssh/line-splitter.js';
import { parseDmesgLine, parseJournalLine, type RawKernelLine } from './kernel-parse.js';

export type KernelSource = 'journal' | 'sudo-dmesg' | 'dmesg';

export const SOURCE_LABEL: Record<KernelSource, string> = {
  journal: 'journalctl -k',
  'sudo-dmesg': 'sudo dmesg',
  dmesg: 'dmesg',
};

export interface FollowerEvents {
  lines(lines: RawKernelLine[]): void;
  following(source: KernelSource): void;
  /** The source cannot be read at all; `detail` says what to change on the device. */
  unavailable(detail: string): void;
  /** The stream ended (link lost, or the command exited); the follower is idle until started again. */
  ended(detail: string): void;
}

const PROBE = sh`if journalctl -k -b -n 1 -o json -q 2>/dev/null | grep -q '"MESSAGE"'; then echo journal; elif sudo -n dmesg -r 2>/dev/null | head -n 1 | grep -q .; then echo sudo-dmesg; elif dmesg -r 2>/dev/null | head -n 1 | grep -q .; then echo dmesg; else echo none; fi`;

/** Remembers where the stream is, so a restart neither repeats nor skips a line. */
export class ResumePoint {
  cursor: string | undefined;
  usec = -1;
  /** Texts already seen at exactly `usec` (a burst can share one timestamp). */
  private atUsec = new Set<string>();

  /** For dmesg, which always replays its whole buffer: is this line new? */
  isNew(line: RawKernelLine): boolean {
    if (line.usec < this.usec) return false;
    if (line.usec === this.usec) return !this.atUsec.has(line.text);
    return true;
  }

  advance(line: RawKernelLine): void {
    if (line.cursor !== undefined) this.cursor = line.cursor;
    if (line.usec > this.usec) {
      this.usec = line.usec;
      this.atUsec = new Set();
    }
    if (line.usec === this.usec) this.atUsec.add(line.text);
  }
}

export class KernelFollower {
  private source: KernelSource | undefined;
  private readonly resume = new ResumePoint();
  private abort: AbortController | undefined;
  private running = false;

  constructor(
    private readonly deviceId: string,
    private readonly deviceName: () => string,
    private readonly connections: ConnectionManager,
    private readonly events: FollowerEvents,
    private readonly backlogLines: number,
  ) {}

  get sourceName(): KernelSource | undefined {
    return this.source;
  }

  /** Start (or restart after a reconnect). Does nothing while a stream is running. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const abort = new AbortController();
    this.abort = abort;
    void this.run(abort.signal).finally(() => {
      if (this.abort === abort) this.running = false;
    });
  }

  stop(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.running = false;
  }

  private async run(signal: AbortSignal): Promise<void> {
    try {
      this.source ??= await this.probe(signal);
      if (!this.source) return;
      await this.follow(this.source, signal);
    } catch (err) {
      if (!signal.aborted) this.events.ended((err as Error).message);
    }
  }

  private async probe(signal: AbortSignal): Promise<KernelSource | undefined> {
    const result = await this.connections.exec(this.deviceId, PROBE, { timeoutMs: 15_000, signal });
    const answer = result.stdout.trim();
    if (answer === 'journal' || answer === 'sudo-dmesg' || answer === 'dmesg') return answer;
    this.events.unavailable(
      `Tally cannot read the kernel log on ${this.deviceName()}: journalctl -k shows nothing to this login (add the ` +
        'user to the adm or systemd-journal group), and dmesg needs root while sudo -n asks for a password ' +
        '(allow passwordless sudo for dmesg, as on the R58 image).',
    );
    return undefined;
  }

  private command(source: KernelSource): ShellCommand {
    if (source === 'journal') {
      return this.resume.cursor !== undefined
        ? sh`exec journalctl -k -o json -a -f --no-pager --after-cursor=${this.resume.cursor}`
        : sh`exec journalctl -k -b -o json -a -f --no-pager -n ${this.backlogLines}`;
    }
    // dmesg -w replays the whole buffer first; the resume point drops what was already seen.
    return source === 'sudo-dmesg' ? sh`exec sudo -n dmesg -r -w` : sh`exec dmesg -r -w`;
  }

  private async follow(source: KernelSource, signal: AbortSignal): Promise<void> {
    const parse = source === 'journal' ? parseJournalLine : parseDmesgLine;
    const splitter = new LineSplitter((parts) => {
      const out: RawKernelLine[] = [];
      for (const part of parts) {
        const line = parse(part);
        if (!line) continue;
        if (source !== 'journal' && !this.resume.isNew(line)) continue;
        this.resume.advance(line);
        out.push(line);
      }
      if (out.length > 0) this.events.lines(out);
    });
    const command = this.command(source);
    this.events.following(source);
    const result = await this.connections.exec(this.deviceId, command, {
      signal,
      maxBufferBytes: 64 * 1024,
      onStdout: (chunk) => splitter.push(chunk),
    });
    splitter.end();
    if (signal.aborted) return;
    const why = result.stderr.trim().split('\n').at(-1);
    this.events.ended(
      why
        ? `The kernel log stream on ${this.deviceName()} stopped: ${why}`
        : `The kernel log stream on ${this.deviceName()} stopped (exit ${result.code ?? result.signal ?? 'unknown'}).`,
    );
  }
}

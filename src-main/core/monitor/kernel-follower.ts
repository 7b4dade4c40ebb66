/**
 * Follows one device's kernel log over its SSH connection.
 *
 * The source is probed once per connection: `journalctl -k -o json` where the login user can read the journal
 * (the R58's linaro is in `adm`), else `dmesg -r` through `sudo -n`, else plain `dmesg`, each dmesg judged by
 * its exit status (an empty kernel ring is still followed). The backlog is read on
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

/**
 * One round trip that tries each source in order and stops at the first readable one. A dmesg source counts as
 * readable by its exit status, not by its output: a kernel ring can be empty (cleared, or freshly booted with a
 * quiet kernel) and still be followed. Each dmesg attempt that fails prints `failed <source> <exit> <last stderr
 * line>`, so the verdict can say what actually went wrong. The journal still needs a kernel line: a login outside
 * `adm` gets exit 0 and nothing from journalctl, which cannot be told apart from an empty kernel journal.
 */
const PROBE = sh`if journalctl -k -b -n 1 -o json -q 2>/dev/null | grep -q '"MESSAGE"'; then echo journal; exit 0; fi
e=$(sudo -n dmesg -r 2>&1 >/dev/null); s=$?
if [ "$s" -eq 0 ]; then echo sudo-dmesg; exit 0; fi
echo "failed sudo-dmesg $s $(printf '%s\\n' "$e" | tail -n 1)"
e=$(dmesg -r 2>&1 >/dev/null); s=$?
if [ "$s" -eq 0 ]; then echo dmesg; exit 0; fi
echo "failed dmesg $s $(printf '%s\\n' "$e" | tail -n 1)"
echo none`;

export type KernelSourceVerdict = { source: KernelSource } | { unavailable: string };

const FAILURE = /^failed (sudo-dmesg|dmesg) (\d+) ?(.*)$/;

/** What to tell the user about one failed attempt, with a hint when the cause is a known one. */
function describeFailure(source: 'sudo-dmesg' | 'dmesg', exit: string, said: string): string {
  const what = source === 'sudo-dmesg' ? 'sudo -n dmesg' : 'dmesg';
  const text = `${what} failed (exit ${exit})${said ? `: ${said}` : ''}`;
  if (source === 'sudo-dmesg' && /password/i.test(said))
    return `${text} (allow this login passwordless sudo for dmesg, as on the R58 image)`;
  if (exit === '127') return `${text} (${source === 'sudo-dmesg' ? 'sudo' : 'dmesg'} is not installed)`;
  if (source === 'dmesg' && /not permitted/i.test(said))
    return `${text} (the kernel restricts its log to root)`;
  return text;
}

/** The probe's answer → the source to follow, or a message naming every attempt and how it failed. */
export function decideKernelSource(answer: string, deviceName: string): KernelSourceVerdict {
  const failures: string[] = [];
  for (const line of answer.split('\n').map((l) => l.trim())) {
    if (line === 'journal' || line === 'sudo-dmesg' || line === 'dmesg') return { source: line };
    const failed = FAILURE.exec(line);
    if (failed) {
      failures.push(describeFailure(failed[1] as 'sudo-dmesg' | 'dmesg', failed[2] ?? '', failed[3] ?? ''));
    }
  }
  const head = `Tally cannot read the kernel log on ${deviceName}: `;
  if (failures.length === 0) {
    const got = answer.trim() ? `: ${JSON.stringify(answer.trim().slice(0, 200))}` : '';
    return { unavailable: `${head}the probe gave no answer it understands${got}.` };
  }
  return {
    unavailable:
      `${head}journalctl -k shows no kernel lines to this login (add the user to the adm or systemd-journal ` +
      `group); ${failures.join('; ')}.`,
  };
}

/** The one thing the follower needs from the connection manager. */
export type KernelExec = Pick<ConnectionManager, 'exec'>;

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
    private readonly connections: KernelExec,
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
    const verdict = decideKernelSource(result.stdout, this.deviceName());
    if ('source' in verdict) return verdict.source;
    this.events.unavailable(verdict.unavailable);
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

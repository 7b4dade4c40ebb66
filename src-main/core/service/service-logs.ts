/**
 * Follows a service's log over the device's SSH connection (`docker logs -t -f` / `journalctl -f -u`), keeps the
 * last lines and hands new ones out in batches. After a pause it resumes where it was: docker from the last line's
 * time (lines at or before it are dropped), journalctl from its cursor.
 */
import { ContractError, type ServiceLogLine } from '../../contract/index.js';
import { logsCommand, parseLogLine } from '../device/docker.js';
import { sh, unitName, type ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { LineSplitter } from '../ssh/line-splitter.js';
import type { ServiceProfile } from './service-read.js';

/** One `journalctl -o json` line as a log line and its cursor; undefined for anything else. */
export function parseJournalJson(
  line: string,
): { line: ServiceLogLine; cursor: string | undefined } | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(trimmed) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const raw = fields.MESSAGE;
  const text =
    typeof raw === 'string'
      ? raw
      : Array.isArray(raw) && raw.every((b) => typeof b === 'number')
        ? Buffer.from(raw as number[]).toString('utf8')
        : undefined;
  if (text === undefined) return undefined;
  const usec = Number(fields.__REALTIME_TIMESTAMP);
  return {
    line: {
      at: Number.isFinite(usec) ? new Date(Math.floor(usec / 1000)).toISOString() : null,
      text: text.trimEnd(),
    },
    cursor: typeof fields.__CURSOR === 'string' ? fields.__CURSOR : undefined,
  };
}

export interface ServiceLogsOptions {
  connections: ConnectionManager;
  deviceId: string;
  profile: ServiceProfile;
  deviceName: () => string;
  onLines: (lines: ServiceLogLine[]) => void;
  batchMs?: number;
  capacity?: number;
  backlog?: number;
  retryMs?: number;
}

export class ServiceLogs {
  private kept: ServiceLogLine[] = [];
  private pending: ServiceLogLine[] = [];
  private cursor: string | undefined;
  private lastAt: string | undefined;
  private abort: AbortController | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private wanted = false;
  lastProblem: string | null = null;

  constructor(private readonly opts: ServiceLogsOptions) {}

  lines(): ServiceLogLine[] {
    return [...this.kept, ...this.pending].slice(-(this.opts.capacity ?? 1000));
  }

  get following(): boolean {
    return this.abort !== undefined;
  }

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
    const p = this.opts.profile;
    const backlog = this.opts.backlog ?? 200;
    if (p.kind === 'transcoder')
      return sh`exec ${logsCommand(p.service.container, this.lastAt ? { since: this.lastAt, follow: true } : { tail: backlog, follow: true })}`;
    const unit = unitName(p.service.unit);
    return this.cursor !== undefined
      ? sh`exec journalctl -u ${unit} -o json -a -f --no-pager --after-cursor=${this.cursor}`
      : sh`exec journalctl -u ${unit} -o json -a -f --no-pager -n ${backlog}`;
  }

  /** `after`: the time this stream resumed from; docker repeats the lines at that time, which were shown already. */
  private take(part: string, after: string | undefined): void {
    if (this.opts.profile.kind === 'transcoder') {
      const line = parseLogLine(part);
      if (line.text === '' && line.at === null) return;
      if (line.at !== null && after !== undefined && line.at <= after) return;
      if (line.at !== null) this.lastAt = line.at;
      this.add(line);
      return;
    }
    const parsed = parseJournalJson(part);
    if (!parsed) return;
    if (parsed.cursor !== undefined) this.cursor = parsed.cursor;
    this.add(parsed.line);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const after = this.lastAt;
    const splitter = new LineSplitter((parts) => parts.forEach((part) => this.take(part, after)));
    let retry = true;
    try {
      // docker's own -t lines go to stdout; the merged stderr arrives there too (`2>&1`).
      const result = await this.opts.connections.exec(this.opts.deviceId, this.command(), {
        signal,
        maxBufferBytes: 16 * 1024,
        onStdout: (chunk) => splitter.push(chunk),
      });
      splitter.end();
      if (signal.aborted) return;
      const why = (result.stderr.trim() || result.stdout.trim()).split('\n').at(-1);
      this.lastProblem = `The log of ${this.opts.profile.kind === 'transcoder' ? this.opts.profile.service.container : this.opts.profile.service.unit} on ${this.opts.deviceName()} stopped: ${why || `exit ${result.code ?? result.signal ?? 'unknown'}`}.`;
    } catch (err) {
      if (signal.aborted) return;
      this.lastProblem = (err as Error).message;
      if (err instanceof ContractError && err.code === 'unavailable') retry = false;
    }
    this.flush();
    if (retry && this.wanted) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.wanted && !this.abort) this.start();
      }, this.opts.retryMs ?? 3000);
    }
  }

  private add(line: ServiceLogLine): void {
    this.pending.push(line);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.opts.batchMs ?? 250);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const capacity = this.opts.capacity ?? 1000;
    this.kept = this.kept.concat(batch);
    if (this.kept.length > capacity) this.kept = this.kept.slice(this.kept.length - capacity);
    this.opts.onLines(batch);
  }
}

/**
 * Follows a service's log over the device's SSH connection (`docker logs -t -f` / `journalctl -f -u`), keeps the
 * last lines and hands new ones out in batches. After a pause it resumes where it was: docker from the last line's
 * time (lines at or before it are dropped), journalctl from its cursor.
 */
import type { ServiceLogLine } from '../../contract/index.js';
import { logsCommand, parseLogLine } from '../device/docker.js';
import {
  FollowedStream,
  journalFollowCommand,
  parseJournalJson as journalJson,
} from '../device/followed-stream.js';
import { sh, type ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { ServiceProfile } from './service-read.js';

/** One `journalctl -o json` line as a log line and its cursor; undefined for anything else. */
export function parseJournalJson(
  line: string,
): { line: ServiceLogLine; cursor: string | undefined } | undefined {
  const j = journalJson(line);
  if (!j) return undefined;
  return {
    line: { at: j.usec !== null ? new Date(Math.floor(j.usec / 1000)).toISOString() : null, text: j.message },
    cursor: j.cursor,
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
  private cursor: string | undefined;
  private lastAt: string | undefined;
  private readonly stream: FollowedStream<ServiceLogLine>;

  constructor(private readonly opts: ServiceLogsOptions) {
    const p = opts.profile;
    const name = p.kind === 'transcoder' ? p.service.container : p.service.unit;
    this.stream = new FollowedStream<ServiceLogLine>({
      connections: opts.connections,
      deviceId: opts.deviceId,
      command: () => this.command(),
      reader: (add) => {
        // docker repeats the lines at the time a stream resumes from, which were shown already.
        const after = this.lastAt;
        return (part) => this.take(part, after, add);
      },
      stopped: (why, exit) => `The log of ${name} on ${opts.deviceName()} stopped: ${why || `exit ${exit}`}.`,
      onItems: opts.onLines,
      batchMs: opts.batchMs ?? 250,
      capacity: opts.capacity ?? 1000,
      retryMs: opts.retryMs ?? 3000,
      // docker's own -t lines go to stdout; the merged stderr arrives there too (`2>&1`).
      whyFromStdout: true,
      maxBufferBytes: 16 * 1024,
    });
  }

  get lastProblem(): string | null {
    return this.stream.lastProblem;
  }

  lines(): ServiceLogLine[] {
    return this.stream.items();
  }

  get following(): boolean {
    return this.stream.following;
  }

  start(): void {
    this.stream.start();
  }

  pause(): void {
    this.stream.pause();
  }

  close(): void {
    this.stream.close();
  }

  private command(): ShellCommand {
    const p = this.opts.profile;
    const backlog = this.opts.backlog ?? 200;
    if (p.kind === 'transcoder')
      return sh`exec ${logsCommand(p.service.container, this.lastAt ? { since: this.lastAt, follow: true } : { tail: backlog, follow: true })}`;
    return journalFollowCommand(p.service.unit, this.cursor, backlog);
  }

  private take(part: string, after: string | undefined, add: (line: ServiceLogLine) => void): void {
    if (this.opts.profile.kind === 'transcoder') {
      const line = parseLogLine(part);
      if (line.text === '' && line.at === null) return;
      if (line.at !== null && after !== undefined && line.at <= after) return;
      if (line.at !== null) this.lastAt = line.at;
      add(line);
      return;
    }
    const parsed = parseJournalJson(part);
    if (!parsed) return;
    if (parsed.cursor !== undefined) this.cursor = parsed.cursor;
    add(parsed.line);
  }
}

/**
 * Detached device jobs that end in a report (a rollback, later the VPU reset and qualification): follow one live,
 * rebuild its report from the job's whole output on every chunk (so a reattach gives the same report), keep the
 * reports in the data directory, and on every (re)connect find the device's jobs of this kind that this console is
 * not following yet (another console started them, or this one restarted) and follow them too.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ContractError, isLive, type DeviceStatus } from '../../contract/index.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import type { RemoteJobs } from './remote-jobs.js';

/** How long a start waits for its job to hold the device's lease before it answers anyway. */
export const LEASE_WAIT_MS = 15_000;

/** What every report of such a job has. */
export interface JobReport {
  id: string;
  deviceId: string;
  startedAt: string;
  outcome: string;
  following: boolean;
}

export interface JobMeta {
  id: string;
  deviceId: string;
}

export interface FollowedJobsOptions<R extends JobReport, M extends JobMeta> {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  /** Where the reports are kept (one `<id>.json` each). */
  dir: string;
  /** Job ids of this kind: `<prefix>…`, matching `idPattern`. */
  prefix: string;
  idPattern: RegExp;
  /** What a stored report must be (one that is not is ignored). */
  schema: z.ZodType<R>;
  parse(output: string, meta: M, exit: number | null): R;
  /** The meta of a job found on the device: from its stored report when there is one. */
  metaFor(deviceId: string, id: string, stored: R | null): M;
  onChange(report: R): void;
  /**
   * Once, when a job this console started ended and its report is saved (audit it). Jobs other consoles started
   * are followed and kept too, but their ends belong in those consoles' audit logs. It may add to the meta (the
   * reset records what it started again after it, calling `refresh` as that goes): the report is rebuilt from it
   * before anyone hears of the end.
   */
  onEnd(report: R, meta: M): Promise<void>;
  /** Told when a job ended, so whoever shows the device's lease sees at once that the job let go of it. */
  leases?: { refresh(deviceId: string): Promise<void> };
  /** Save a running job's report as well when this says so (e.g. a step moved), so a restart shows its progress. */
  saveWhileRunning?(before: R, now: R): boolean;
  /** The report of a job whose files the device no longer has; by default the last one, failed. */
  gone?(report: R): R;
  /** Whether a device can have jobs of this kind at all; others are not asked at connect (default: all can). */
  applies?(deviceId: string): boolean;
}

interface Followed<R, M> {
  meta: M;
  output: string;
  exit: number | null;
  report: R;
  abort: AbortController;
  done?: Promise<R>;
  /** Told of every new report. */
  watchers: Set<(report: R) => void>;
}

export class FollowedJobs<R extends JobReport, M extends JobMeta> {
  private readonly followed = new Map<string, Followed<R, M>>();
  private readonly checking = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly opts: FollowedJobsOptions<R, M>) {
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  /** The job of this kind running on the device now, as far as this console follows it. */
  running(deviceId: string): R | undefined {
    for (const f of this.followed.values())
      if (f.meta.deviceId === deviceId && f.report.outcome === 'running') return f.report;
    return undefined;
  }

  /** Look on the device for jobs of this kind (callers arriving during a look wait for it). */
  checkDevice(deviceId: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const running = this.checking.get(deviceId);
    if (running) return running;
    const check = this.findOnDevice(deviceId).finally(() => this.checking.delete(deviceId));
    this.checking.set(deviceId, check);
    return check;
  }

  /** Start following a job this console just started. */
  async started(meta: M): Promise<R> {
    // Marked as this console's before anything can end it, so a restart still knows whose it is.
    await fs.mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    await fs.writeFile(this.ownMarker(meta.id), '');
    const f = this.follow(meta, true);
    await this.save(f.report);
    return f.report;
  }

  private ownMarker(id: string): string {
    return path.join(this.opts.dir, `${id}.own`);
  }

  /**
   * The report once `until` holds for it (or the job ended, or `timeoutMs` passed: then the latest report). A start
   * waits for the job to hold the device's lease this way, so nothing else can start in between.
   */
  waitFor(id: string, until: (report: R) => boolean, timeoutMs: number): Promise<R> {
    const f = this.followed.get(id);
    if (!f) return Promise.reject(new ContractError('not_found', `No job ${id} is being followed.`));
    return new Promise<R>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        f.watchers.delete(check);
        resolve(f.report);
      };
      const check = (report: R): void => {
        if (until(report) || report.outcome !== 'running' || !report.following) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      f.watchers.add(check);
      check(f.report);
    });
  }

  /** Rebuild a followed job's report now (its meta changed) and tell `onChange`; the report, or undefined. */
  refresh(id: string): R | undefined {
    const f = this.followed.get(id);
    if (!f) return undefined;
    f.report = {
      ...this.opts.parse(f.output, f.meta, f.exit),
      following: f.exit !== null || isLive(this.opts.connections.status(f.meta.deviceId).state),
    };
    this.opts.onChange(f.report);
    return f.report;
  }

  waitForEnd(id: string): Promise<R> {
    const f = this.followed.get(id);
    if (!f?.done) return Promise.reject(new ContractError('not_found', `No job ${id} is being followed.`));
    return f.done;
  }

  async get(deviceId: string, id?: string): Promise<R | null> {
    if (id) {
      const live = this.followed.get(id);
      if (live && live.meta.deviceId === deviceId) return live.report;
      const stored = await this.load(id);
      return stored && stored.deviceId === deviceId ? stored : null;
    }
    return (await this.list(deviceId))[0] ?? null;
  }

  async list(deviceId: string): Promise<R[]> {
    const byId = new Map<string, R>();
    let names: string[] = [];
    try {
      names = await fs.readdir(this.opts.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const report = await this.load(name.slice(0, -'.json'.length));
      if (report?.deviceId === deviceId) byId.set(report.id, report);
    }
    for (const f of this.followed.values()) if (f.meta.deviceId === deviceId) byId.set(f.meta.id, f.report);
    return [...byId.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const f of this.followed.values()) f.abort.abort();
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    const live = isLive(status.state);
    for (const f of this.followed.values()) {
      if (f.meta.deviceId !== deviceId || f.report.outcome !== 'running' || f.report.following === live)
        continue;
      f.report = { ...f.report, following: live };
      this.opts.onChange(f.report);
    }
    if (live && (this.opts.applies?.(deviceId) ?? true))
      void this.checkDevice(deviceId).catch(() => undefined);
  }

  private async findOnDevice(deviceId: string): Promise<void> {
    for (const { jobId: id, state } of await this.opts.jobs.list(deviceId, this.opts.prefix, 3)) {
      if (!this.opts.idPattern.test(id) || this.followed.has(id)) continue;
      const stored = await this.load(id);
      if (state === 'done' && stored && stored.outcome !== 'running') continue;
      if (stored && stored.deviceId !== deviceId) continue;
      this.follow(this.opts.metaFor(deviceId, id, stored), false);
    }
  }

  private follow(meta: M, fresh: boolean): Followed<R, M> {
    const abort = new AbortController();
    const f: Followed<R, M> = {
      meta,
      output: '',
      exit: null,
      report: { ...this.opts.parse('', meta, null), following: true },
      abort,
      watchers: new Set(),
    };
    const tell = (): void => {
      for (const w of [...f.watchers]) w(f.report);
    };
    this.followed.set(meta.id, f);
    const reparse = (): R => ({
      ...this.opts.parse(f.output, f.meta, f.exit),
      following: isLive(this.opts.connections.status(meta.deviceId).state),
    });
    const update = (): void => {
      const next = reparse();
      if (JSON.stringify(next) === JSON.stringify(f.report)) return;
      const save = next.outcome === 'running' && this.opts.saveWhileRunning?.(f.report, next) === true;
      f.report = next;
      this.opts.onChange(next);
      tell();
      if (save) void this.save(next).catch(() => undefined);
    };
    f.done = this.opts.jobs
      .attach(
        meta.deviceId,
        meta.id,
        (chunk) => {
          f.output += chunk;
          update();
        },
        { signal: abort.signal },
      )
      .then(async ({ exitCode }) => {
        // The end is saved and audited before anyone hears of it (the CLI exits on it).
        f.exit = exitCode;
        f.report = { ...reparse(), following: true };
        await this.save(f.report).catch(() => undefined);
        const own = await fs.access(this.ownMarker(meta.id)).then(
          () => true,
          () => false,
        );
        if (own) {
          await this.opts.onEnd(f.report, meta).catch(() => undefined);
          const after = { ...reparse(), following: true };
          if (JSON.stringify(after) !== JSON.stringify(f.report)) {
            f.report = after;
            await this.save(f.report).catch(() => undefined);
          }
        }
        void this.opts.leases?.refresh(meta.deviceId).catch(() => undefined);
        this.opts.onChange(f.report);
        tell();
        return f.report;
      })
      .catch(async (err: unknown) => {
        // The device stayed away, or the console is closing: the job carries on there; the next connect reattaches.
        this.followed.delete(meta.id);
        f.report = { ...f.report, following: false };
        if (!this.closed) {
          await this.save(f.report).catch(() => undefined);
          this.opts.onChange(f.report);
        }
        tell();
        if (err instanceof ContractError && err.code === 'not_found') {
          const gone: R = this.opts.gone ? this.opts.gone(f.report) : { ...f.report, outcome: 'failed' };
          await this.save(gone).catch(() => undefined);
          return gone;
        }
        return f.report;
      });
    if (!fresh) this.opts.onChange(f.report);
    return f;
  }

  private async save(report: R): Promise<void> {
    await fs.mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(
      path.join(this.opts.dir, `${report.id}.json`),
      `${JSON.stringify(report, null, 2)}\n`,
    );
  }

  private async load(id: string): Promise<R | null> {
    if (!this.opts.idPattern.test(id)) return null;
    try {
      const parsed = this.opts.schema.safeParse(
        JSON.parse(await fs.readFile(path.join(this.opts.dir, `${id}.json`), 'utf8')),
      );
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}

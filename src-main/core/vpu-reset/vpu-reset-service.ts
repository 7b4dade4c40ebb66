/**
 * The emergency VPU reset (issue 7): shows what it will stop, starts reset-script.ts as a detached job on the
 * device, follows it live (riding out dropped links), rebuilds the report from the job's output, keeps the
 * reports in the data directory, and reattaches to a reset it finds running when a device (re)connects.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  ContractError,
  isLive,
  VpuReset,
  leaseSentence,
  type ActiveRecording,
  type DeviceLease,
  type DeviceProbe,
  type DeviceStatus,
  type PipelineJob,
  type ResetPlan,
} from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DeviceLeases, LeaseRequest } from '../device/lease.js';
import type { DeviceProfile } from '../device/profile.js';
import { argv, sudo } from '../device/quote.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { parseResetOutput, type ResetMeta } from './reset-report.js';
import { resetScript, type ResetTimeouts } from './reset-script.js';

export interface VpuResetServiceOptions {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  audit: AuditLog;
  /** The reset takes the device's lease on the device itself, interrupting its holder when the producer says so. */
  leases: DeviceLeases;
  dataDir: string;
  deviceName(deviceId: string): string;
  profileOf(deviceId: string): DeviceProfile;
  probe(deviceId: string): Promise<DeviceProbe>;
  /** The monitor's latest VPU session count, null when unknown. */
  sessions(deviceId: string): number | null;
  /** Recordings running now (the recorder API); throws when it does not answer. */
  activeRecordings(deviceId: string): Promise<ActiveRecording[]>;
  /** Pipelines this console started on the device. */
  pipelines(deviceId: string): PipelineJob[];
  onChange(reset: VpuReset): void;
  timeouts?: Partial<ResetTimeouts>;
}

interface Followed {
  meta: ResetMeta;
  output: string;
  exit: number | null;
  report: VpuReset;
  abort: AbortController;
  /** Set right after the job is attached. */
  done?: Promise<VpuReset>;
}

const RESET_ID = /^vpu-reset-[a-z0-9-]{6,48}$/;
const FOLLOW =
  "Open the device's Emergency VPU reset: it follows the running reset to its report, on any console.";

export class VpuResetService {
  private readonly followed = new Map<string, Followed>();
  private readonly checking = new Map<string, Promise<void>>();
  private readonly dir: string;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly opts: VpuResetServiceOptions) {
    this.dir = path.join(opts.dataDir, 'vpu-resets');
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  private running(deviceId: string): Followed | undefined {
    for (const f of this.followed.values())
      if (f.meta.deviceId === deviceId && f.report.outcome === 'running') return f;
    return undefined;
  }

  async plan(deviceId: string): Promise<ResetPlan> {
    const profile = this.opts.profileOf(deviceId);
    const device = this.opts.deviceName(deviceId);
    const base = {
      deviceId,
      device,
      sessions: this.opts.sessions(deviceId),
      recordings: [] as ActiveRecording[],
      pipelines: this.opts
        .pipelines(deviceId)
        .filter((j) => j.state === 'running')
        .map((j) => ({
          jobId: j.id,
          label: j.command.length > 80 ? `${j.command.slice(0, 77)}…` : j.command,
        })),
      units: [profile.units.recorder, profile.units.mediaServer],
      cameras: [...profile.cameras],
    };
    if (!isLive(this.opts.connections.status(deviceId).state))
      return {
        ...base,
        running: this.running(deviceId)?.report ?? null,
        lease: this.opts.leases.current(deviceId),
        blocked: `${device} is not connected. Connect first; a reset that is already running on it carries on by itself.`,
      };
    await this.checkDevice(deviceId);
    const running = this.running(deviceId)?.report ?? null;
    let recordings: ActiveRecording[] = [];
    let blocked: string | null = null;
    try {
      recordings = await this.opts.activeRecordings(deviceId);
    } catch {
      // The recorder API not answering is one of the troubles a reset is for: nothing to name then.
    }
    const probe = await this.opts.probe(deviceId).catch(() => null);
    if (probe && !probe.vpu.readable)
      blocked = `The VPU sessions cannot be read on ${device} (${probe.vpu.problem ?? 'no session file'}), so a reset could not tell when they are gone.`;
    const [canSudo, held] = await Promise.all([
      // The very call the reset job makes first (`sudo -n true`), so a rule for some commands only counts as it will.
      this.opts.connections.exec(deviceId, sudo(argv('true')), { timeoutMs: 10_000 }).catch(() => null),
      this.opts.leases.read(deviceId).catch(() => this.opts.leases.current(deviceId)),
    ]);
    // A running reset is shown as `running`, not as something to interrupt.
    const lease: DeviceLease | null = held && held.kind !== 'vpu.reset' ? held : null;
    if (canSudo && canSudo.code !== 0)
      blocked =
        `The login on ${device} cannot use sudo without a password, and the reset needs it to stop services, ` +
        `read the VPU sessions and signal the processes that hold them. Allow it in /etc/sudoers ` +
        `(e.g. "${profile.login.user} ALL=(ALL) NOPASSWD: ALL"), or follow seed 002's procedure by hand in the Terminal.`;
    return { ...base, recordings, running, lease, blocked };
  }

  async start(deviceId: string, who: string, interrupt = false): Promise<VpuReset> {
    const device = this.opts.deviceName(deviceId);
    if (!isLive(this.opts.connections.status(deviceId).state))
      throw new ContractError('unavailable', `${device} is not connected; connect first.`);
    // The plan looks on the device for a reset already running there (and follows it) before anything else.
    const plan = await this.plan(deviceId);
    const already = this.running(deviceId);
    if (already)
      throw new ContractError(
        'conflict',
        `A VPU reset is already running on ${device} (started ${already.report.startedAt} by ${already.report.who}); ` +
          'its progress is shown. Wait for its report before starting another.',
      );
    if (plan.blocked) throw new ContractError('refused', plan.blocked);
    if (plan.lease && !interrupt)
      throw new ContractError(
        'busy',
        `${device} is busy: ${leaseSentence(plan.lease)} The reset can interrupt it (it stops at a safe point and ` +
          'reverts nothing over the reset): confirm the interruption in the reset dialog, or pass --interrupt.',
      );
    const probe = await this.opts.probe(deviceId).catch(() => null);
    const jobId = `vpu-reset-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const cmd = resetScript({
      jobId,
      profile: this.opts.profileOf(deviceId),
      sessionFile: probe?.vpu.file ?? null,
      recordings: plan.recordings.map((r) => r.file),
      pipelineJobs: plan.pipelines.map((p) => p.jobId),
      lease: {
        info: this.opts.leases.describe(jobId, this.leaseRequest(device), new Date().toISOString(), jobId),
        interrupt: interrupt && plan.lease ? `the emergency VPU reset started by ${who}` : null,
      },
      ...(this.opts.timeouts ? { timeouts: this.opts.timeouts } : {}),
    });
    const meta: ResetMeta = { id: jobId, deviceId, device, who, startedAt: new Date().toISOString() };
    try {
      await this.opts.jobs.start(deviceId, cmd, { jobId });
    } catch (err) {
      await this.audit(meta, 'error', `could not start: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    await this.audit(
      meta,
      'started',
      `sessions ${plan.sessions ?? '?'}; stopping ${plan.recordings.length} recording(s), ${plan.pipelines.length} pipeline(s)` +
        (interrupt && plan.lease ? `; interrupting "${plan.lease.what}" (${plan.lease.who})` : ''),
    );
    const followed = this.follow(meta, true);
    await this.save(followed.report);
    return followed.report;
  }

  /** Resolves with the final report (for the CLI). */
  async waitForEnd(resetId: string): Promise<VpuReset> {
    const f = this.followed.get(resetId);
    if (!f?.done) throw new ContractError('not_found', `No reset ${resetId} is being followed.`);
    return f.done;
  }

  async get(deviceId: string, id?: string): Promise<VpuReset | null> {
    if (id) {
      const live = this.followed.get(id);
      if (live && live.meta.deviceId === deviceId) return live.report;
      const stored = await this.load(id);
      return stored && stored.deviceId === deviceId ? stored : null;
    }
    return (await this.list(deviceId))[0] ?? null;
  }

  async list(deviceId: string): Promise<VpuReset[]> {
    const byId = new Map<string, VpuReset>();
    let names: string[] = [];
    try {
      names = await fs.readdir(this.dir);
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

  async reboot(deviceId: string, confirmName: string): Promise<void> {
    const device = this.opts.deviceName(deviceId);
    if (confirmName.trim() !== device)
      throw new ContractError(
        'invalid_input',
        `Type the device's name, ${JSON.stringify(device)}, to confirm the reboot. Nothing was done.`,
      );
    const running = this.running(deviceId);
    if (running)
      throw new ContractError(
        'conflict',
        `A VPU reset is running on ${device}; wait for its report before rebooting.`,
      );
    const r = await this.opts.leases.run(
      deviceId,
      {
        kind: 'device.reboot',
        what: `Reboot ${device}`,
        follow: 'The device comes back by itself; Tally reconnects.',
      },
      () =>
        this.opts.connections
          .exec(deviceId, sudo(argv('systemctl', 'reboot')), { timeoutMs: 15_000 })
          .catch((err: unknown) => {
            // The link going down under the command is what a reboot does.
            if (err instanceof ContractError && err.code === 'unavailable') return { code: 0, stderr: '' };
            throw err;
          }),
    );
    await this.opts.audit.record({
      deviceId,
      device,
      action: 'device.reboot',
      result: r.code === 0 ? 'ok' : 'error',
      ...(r.code === 0 ? {} : { message: r.stderr.trim().slice(0, 300) }),
    });
    if (r.code !== 0)
      throw new ContractError(
        'device_error',
        `${device} did not reboot: ${r.stderr.trim() || `exit ${r.code}`}. Passwordless sudo is needed for systemctl reboot.`,
      );
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
    if (live) void this.checkDevice(deviceId).catch(() => undefined);
  }

  /**
   * Find the device's newest reset job and follow it if this console is not already: after a console restart,
   * or when a reset was started by another console. One command, cheap enough for every connect.
   */
  private checkDevice(deviceId: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    // Callers that arrive while a check runs wait for it, so they see what it found.
    const running = this.checking.get(deviceId);
    if (running) return running;
    const check = this.findOnDevice(deviceId).finally(() => this.checking.delete(deviceId));
    this.checking.set(deviceId, check);
    return check;
  }

  private async findOnDevice(deviceId: string): Promise<void> {
    for (const { jobId: id, state } of await this.opts.jobs.list(deviceId, 'vpu-reset-', 3)) {
      if (!RESET_ID.test(id) || this.followed.has(id)) continue;
      const stored = await this.load(id);
      if (state === 'done' && stored && stored.outcome !== 'running') continue;
      if (stored && stored.deviceId !== deviceId) continue;
      this.follow(
        stored
          ? { id, deviceId, device: stored.device, who: stored.who, startedAt: stored.startedAt }
          : {
              id,
              deviceId,
              device: this.opts.deviceName(deviceId),
              who: 'another console',
              startedAt: new Date().toISOString(),
            },
        false,
      );
    }
  }

  private follow(meta: ResetMeta, fresh: boolean): Followed {
    const abort = new AbortController();
    const followed: Followed = {
      meta,
      output: '',
      exit: null,
      report: { ...parseResetOutput('', meta), following: true },
      abort,
    };
    this.followed.set(meta.id, followed);
    const update = (): void => {
      const next = {
        ...parseResetOutput(followed.output, followed.meta, followed.exit),
        following: isLive(this.opts.connections.status(meta.deviceId).state),
      };
      if (JSON.stringify(next) === JSON.stringify(followed.report)) return;
      const stepMoved = next.steps.some((s, i) => s.state !== followed.report.steps[i]?.state);
      followed.report = next;
      this.opts.onChange(next);
      if (stepMoved && next.outcome === 'running') void this.save(next).catch(() => undefined);
    };
    const done = this.opts.jobs
      .attach(
        meta.deviceId,
        meta.id,
        (chunk) => {
          followed.output += chunk;
          update();
        },
        { signal: abort.signal },
      )
      .then(async ({ exitCode }) => {
        followed.exit = exitCode;
        update();
        followed.report = { ...followed.report, following: true };
        await this.save(followed.report);
        await this.audit(
          meta,
          followed.report.outcome === 'healthy' ? 'ok' : 'error',
          followed.report.summary,
        );
        this.opts.onChange(followed.report);
        return followed.report;
      })
      .catch(async (err: unknown) => {
        // The device stayed away (or the console is closing): the job carries on there; the next connect reattaches.
        this.followed.delete(meta.id);
        followed.report = { ...followed.report, following: false };
        if (!this.closed) {
          await this.save(followed.report).catch(() => undefined);
          this.opts.onChange(followed.report);
        }
        if (err instanceof ContractError && err.code === 'not_found') {
          const gone = {
            ...followed.report,
            outcome: 'failed' as const,
            summary:
              'The device no longer has this reset job (its files were removed, or the device was reinstalled).',
          };
          await this.save(gone).catch(() => undefined);
          return gone;
        }
        return followed.report;
      });
    followed.done = done;
    if (!fresh) this.opts.onChange(followed.report);
    return followed;
  }

  private leaseRequest(device: string): LeaseRequest {
    return { kind: 'vpu.reset', what: `Emergency VPU reset of ${device}`, follow: FOLLOW };
  }

  private async audit(meta: ResetMeta, result: 'ok' | 'error' | 'started', message: string): Promise<void> {
    await this.opts.audit
      .record({
        deviceId: meta.deviceId,
        device: meta.device,
        action: 'vpu.reset',
        detail: meta.id,
        result,
        message,
      })
      .catch(() => undefined);
  }

  private async save(report: VpuReset): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path.join(this.dir, `${report.id}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }

  private async load(id: string): Promise<VpuReset | null> {
    if (!RESET_ID.test(id)) return null;
    try {
      const parsed = VpuReset.safeParse(
        JSON.parse(await fs.readFile(path.join(this.dir, `${id}.json`), 'utf8')),
      );
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}

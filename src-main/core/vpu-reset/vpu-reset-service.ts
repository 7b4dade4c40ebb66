/**
 * The emergency VPU reset (issue 7): shows what it will stop, starts reset-script.ts as a detached job on the
 * device, follows it live (riding out dropped links), rebuilds the report from the job's output, keeps the
 * reports in the data directory, and reattaches to a reset it finds running when a device (re)connects.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ContractError,
  isLive,
  VpuReset,
  leaseSentence,
  type ActiveRecording,
  type DeviceLease,
  type DeviceProbe,
  type ResetPlan,
  type ResetRestart,
} from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { FollowedJobs } from '../device/followed-jobs.js';
import type { DeviceLeases, LeaseRequest } from '../device/lease.js';
import type { R58Profile } from '../device/profile.js';
import { argv, sudo } from '../device/quote.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import { notConnectedText, type ConnectionManager } from '../ssh/connection-manager.js';
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
  profileOf(deviceId: string): R58Profile;
  probe(deviceId: string): Promise<DeviceProbe>;
  /** The monitor's latest VPU session count, null when unknown. */
  sessions(deviceId: string): number | null;
  /** Recordings running now (the recorder API); throws when it does not answer. */
  activeRecordings(deviceId: string): Promise<ActiveRecording[]>;
  /** This console's detached jobs that hold VPU sessions and stop on SIGINT (EOS): ad-hoc pipelines, the mixer. */
  consoleJobs(deviceId: string): ConsoleJob[];
  onChange(reset: VpuReset): void;
  timeouts?: Partial<ResetTimeouts>;
}

/** A detached job of this console that the reset stops with EOS (SIGINT). */
export interface ConsoleJob {
  jobId: string;
  label: string;
  /** Its owner's part in a reset that stops it (the scene mixer); none for an ad-hoc pipeline. */
  owner?: ConsoleJobOwner;
}

/** How a job's owner takes part in a reset that stops it: told before, and after it ended. */
export interface ConsoleJobOwner {
  /**
   * What this console does with the job after a healthy reset, in words ("starts again with scene “2×2”"); null
   * when it does not start it again.
   */
  restartPlan: string | null;
  /** The reset is about to start on the device and stop the job; `by` names it in words, `resetId` is its job. */
  stopping(by: string, resetId: string): void;
  /**
   * The reset ended healthy and has let go of the device's lease: start the job again (taking the lease and
   * checking the budget as any start does). Resolves with what happened in words; throws saying why it is not
   * running again and what to do. Asked only when there is a `restartPlan`.
   */
  restart(): Promise<string>;
  /**
   * The job is not started again (`why`: the reset did not end healthy, or did not start; null: it ended healthy,
   * and there is no `restartPlan`). What to say about it, in words.
   */
  leave(why: string | null): string;
}

const RESET_ID = /^vpu-reset-[a-z0-9-]{6,48}$/;
const FOLLOW =
  "Open the device's Emergency VPU reset: it follows the running reset to its report, on any console.";

export class VpuResetService {
  private readonly resets: FollowedJobs<VpuReset, ResetMeta>;
  /** The owners of the console's jobs each reset started here stops, by reset and job. */
  private readonly owners = new Map<string, Map<string, ConsoleJobOwner>>();

  constructor(private readonly opts: VpuResetServiceOptions) {
    this.resets = new FollowedJobs<VpuReset, ResetMeta>({
      connections: opts.connections,
      jobs: opts.jobs,
      dir: path.join(opts.dataDir, 'vpu-resets'),
      prefix: 'vpu-reset-',
      idPattern: RESET_ID,
      schema: VpuReset,
      parse: parseResetOutput,
      metaFor: (deviceId, id, stored) =>
        stored
          ? {
              id,
              deviceId,
              device: stored.device,
              who: stored.who,
              startedAt: stored.startedAt,
              restarts: structuredClone(stored.restarts),
            }
          : {
              id,
              deviceId,
              device: opts.deviceName(deviceId),
              who: 'another console',
              startedAt: new Date().toISOString(),
            },
      onChange: opts.onChange,
      onEnd: async (report, meta) => {
        await this.audit(meta, report.outcome === 'healthy' ? 'ok' : 'error', report.summary);
        // The job has ended, so its lease is let go: what it stopped can take the lease to start again.
        await this.startAgain(report, meta);
      },
      // A console that restarts mid-reset shows how far it got.
      saveWhileRunning: (before, now) => now.steps.some((st, i) => st.state !== before.steps[i]?.state),
      gone: (report) => ({
        ...report,
        outcome: 'failed',
        summary:
          'The device no longer has this reset job (its files were removed, or the device was reinstalled).',
      }),
    });
  }

  async plan(deviceId: string): Promise<ResetPlan> {
    return (await this.planned(deviceId)).plan;
  }

  /** The plan, and the console's jobs it names with their owners' hooks. */
  private async planned(deviceId: string): Promise<{ plan: ResetPlan; jobs: ConsoleJob[] }> {
    const jobs = this.opts.consoleJobs(deviceId);
    return { plan: await this.planOf(deviceId, jobs), jobs };
  }

  private async planOf(deviceId: string, jobs: ConsoleJob[]): Promise<ResetPlan> {
    const profile = this.opts.profileOf(deviceId);
    const device = this.opts.deviceName(deviceId);
    const base = {
      deviceId,
      device,
      sessions: this.opts.sessions(deviceId),
      recordings: [] as ActiveRecording[],
      pipelines: jobs.map((j) => ({
        jobId: j.jobId,
        label: j.label,
        restart: j.owner?.restartPlan ? `${j.owner.restartPlan} once the reset has ended healthy` : null,
      })),
      units: [profile.units.recorder, profile.units.mediaServer],
      cameras: [...profile.cameras],
    };
    if (!isLive(this.opts.connections.status(deviceId).state))
      return {
        ...base,
        running: this.resets.running(deviceId) ?? null,
        lease: this.opts.leases.current(deviceId),
        blocked: `${notConnectedText(device, this.opts.connections.status(deviceId))} A reset that is already running on it carries on by itself.`,
      };
    await this.resets.checkDevice(deviceId);
    const running = this.resets.running(deviceId) ?? null;
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
      throw new ContractError(
        'unavailable',
        notConnectedText(device, this.opts.connections.status(deviceId)),
      );
    // The plan looks on the device for a reset already running there (and follows it) before anything else.
    const { plan, jobs } = await this.planned(deviceId);
    const already = this.resets.running(deviceId);
    if (already)
      throw new ContractError(
        'conflict',
        `A VPU reset is already running on ${device} (started ${already.startedAt} by ${already.who}); ` +
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
    const owned = jobs.flatMap((j) => (j.owner ? [{ ...j, owner: j.owner }] : []));
    const again = owned.flatMap((j) =>
      j.owner.restartPlan !== null ? [{ ...j, restartPlan: j.owner.restartPlan }] : [],
    );
    const meta: ResetMeta = {
      id: jobId,
      deviceId,
      device,
      who,
      startedAt: new Date().toISOString(),
      restarts: again.map((j): ResetRestart => ({
        jobId: j.jobId,
        label: j.label,
        plan: j.restartPlan,
        state: 'pending',
        detail: `This console ${j.restartPlan.replace(/^starts\b/, 'starts it')} once the reset has ended healthy.`,
      })),
    };
    // Told before the job can stop them, so whoever shows them can say why they stopped.
    const by = `the emergency VPU reset started by ${who}`;
    for (const j of owned) j.owner.stopping(by, jobId);
    this.owners.set(jobId, new Map(owned.map((j) => [j.jobId, j.owner])));
    try {
      await this.opts.jobs.start(deviceId, cmd, { jobId });
    } catch (err) {
      const why = `the reset could not start: ${err instanceof Error ? err.message : String(err)}`;
      this.owners.delete(jobId);
      for (const j of owned) j.owner.leave(why);
      await this.audit(meta, 'error', `could not start: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    await this.audit(
      meta,
      'started',
      `sessions ${plan.sessions ?? '?'}; stopping ${plan.recordings.length} recording(s), ${plan.pipelines.length} pipeline(s)` +
        (again.length ? `; then ${again.map((j) => `${j.label} ${j.restartPlan}`).join('; ')}` : '') +
        (interrupt && plan.lease ? `; interrupting "${plan.lease.what}" (${plan.lease.who})` : ''),
    );
    return this.resets.started(meta);
  }

  /** Resolves with the final report (for the CLI). */
  waitForEnd(resetId: string): Promise<VpuReset> {
    return this.resets.waitForEnd(resetId);
  }

  get(deviceId: string, id?: string): Promise<VpuReset | null> {
    return this.resets.get(deviceId, id);
  }

  list(deviceId: string): Promise<VpuReset[]> {
    return this.resets.list(deviceId);
  }

  async reboot(deviceId: string, confirmName: string): Promise<void> {
    const device = this.opts.deviceName(deviceId);
    if (confirmName.trim() !== device)
      throw new ContractError(
        'invalid_input',
        `Type the device's name, ${JSON.stringify(device)}, to confirm the reboot. Nothing was done.`,
      );
    if (this.resets.running(deviceId))
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
    this.resets.close();
    this.owners.clear();
  }

  /**
   * Once a reset this console started has ended (and its job let go of the lease): start again what it stopped and
   * this console had said it would, when it ended healthy; otherwise leave it stopped. The report says how it went.
   */
  private async startAgain(report: VpuReset, meta: ResetMeta): Promise<void> {
    const owners = this.owners.get(meta.id) ?? new Map<string, ConsoleJobOwner>();
    this.owners.delete(meta.id);
    const why =
      report.outcome === 'healthy'
        ? null
        : report.outcome === 'reboot_needed'
          ? 'the reset ended with the device needing a reboot'
          : `the reset failed (${report.summary.replace(/\.$/, '')})`;
    for (const r of meta.restarts ?? []) {
      if (r.state !== 'pending') continue;
      const owner = owners.get(r.jobId);
      owners.delete(r.jobId);
      if (!owner) {
        r.state = 'skipped';
        r.detail =
          `Not started again: this console was closed while the reset ran, so it no longer could. ` +
          `Start ${r.label} again by hand (it ${r.plan}).`;
      } else if (why !== null) {
        r.state = 'skipped';
        r.detail = owner.leave(why);
      } else {
        r.state = 'running';
        r.detail = `Starting ${r.label} again…`;
        this.resets.refresh(meta.id);
        try {
          r.detail = await owner.restart();
          r.state = 'done';
        } catch (err) {
          r.state = 'failed';
          r.detail = err instanceof Error ? err.message : String(err);
        }
      }
      this.resets.refresh(meta.id);
    }
    // The owners of jobs this console does not start again hear how it ended, too.
    for (const owner of owners.values()) owner.leave(why);
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
}

/**
 * One-click rollback of the recorder checkout (issue 13): the plan a producer confirms (target, diff of config.yml,
 * what restarts, which recordings stop, the target's VPU budget), then rollback-script.ts as a detached job on the
 * device, followed live and reattached after a dropped link or a console restart. The device decides the outcome
 * from its own health; losing the laptop is not a failure.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ContractError,
  isLive,
  leaseSentence,
  Rollback,
  type ActiveRecording,
  type DeviceProbe,
  type RollbackPlan,
} from '../../contract/index.js';
import type { DeviceAudit } from '../audit/audit-log.js';
import { FollowedJobs, LEASE_WAIT_MS } from '../device/followed-jobs.js';
import type { DeviceLeases } from '../device/lease.js';
import type { R58Profile } from '../device/profile.js';
import { commitId } from '../device/quote.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import { DeviceRepo } from '../device/repo.js';
import { dangerOf } from '../media/presets.js';
import {
  configDiff,
  configNeeds as needs,
  parseRecorderConfig,
  planFromConfig,
  type RecorderConfig,
} from '../media/recorder-config.js';
import { checkBudget } from '../media/vpu-budget.js';
import { notConnectedText, type ConnectionManager } from '../ssh/connection-manager.js';
import { checkoutJobScript } from '../device/checkout-job.js';
import { holdsLease, parseCheckoutOutput, type CheckoutMeta } from '../device/checkout-report.js';

export interface RollbackServiceOptions {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  leases: DeviceLeases;
  audit: DeviceAudit;
  dataDir: string;
  /** `user@host (shell)`. */
  who: string;
  deviceName(deviceId: string): string;
  profileOf(deviceId: string): R58Profile;
  probe(deviceId: string): Promise<DeviceProbe>;
  liveSessions(deviceId: string): number | null;
  /** Recordings running now (the recorder API); throws when it does not answer. */
  activeRecordings(deviceId: string): Promise<ActiveRecording[]>;
  onChange(rollback: Rollback): void;
  /** For every camera to stream after a restart, before the probation window starts (default 30 s). */
  camerasMs?: number;
}

const ID = /^rollback-[a-z0-9-]{6,48}$/;
const DEFAULT_PROBATION_S = 60;
const FOLLOW = "Open the device's Recorder tab: the rollback's report follows it on any console.";

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Prepared {
  plan: RollbackPlan;
  head: string;
  target: string;
  targetConfig: RecorderConfig;
  headConfig: RecorderConfig;
}

export class RollbackService {
  private readonly jobsOnDevice: FollowedJobs<Rollback, CheckoutMeta>;
  private readonly repo: DeviceRepo;

  constructor(private readonly opts: RollbackServiceOptions) {
    this.repo = new DeviceRepo(opts.connections, opts.deviceName);
    this.jobsOnDevice = new FollowedJobs<Rollback, CheckoutMeta>({
      connections: opts.connections,
      jobs: opts.jobs,
      leases: opts.leases,
      dir: path.join(opts.dataDir, 'rollbacks'),
      prefix: 'rollback-',
      idPattern: ID,
      schema: Rollback,
      parse: (output, meta, exit) => {
        const { title: _title, check: _check, ...rollback } = parseCheckoutOutput(output, meta, exit);
        return rollback;
      },
      metaFor: (deviceId, id, stored) => ({
        kind: 'tree',
        id,
        deviceId,
        device: stored?.device ?? opts.deviceName(deviceId),
        who: stored?.who ?? 'another console',
        startedAt: stored?.startedAt ?? new Date().toISOString(),
        target: stored?.target ?? '',
        probationMs: stored?.probationMs ?? DEFAULT_PROBATION_S * 1000,
      }),
      onChange: opts.onChange,
      onEnd: (r) =>
        opts.audit({
          deviceId: r.deviceId,
          action: 'rollback',
          detail: `${r.id}: to ${r.target}`,
          result: r.outcome === 'healthy' ? 'ok' : r.outcome === 'refused' ? 'refused' : 'error',
          message: r.summary,
        }),
    });
  }

  async plan(deviceId: string, to: string, probationS?: number): Promise<RollbackPlan> {
    return (await this.prepare(deviceId, to, probationS)).plan;
  }

  private async prepare(deviceId: string, to: string, probationS = DEFAULT_PROBATION_S): Promise<Prepared> {
    const device = this.opts.deviceName(deviceId);
    if (!isLive(this.opts.connections.status(deviceId).state))
      throw new ContractError(
        'unavailable',
        notConnectedText(device, this.opts.connections.status(deviceId)),
      );
    commitId(to);
    const profile = this.opts.profileOf(deviceId);
    const { path: repo, config } = profile.repo;
    await this.jobsOnDevice.checkDevice(deviceId).catch(() => undefined);
    const [state, target, headFile, recordings, lease] = await Promise.all([
      this.repo.state(deviceId, repo),
      this.repo.resolve(deviceId, repo, to),
      this.repo.readFile(deviceId, repo, config),
      this.opts.activeRecordings(deviceId).catch(() => [] as ActiveRecording[]),
      this.opts.leases.read(deviceId).catch(() => this.opts.leases.current(deviceId)),
    ]);
    const targetText = await this.repo.fileAt(deviceId, repo, target.sha, config);
    const blocked: string[] = [];
    let overridable: string | null = null;
    let targetConfig: RecorderConfig;
    let headConfig: RecorderConfig;
    try {
      targetConfig = parseRecorderConfig(targetText);
      headConfig = parseRecorderConfig(headFile.text);
    } catch (err) {
      throw new ContractError(
        'refused',
        `${config} at ${target.sha.slice(0, 7)} or at HEAD is not a config Tally can check (${message(err)}), so it cannot judge the board's health after a rollback. Nothing was changed.`,
      );
    }
    const budget = checkBudget(
      planFromConfig(targetConfig),
      { safe: profile.vpu.safeLimit, practical: profile.vpu.practicalLimit },
      this.opts.liveSessions(deviceId),
    );
    const running = this.jobsOnDevice.running(deviceId);
    if (running)
      blocked.push(`A rollback is already running on ${device} (${running.id}); wait for its report.`);
    else if (lease) blocked.push(`${device} is busy: ${leaseSentence(lease)}`);
    if (state.dirtyFiles.length > 0)
      blocked.push(
        `The recorder repo ${repo} has uncommitted changes (${state.dirtyFiles.slice(0, 10).join(', ')}); Tally does not overwrite them. Commit or discard them on the device first (git -C ${repo} status).`,
      );
    if (state.head && target.sha === state.head)
      blocked.push(`${target.sha.slice(0, 7)} is HEAD already; nothing to roll back.`);
    const dangers = targetConfig.cameras.flatMap((c) => {
      const d = dangerOf(c.encoder);
      return d ? [`${c.name}: ${d.reason} (seed ${d.seed})`] : [];
    });
    if (dangers.length > 0)
      blocked.push(
        `${config} at ${target.sha.slice(0, 7)} has a dangerous setting, so Tally will not roll back to it. ${dangers[0]}`,
      );
    if (budget.verdict === 'refuse') overridable = budget.message;
    const plan: RollbackPlan = {
      deviceId,
      device,
      head: state.head,
      headSubject: state.subject,
      target: target.sha,
      targetSubject: target.subject,
      diff: configDiff(headFile.text, targetText, config),
      restarts: [profile.units.recorder],
      recordings,
      budget,
      cameras: needs(targetConfig).cameras,
      probationS,
      lease,
      blocked: blocked.length > 0 ? blocked.join(' ') : null,
      overridable,
    };
    if (!state.head) throw new ContractError('refused', `${repo} has no commits; nothing to roll back from.`);
    return { plan, head: state.head, target: target.sha, targetConfig, headConfig };
  }

  async start(
    deviceId: string,
    request: { to: string; probationS?: number | undefined; overrideBudget: boolean },
  ): Promise<Rollback> {
    const { plan, targetConfig, headConfig } = await this.prepare(deviceId, request.to, request.probationS);
    const detail = `to ${plan.target}`;
    const refuse = async (why: string): Promise<never> => {
      await this.opts.audit({ deviceId, action: 'rollback', detail, result: 'refused', message: why });
      throw new ContractError(plan.lease ? 'busy' : 'refused', why);
    };
    if (plan.blocked) await refuse(plan.blocked);
    if (plan.overridable && !request.overrideBudget)
      await refuse(
        `${plan.overridable} To roll back anyway, confirm the budget override; it is written to the audit log.`,
      );
    if (plan.overridable)
      await this.opts.audit({
        deviceId,
        action: 'rollback.override-budget',
        detail,
        result: 'ok',
        message: plan.overridable,
      });
    const profile = this.opts.profileOf(deviceId);
    const probe = await this.opts.probe(deviceId).catch(() => null);
    const id = `rollback-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const startedAt = new Date().toISOString();
    const target = needs(targetConfig);
    const head = needs(headConfig);
    const what = `Roll back ${plan.device} to ${plan.target.slice(0, 7)} (${plan.targetSubject})`;
    const cmd = checkoutJobScript({
      jobId: id,
      profile,
      sessionFile: probe?.vpu.file ?? profile.vpu.sessionFiles[0] ?? '/sys/kernel/debug/mpp_service/session',
      change: { kind: 'tree', target: plan.target, targetSubject: plan.targetSubject },
      title: what,
      targetCameras: target.cameras,
      targetSessions: target.sessions,
      headCameras: head.cameras,
      headSessions: head.sessions,
      recordings: plan.recordings.length > 0,
      probationMs: plan.probationS * 1000,
      ...(this.opts.camerasMs !== undefined ? { camerasMs: this.opts.camerasMs } : {}),
      leaseInfo: this.opts.leases.describe(id, { kind: 'rollback', what, follow: FOLLOW }, startedAt, id),
    });
    try {
      await this.opts.jobs.start(deviceId, cmd, { jobId: id });
    } catch (err) {
      await this.opts.audit({ deviceId, action: 'rollback', detail, result: 'error', message: message(err) });
      throw err;
    }
    await this.opts.audit({
      deviceId,
      action: 'rollback',
      detail: `${id}: ${detail}`,
      result: 'started',
      message: `from ${plan.head}; probation ${plan.probationS} s; stopping ${plan.recordings.length} recording(s)`,
    });
    await this.jobsOnDevice.started({
      kind: 'tree',
      id,
      deviceId,
      device: plan.device,
      who: this.opts.who,
      startedAt,
      target: plan.target,
      probationMs: plan.probationS * 1000,
    });
    // Back to the caller once the job holds the device's lease (or refused), so nothing can start in between.
    const report = await this.jobsOnDevice.waitFor(id, holdsLease, LEASE_WAIT_MS);
    void this.opts.leases.refresh(deviceId).catch(() => undefined);
    return report;
  }

  waitForEnd(id: string): Promise<Rollback> {
    return this.jobsOnDevice.waitForEnd(id);
  }

  get(deviceId: string, id?: string): Promise<Rollback | null> {
    return this.jobsOnDevice.get(deviceId, id);
  }

  list(deviceId: string): Promise<Rollback[]> {
    return this.jobsOnDevice.list(deviceId);
  }

  close(): void {
    this.jobsOnDevice.close();
  }
}

/**
 * Known-good for the transcoder and the VMS host (issue 17): the images or backups a box could go back to, the plan
 * a producer confirms (what stops and for how long, what is kept, what the probation watches), then swap-job.ts as a
 * detached job on the device, followed live and reattached after a dropped link or a console restart.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ContractError,
  isLive,
  KnownGoodSwitch,
  leaseSentence,
  type KnownGoodCandidates,
  type KnownGoodPlan,
} from '../../contract/index.js';
import type { DeviceAudit } from '../audit/audit-log.js';
import { FollowedJobs, LEASE_WAIT_MS } from '../device/followed-jobs.js';
import type { DeviceLeases } from '../device/lease.js';
import { kindWords, type DeviceProfile, type TranscoderProfile, type VmsProfile } from '../device/profile.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import { notConnectedText, type ConnectionManager } from '../ssh/connection-manager.js';
import {
  parseTranscoderCandidates,
  parseVmsCandidates,
  transcoderCandidatesCommand,
  vmsCandidatesCommand,
} from './candidates.js';
import { keptBinary, keptImage, swapJobScript } from './swap-job.js';
import { parseSwapOutput, swapHoldsLease, type SwapMeta } from './swap-report.js';

export interface KnownGoodServiceOptions {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  leases: DeviceLeases;
  audit: DeviceAudit;
  dataDir: string;
  who: string;
  deviceName(deviceId: string): string;
  profileOf(deviceId: string): DeviceProfile;
  onChange(report: KnownGoodSwitch): void;
  /** How long the service has to look healthy after a restart, before the window (default 60 s). */
  startS?: number;
}

type KindProfile = TranscoderProfile | VmsProfile;

const ID = /^knowngood-[a-z0-9-]{6,48}$/;
const FOLLOW = "Open the device's Known-good section: the switch's report follows it on any console.";

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a switch stops, in words: the producer reads this before confirming. */
export function stopsText(profile: KindProfile, to: string, probationS: number, startS: number): string {
  const back = `If it is not healthy within ${startS} s of the restart, or stops being healthy during the ${probationS} s probation, it goes back by itself (one more restart).`;
  if (profile.kind === 'transcoder')
    return (
      `The container ${profile.service.container} is recreated from ${profile.image.repository}:${to}: every transcode running now is cut, ` +
      `and the API (/health, /transcode) is away for the few seconds the new container takes to start. ${back}`
    );
  return (
    `The unit ${profile.service.unit} restarts with ${to}: each camera's recording closes its segment early and starts a new one, ` +
    `and the live outputs drop for about a second while the cameras' FFmpeg start again (seed 004: stop and start within the same second). ${back}`
  );
}

/** What the probation watches, one line each. */
export function gateLines(profile: KindProfile): string[] {
  if (profile.kind === 'transcoder')
    return [
      `${profile.service.container} running, its RestartCount flat`,
      `${profile.health.url} answers 200${profile.health.requireTrue.length ? ` with ${profile.health.requireTrue.join(', ')} true` : ''}`,
    ];
  return [
    `every camera's ${profile.cameras.process} running (not stopped)`,
    `a new segment per camera in ${profile.recordings.dir} after the restart`,
    `every live output (${profile.live.urlPrefix}<camera>) answers`,
  ];
}

export class KnownGoodService {
  private readonly jobsOnDevice: FollowedJobs<KnownGoodSwitch, SwapMeta>;

  constructor(private readonly opts: KnownGoodServiceOptions) {
    this.jobsOnDevice = new FollowedJobs<KnownGoodSwitch, SwapMeta>({
      connections: opts.connections,
      jobs: opts.jobs,
      leases: opts.leases,
      dir: path.join(opts.dataDir, 'known-good'),
      prefix: 'knowngood-',
      idPattern: ID,
      schema: KnownGoodSwitch,
      parse: (output, meta, exit) => parseSwapOutput(output, meta, exit),
      metaFor: (deviceId, id, stored) => ({
        id,
        deviceId,
        device: stored?.device ?? opts.deviceName(deviceId),
        who: stored?.who ?? 'another console',
        unit: stored?.unit ?? (this.kindProfile(deviceId).kind === 'transcoder' ? 'image' : 'binary'),
        startedAt: stored?.startedAt ?? new Date().toISOString(),
        target: stored?.target ?? '',
        probationMs: stored?.probationMs ?? 0,
      }),
      // An R58's known-good and qualification are its own; it is not asked for these jobs at every connect.
      applies: (deviceId) => {
        try {
          return opts.profileOf(deviceId).kind !== 'r58';
        } catch {
          return false;
        }
      },
      onChange: opts.onChange,
      saveWhileRunning: (before, now) =>
        before.steps.map((s) => s.state).join() !== now.steps.map((s) => s.state).join(),
      onEnd: (r) =>
        opts.audit({
          deviceId: r.deviceId,
          action: 'knownGood.switch',
          detail: `${r.id}: to ${r.target}${r.kept ? `; kept ${r.kept}` : ''}`,
          result: r.outcome === 'healthy' ? 'ok' : r.outcome === 'refused' ? 'refused' : 'error',
          message: r.summary,
        }),
    });
  }

  private kindProfile(deviceId: string): KindProfile {
    const profile = this.opts.profileOf(deviceId);
    if (profile.kind === 'r58')
      throw new ContractError(
        'invalid_input',
        `${this.opts.deviceName(deviceId)} is ${kindWords('r58')}: its known-good is a commit of the recorder checkout. Use the Recorder tab's History to roll back.`,
      );
    return profile;
  }

  private live(deviceId: string): void {
    const status = this.opts.connections.status(deviceId);
    if (!isLive(status.state))
      throw new ContractError('unavailable', notConnectedText(this.opts.deviceName(deviceId), status));
  }

  async candidates(deviceId: string): Promise<KnownGoodCandidates> {
    const profile = this.kindProfile(deviceId);
    this.live(deviceId);
    const device = this.opts.deviceName(deviceId);
    const cmd =
      profile.kind === 'transcoder' ? transcoderCandidatesCommand(profile) : vmsCandidatesCommand(profile);
    const r = await this.opts.connections.exec(deviceId, cmd, { timeoutMs: 20_000 });
    try {
      return profile.kind === 'transcoder'
        ? parseTranscoderCandidates(deviceId, device, profile, r.stdout)
        : parseVmsCandidates(deviceId, device, profile, r.stdout);
    } catch (err) {
      throw new ContractError('device_error', message(err));
    }
  }

  async plan(deviceId: string, to: string, probationS?: number): Promise<KnownGoodPlan> {
    const profile = this.kindProfile(deviceId);
    const found = await this.candidates(deviceId);
    await this.jobsOnDevice.checkDevice(deviceId).catch(() => undefined);
    const lease = await this.opts.leases.read(deviceId).catch(() => this.opts.leases.current(deviceId));
    const window = probationS ?? profile.knownGood.probationS;
    const target = found.candidates.find((c) => c.name === to);
    const blocked: string[] = [];
    const names = found.candidates.map((c) => c.name).join(', ') || 'none';
    const running = this.jobsOnDevice.running(deviceId);
    if (running)
      blocked.push(`A switch is already running on ${found.device} (${running.id}); wait for its report.`);
    else if (lease) blocked.push(`${found.device} is busy: ${leaseSentence(lease)}`);
    const missing =
      profile.kind === 'transcoder'
        ? `image ${profile.image.repository}:${to}`
        : `backup ${to} beside ${found.slot}`;
    if (!target) blocked.push(`${found.device} has no ${missing}. The ones it has: ${names}.`);
    else if (target.current)
      blocked.push(`${found.device} runs ${target.ref} already (${target.id ?? 'same'}); nothing to switch.`);
    const placeholder = 'knowngood-<this switch>';
    return {
      deviceId,
      device: found.device,
      unit: found.unit,
      from: found.running,
      to: target ?? {
        name: to,
        ref: to,
        id: null,
        created: null,
        size: null,
        current: false,
        keptBySwitch: null,
      },
      keepAs:
        profile.kind === 'transcoder' ? keptImage(profile, placeholder) : keptBinary(profile, placeholder),
      stops: stopsText(profile, to, window, this.startS()),
      gate: gateLines(profile),
      probationS: window,
      lease,
      blocked: blocked.length > 0 ? blocked.join(' ') : null,
    };
  }

  private startS(): number {
    return this.opts.startS ?? 60;
  }

  async start(
    deviceId: string,
    request: { to: string; probationS?: number | undefined },
  ): Promise<KnownGoodSwitch> {
    const profile = this.kindProfile(deviceId);
    const plan = await this.plan(deviceId, request.to, request.probationS);
    const detail = `to ${plan.to.ref}`;
    if (plan.blocked) {
      await this.opts.audit({
        deviceId,
        action: 'knownGood.switch',
        detail,
        result: 'refused',
        message: plan.blocked,
      });
      throw new ContractError(plan.lease ? 'busy' : 'refused', plan.blocked);
    }
    const id = `knowngood-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const startedAt = new Date().toISOString();
    const what = `Switch ${plan.device} to ${plan.to.ref}`;
    const cmd = swapJobScript({
      jobId: id,
      profile,
      target: plan.to.name,
      title: what,
      probationMs: plan.probationS * 1000,
      startMs: this.startS() * 1000,
      leaseInfo: this.opts.leases.describe(id, { kind: 'knownGood', what, follow: FOLLOW }, startedAt, id),
    });
    try {
      await this.opts.jobs.start(deviceId, cmd, { jobId: id });
    } catch (err) {
      await this.opts.audit({
        deviceId,
        action: 'knownGood.switch',
        detail,
        result: 'error',
        message: message(err),
      });
      throw err;
    }
    await this.opts.audit({
      deviceId,
      action: 'knownGood.switch',
      detail: `${id}: ${detail}`,
      result: 'started',
      message: `from ${plan.from.ref} (${plan.from.id ?? '?'}); probation ${plan.probationS} s`,
    });
    await this.jobsOnDevice.started({
      id,
      deviceId,
      device: plan.device,
      who: this.opts.who,
      unit: plan.unit,
      startedAt,
      target: plan.to.ref,
      probationMs: plan.probationS * 1000,
    });
    const report = await this.jobsOnDevice.waitFor(id, swapHoldsLease, LEASE_WAIT_MS);
    void this.opts.leases.refresh(deviceId).catch(() => undefined);
    return report;
  }

  waitForEnd(id: string): Promise<KnownGoodSwitch> {
    return this.jobsOnDevice.waitForEnd(id);
  }

  get(deviceId: string, id?: string): Promise<KnownGoodSwitch | null> {
    return this.jobsOnDevice.get(deviceId, id);
  }

  list(deviceId: string): Promise<KnownGoodSwitch[]> {
    return this.jobsOnDevice.list(deviceId);
  }

  close(): void {
    this.jobsOnDevice.close();
  }
}

/**
 * Qualification of a transcoder (seed 003's transcode test) or a VMS host (seed 004's CPU test against the box's
 * own baseline): the plan, then qualify-job.ts as a detached job holding the device's lease, followed live and
 * reattached after a dropped link or a restart; the reports are kept in `<data dir>/kind-qualifications/`.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ContractError,
  isLive,
  KindQualification,
  leaseSentence,
  type KindQualifyPlan,
  type KindQualifyRequest,
} from '../../contract/index.js';
import type { DeviceAudit } from '../audit/audit-log.js';
import { FollowedJobs, LEASE_WAIT_MS } from '../device/followed-jobs.js';
import type { DeviceLeases } from '../device/lease.js';
import { kindWords, type DeviceProfile, type TranscoderProfile, type VmsProfile } from '../device/profile.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import { notConnectedText, type ConnectionManager } from '../ssh/connection-manager.js';
import { cpuJobScript, transcodeJobScript, transcodeUrl } from './qualify-job.js';
import { parseKindQualifyOutput, type KindQualifyMeta } from './qualify-report.js';

export interface KindQualifyServiceOptions {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  leases: DeviceLeases;
  audit: DeviceAudit;
  dataDir: string;
  who: string;
  deviceName(deviceId: string): string;
  profileOf(deviceId: string): DeviceProfile;
  onChange(report: KindQualification): void;
  /** Fewer or closer CPU samples than the VMS profile's (tests and demos on a small machine). */
  cpuSampling?: { samples: number; everyS: number };
}

const ID = /^kindqualify-[a-z0-9-]{6,48}$/;
const FOLLOW = "Open the device's Qualify section: the report follows it on any console.";

type KindProfile = TranscoderProfile | VmsProfile;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The meta of a run: what it measures and against what, from the profile and the request. */
export function qualifyMeta(
  profile: KindProfile,
  base: Pick<KindQualifyMeta, 'id' | 'deviceId' | 'device' | 'who' | 'startedAt'>,
  sourceUrl: string | null,
): KindQualifyMeta {
  if (profile.kind === 'transcoder')
    return {
      ...base,
      test: 'transcode',
      totalS: profile.qualify.seconds,
      transcode: {
        sourceUrl: sourceUrl ?? '',
        seconds: profile.qualify.seconds,
        startupMaxS: profile.qualify.startupMaxS,
        minSpeed: profile.qualify.minSpeed,
      },
    };
  return {
    ...base,
    test: 'cpu-baseline',
    totalS: profile.cpu.samples * profile.cpu.everyS,
    cpu: { tolerance: profile.cpu.tolerance, budgetPerCameraPercent: profile.cpu.budgetPerCameraPercent },
  };
}

export class KindQualifyService {
  private readonly jobsOnDevice: FollowedJobs<KindQualification, KindQualifyMeta>;

  constructor(private readonly opts: KindQualifyServiceOptions) {
    this.jobsOnDevice = new FollowedJobs<KindQualification, KindQualifyMeta>({
      connections: opts.connections,
      jobs: opts.jobs,
      leases: opts.leases,
      dir: path.join(opts.dataDir, 'kind-qualifications'),
      prefix: 'kindqualify-',
      idPattern: ID,
      schema: KindQualification,
      parse: (output, meta, exit) => parseKindQualifyOutput(output, meta, exit),
      metaFor: (deviceId, id, stored) =>
        qualifyMeta(
          this.kindProfile(deviceId),
          {
            id,
            deviceId,
            device: stored?.device ?? opts.deviceName(deviceId),
            who: stored?.who ?? 'another console',
            startedAt: stored?.startedAt ?? new Date().toISOString(),
          },
          stored?.transcode?.sourceUrl ?? null,
        ),
      // An R58's known-good and qualification are its own; it is not asked for these jobs at every connect.
      applies: (deviceId) => {
        try {
          return opts.profileOf(deviceId).kind !== 'r58';
        } catch {
          return false;
        }
      },
      onChange: opts.onChange,
      onEnd: (r) =>
        opts.audit({
          deviceId: r.deviceId,
          action: `kindQualify.${r.test}`,
          detail: r.id,
          result: r.outcome === 'passed' ? 'ok' : r.outcome === 'refused' ? 'refused' : 'error',
          message: r.summary,
        }),
    });
  }

  private kindProfile(deviceId: string): KindProfile {
    const profile = this.opts.profileOf(deviceId);
    if (profile.kind === 'r58')
      throw new ContractError(
        'invalid_input',
        `${this.opts.deviceName(deviceId)} is ${kindWords('r58')}: qualify its encoders from the Recorder tab (seed 000's tests).`,
      );
    const sampling = this.opts.cpuSampling;
    return profile.kind === 'vms' && sampling
      ? { ...profile, cpu: { ...profile.cpu, ...sampling } }
      : profile;
  }

  private source(profile: KindProfile, given: string | undefined): string | null {
    if (profile.kind !== 'transcoder') return null;
    const source = given ?? profile.qualify.sourceUrl;
    if (!source)
      throw new ContractError(
        'invalid_input',
        `The transcoder's profile names no test source: give the URL of a live stream the box can reach (the venue's receiver, e.g. http://<receiver>:8001/<service ref>).`,
      );
    return source;
  }

  async plan(request: KindQualifyRequest): Promise<KindQualifyPlan> {
    const { deviceId } = request;
    const profile = this.kindProfile(deviceId);
    const device = this.opts.deviceName(deviceId);
    const status = this.opts.connections.status(deviceId);
    if (!isLive(status.state)) throw new ContractError('unavailable', notConnectedText(device, status));
    const source = this.source(profile, request.sourceUrl);
    await this.jobsOnDevice.checkDevice(deviceId).catch(() => undefined);
    const lease = await this.opts.leases.read(deviceId).catch(() => this.opts.leases.current(deviceId));
    const meta = qualifyMeta(profile, { id: '', deviceId, device, who: '', startedAt: '' }, source);
    const empty = parseKindQualifyOutput('', meta, null);
    const running = this.jobsOnDevice.running(deviceId);
    const blocked = running
      ? `A qualification is already running on ${device} (${running.id}); wait for its report.`
      : lease
        ? `${device} is busy: ${leaseSentence(lease)}`
        : null;
    const what =
      profile.kind === 'transcoder'
        ? `Seed 003's test: transcode ${source} through ${transcodeUrl(profile, source ?? '')} for ${profile.qualify.seconds} s, read unbuffered on the box, then ffprobe the capture. It adds one transcode session while it runs; nothing is restarted.`
        : `Seed 004's test: the cameras' CPU sampled ${profile.cpu.samples} times, ${profile.cpu.everyS} s apart (percent of one core), total and per camera, ` +
          (request.newBaseline
            ? 'recorded as the box’s new baseline (~/.tally/baseline-vms.json on the box).'
            : `compared with the box's own baseline (~/.tally/baseline-vms.json; the first run records it), within ${Math.round(profile.cpu.tolerance * 100)} %.`) +
          ' Nothing is restarted.';
    return {
      deviceId,
      device,
      test: meta.test,
      what,
      totalS: meta.totalS,
      checks: empty.checks,
      lease,
      blocked,
    };
  }

  async start(request: KindQualifyRequest): Promise<KindQualification> {
    const { deviceId } = request;
    const profile = this.kindProfile(deviceId);
    const plan = await this.plan(request);
    const action = `kindQualify.${plan.test}`;
    if (plan.blocked) {
      await this.opts.audit({
        deviceId,
        action,
        detail: plan.test,
        result: 'refused',
        message: plan.blocked,
      });
      throw new ContractError(plan.lease ? 'busy' : 'refused', plan.blocked);
    }
    const id = `kindqualify-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const startedAt = new Date().toISOString();
    const source = this.source(profile, request.sourceUrl);
    const what = `Qualify ${plan.device} (${plan.test === 'transcode' ? "seed 003's transcode test" : "seed 004's CPU test"})`;
    const leaseInfo = this.opts.leases.describe(
      id,
      { kind: 'kindQualify', what, follow: FOLLOW },
      startedAt,
      id,
    );
    const cmd =
      profile.kind === 'transcoder'
        ? transcodeJobScript({
            jobId: id,
            url: transcodeUrl(profile, source ?? ''),
            seconds: profile.qualify.seconds,
            leaseInfo,
          })
        : cpuJobScript({ jobId: id, profile, newBaseline: request.newBaseline, leaseInfo });
    try {
      await this.opts.jobs.start(deviceId, cmd, { jobId: id });
    } catch (err) {
      await this.opts.audit({ deviceId, action, detail: plan.test, result: 'error', message: message(err) });
      throw err;
    }
    await this.opts.audit({ deviceId, action, detail: id, result: 'started', message: plan.what });
    await this.jobsOnDevice.started(
      qualifyMeta(profile, { id, deviceId, device: plan.device, who: this.opts.who, startedAt }, source),
    );
    const report = await this.jobsOnDevice.waitFor(
      id,
      (r) => r.elapsedS > 0 || r.log.length > 0,
      LEASE_WAIT_MS,
    );
    void this.opts.leases.refresh(deviceId).catch(() => undefined);
    return report;
  }

  waitForEnd(id: string): Promise<KindQualification> {
    return this.jobsOnDevice.waitForEnd(id);
  }

  get(deviceId: string, id?: string): Promise<KindQualification | null> {
    return this.jobsOnDevice.get(deviceId, id);
  }

  list(deviceId: string): Promise<KindQualification[]> {
    return this.jobsOnDevice.list(deviceId);
  }

  close(): void {
    this.jobsOnDevice.close();
  }
}

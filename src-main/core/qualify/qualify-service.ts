/**
 * Encoder qualification (issue 13): seed 000's Tests 1–3 for the config HEAD selects, a preset, or a commit from the
 * history. The plan a producer confirms (what is qualified, the variant and its length, the recordings stopped, the
 * recorder restored, where the result is kept), then qualify-script.ts as a detached job on the device, followed
 * live and reattached after a dropped link or a console restart. The result is a git note on the qualified commit
 * (so every console sees it, and a reset never loses it) and the report in `<data dir>/qualifications/`.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ContractError,
  isLive,
  leaseSentence,
  Qualification,
  QUALIFY_TESTS,
  type ActiveRecording,
  type DeviceProbe,
  type EncoderSpec,
  type QualifyPlan,
  type QualifySubject,
  type QualifyTarget,
  type QualifyVariant,
} from '../../contract/index.js';
import type { DeviceAudit } from '../audit/audit-log.js';
import { FollowedJobs, LEASE_WAIT_MS } from '../device/followed-jobs.js';
import type { DeviceLeases } from '../device/lease.js';
import type { R58Profile } from '../device/profile.js';
import { argv } from '../device/quote.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import { DeviceRepo } from '../device/repo.js';
import { codecOf, vpuSessionsOf } from '../media/elements.js';
import { encoderToText } from '../media/encoder-text.js';
import { buildPipeline, type TestEncodeSink } from '../media/pipeline-builder.js';
import { dangerOf, presetEncoder } from '../media/presets.js';
import { parseRecorderConfig, type RecorderConfig } from '../media/recorder-config.js';
import { notConnectedText, type ConnectionManager } from '../ssh/connection-manager.js';
import { parseQualifyOutput, type QualifyMeta } from './qualify-report.js';
import { qualifyScript, type QualifyTestInput } from './qualify-script.js';

/** Test 1, Test 2, Test 3 in seconds. */
export type QualifyDurations = [number, number, number];

export interface QualifyFrame {
  width: number;
  height: number;
  framerate: number;
}

/** Seed 000: a 30 s encode, a 5 min sustained encode, a 30 s RTSP push; quick: 10 s, 60 s, 10 s. */
export const QUALIFY_DURATIONS: Record<QualifyVariant, QualifyDurations> = {
  full: [30, 300, 30],
  quick: [10, 60, 10],
};

/** Seed 001's Test 1 source: 1920x1080 at 30 fps. */
const DEFAULT_FRAME: QualifyFrame = { width: 1920, height: 1080, framerate: 30 };

export interface QualifyServiceOptions {
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
  /** Recordings running now (the recorder API); throws when it does not answer. */
  activeRecordings(deviceId: string): Promise<ActiveRecording[]>;
  onChange(qualification: Qualification): void;
  /** Shorter tests than the variant's (tests and demos); the variant is still the one recorded. */
  durationsS?: Partial<Record<QualifyVariant, QualifyDurations>>;
  /** The test source (default 1920x1080@30, seed 001). */
  frame?: QualifyFrame;
}

const ID = /^qualify-[a-z0-9-]{6,48}$/;
const FOLLOW = "Open the device's Recorder tab: the qualification's report follows it on any console.";

/** The same encoder whatever the order its properties are written in. */
function sameEncoder(a: EncoderSpec, b: EncoderSpec): boolean {
  const canon = (e: EncoderSpec): string =>
    [
      e.element,
      ...Object.entries(e.properties)
        .map(([k, v]) => `${k}=${String(v)}`)
        .sort(),
    ].join(' ');
  return canon(a) === canon(b);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Prepared {
  plan: QualifyPlan;
  encoder: EncoderSpec;
  durations: QualifyDurations;
  frame: QualifyFrame;
}

export class QualifyService {
  private readonly jobsOnDevice: FollowedJobs<Qualification, QualifyMeta>;
  private readonly repo: DeviceRepo;

  constructor(private readonly opts: QualifyServiceOptions) {
    this.repo = new DeviceRepo(opts.connections, opts.deviceName);
    this.jobsOnDevice = new FollowedJobs<Qualification, QualifyMeta>({
      connections: opts.connections,
      jobs: opts.jobs,
      leases: opts.leases,
      dir: path.join(opts.dataDir, 'qualifications'),
      prefix: 'qualify-',
      idPattern: ID,
      schema: Qualification,
      parse: parseQualifyOutput,
      metaFor: (deviceId, id, stored) => ({
        id,
        deviceId,
        device: stored?.device ?? opts.deviceName(deviceId),
        who: stored?.who ?? 'another console',
        startedAt: stored?.startedAt ?? new Date().toISOString(),
        subject: stored?.subject ?? { kind: 'head', label: 'unknown', commit: null, encoder: 'unknown' },
        variant: stored?.variant ?? 'full',
        durationsS: stored
          ? [
              stored.tests[0]?.durationS ?? 0,
              stored.tests[1]?.durationS ?? 0,
              stored.tests[2]?.durationS ?? 0,
            ]
          : QUALIFY_DURATIONS.full,
        inputFps: stored?.tests[0]?.inputFps ?? this.frame().framerate,
        rtspPath: stored?.tests[2]?.mediamtx?.path ?? 'cam0',
      }),
      // A running report is saved as each test moves, so a restarted console shows where it stood.
      saveWhileRunning: (before, now) => before.tests.some((t, i) => t.state !== now.tests[i]?.state),
      onChange: opts.onChange,
      onEnd: (q) =>
        opts.audit({
          deviceId: q.deviceId,
          action: 'qualify',
          detail: `${q.id}: ${q.subject.label} (${q.variant})`,
          result: q.outcome === 'passed' ? 'ok' : q.outcome === 'refused' ? 'refused' : 'error',
          message: q.summary,
        }),
    });
  }

  private frame(): QualifyFrame {
    return this.opts.frame ?? DEFAULT_FRAME;
  }

  async plan(deviceId: string, target: QualifyTarget, variant: QualifyVariant): Promise<QualifyPlan> {
    return (await this.prepare(deviceId, target, variant)).plan;
  }

  private async configAt(deviceId: string, repo: string, file: string, sha: string): Promise<RecorderConfig> {
    const text = await this.repo.fileAt(deviceId, repo, sha, file);
    try {
      return parseRecorderConfig(text);
    } catch (err) {
      throw new ContractError(
        'refused',
        `${file} at ${sha.slice(0, 7)} is not a config Tally can read (${message(err)}), so there is no encoder to qualify.`,
      );
    }
  }

  private async prepare(deviceId: string, target: QualifyTarget, variant: QualifyVariant): Promise<Prepared> {
    const device = this.opts.deviceName(deviceId);
    if (!isLive(this.opts.connections.status(deviceId).state))
      throw new ContractError(
        'unavailable',
        notConnectedText(device, this.opts.connections.status(deviceId)),
      );
    const profile = this.opts.profileOf(deviceId);
    const { path: repo, config } = profile.repo;
    await this.jobsOnDevice.checkDevice(deviceId).catch(() => undefined);
    const [state, recordings, lease, unit] = await Promise.all([
      this.repo.state(deviceId, repo),
      this.opts.activeRecordings(deviceId).catch(() => [] as ActiveRecording[]),
      this.opts.leases.read(deviceId).catch(() => this.opts.leases.current(deviceId)),
      this.opts.connections
        .exec(deviceId, argv('systemctl', 'is-active', profile.units.recorder), { timeoutMs: 10_000 })
        .then((r) => r.stdout.trim() || null)
        .catch(() => null),
    ]);
    if (!state.head)
      throw new ContractError('refused', `${repo} has no commits; there is no config to qualify.`);
    const head = await this.configAt(deviceId, repo, config, state.head).catch(() => null);
    const headEncoder = head?.cameras[0]?.encoder ?? null;
    let subject: QualifySubject;
    let encoder: EncoderSpec;
    let noteOn: string | null;
    let noteText: string;
    if (target.kind === 'preset') {
      encoder = presetEncoder(target.preset);
      const text = encoderToText(encoder);
      const selected = headEncoder !== null && sameEncoder(headEncoder, encoder);
      subject = { kind: 'preset', label: `preset ${target.preset}`, commit: state.head, encoder: text };
      noteOn = selected ? state.head : null;
      noteText = selected
        ? `HEAD ${state.head.slice(0, 7)} selects this preset: the result is written as a git note on it.`
        : `HEAD does not select ${target.preset}: the result is kept in this console's data directory only (no commit to note).`;
    } else {
      const info =
        target.kind === 'commit'
          ? await this.repo.resolve(deviceId, repo, target.commit)
          : { sha: state.head, subject: state.subject ?? '' };
      const cfg = target.kind === 'commit' ? await this.configAt(deviceId, repo, config, info.sha) : head;
      const first = cfg?.cameras[0];
      if (!cfg || !first)
        throw new ContractError(
          'refused',
          `${config} at ${info.sha.slice(0, 7)} names no camera, so there is no encoder to qualify.`,
        );
      encoder = first.encoder;
      const who = target.kind === 'commit' ? 'commit' : 'HEAD';
      subject = {
        kind: target.kind,
        label: `${who} ${info.sha.slice(0, 7)} (${info.subject})`,
        commit: info.sha,
        encoder: encoderToText(encoder),
      };
      noteOn = info.sha;
      noteText = `The result is written as a git note on ${info.sha.slice(0, 7)} (refs/notes/tally-qualify).`;
    }
    const durations = this.opts.durationsS?.[variant] ?? QUALIFY_DURATIONS[variant];
    const frame = this.frame();
    const danger = dangerOf(encoder);
    const running = this.jobsOnDevice.running(deviceId);
    const blocked = running
      ? `A qualification is already running on ${device} (${running.id}); wait for its report.`
      : lease
        ? `${device} is busy: ${leaseSentence(lease)}`
        : null;
    const plan: QualifyPlan = {
      deviceId,
      device,
      subject,
      variant,
      tests: QUALIFY_TESTS.map((t, i) => ({ n: t.n, title: t.title, durationS: durations[i] ?? 0 })),
      totalS: durations[0] + durations[1] + durations[2],
      source: `videotestsrc ${frame.width}x${frame.height}@${frame.framerate}`,
      rtspPath: head?.cameras[0]?.name ?? 'cam0',
      recordings,
      recorderUnit: profile.units.recorder,
      recorderState: unit,
      sessions: vpuSessionsOf(encoder.element),
      noteOn,
      noteText,
      danger: danger
        ? `${danger.reason} Qualifying it is allowed: expect it to fail, with the kernel's words as evidence.`
        : null,
      lease,
      blocked,
    };
    return { plan, encoder, durations, frame };
  }

  private tests(
    id: string,
    profile: R58Profile,
    encoder: EncoderSpec,
    durations: QualifyDurations,
    frame: QualifyFrame,
    rtspPath: string,
  ): [QualifyTestInput, QualifyTestInput, QualifyTestInput] {
    const workDir = `/var/tmp/${id}`;
    const mkv = codecOf(encoder.element) === 'h265';
    const make = (
      n: number,
      sink: TestEncodeSink,
      file: string | null,
      mtx: string | null,
    ): QualifyTestInput => {
      const durationS = durations[n - 1] ?? 0;
      const frames = durationS * frame.framerate;
      return {
        pipeline: buildPipeline({
          kind: 'test-encode',
          encoder,
          ...frame,
          buffers: frames,
          live: true,
          sink,
        }),
        durationS,
        frames,
        file,
        mtxPath: mtx,
      };
    };
    const file = (n: number): string => `${workDir}/test${n}.${mkv ? 'mkv' : 'mp4'}`;
    const mux = mkv ? 'matroskamux' : 'mp4mux';
    return [
      make(1, { kind: 'file', location: file(1), mux }, file(1), null),
      make(2, { kind: 'file', location: file(2), mux }, file(2), null),
      make(
        3,
        { kind: 'rtsp', url: `rtsp://127.0.0.1:${profile.mediamtx.rtspPort}/${rtspPath}` },
        null,
        rtspPath,
      ),
    ];
  }

  async start(
    deviceId: string,
    request: { target: QualifyTarget; variant: QualifyVariant },
  ): Promise<Qualification> {
    const { plan, encoder, durations, frame } = await this.prepare(deviceId, request.target, request.variant);
    const detail = `${plan.subject.label}: ${plan.subject.encoder} (${plan.variant})`;
    if (plan.blocked) {
      await this.opts.audit({
        deviceId,
        action: 'qualify',
        detail,
        result: 'refused',
        message: plan.blocked,
      });
      throw new ContractError(plan.lease ? 'busy' : 'refused', plan.blocked);
    }
    const profile = this.opts.profileOf(deviceId);
    const probe = await this.opts.probe(deviceId).catch(() => null);
    const id = `qualify-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const startedAt = new Date().toISOString();
    const noteHead = plan.noteOn
      ? JSON.stringify({
          schema: 1,
          commit: plan.noteOn,
          encoder: plan.subject.encoder,
          variant: plan.variant,
        }).slice(0, -1)
      : '';
    const cmd = qualifyScript({
      jobId: id,
      profile,
      sessionFile: probe?.vpu.file ?? profile.vpu.sessionFiles[0] ?? '/sys/kernel/debug/mpp_service/session',
      inputFps: frame.framerate,
      tests: this.tests(id, profile, encoder, durations, frame, plan.rtspPath),
      workDir: `/var/tmp/${id}`,
      recordings: plan.recordings.length > 0,
      noteCommit: plan.noteOn,
      noteHead,
      leaseInfo: this.opts.leases.describe(
        id,
        {
          kind: 'qualify',
          what: `Qualify ${plan.subject.encoder} (${plan.variant}) on ${plan.device}`,
          follow: FOLLOW,
        },
        startedAt,
        id,
      ),
    });
    try {
      await this.opts.jobs.start(deviceId, cmd, { jobId: id });
    } catch (err) {
      await this.opts.audit({ deviceId, action: 'qualify', detail, result: 'error', message: message(err) });
      throw err;
    }
    await this.opts.audit({
      deviceId,
      action: 'qualify',
      detail: `${id}: ${detail}`,
      result: 'started',
      message: `${plan.totalS} s; stopping ${plan.recordings.length} recording(s); recorder ${plan.recorderState ?? 'unknown'}`,
    });
    await this.jobsOnDevice.started({
      id,
      deviceId,
      device: plan.device,
      who: this.opts.who,
      startedAt,
      subject: plan.subject,
      variant: plan.variant,
      durationsS: durations,
      inputFps: frame.framerate,
      rtspPath: plan.rtspPath,
    });
    // Back to the caller once the job holds the device's lease (it reads the kernel next), so nothing slips in.
    const report = await this.jobsOnDevice.waitFor(id, (q) => q.kernel !== null, LEASE_WAIT_MS);
    void this.opts.leases.refresh(deviceId).catch(() => undefined);
    return report;
  }

  waitForEnd(id: string): Promise<Qualification> {
    return this.jobsOnDevice.waitForEnd(id);
  }

  get(deviceId: string, id?: string): Promise<Qualification | null> {
    return this.jobsOnDevice.get(deviceId, id);
  }

  list(deviceId: string): Promise<Qualification[]> {
    return this.jobsOnDevice.list(deviceId);
  }

  close(): void {
    this.jobsOnDevice.close();
  }
}

/**
 * Applying an encoder change to a device. The change is previewed here (diff, VPU budget, known-bad settings, git
 * state, recordings); then one detached job on the device, holding its lease, writes config.yml (checked against
 * what the preview read), commits it, restarts the recorder and watches it for the probation window: cameras
 * streaming, VPU sessions as the config needs, no kernel fault, encoders keeping up. Unhealthy, it goes back to the
 * commit before by itself, exactly like a rollback (device/checkout-job.ts). A dropped link neither aborts nor
 * decides it: the console follows the job again after the reconnect and shows how it ended. The way back from a
 * healthy change is a rollback to `previousCommit`, with the same check.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import {
  ConfigChange,
  ContractError,
  isLive,
  fieldErrors,
  Rollback,
  type ConfigChangeInput,
  type ConfigPreview,
  type Danger,
  type DeviceProbe,
  type EncoderSpec,
  type Operation,
  type RecorderState,
} from '../../contract/index.js';
import type { DeviceAudit } from '../audit/audit-log.js';
import { checkoutJobScript, gitBlobId } from '../device/checkout-job.js';
import {
  holdsLease,
  parseCheckoutOutput,
  type CheckoutMeta,
  type CheckoutReport,
} from '../device/checkout-report.js';
import { FollowedJobs, LEASE_WAIT_MS } from '../device/followed-jobs.js';
import type { DeviceLeases } from '../device/lease.js';
import type { R58Profile } from '../device/profile.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import { DeviceRepo, type RepoFile, type RepoState } from '../device/repo.js';
import { codecOf } from '../media/elements.js';
import { encoderToText, parseEncoderText } from '../media/encoder-text.js';
import { dangerOf, presetById, presetEncoder } from '../media/presets.js';
import {
  changeEncoders,
  configDiff,
  configNeeds,
  parseRecorderConfig,
  planFromConfig,
} from '../media/recorder-config.js';
import { checkBudget } from '../media/vpu-budget.js';
import { withCpu, type CpuReading } from '../media/cpu-budget.js';
import { notConnectedText, type ConnectionManager } from '../ssh/connection-manager.js';
import { operationOf } from './apply-report.js';
import type { RecorderService } from './recorder-service.js';

export interface ConfigApplierOptions {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  profileOf(deviceId: string): R58Profile;
  deviceName(deviceId: string): string;
  recorder: Pick<RecorderService, 'status'>;
  /** The device's probe (where its VPU session file is). */
  probe(deviceId: string): Promise<DeviceProbe>;
  liveSessions(deviceId: string): number | null;
  /** The board's CPU over the last 30 s (the monitor's readings); null when there are none. */
  cpuNow(deviceId: string): CpuReading | null;
  audit: DeviceAudit;
  onOperation(op: Operation): void;
  /** The device's operation lease: the apply's job holds it from before it writes to its end. */
  leases: Pick<DeviceLeases, 'read' | 'current' | 'describe' | 'busyError' | 'refresh'>;
  /** Where the applies' reports are kept. */
  dataDir: string;
  /** `user@host (shell)`. */
  who: string;
  /** The probation window after the restart; 30 s by default (the kernel watch it replaced). */
  watchMs?: number;
  /** How long the cameras have to stream after the restart, before the window starts; 20 s by default. */
  camerasTimeoutMs?: number;
}

const ID = /^apply-[a-z0-9-]{6,48}$/;
const FOLLOW = "Its steps show under Encoders in the device's Recorder tab, on any console.";
const StoredApply = Rollback.extend({
  title: z.string(),
  check: z.object({ ms: z.number(), text: z.string() }).nullable(),
});

/** Everything a preview found, kept for the apply that follows it. */
interface Prepared {
  preview: ConfigPreview;
  profile: R58Profile;
  file: RepoFile;
  cameras: string[];
  encoder: EncoderSpec;
  danger: Danger;
}

function validChange(input: ConfigChangeInput): ConfigChange {
  const parsed = ConfigChange.safeParse(input);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const where = first?.path.map(String).join('.') ?? '';
  throw new ContractError(
    'invalid_input',
    `${where ? `${where}: ` : ''}${first?.message ?? 'The change is not valid.'}`,
    fieldErrors(parsed.error.issues),
  );
}

/** `cam0-cam3` for a run of numbered names, else the names with commas. */
export function cameraRange(names: readonly string[]): string {
  const parsed = names.map((n) => /^(.*?)(\d+)$/.exec(n));
  const prefix = parsed[0]?.[1];
  const numbers = parsed.map((m) => (m && m[1] === prefix ? Number(m[2]) : NaN));
  const consecutive =
    names.length > 2 &&
    numbers.every((n, i) => Number.isInteger(n) && (i === 0 || n === (numbers[i - 1] ?? 0) + 1));
  return consecutive ? `${names[0]}-${names.at(-1)}` : names.join(',');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ConfigApplier {
  private readonly repo: DeviceRepo;
  private readonly applies: FollowedJobs<CheckoutReport, CheckoutMeta>;
  private readonly watchMs: number;
  private readonly camerasTimeoutMs: number;

  constructor(private readonly opts: ConfigApplierOptions) {
    this.repo = new DeviceRepo(opts.connections, opts.deviceName);
    this.watchMs = opts.watchMs ?? 30_000;
    this.camerasTimeoutMs = opts.camerasTimeoutMs ?? 20_000;
    this.applies = new FollowedJobs<CheckoutReport, CheckoutMeta>({
      connections: opts.connections,
      jobs: opts.jobs,
      leases: opts.leases,
      dir: path.join(opts.dataDir, 'applies'),
      prefix: 'apply-',
      idPattern: ID,
      schema: StoredApply,
      parse: parseCheckoutOutput,
      metaFor: (deviceId, id, stored) => ({
        kind: 'write',
        id,
        deviceId,
        device: stored?.device ?? opts.deviceName(deviceId),
        who: stored?.who ?? 'another console',
        startedAt: stored?.startedAt ?? new Date().toISOString(),
        target: '',
        probationMs: stored?.probationMs ?? this.watchMs,
      }),
      onChange: (report) => this.emit(operationOf(report)),
      // A console restarted mid-apply shows where it got to.
      saveWhileRunning: (before, now) =>
        before.steps.map((s) => s.state).join() !== now.steps.map((s) => s.state).join(),
      // A job that found the device busy changed nothing, and the apply that started it said so already.
      onEnd: async (report) => {
        if (report.outcome === 'refused' && !holdsLease(report)) return;
        await opts.audit({
          deviceId: report.deviceId,
          action: 'config.apply',
          detail: `${report.id}: ${report.title}`,
          result:
            report.outcome === 'healthy'
              ? 'ok'
              : report.outcome === 'refused' || report.outcome === 'interrupted'
                ? 'refused'
                : 'error',
          message: report.summary,
        });
      },
    });
  }

  async list(deviceId: string): Promise<Operation[]> {
    return (await this.applies.list(deviceId)).map(operationOf);
  }

  /** Until the apply ended; for the CLI and tests. */
  async waitForEnd(id: string): Promise<Operation> {
    return operationOf(await this.applies.waitForEnd(id));
  }

  close(): void {
    this.applies.close();
  }

  private emit(op: Operation): void {
    try {
      this.opts.onOperation(op);
    } catch {
      // A listener's failure must not stop following the job.
    }
  }

  // ---- preview ---------------------------------------------------------------------------------------------------

  async preview(input: ConfigChangeInput): Promise<ConfigPreview> {
    return (await this.prepare(validChange(input))).preview;
  }

  /** The encoder a change asks for, validated before anything is read from the device. */
  private encoderOf(change: ConfigChange): EncoderSpec {
    const preset = presetById(change.preset);
    if (change.encoder === undefined) return presetEncoder(change.preset, change.bitrateKbps);
    if (change.bitrateKbps !== undefined)
      throw new ContractError(
        'invalid_input',
        'Give either a bitrate for the preset or a typed encoder, not both: a typed encoder carries its own bitrate (e.g. bps=8000000).',
        { bitrateKbps: 'Leave it empty with a typed encoder.' },
      );
    const spec = parseEncoderText(change.encoder);
    const codec = codecOf(spec.element);
    if (codec !== preset.codec)
      throw new ContractError(
        'invalid_input',
        `${spec.element} encodes ${codec ?? 'no video codec'}, but the ${preset.id} preset is ${preset.codec}: pick the preset that matches the encoder.`,
        { encoder: `Not an ${preset.codec} encoder.` },
      );
    return spec;
  }

  private async prepare(change: ConfigChange): Promise<Prepared> {
    const encoder = this.encoderOf(change);
    const preset = presetById(change.preset);
    const { deviceId } = change;
    const profile = this.opts.profileOf(deviceId);
    const [state, file, recorder] = await Promise.all([
      this.repo.state(deviceId, profile.repo.path),
      this.repo.readFile(deviceId, profile.repo.path, profile.repo.config),
      this.recorderState(deviceId),
    ]);
    const recordings = recorder?.recordings.map((r) => r.camera) ?? [];
    const current = parseRecorderConfig(file.text);
    const after = changeEncoders(file.text, {
      cameras: change.cameras,
      encoder,
      codec: preset.codec,
      container: preset.container,
    });
    const cameras =
      change.cameras === 'all' ? current.cameras.map((c) => c.name) : [...new Set(change.cameras)];
    const plan = planFromConfig(parseRecorderConfig(after));
    // What runs now is measured; the recorder's current streams are in that measurement and are replaced by the plan.
    // An unknown recorder state counts as running, so the way out of a CPU overload is never refused by counting twice.
    const running = recorder === null || recorder.activeState === 'active' ? planFromConfig(current) : null;
    const budget = withCpu(
      checkBudget(
        plan,
        { safe: profile.vpu.safeLimit, practical: profile.vpu.practicalLimit },
        this.opts.liveSessions(deviceId),
      ),
      plan,
      profile,
      profile.cpu ? this.opts.cpuNow(deviceId) : null,
      running,
    );
    const danger = dangerOf(encoder);
    const blocked: string[] = [];
    if (state.dirtyFiles.length > 0) blocked.push(this.dirtyMessage(deviceId, profile, state));
    if (danger && !change.overrideDanger)
      blocked.push(
        `Dangerous setting: ${danger.reason} (seed ${danger.seed}). To apply it anyway, ask again with the danger override; the override is written to the audit log.`,
      );
    if (budget.verdict === 'refuse') blocked.push(budget.message);
    if (budget.cpu?.verdict === 'refuse') blocked.push(`CPU: ${budget.cpu.message}`);
    if (recordings.length > 0)
      blocked.push(
        `Recording now on ${recordings.join(', ')}: applying restarts the recorder, which ends those recordings. Stop them first.`,
      );
    if (after === file.text)
      blocked.push(
        `${profile.repo.config} already has this setting for ${cameraRange(cameras)}; nothing to apply.`,
      );
    const preview: ConfigPreview = {
      file: `${profile.repo.path}/${profile.repo.config}`,
      before: file.text,
      after,
      diff: configDiff(file.text, after, profile.repo.config),
      budget,
      danger,
      repo: { head: state.head, dirty: state.dirtyFiles.length > 0, dirtyFiles: state.dirtyFiles },
      blocked: blocked.length > 0 ? blocked.join(' ') : null,
    };
    return { preview, profile, file, cameras, encoder, danger };
  }

  private dirtyMessage(deviceId: string, profile: R58Profile, state: RepoState): string {
    const shown = state.dirtyFiles.slice(0, 10).join(', ') + (state.dirtyFiles.length > 10 ? ', …' : '');
    return `The recorder repo ${profile.repo.path} on ${this.opts.deviceName(deviceId)} has uncommitted changes (${shown}); Tally does not overwrite them. Commit or discard them on the device first (git -C ${profile.repo.path} status).`;
  }

  /** The recorder's unit and recordings now; null when the recorder cannot say (the restart then asks itself). */
  private async recorderState(deviceId: string): Promise<RecorderState | null> {
    try {
      return await this.opts.recorder.status(deviceId);
    } catch {
      return null;
    }
  }

  // ---- apply ---------------------------------------------------------------------------------------------------

  /**
   * Checks the change here, then hands write → commit → restart → watch (→ back by itself) to one detached job on
   * the device, which holds the device's lease. Answers once the job holds it (or refused), with the operation.
   */
  async apply(input: ConfigChangeInput): Promise<Operation> {
    const change = validChange(input);
    this.encoderOf(change);
    const { deviceId } = change;
    const device = this.opts.deviceName(deviceId);
    const link = this.opts.connections.status(deviceId);
    if (!isLive(link.state))
      throw new ContractError(
        'unavailable',
        notConnectedText(device, this.opts.connections.status(deviceId)),
      );
    const checkStarted = performance.now();
    await this.applies.checkDevice(deviceId).catch(() => undefined);
    const [prepared, lease] = await Promise.all([
      this.prepare(change),
      this.opts.leases.read(deviceId).catch(() => this.opts.leases.current(deviceId)),
    ]);
    const { preview, encoder, cameras, danger, profile, file } = prepared;
    const encoderText = encoderToText(encoder);
    const what = `${cameraRange(cameras)} → ${change.encoder === undefined ? change.preset : 'custom'} (${encoderText})`;
    const running = this.applies.running(deviceId);
    const blocked = running
      ? `A config apply is already running on ${device} (${running.title}); wait for it to end.`
      : preview.blocked;
    if (lease || blocked) {
      const why = lease ? this.opts.leases.busyError(device, lease).message : (blocked ?? '');
      await this.opts.audit({
        deviceId,
        action: 'config.apply',
        detail: what,
        result: 'refused',
        message: why,
      });
      throw new ContractError(lease ? 'busy' : 'refused', why);
    }
    if (danger && change.overrideDanger)
      await this.opts.audit({
        deviceId,
        action: 'config.override-danger',
        detail: what,
        result: 'ok',
        message: `${danger.id}: ${danger.reason}`,
      });
    const body = [
      `Applied from Tally (operator console) to ${cameraRange(cameras)}.`,
      `Preset: ${change.preset}${change.bitrateKbps !== undefined ? `, ${change.bitrateKbps} kbit/s` : ''}${change.encoder !== undefined ? ', typed encoder' : ''}.`,
      `Encoder: ${encoderText}`,
      ...(danger && change.overrideDanger
        ? ['', `DANGER OVERRIDDEN by the producer (${danger.id}, seed ${danger.seed}): ${danger.reason}`]
        : []),
    ];
    const id = `apply-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const startedAt = new Date().toISOString();
    const title = `Apply ${change.encoder === undefined ? change.preset : 'a typed encoder'} to ${cameraRange(cameras)} on ${device}`;
    const probe = await this.opts.probe(deviceId).catch(() => null);
    const next = configNeeds(parseRecorderConfig(preview.after));
    const now = configNeeds(parseRecorderConfig(file.text));
    const cmd = checkoutJobScript({
      jobId: id,
      profile,
      sessionFile: probe?.vpu.file ?? profile.vpu.sessionFiles[0] ?? '/sys/kernel/debug/mpp_service/session',
      change: {
        kind: 'write',
        text: preview.after,
        expectBlob: file.blob,
        newBlob: gitBlobId(preview.after),
        message: `Tally: ${what}${danger && change.overrideDanger ? ' [danger overridden]' : ''}\n\n${body.join('\n')}`,
      },
      title,
      check: {
        ms: Math.round(performance.now() - checkStarted),
        text: `${preview.budget.message}${danger ? ` Danger overridden: ${danger.id}.` : ''}`,
      },
      targetCameras: next.cameras,
      targetSessions: next.sessions,
      headCameras: now.cameras,
      headSessions: now.sessions,
      recordings: false,
      probationMs: this.watchMs,
      camerasMs: this.camerasTimeoutMs,
      leaseInfo: this.opts.leases.describe(
        id,
        { kind: 'config.apply', what: title, follow: FOLLOW },
        startedAt,
        id,
      ),
    });
    try {
      await this.opts.jobs.start(deviceId, cmd, { jobId: id });
    } catch (err) {
      await this.opts.audit({
        deviceId,
        action: 'config.apply',
        detail: what,
        result: 'error',
        message: message(err),
      });
      throw err;
    }
    await this.applies.started({
      kind: 'write',
      id,
      deviceId,
      device,
      who: this.opts.who,
      startedAt,
      target: '',
      probationMs: this.watchMs,
    });
    const report = await this.applies.waitFor(id, holdsLease, LEASE_WAIT_MS);
    if (report.outcome === 'refused' && !holdsLease(report)) {
      // Another operation took the device between the check and the job: nothing was changed.
      const busy = report.evidence.some((l) => l.startsWith('The device was busy'));
      const why = busy
        ? this.opts.leases.busyError(device, await this.opts.leases.read(deviceId).catch(() => null)).message
        : report.summary;
      await this.opts.audit({
        deviceId,
        action: 'config.apply',
        detail: what,
        result: 'refused',
        message: why,
      });
      throw new ContractError(busy ? 'busy' : 'refused', why);
    }
    await this.opts.audit({ deviceId, action: 'config.apply', detail: `${id}: ${what}`, result: 'started' });
    void this.opts.leases.refresh(deviceId).catch(() => undefined);
    return operationOf(report);
  }
}

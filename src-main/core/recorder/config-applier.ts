/**
 * Applying an encoder change to a device, and taking it back. The change is previewed (diff, VPU budget, known-bad
 * settings, git state, recordings), then written atomically, committed in the device's recorder repo, the recorder
 * is restarted and the result watched: the cameras come back and no kernel alarm fires. Every failure is reported
 * with its evidence and the commit before the change, so the way back is one call to `revert`.
 */
import { randomUUID } from 'node:crypto';
import {
  ConfigChange,
  ContractError,
  isLive,
  fieldErrors,
  type Alarm,
  type CameraView,
  type ConfigChangeInput,
  type ConfigPreview,
  type Danger,
  type EncoderSpec,
  type Operation,
  type RecorderState,
} from '../../contract/index.js';
import type { DeviceLeases, Lease } from '../device/lease.js';
import type { DeviceProfile } from '../device/profile.js';
import { commitId, UnsafeValueError } from '../device/quote.js';
import { codecOf } from '../media/elements.js';
import { encoderToText, parseEncoderText } from '../media/encoder-text.js';
import { dangerOf, presetById, presetEncoder } from '../media/presets.js';
import {
  changeEncoders,
  configDiff,
  parseRecorderConfig,
  planFromConfig,
  type RecorderConfig,
} from '../media/recorder-config.js';
import { checkBudget } from '../media/vpu-budget.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { CameraReader } from './cameras.js';
import { DeviceRepo, type CommitAuthor, type RepoFile, type RepoState } from '../device/repo.js';
import type { RecorderService } from './recorder-service.js';

export interface AuditInput {
  deviceId: string;
  action: string;
  detail?: string;
  result: 'ok' | 'error' | 'refused' | 'started';
  message?: string;
}

export interface ConfigApplierOptions {
  connections: ConnectionManager;
  profileOf(deviceId: string): DeviceProfile;
  deviceName(deviceId: string): string;
  recorder: RecorderService;
  cameras: CameraReader;
  liveSessions(deviceId: string): number | null;
  kernelAlarmsSince(deviceId: string, sinceIso: string): Alarm[];
  audit(entry: AuditInput): Promise<void>;
  onOperation(op: Operation): void;
  /** The device's operation lease: an apply or revert holds it from its check to its end. */
  leases: Pick<DeviceLeases, 'acquire'>;
  /** How long the kernel is watched after the restart; 30 s by default (the issue). */
  watchMs?: number;
  /** How long the changed cameras have to come back online; 20 s by default. */
  camerasTimeoutMs?: number;
  /** Commit identity on the device; the repo's own user config is not relied on. */
  author?: CommitAuthor;
}

type Step = Operation['steps'][number];

const STEP = {
  check: 'Check the change',
  write: 'Write config.yml',
  commit: 'Commit',
  restart: 'Restart the recorder',
  cameras: 'Cameras back online',
} as const;

const POLL_MS = 500;
const WATCH_POLL_MS = 250;
const KEEP_OPERATIONS = 100;
const MAX_EVIDENCE_LINES = 40;

/** Everything a preview found, kept for the apply that follows it. */
interface Prepared {
  preview: ConfigPreview;
  profile: DeviceProfile;
  file: RepoFile;
  cameras: string[];
  encoder: EncoderSpec;
  danger: Danger;
}

/** What the shared write → commit → restart → watch sequence needs. */
interface Plan {
  deviceId: string;
  profile: DeviceProfile;
  before: RepoFile;
  after: string;
  message: string;
  cameras: string[];
  auditAction: string;
  auditDetail: string;
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

function now(): string {
  return new Date().toISOString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function alarmEvidence(alarms: readonly Alarm[]): string[] {
  return alarms.flatMap((a) => [
    `Kernel alarm: ${a.title} (${a.kind}, at ${a.lastAt})`,
    ...a.evidence.slice(0, 20),
  ]);
}

function cameraLine(c: CameraView): string {
  return `${c.name}: ${c.online ? 'online' : 'offline'} at the media server, recorder says ${c.detail || c.signal}`;
}

function ms(start: number): number {
  return Math.round(performance.now() - start);
}

export class ConfigApplier {
  private readonly repo: DeviceRepo;
  private readonly operations: Operation[] = [];
  private readonly watchMs: number;
  private readonly camerasTimeoutMs: number;
  private readonly author: CommitAuthor;

  constructor(private readonly opts: ConfigApplierOptions) {
    this.repo = new DeviceRepo(opts.connections, opts.deviceName);
    this.watchMs = opts.watchMs ?? 30_000;
    this.camerasTimeoutMs = opts.camerasTimeoutMs ?? 20_000;
    this.author = opts.author ?? { name: 'Tally', email: 'tally@localhost' };
  }

  private watchStep(): string {
    const s = this.watchMs / 1000;
    return `Watch the kernel for ${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  }

  list(deviceId?: string): Operation[] {
    return this.operations
      .filter((o) => deviceId === undefined || o.deviceId === deviceId)
      .map((o) => structuredClone(o));
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
    const [state, file, recordings] = await Promise.all([
      this.repo.state(deviceId, profile.repo.path),
      this.repo.readFile(deviceId, profile.repo.path, profile.repo.config),
      this.recordings(deviceId),
    ]);
    const current = parseRecorderConfig(file.text);
    const after = changeEncoders(file.text, {
      cameras: change.cameras,
      encoder,
      codec: preset.codec,
      container: preset.container,
    });
    const cameras =
      change.cameras === 'all' ? current.cameras.map((c) => c.name) : [...new Set(change.cameras)];
    const budget = checkBudget(
      planFromConfig(parseRecorderConfig(after)),
      { safe: profile.vpu.safeLimit, practical: profile.vpu.practicalLimit },
      this.opts.liveSessions(deviceId),
    );
    const danger = dangerOf(encoder);
    const blocked: string[] = [];
    if (state.dirtyFiles.length > 0) blocked.push(this.dirtyMessage(deviceId, profile, state));
    if (danger && !change.overrideDanger)
      blocked.push(
        `Dangerous setting: ${danger.reason} (seed ${danger.seed}). To apply it anyway, ask again with the danger override; the override is written to the audit log.`,
      );
    if (budget.verdict === 'refuse') blocked.push(budget.message);
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

  private dirtyMessage(deviceId: string, profile: DeviceProfile, state: RepoState): string {
    const shown = state.dirtyFiles.slice(0, 10).join(', ') + (state.dirtyFiles.length > 10 ? ', …' : '');
    return `The recorder repo ${profile.repo.path} on ${this.opts.deviceName(deviceId)} has uncommitted changes (${shown}); Tally does not overwrite them. Commit or discard them on the device first (git -C ${profile.repo.path} status).`;
  }

  /** Cameras recording now; empty when none or when the recorder cannot say (the restart then asks itself). */
  private async recordings(deviceId: string): Promise<string[]> {
    try {
      const state: RecorderState = await this.opts.recorder.status(deviceId);
      return state.recordings.map((r) => r.camera);
    } catch {
      return [];
    }
  }

  // ---- apply / revert --------------------------------------------------------------------------------------------

  private lease(deviceId: string, kind: Operation['kind'], what: string): Promise<Lease> {
    return this.opts.leases.acquire(deviceId, {
      kind,
      what: `${what} on ${this.opts.deviceName(deviceId)}`,
      follow: 'Its steps show under Encoders in the Recorder tab of the console that started it.',
    });
  }

  async apply(input: ConfigChangeInput): Promise<Operation> {
    const change = validChange(input);
    this.encoderOf(change);
    const { deviceId } = change;
    const checkStarted = performance.now();
    const lease = await this.lease(
      deviceId,
      'config.apply',
      `Apply ${change.encoder === undefined ? change.preset : 'a typed encoder'} to ${change.cameras === 'all' ? 'all cameras' : cameraRange(change.cameras)}`,
    );
    let handedOff = false;
    try {
      const prepared = await this.prepare(change);
      const { preview, encoder, cameras, danger } = prepared;
      const encoderText = encoderToText(encoder);
      const what = `${cameraRange(cameras)} → ${change.encoder === undefined ? change.preset : 'custom'} (${encoderText})`;
      if (preview.blocked) {
        await this.opts.audit({
          deviceId,
          action: 'config.apply',
          detail: what,
          result: 'refused',
          message: preview.blocked,
        });
        throw new ContractError('refused', preview.blocked);
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
      const op = this.newOperation(
        deviceId,
        'config.apply',
        `Apply ${change.encoder === undefined ? change.preset : 'a typed encoder'} to ${cameraRange(cameras)} on ${this.opts.deviceName(deviceId)}`,
        preview.repo.head,
      );
      this.finishStep(
        op,
        0,
        'done',
        `${preview.budget.message}${danger ? ` Danger overridden: ${danger.id}.` : ''}`,
        ms(checkStarted),
      );
      await this.opts.audit({ deviceId, action: 'config.apply', detail: what, result: 'started' });
      handedOff = true;
      void this.carryOut(op, lease, {
        deviceId,
        profile: prepared.profile,
        before: prepared.file,
        after: preview.after,
        message: `Tally: ${what}${danger && change.overrideDanger ? ' [danger overridden]' : ''}\n\n${body.join('\n')}\n`,
        cameras,
        auditAction: 'config.apply',
        auditDetail: what,
      });
      return structuredClone(op);
    } finally {
      if (!handedOff) await lease.release();
    }
  }

  async revert(deviceId: string, commit: string): Promise<Operation> {
    try {
      commitId(commit);
    } catch (err) {
      throw new ContractError('invalid_input', err instanceof UnsafeValueError ? err.message : message(err), {
        commit: 'A commit id is 7 to 40 hex digits.',
      });
    }
    const checkStarted = performance.now();
    const lease = await this.lease(deviceId, 'config.revert', `Revert config.yml to ${commit.slice(0, 7)}`);
    let handedOff = false;
    const detail = `to ${commit}`;
    const refuse = async (why: string): Promise<never> => {
      await this.opts.audit({ deviceId, action: 'config.revert', detail, result: 'refused', message: why });
      throw new ContractError('refused', why);
    };
    try {
      const profile = this.opts.profileOf(deviceId);
      const { path: repoPath, config } = profile.repo;
      const [state, before, recordings] = await Promise.all([
        this.repo.state(deviceId, repoPath),
        this.repo.readFile(deviceId, repoPath, config),
        this.recordings(deviceId),
      ]);
      if (state.dirtyFiles.length > 0) await refuse(this.dirtyMessage(deviceId, profile, state));
      const target = await this.repo.resolve(deviceId, repoPath, commit);
      const after = await this.repo.fileAt(deviceId, repoPath, target.sha, config);
      if (after === before.text)
        throw new ContractError(
          'conflict',
          `${config} is already as it was at ${target.sha.slice(0, 7)}; nothing to revert.`,
        );
      let targetConfig: RecorderConfig;
      try {
        targetConfig = parseRecorderConfig(after);
      } catch (err) {
        return await refuse(
          `${config} at ${target.sha.slice(0, 7)} is not a config Tally can check: ${message(err)}`,
        );
      }
      const dangers = targetConfig.cameras.flatMap((c) => {
        const d = dangerOf(c.encoder);
        return d ? [`${c.name}: ${d.reason}`] : [];
      });
      if (dangers.length > 0)
        await refuse(
          `${config} at ${target.sha.slice(0, 7)} has a dangerous setting, so Tally will not go back to it. ${dangers[0]}`,
        );
      const budget = checkBudget(
        planFromConfig(targetConfig),
        { safe: profile.vpu.safeLimit, practical: profile.vpu.practicalLimit },
        this.opts.liveSessions(deviceId),
      );
      if (budget.verdict === 'refuse') await refuse(budget.message);
      if (recordings.length > 0)
        await refuse(
          `Recording now on ${recordings.join(', ')}: reverting restarts the recorder, which ends those recordings. Stop them first.`,
        );
      const short = target.sha.slice(0, 7);
      const op = this.newOperation(
        deviceId,
        'config.revert',
        `Revert ${config} to ${short} (${target.subject}) on ${this.opts.deviceName(deviceId)}`,
        state.head,
      );
      this.finishStep(op, 0, 'done', `${config} as at ${short}. ${budget.message}`, ms(checkStarted));
      await this.opts.audit({
        deviceId,
        action: 'config.revert',
        detail: `to ${target.sha}`,
        result: 'started',
      });
      handedOff = true;
      void this.carryOut(op, lease, {
        deviceId,
        profile,
        before,
        after,
        message: `Tally: revert ${config} to ${short} (${target.subject})\n\nPut back as it was at ${target.sha}, from Tally (operator console).\n`,
        cameras: targetConfig.cameras.map((c) => c.name),
        auditAction: 'config.revert',
        auditDetail: `to ${target.sha}`,
      });
      return structuredClone(op);
    } finally {
      if (!handedOff) await lease.release();
    }
  }

  // ---- the operation ---------------------------------------------------------------------------------------------

  private newOperation(
    deviceId: string,
    kind: Operation['kind'],
    title: string,
    head: string | null,
  ): Operation {
    const names = [STEP.check, STEP.write, STEP.commit, STEP.restart, STEP.cameras, this.watchStep()];
    const op: Operation = {
      id: `op-${randomUUID()}`,
      deviceId,
      kind,
      title,
      state: 'running',
      steps: names.map((name, i) => ({ name, state: i === 0 ? 'running' : 'pending', detail: '' })),
      evidence: [],
      commit: null,
      previousCommit: head,
      startedAt: now(),
      endedAt: null,
    };
    this.operations.push(op);
    if (this.operations.length > KEEP_OPERATIONS)
      this.operations.splice(0, this.operations.length - KEEP_OPERATIONS);
    this.emit(op);
    return op;
  }

  private emit(op: Operation): void {
    try {
      this.opts.onOperation(structuredClone(op));
    } catch {
      // A listener's failure must not stop the work on the device.
    }
  }

  private step(op: Operation, index: number): Step {
    const step = op.steps[index];
    if (!step) throw new Error(`operation ${op.id} has no step ${index}`);
    return step;
  }

  private startStep(op: Operation, index: number, detail = ''): number {
    const step = this.step(op, index);
    step.state = 'running';
    step.detail = detail;
    this.emit(op);
    return performance.now();
  }

  /** A running step's detail, sent only when it changed (the watch loop polls four times a second). */
  private progress(op: Operation, index: number, detail: string): void {
    const step = this.step(op, index);
    if (step.detail === detail) return;
    step.detail = detail;
    this.emit(op);
  }

  private finishStep(
    op: Operation,
    index: number,
    state: Step['state'],
    detail: string,
    durationMs?: number,
  ): void {
    const step = this.step(op, index);
    step.state = state;
    step.detail = detail;
    if (durationMs !== undefined) step.durationMs = durationMs;
    this.emit(op);
  }

  /** Write → commit → restart → cameras and kernel watch. Never throws: every end is reported on the operation. */
  private async carryOut(op: Operation, lease: Lease, plan: Plan): Promise<void> {
    const { deviceId, profile } = plan;
    const { path: repoPath, config } = profile.repo;
    // The operation ends once, either way: free the device, write the audit line, then tell the UI. The device is
    // freed first (whoever sees the end may start the next operation at once) and the audit line comes before the
    // event (the CLI exits on it), so the outcome is recorded by then.
    const end = async (state: 'succeeded' | 'failed' | 'interrupted', message: string): Promise<void> => {
      await lease.release().catch(() => undefined);
      op.state = state;
      op.endedAt = now();
      await this.opts
        .audit({
          deviceId,
          action: plan.auditAction,
          detail: plan.auditDetail,
          result: state === 'succeeded' ? 'ok' : state === 'interrupted' ? 'refused' : 'error',
          message,
        })
        .catch(() => undefined);
      this.emit(op);
    };
    const fail = async (
      index: number,
      detail: string,
      started: number | undefined,
      evidence: string[],
    ): Promise<void> => {
      this.finishStep(op, index, 'failed', detail, started === undefined ? undefined : ms(started));
      for (const s of op.steps) if (s.state === 'pending' || s.state === 'running') s.state = 'skipped';
      op.evidence.push(...evidence.slice(0, MAX_EVIDENCE_LINES * 3));
      await end('failed', `${this.step(op, index).name}: ${detail}`);
    };
    // An emergency VPU reset asked for the device: stop here, say where, and revert nothing over the reset.
    const interrupted = async (index: number, detail: string, started?: number): Promise<void> => {
      this.finishStep(op, index, 'skipped', detail, started === undefined ? undefined : ms(started));
      for (const s of op.steps) if (s.state === 'pending' || s.state === 'running') s.state = 'skipped';
      await end(
        'interrupted',
        `Interrupted by ${lease.interruptedBy ?? 'an emergency VPU reset'}: ${detail}`,
      );
    };
    const by = (): string => lease.interruptedBy ?? 'an emergency VPU reset';

    // The lease ended under the operation (its holder on the device was killed, or the link stayed away longer than
    // the lease lasts): another operation may be changing the device now, so stop instead of acting on it.
    const lost = (): string | null =>
      lease.ended === null || lease.ended === 'released'
        ? null
        : `Lost ${this.opts.deviceName(deviceId)}'s lease (${lease.ended === 'expired' ? 'no word from this console for too long' : 'its holder on the device was killed'}): another operation may be changing the device, so this one stopped here.`;

    if (lease.interruptedBy !== null)
      return interrupted(1, `Interrupted by ${by()} before anything was written; nothing was changed.`);
    if (lost()) return fail(1, `${lost()} Nothing was changed.`, undefined, []);

    // Write.
    let started = this.startStep(op, 1, `Writing ${repoPath}/${config} (temp file, then rename).`);
    try {
      await this.repo.writeFile(deviceId, repoPath, config, plan.after, plan.before.blob);
      this.finishStep(op, 1, 'done', `${repoPath}/${config} written.`, ms(started));
    } catch (err) {
      return fail(1, `Nothing was changed: ${message(err)}`, started, []);
    }

    // Commit; a failed commit puts the file back so the device is not left half-changed.
    started = this.startStep(op, 2, 'Committing in the recorder repo.');
    try {
      op.commit = await this.repo.commit(deviceId, repoPath, config, plan.message, this.author);
      this.finishStep(
        op,
        2,
        'done',
        `${op.commit.slice(0, 7)} ${plan.message.split('\n')[0] ?? ''}`,
        ms(started),
      );
    } catch (err) {
      let restored: string;
      try {
        const written = await this.repo.readFile(deviceId, repoPath, config);
        await this.repo.writeFile(deviceId, repoPath, config, plan.before.text, written.blob);
        restored = `${config} was put back as it was; the device is unchanged.`;
      } catch (restoreErr) {
        restored = `${config} could NOT be put back (${message(restoreErr)}): it holds the new text uncommitted. Run git -C ${repoPath} checkout -- ${config} on the device.`;
      }
      return fail(2, `${message(err)} ${restored}`, started, []);
    }

    if (lease.interruptedBy !== null)
      return interrupted(
        3,
        `Interrupted by ${by()}: ${config} is committed as ${op.commit?.slice(0, 7)}, but this change did not restart the recorder; the reset does, and the recorder then runs it. Nothing was reverted.`,
      );

    if (lost())
      return fail(
        3,
        `${lost()} ${config} is committed as ${op.commit?.slice(0, 7)} but the recorder was not restarted: restart it, or revert.`,
        undefined,
        [],
      );

    // Restart. From here on the new config is committed; the way back is previousCommit.
    const since = now();
    started = this.startStep(op, 3, `Restarting ${profile.units.recorder}.`);
    let state: RecorderState;
    try {
      const result = await this.opts.recorder.control(deviceId, 'restart', false);
      if (result.kind === 'confirm') {
        return fail(
          3,
          `Not restarted: ${result.message} ${config} is committed as ${op.commit?.slice(0, 7)} but the recorder still runs the previous config. Restart it when the recordings end, or revert.`,
          started,
          result.recordings.map((r) => `Recording: ${r.camera} → ${r.file}`),
        );
      }
      state = result.state;
    } catch (err) {
      return fail(
        3,
        `${message(err)} The new config is committed; revert to go back.`,
        started,
        await this.evidence(deviceId, since, []),
      );
    }
    if (state.activeState !== 'active')
      return fail(
        3,
        `${state.unit} is ${state.activeState} (${state.subState}) after the restart.`,
        started,
        await this.evidence(deviceId, since, []),
      );
    this.finishStep(
      op,
      3,
      'done',
      `${state.unit} ${state.activeState} (${state.subState}), PID ${state.mainPid ?? '?'}.`,
      ms(started),
    );

    // Cameras and kernel, side by side: a kernel fault can come while the cameras are still starting.
    const outcome = await this.watch(op, plan, since, lease);
    if (outcome === 'interrupted')
      return interrupted(
        5,
        `Interrupted by ${by()} while watching the restart: ${op.commit?.slice(0, 7)} stays committed and nothing was reverted; the reset's report says how the board came back.`,
      );
    if (outcome) return fail(outcome.index, outcome.detail, outcome.started, outcome.evidence);

    await end(
      'succeeded',
      `Committed ${op.commit ?? '?'} (previous ${op.previousCommit ?? 'none'}); ${plan.cameras.length} camera(s) online, no kernel alarm in ${this.watchMs / 1000} s.`,
    );
  }

  /** Resolves null when the cameras came back and the kernel stayed quiet, else the failing step. */
  private async watch(
    op: Operation,
    plan: Plan,
    since: string,
    lease: Lease,
  ): Promise<{ index: number; detail: string; started: number; evidence: string[] } | 'interrupted' | null> {
    const { deviceId } = plan;
    const camerasStarted = this.startStep(op, 4, `Waiting for ${cameraRange(plan.cameras)}.`);
    const watchStarted = this.startStep(op, 5, 'No kernel alarm so far.');
    const sinceMs = Date.parse(since);
    const camerasDeadline = performance.now() + this.camerasTimeoutMs;
    let camerasDone = false;
    let onlineRounds = 0;
    let lastCameras: CameraView[] = [];
    let lastCameraError = '';
    let nextCameraPoll = 0;

    for (;;) {
      if (lease.interruptedBy !== null) {
        if (!camerasDone)
          this.finishStep(op, 4, 'skipped', 'Stopped waiting: interrupted.', ms(camerasStarted));
        return 'interrupted';
      }
      if (lease.ended !== null && lease.ended !== 'released') {
        if (!camerasDone)
          this.finishStep(op, 4, 'skipped', 'Stopped waiting: the lease was lost.', ms(camerasStarted));
        return {
          index: 5,
          detail: `Lost ${this.opts.deviceName(deviceId)}'s lease during the watch (${lease.ended === 'expired' ? 'no word from this console for too long' : 'its holder on the device was killed'}): another operation may be changing the device, so the watch stopped. ${op.commit?.slice(0, 7)} stays committed; check the device before trusting this change.`,
          started: watchStarted,
          evidence: [],
        };
      }
      const alarms = this.opts.kernelAlarmsSince(deviceId, since);
      if (alarms.length > 0) {
        const titles = alarms.map((a) => a.title).join('; ');
        if (!camerasDone)
          this.finishStep(
            op,
            4,
            'skipped',
            'Stopped waiting: the kernel reported a fault.',
            ms(camerasStarted),
          );
        return {
          index: 5,
          detail: `Kernel alarm within ${Math.round((Date.now() - sinceMs) / 1000)} s of the restart: ${titles}.`,
          started: watchStarted,
          evidence: await this.evidence(deviceId, since, lastCameras, alarms),
        };
      }
      const link = this.opts.connections.status(deviceId);
      if (!isLive(link.state)) {
        if (!camerasDone)
          this.finishStep(op, 4, 'skipped', 'Stopped waiting: the connection dropped.', ms(camerasStarted));
        return {
          index: 5,
          detail: `The connection to ${this.opts.deviceName(deviceId)} dropped during the watch (${link.state}: ${link.detail}); the kernel could not be watched. A kernel panic reboots the box: check it before trusting this change.`,
          started: watchStarted,
          evidence: [`Connection: ${link.state} — ${link.detail}`],
        };
      }

      if (!camerasDone && performance.now() >= nextCameraPoll) {
        nextCameraPoll = performance.now() + POLL_MS;
        try {
          lastCameras = await this.opts.cameras.list(deviceId);
          lastCameraError = '';
          const wanted = lastCameras.filter((c) => plan.cameras.includes(c.name));
          const up = wanted.filter((c) => c.online && c.signal !== 'error');
          // Two readings in a row, so a path the old pipelines left behind for a moment does not count.
          onlineRounds = up.length === plan.cameras.length ? onlineRounds + 1 : 0;
          this.progress(op, 4, `${up.length} of ${plan.cameras.length} online.`);
          if (onlineRounds >= 2) {
            camerasDone = true;
            this.finishStep(
              op,
              4,
              'done',
              `${cameraRange(plan.cameras)} online (${up.length} of ${plan.cameras.length}).`,
              ms(camerasStarted),
            );
          }
        } catch (err) {
          lastCameraError = message(err);
        }
        if (!camerasDone && performance.now() >= camerasDeadline) {
          const offline = plan.cameras.filter(
            (name) => !lastCameras.some((c) => c.name === name && c.online),
          );
          this.finishStep(op, 5, 'skipped', 'Stopped: the cameras did not come back.', ms(watchStarted));
          return {
            index: 4,
            detail: `Not online after ${Math.round(this.camerasTimeoutMs / 1000)} s: ${offline.join(', ') || 'cameras in error'}${lastCameraError ? ` (last reading failed: ${lastCameraError})` : ''}.`,
            started: camerasStarted,
            evidence: await this.evidence(deviceId, since, lastCameras),
          };
        }
      }

      const watched = Date.now() - sinceMs;
      if (camerasDone && watched >= this.watchMs) {
        this.finishStep(
          op,
          5,
          'done',
          `No kernel alarm in ${Math.round(watched / 100) / 10} s after the restart.`,
          ms(watchStarted),
        );
        return null;
      }
      this.progress(
        op,
        5,
        `No kernel alarm so far (${Math.floor(watched / 1000)} of ${Math.round(this.watchMs / 1000)} s).`,
      );
      await sleep(WATCH_POLL_MS);
    }
  }

  /** The kernel alarms, camera states and the recorder's last journal lines, for a failed operation. */
  private async evidence(
    deviceId: string,
    since: string,
    cameras: readonly CameraView[],
    alarms: readonly Alarm[] = this.opts.kernelAlarmsSince(deviceId, since),
  ): Promise<string[]> {
    const lines = [...alarmEvidence(alarms)];
    let views = [...cameras];
    if (views.length === 0) views = await this.opts.cameras.list(deviceId).catch(() => []);
    lines.push(...views.map(cameraLine));
    try {
      const sinceMs = Date.parse(since);
      const journal = this.opts.recorder.journal(deviceId);
      const recent = journal.filter((e) => e.at >= sinceMs - 1000).slice(-MAX_EVIDENCE_LINES);
      lines.push(...recent.map((e) => `journal ${new Date(e.at).toISOString()}: ${e.message}`));
    } catch (err) {
      lines.push(`Recorder journal not available: ${message(err)}`);
    }
    return lines;
  }
}

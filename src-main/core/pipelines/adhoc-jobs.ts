/**
 * Ad-hoc GStreamer pipelines on a device (seed 001's Test 1 encode, or one a producer typed), run as detached
 * remote jobs so a dropped link does not abort them (seed 000). Refused when they would take the device over its
 * practical VPU limit (seed 002) or when they carry a known-bad encoder setting.
 */
import { randomBytes } from 'node:crypto';
import {
  ContractError,
  PipelineRequest,
  fieldErrors,
  type EncoderSpec,
  type PipelineJob,
  type PipelineRequestInput,
} from '../../contract/index.js';
import type { DeviceLeases } from '../device/lease.js';
import type { R58Profile } from '../device/profile.js';
import { argv as argvCommand, sh } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import { elementInfo } from '../media/elements.js';
import {
  buildPipeline,
  parseTypedPipeline,
  pipelineSessions,
  pipelineText,
} from '../media/pipeline-builder.js';
import { dangerOf } from '../media/presets.js';

export interface AdhocAuditInput {
  deviceId: string;
  action: string;
  detail?: string;
  result: 'ok' | 'error' | 'refused' | 'started';
  message?: string;
}

export interface AdhocPipelinesOptions {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  profileOf(deviceId: string): R58Profile;
  /** VPU sessions open on the device now (the monitor's latest sample), null when unknown. */
  liveSessions(deviceId: string): number | null;
  /** Sessions those processes hold in the monitor's latest sample, null when unknown. */
  sessionsOfPids(deviceId: string, pids: number[]): number | null;
  onJob(job: PipelineJob): void;
  audit(entry: AdhocAuditInput): Promise<void>;
  /** Starting a pipeline takes the device's lease (stopping one never waits for it). */
  leases: Pick<DeviceLeases, 'run'>;
  /** Stop: SIGINT (EOS with -e), then SIGTERM after this, then SIGKILL after twice this. Default 5 s. */
  stopGraceMs?: number;
}

const OUTPUT_CAP = 64 * 1024;
const SESSIONS_EVERY_MS = 2_000;
const EMIT_EVERY_MS = 150;
const KEEP_ENDED = 50;
const GST = 'gst-launch-1.0';

interface Entry {
  job: PipelineJob;
  /** The job's process group on the device (the pid file), once known. */
  pgid: number | null;
  stopping: boolean;
  /** Highest session count seen while it ran. */
  peak: number | null;
  ended: Promise<void>;
  abort: AbortController;
  emitTimer: NodeJS.Timeout | undefined;
  lastSessionsAt: number;
  refreshing: boolean;
}

function validRequest(input: PipelineRequestInput): PipelineRequest {
  const parsed = PipelineRequest.safeParse(input);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const where = first?.path.map(String).join('.') ?? '';
  throw new ContractError(
    'invalid_input',
    `${where ? `${where}: ` : ''}${first?.message ?? 'The pipeline request is not valid.'}`,
    fieldErrors(parsed.error.issues),
  );
}

/** The encoders in a gst-launch argv with their `key=value` settings, for the known-bad table. */
export function encodersIn(words: readonly string[]): EncoderSpec[] {
  const found: EncoderSpec[] = [];
  let current: EncoderSpec | null = null;
  for (const word of words) {
    if (current && /^[A-Za-z0-9_-]+=/.test(word)) {
      const eq = word.indexOf('=');
      current.properties[word.slice(0, eq)] = word.slice(eq + 1);
      continue;
    }
    current = null;
    if (elementInfo(word)?.kind === 'encoder') {
      current = { element: word, properties: {} };
      found.push(current);
    }
  }
  return found;
}

function jobIdNow(): string {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '');
  return `gst-${stamp}-${randomBytes(4).toString('hex')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class AdhocPipelines {
  /** deviceId → jobId → entry. */
  private readonly entries = new Map<string, Map<string, Entry>>();
  private readonly grace: number;

  constructor(private readonly opts: AdhocPipelinesOptions) {
    this.grace = opts.stopGraceMs ?? 5_000;
  }

  list(deviceId: string): PipelineJob[] {
    return [...(this.entries.get(deviceId)?.values() ?? [])].map((e) => structuredClone(e.job));
  }

  async run(input: PipelineRequestInput): Promise<PipelineJob> {
    const request = validRequest(input);
    const { deviceId, pipeline } = request;
    const words =
      pipeline.kind === 'test-encode'
        ? buildPipeline({
            kind: 'test-encode',
            encoder: pipeline.encoder,
            width: pipeline.width,
            height: pipeline.height,
            framerate: pipeline.framerate,
            buffers: pipeline.buffers,
          })
        : parseTypedPipeline(pipeline.text);
    const text = `${GST} -e ${pipelineText(words)}`;
    const refuse = async (why: string): Promise<never> => {
      await this.opts.audit({
        deviceId,
        action: 'pipelines.run',
        detail: text,
        result: 'refused',
        message: why,
      });
      throw new ContractError('refused', why);
    };

    for (const encoder of encodersIn(words)) {
      const danger = dangerOf(encoder);
      if (danger)
        await refuse(
          `Dangerous setting in this pipeline: ${danger.reason} (seed ${danger.seed}). Ad-hoc pipelines cannot override it.`,
        );
    }

    const profile = this.opts.profileOf(deviceId);
    const { safeLimit: safe, practicalLimit: practical } = profile.vpu;
    const expected = pipelineSessions(words);
    const live = this.opts.liveSessions(deviceId);
    const noun = (n: number): string => `${n} VPU session${n === 1 ? '' : 's'}`;
    let warning: string | null = null;
    if (expected > 0) {
      if (live === null) {
        if (expected > practical)
          await refuse(
            `This pipeline takes ${noun(expected)}, over the practical limit of ${practical} on its own (the device's live count is unknown).`,
          );
        warning = `The device's live VPU count is unknown (the monitor has no reading); this pipeline takes ${noun(expected)}.`;
      } else {
        const total = live + expected;
        if (total > practical)
          await refuse(
            `This pipeline takes ${noun(expected)} and the device has ${live} open now: ${total} is over the practical limit of ${practical} (seed 002). Free sessions first (fewer cameras or a software encoder).`,
          );
        if (total > safe)
          warning = `${live} open now + ${expected} for this pipeline = ${total} VPU sessions, over the safe limit of ${safe}: watch the kernel log for "too many sessions" and RCU stalls.`;
      }
    }

    const jobId = jobIdNow();
    const command = sh`exec ${argvCommand(GST, '-e', ...words)}`;
    try {
      await this.opts.leases.run(
        deviceId,
        {
          kind: 'pipelines.run',
          what: `Start the pipeline ${text.length > 80 ? `${text.slice(0, 77)}…` : text}`,
          follow: 'Starting takes a moment; the Recorder tab lists the pipelines.',
        },
        () => this.opts.jobs.start(deviceId, command, { jobId }),
      );
    } catch (err) {
      await this.opts
        .audit({
          deviceId,
          action: 'pipelines.run',
          detail: text,
          result: err instanceof ContractError && err.code === 'busy' ? 'refused' : 'error',
          message: message(err),
        })
        .catch(() => undefined);
      throw err;
    }
    await this.opts.audit({
      deviceId,
      action: 'pipelines.run',
      detail: `${jobId}: ${text}`,
      result: 'started',
    });

    const job: PipelineJob = {
      id: jobId,
      deviceId,
      command: text,
      state: 'running',
      exitCode: null,
      startedAt: new Date().toISOString(),
      vpuSessions: null,
      expectedSessions: expected,
      output: warning ? `Tally: ${warning}\n` : '',
    };
    const entry: Entry = {
      job,
      pgid: null,
      stopping: false,
      peak: null,
      ended: Promise.resolve(),
      abort: new AbortController(),
      emitTimer: undefined,
      lastSessionsAt: 0,
      refreshing: false,
    };
    let jobs = this.entries.get(deviceId);
    if (!jobs) {
      jobs = new Map();
      this.entries.set(deviceId, jobs);
    }
    jobs.set(jobId, entry);
    this.prune(jobs);
    entry.ended = this.follow(entry);
    this.emitNow(entry);
    return structuredClone(job);
  }

  /** Ask politely, then firmly: SIGINT (gst-launch -e sends EOS, so files are finalised), SIGTERM, SIGKILL. */
  async stop(deviceId: string, jobId: string): Promise<PipelineJob> {
    const entry = this.entries.get(deviceId)?.get(jobId);
    if (!entry) throw new ContractError('not_found', `No pipeline job ${jobId} on this device.`);
    if (entry.job.state !== 'running') return structuredClone(entry.job);
    entry.stopping = true;
    const { deviceId: id } = entry.job;
    const ended = entry.ended.then(() => true);
    const within = (ms: number): Promise<boolean> => Promise.race([ended, sleep(ms).then(() => false)]);
    const steps: Array<['INT' | 'TERM' | 'KILL', number]> = [
      ['INT', this.grace],
      ['TERM', this.grace],
      ['KILL', this.grace],
    ];
    let sent = '';
    for (const [signal, wait] of steps) {
      try {
        await this.opts.jobs.signal(id, jobId, signal);
        sent = signal;
        this.append(entry, `Tally: sent SIG${signal} to the pipeline.\n`);
      } catch (err) {
        this.append(entry, `Tally: could not send SIG${signal}: ${message(err)}\n`);
      }
      if (await within(wait)) break;
    }
    // Read again: the follower changed the state while this waited.
    const stopped = (entry.job as PipelineJob).state !== 'running';
    await this.opts
      .audit({
        deviceId: id,
        action: 'pipelines.stop',
        detail: jobId,
        result: stopped ? 'ok' : 'error',
        message: stopped
          ? `Stopped with SIG${sent}, exit ${entry.job.exitCode ?? '?'}.`
          : 'It did not end after SIGKILL; it may still run on the device.',
      })
      .catch(() => undefined);
    return structuredClone(entry.job);
  }

  /** Stop following every job (the console is closing); the jobs themselves run on. */
  close(): void {
    for (const jobs of this.entries.values())
      for (const entry of jobs.values()) {
        entry.abort.abort();
        clearTimeout(entry.emitTimer);
      }
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  private async follow(entry: Entry): Promise<void> {
    const { deviceId, id: jobId } = entry.job;
    const ticker = setInterval(() => void this.refreshSessions(entry), SESSIONS_EVERY_MS);
    void this.refreshSessions(entry);
    let exitCode: number | null = null;
    let failure: string | null = null;
    try {
      const result = await this.opts.jobs.attach(
        deviceId,
        jobId,
        (chunk) => {
          this.append(entry, chunk);
          if (Date.now() - entry.lastSessionsAt >= 1_000) void this.refreshSessions(entry);
        },
        { signal: entry.abort.signal },
      );
      exitCode = result.exitCode;
    } catch (err) {
      failure = message(err);
    } finally {
      clearInterval(ticker);
    }
    if (entry.abort.signal.aborted) return;
    const job = entry.job;
    job.exitCode = exitCode;
    job.state = entry.stopping ? 'stopped' : exitCode === 0 ? 'exited' : 'failed';
    // Once it ended, "sessions it holds now" is zero; show what it took while it ran instead, which is what a
    // producer looks for after a test encode.
    job.vpuSessions = entry.peak;
    if (failure) this.append(entry, `Tally: lost track of the job: ${failure}\n`);
    this.emitNow(entry);
    await this.opts
      .audit({
        deviceId,
        action: 'pipelines.exit',
        detail: jobId,
        result: job.state === 'failed' ? 'error' : 'ok',
        message:
          failure ?? `${job.state}, exit ${exitCode ?? '?'}, VPU sessions seen ${entry.peak ?? 'unknown'}.`,
      })
      .catch(() => undefined);
  }

  private async refreshSessions(entry: Entry): Promise<void> {
    if (entry.refreshing || entry.job.state !== 'running') return;
    entry.refreshing = true;
    entry.lastSessionsAt = Date.now();
    const { deviceId, id: jobId } = entry.job;
    try {
      const group = await this.opts.jobs.processes(deviceId, jobId);
      if (group === undefined || entry.job.state !== 'running') return;
      const { leader, members } = group;
      entry.pgid = leader;
      const sessions = this.opts.sessionsOfPids(deviceId, [leader, ...members]);
      if (sessions !== null) entry.peak = Math.max(entry.peak ?? 0, sessions);
      if (sessions !== entry.job.vpuSessions) {
        entry.job.vpuSessions = sessions;
        this.emitSoon(entry);
      }
    } catch {
      // The next tick tries again; a reading is not worth failing the job for.
    } finally {
      entry.refreshing = false;
    }
  }

  private append(entry: Entry, text: string): void {
    let output = entry.job.output + text;
    if (output.length > OUTPUT_CAP) {
      const cut = output.indexOf('\n', output.length - OUTPUT_CAP);
      output = `[earlier output dropped]\n${output.slice(cut < 0 ? output.length - OUTPUT_CAP : cut + 1)}`;
    }
    entry.job.output = output;
    this.emitSoon(entry);
  }

  private emitSoon(entry: Entry): void {
    if (entry.emitTimer) return;
    entry.emitTimer = setTimeout(() => {
      entry.emitTimer = undefined;
      this.emit(entry);
    }, EMIT_EVERY_MS);
  }

  private emitNow(entry: Entry): void {
    clearTimeout(entry.emitTimer);
    entry.emitTimer = undefined;
    this.emit(entry);
  }

  private emit(entry: Entry): void {
    try {
      this.opts.onJob(structuredClone(entry.job));
    } catch {
      // A listener's failure must not stop following the job.
    }
  }

  /** Keep every running job and the newest ended ones. */
  private prune(jobs: Map<string, Entry>): void {
    const ended = [...jobs.values()].filter((e) => e.job.state !== 'running');
    for (const e of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) jobs.delete(e.job.id);
  }
}

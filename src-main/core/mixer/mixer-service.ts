/**
 * The scene mixer on each device (issue 14): Tally's mixer agent runs there as a detached job and composites the
 * cameras into `program`; this service starts and stops it (holding the device's lease while it does), keeps one
 * open conversation with it per connected device, reads its state back after every reconnect, and sends previews
 * and takes. A take carries a sequence number (applied at most once) and a deadline in the device's clock (dropped
 * there if it arrives late); it does not take the lease, so a rollback or reset in progress does not stop the show.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ContractError,
  isLive,
  type MixerPreflight,
  type MixerState,
  type Scene,
  type SceneList,
  type TakeResult,
  type Transition,
} from '../../contract/index.js';
import type { DeviceAudit } from '../audit/audit-log.js';
import type { DeviceLeases } from '../device/lease.js';
import type { R58Profile } from '../device/profile.js';
import { sh, remotePath, type ShellCommand } from '../device/quote.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import type { RecorderConfig } from '../media/recorder-config.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { packageRoot } from '../../paths.js';
import { AgentState, type AgentConfig } from './agent-protocol.js';
import { AgentLink, LinkLost } from './agent-link.js';
import { mixerPreflight } from './preflight.js';
import { ScenesStore } from './scenes-store.js';

export interface MixerServiceOptions {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  leases: Pick<DeviceLeases, 'run' | 'consoleId'>;
  audit: DeviceAudit;
  profileOf(deviceId: string): R58Profile;
  deviceName(deviceId: string): string;
  /** The device's open VPU sessions now, and how many of them these processes hold (the monitor). */
  liveSessions(deviceId: string): number | null;
  sessionsOfPids(deviceId: string, pids: number[]): number | null;
  /** The recorder's config.yml as it is on the device now (its recording encoders count in the budget). */
  recorderConfig(deviceId: string): Promise<RecorderConfig>;
  onChange(state: MixerState): void;
  /** Replaces the profile's program size (tests and demos on a small machine). */
  output?: Partial<NonNullable<R58Profile['mixer']>['output']>;
}

const AGENT_FILE = path.join('resources', 'device', 'mixer', 'tally_mixer.py');
const DIR = sh`"$HOME"/.tally/mixer`;
const REQUEST_MS = 10_000;
const READY_MS = 45_000;
/** How often the device clock's offset (and the link's round trip) is measured while the link is open. */
const OFFSET_EVERY_MS = 5_000;
const CONFIG_MAX_AGE_MS = 60_000;

interface Agent {
  name: string;
  text: string;
  version: string;
}

/**
 * Why the mixer this console had on air is not running: an emergency VPU reset stopped it (with EOS). Kept until a
 * mixer runs again, so the state says so; it also holds what was on Program, to start it again the same way.
 */
interface StopNote {
  /** In words: "the emergency VPU reset started by …". */
  by: string;
  /** The reset's job id (in the audit line of the mixer's end). */
  ref: string;
  /** The agent the reset stops. */
  pid: number | null;
  /** What is on Program, followed until the agent stops (a take may come in between). */
  program: Scene | null;
  softwareCameras: string[];
  /** This console started the mixer, so it starts it again after a healthy reset. */
  restartable: boolean;
  /** The agent was seen ending (and its end audited). */
  ended: boolean;
  /** What the state says while it is off; null: that it starts again once the reset has ended healthy. */
  detail: string | null;
}

interface DeviceMixer {
  link: AgentLink | null;
  /** The agent's detached job on the device, when known (started here, or found on a read-back). */
  jobId: string | null;
  /** Whether this console started that job. */
  startedHere: boolean;
  state: MixerState;
  seq: number;
  /** Device clock minus console clock, ms, and when it was measured. */
  offset: { ms: number; at: number; rttMs: number } | null;
  /** The program the console last sent and the device confirmed, to tell a mismatch. */
  softwareCameras: string[];
  stopNote: StopNote | null;
}

/** What is on Program as a scene to start with (a take may have put an edited, unsaved scene there). */
function sceneOnAir(program: MixerState['program']): Scene | null {
  return program ? { id: program.sceneId ?? 'program', name: program.name, boxes: program.boxes } : null;
}

function sceneWords(scene: Scene | null): string {
  return scene ? `scene “${scene.name}”` : 'an empty Program';
}

function agentPath(agent: Agent): ShellCommand {
  return sh`"$HOME"/.tally/mixer/${agent.name}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class MixerService {
  private readonly devices = new Map<string, DeviceMixer>();
  private readonly configs = new Map<string, { config: RecorderConfig; at: number }>();
  private readonly sceneLists = new Map<string, SceneList>();
  private readonly scenes: ScenesStore;
  private readonly unsubscribe: () => void;
  private agentCache: Agent | undefined;

  constructor(private readonly opts: MixerServiceOptions) {
    this.scenes = new ScenesStore(opts.connections, opts.deviceName);
    this.unsubscribe = opts.connections.onStatus((id, status) => {
      if (isLive(status.state)) void this.readBack(id).catch(() => undefined);
      else this.lost(id);
    });
  }

  // ---- reading ---------------------------------------------------------------------------------------------------

  async state(deviceId: string): Promise<MixerState> {
    const d = this.device(deviceId);
    if (!d.link?.open && isLive(this.opts.connections.status(deviceId).state)) await this.readBack(deviceId);
    return structuredClone(this.device(deviceId).state);
  }

  async listScenes(deviceId: string): Promise<SceneList> {
    const list = await this.scenes.list(deviceId);
    this.sceneLists.set(deviceId, list);
    return list;
  }

  /**
   * A saved scene by id, from the list last read when it is there: a take must not wait on the link for a file
   * (another console's newer version of the scene shows after the next list).
   */
  async scene(deviceId: string, sceneId: string): Promise<Scene | null> {
    const known = this.sceneLists.get(deviceId)?.scenes.find((s) => s.id === sceneId);
    if (known) return known;
    return (await this.listScenes(deviceId)).scenes.find((s) => s.id === sceneId) ?? null;
  }

  async saveScene(deviceId: string, scene: Scene, rev: number): Promise<SceneList> {
    const list = await this.scenes.save(deviceId, scene, rev);
    this.sceneLists.set(deviceId, list);
    await this.opts.audit({
      deviceId,
      action: 'mixer.scene.save',
      detail: `${scene.id} (${scene.name})`,
      result: 'ok',
      message: `rev ${list.rev}, ${scene.boxes.length} box(es)`,
    });
    return list;
  }

  async deleteScene(deviceId: string, sceneId: string, rev: number): Promise<SceneList> {
    const list = await this.scenes.remove(deviceId, sceneId, rev);
    this.sceneLists.set(deviceId, list);
    await this.opts.audit({
      deviceId,
      action: 'mixer.scene.delete',
      detail: sceneId,
      result: 'ok',
      message: `rev ${list.rev}`,
    });
    return list;
  }

  /** `softwareCameras`: those of a start; else the running mixer's (none before a start: a plain start uses the VPU). */
  async preflight(deviceId: string, next: Scene | null, softwareCameras?: string[]): Promise<MixerPreflight> {
    const d = this.device(deviceId);
    const running = d.state.status === 'running' || d.state.status === 'starting';
    this.mixerProfile(deviceId);
    const { vpu } = this.opts.profileOf(deviceId);
    const limits = { safe: vpu.safeLimit, practical: vpu.practicalLimit };
    const program = d.state.program
      ? { id: d.state.program.sceneId ?? 'program', name: d.state.program.name, boxes: d.state.program.boxes }
      : null;
    return mixerPreflight({
      config: await this.recorderConfig(deviceId),
      scenes: [program, next],
      softwareCameras: softwareCameras ?? (running ? d.softwareCameras : []),
      limits,
      live: this.opts.liveSessions(deviceId),
      mixerOwn: d.state.pid !== null ? (this.opts.sessionsOfPids(deviceId, [d.state.pid]) ?? 0) : 0,
    });
  }

  /**
   * The recorder's config for the budget: read again when older than a minute, else the one read last — a take must
   * not wait on a slow or dropping link for a file that rarely changes (a config apply restarts the recorder anyway).
   */
  private async recorderConfig(deviceId: string): Promise<RecorderConfig> {
    const known = this.configs.get(deviceId);
    if (known && Date.now() - known.at < CONFIG_MAX_AGE_MS) return known.config;
    try {
      const config = await this.opts.recorderConfig(deviceId);
      this.configs.set(deviceId, { config, at: Date.now() });
      return config;
    } catch (err) {
      if (known) return known.config;
      throw err;
    }
  }

  // ---- start / stop ----------------------------------------------------------------------------------------------

  /**
   * Start the mixer with a saved scene on Program (the first one by default), or with `opts.program` as given (what
   * was on air before a reset stopped it). Takes the device's lease and checks the VPU budget first.
   */
  async start(
    deviceId: string,
    sceneId?: string,
    softwareCameras?: string[],
    opts: { program?: Scene | null } = {},
  ): Promise<MixerState> {
    const device = this.opts.deviceName(deviceId);
    const mixer = this.mixerProfile(deviceId);
    const d = this.device(deviceId);
    // Started by hand: what a reset left to say is over (a start after a reset keeps it until the mixer runs).
    if (opts.program === undefined) d.stopNote = null;
    await this.readBack(deviceId);
    if (d.state.status === 'running' || d.state.status === 'starting')
      throw new ContractError('conflict', `The mixer already runs on ${device} (pid ${d.state.pid ?? '?'}).`);
    // Each start says its own fallback: a later plain start decodes every input on the VPU again.
    d.softwareCameras = [...(softwareCameras ?? [])];
    let scene: Scene | undefined;
    if (opts.program !== undefined) scene = opts.program ?? undefined;
    else {
      const list = await this.listScenes(deviceId);
      scene = sceneId ? list.scenes.find((s) => s.id === sceneId) : list.scenes[0];
      if (sceneId && !scene)
        throw new ContractError('not_found', `There is no scene ${sceneId} on ${device}.`);
    }
    return this.opts.leases.run(
      deviceId,
      {
        kind: 'mixer.start',
        what: `Start the mixer on ${device}`,
        follow: "The device's Mixer tab shows it starting.",
      },
      async () => {
        const check = await this.preflight(deviceId, scene ?? null, d.softwareCameras);
        if (check.budget.verdict === 'refuse') {
          await this.opts.audit({
            deviceId,
            action: 'mixer.start',
            result: 'refused',
            message: check.sentence,
          });
          throw new ContractError(
            'refused',
            `Not started: ${check.sentence} ${check.softwareFallback.length ? `Decoding ${check.softwareFallback.join(', ')} in software would fit (seed 002).` : ''}`.trim(),
          );
        }
        const agent = await this.upload(deviceId);
        const output = { ...mixer.output, ...this.opts.output };
        const config: AgentConfig = {
          output,
          rtspBase: `rtsp://127.0.0.1:${this.opts.profileOf(deviceId).mediamtx.rtspPort}`,
          decoder: mixer.decoder,
          softwareDecoder: mixer.softwareDecoder,
          softwareCameras: d.softwareCameras,
          program: scene ?? null,
        };
        const jobId = `mixer-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
        this.update(deviceId, {
          ...d.state,
          status: 'starting',
          detail: 'Starting the compositor on the device…',
        });
        await this.opts.jobs.start(
          deviceId,
          sh`printf '%s\n' ${JSON.stringify(config)} | exec ${remotePath(mixer.python)} ${agentPath(agent)} run`,
          { jobId },
        );
        // This job, not one of an earlier run: a reset stops the mixer through it.
        d.jobId = jobId;
        d.startedHere = true;
        const ready = await this.waitReady(deviceId, jobId);
        if (!ready.ok) {
          await this.endUnready(deviceId, jobId);
          this.update(deviceId, { ...this.device(deviceId).state, status: 'failed', detail: ready.why });
          await this.opts.audit({ deviceId, action: 'mixer.start', result: 'error', message: ready.why });
          throw new ContractError('device_error', `The mixer did not start on ${device}: ${ready.why}`);
        }
        await this.readBack(deviceId);
        await this.opts.audit({
          deviceId,
          action: 'mixer.start',
          detail: scene ? scene.name : 'no scene',
          result: 'ok',
          message: check.sentence,
        });
        return structuredClone(this.device(deviceId).state);
      },
    );
  }

  async stop(deviceId: string): Promise<MixerState> {
    const device = this.opts.deviceName(deviceId);
    const d = this.device(deviceId);
    d.stopNote = null;
    await this.readBack(deviceId);
    if (d.state.status === 'off') return structuredClone(d.state);
    return this.opts.leases.run(
      deviceId,
      { kind: 'mixer.stop', what: `Stop the mixer on ${device}`, follow: "The device's Mixer tab shows it." },
      async () => {
        this.update(deviceId, { ...d.state, status: 'stopping', detail: 'Ending the program stream (EOS)…' });
        try {
          await d.link?.request({ cmd: 'stop' }, REQUEST_MS);
        } catch {
          // It may have stopped before answering; the read-back below says.
        }
        const pid = d.state.pid;
        for (let i = 0; i < 50; i++) {
          const alive = await this.opts.connections.exec(deviceId, sh`kill -0 ${pid ?? 0} 2>/dev/null`, {
            timeoutMs: 5_000,
          });
          if (alive.code !== 0) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        await this.readBack(deviceId);
        await this.opts.audit({
          deviceId,
          action: 'mixer.stop',
          result: this.device(deviceId).state.status === 'off' ? 'ok' : 'error',
          message: this.device(deviceId).state.detail,
        });
        return structuredClone(this.device(deviceId).state);
      },
    );
  }

  // ---- preview and take ------------------------------------------------------------------------------------------

  async preview(deviceId: string, scene: Scene | null): Promise<MixerState> {
    const link = await this.linkOf(deviceId);
    const reply = await link.request({ cmd: 'preview', scene }, REQUEST_MS).catch((err: unknown) => {
      throw new ContractError(
        'unavailable',
        `The preview did not reach ${this.opts.deviceName(deviceId)}: ${message(err)}`,
      );
    });
    if (!reply.ok) throw new ContractError('device_error', reply.error ?? 'The mixer refused the preview.');
    return structuredClone(this.device(deviceId).state);
  }

  async take(deviceId: string, scene: Scene | null, transition: Transition): Promise<TakeResult> {
    const device = this.opts.deviceName(deviceId);
    const d = this.device(deviceId);
    const link = await this.linkOf(deviceId);
    const next =
      scene ??
      (d.state.preview
        ? {
            id: d.state.preview.sceneId ?? 'preview',
            name: d.state.preview.name,
            boxes: d.state.preview.boxes,
          }
        : null);
    if (!next)
      throw new ContractError(
        'invalid_input',
        'Nothing is on Preview: put a scene on Preview first, or take a scene directly.',
      );
    const seq = ++d.seq;
    const what = `${next.name} (${transition.kind === 'fade' ? `fade ${transition.ms} ms` : 'cut'}), seq ${seq}`;
    const check = await this.preflight(deviceId, next);
    const done = async (outcome: TakeResult['outcome'], text: string): Promise<TakeResult> => {
      await this.opts.audit({
        deviceId,
        action: 'mixer.take',
        detail: what,
        result: outcome === 'applied' ? 'ok' : outcome.startsWith('refused') ? 'refused' : 'error',
        message: text,
      });
      return {
        outcome,
        seq,
        message: text,
        budget: check.budget,
        state: structuredClone(this.device(deviceId).state),
      };
    };
    if (check.budget.verdict === 'refuse')
      return done(
        'refused_budget',
        `Not taken, Program unchanged: ${check.sentence}${check.softwareFallback.length ? ` Decoding ${check.softwareFallback.join(', ')} in software would fit (seed 002).` : ''}`,
      );
    const deadlineMs = this.mixerProfile(deviceId).takeDeadlineMs;
    let offset: NonNullable<DeviceMixer['offset']>;
    try {
      offset = d.offset ?? (await this.measureClock(d, link));
      // The last reading was slow (a stall, a reconnect): ask again now rather than refuse on an old reading.
      if (offset.rttMs > deadlineMs) offset = await this.measureClock(d, link);
    } catch (err) {
      await this.opts.audit({
        deviceId,
        action: 'mixer.take',
        detail: what,
        result: 'error',
        message: `not sent: ${message(err)}`,
      });
      throw new ContractError(
        'unavailable',
        `Not sent: ${device} did not answer the clock check (${message(err)}); nothing changed on air.`,
      );
    }
    if (offset.rttMs > deadlineMs)
      return done(
        'expired',
        `Not sent: the link to ${device} takes ${offset.rttMs} ms, longer than a take may (${deadlineMs} ms).`,
      );
    const deadline = Date.now() + offset.ms + deadlineMs;
    try {
      const reply = await link.request(
        { cmd: 'take', console: this.opts.leases.consoleId, seq, deadline, scene: next, transition },
        deadlineMs + offset.rttMs + REQUEST_MS,
      );
      if (!reply.ok || !reply.outcome)
        return done('not_confirmed', reply.error ?? 'The mixer gave no outcome.');
      const words: Record<typeof reply.outcome, string> = {
        applied: `${next.name} is on Program.`,
        expired: `Dropped: the take reached ${device} after its deadline, so it was not applied. Program unchanged.`,
        duplicate: `Already applied (seq ${seq}).`,
        refused_inputs: `Not taken, Program unchanged: ${reply.message ?? 'an input could not be decoded.'}`,
      };
      return done(
        reply.outcome,
        reply.message && reply.outcome === 'applied'
          ? `${words.applied} ${reply.message}`
          : words[reply.outcome],
      );
    } catch (err) {
      if (err instanceof LinkLost)
        return done(
          'not_confirmed',
          `The link to ${device} went before the mixer answered: after the reconnect its state shows what is on air (the take was applied at most once).`,
        );
      throw err;
    }
  }

  /**
   * The mixer's job while it runs, for the VPU reset to stop it with EOS like the console's pipelines, the name of
   * what is on Program (null: nothing), and whether this console started it.
   */
  runningJob(
    deviceId: string,
  ): Array<{ jobId: string; label: string; program: string | null; startedHere: boolean }> {
    const d = this.devices.get(deviceId);
    if (!d?.jobId || (d.state.status !== 'running' && d.state.status !== 'starting')) return [];
    return [
      {
        jobId: d.jobId,
        label: `the scene mixer (${Object.keys(d.state.inputs).length} input(s) → ${d.state.output.path})`,
        program: d.state.program?.name ?? null,
        startedHere: d.startedHere,
      },
    ];
  }

  // ---- an emergency VPU reset ------------------------------------------------------------------------------------

  /**
   * An emergency VPU reset (`by`, in words; `ref`, its job) is about to stop the mixer with EOS: from now on the state
   * says so, its end is audited when it is seen, and what is on Program until then is kept to start again with
   * (`restartable`: this console will, after a healthy reset).
   */
  stoppingFor(deviceId: string, by: string, ref: string, restartable: boolean): void {
    const d = this.device(deviceId);
    const program = sceneOnAir(d.state.program);
    d.stopNote = {
      by,
      ref,
      pid: d.state.pid,
      program,
      softwareCameras: [...d.softwareCameras],
      restartable,
      ended: false,
      detail: null,
    };
  }

  /**
   * The reset that stopped the mixer ended healthy and let go of the device's lease: start it again with what was on
   * Program, through `start` (the lease, the budget). Resolves with what happened; throws saying why not and what to do.
   */
  async startAgain(deviceId: string): Promise<string> {
    const device = this.opts.deviceName(deviceId);
    const d = this.device(deviceId);
    const note = d.stopNote;
    if (!note)
      throw new Error(`Not started again: the mixer on ${device} was started or stopped by hand meanwhile.`);
    const what = sceneWords(note.program);
    await this.readBack(deviceId).catch(() => undefined);
    if (!note.ended && d.state.status === 'running' && d.state.pid === note.pid) {
      d.stopNote = null;
      return `The scene mixer kept running through the reset (pid ${note.pid ?? '?'}), with ${what} on Program.`;
    }
    note.detail = `Stopped by ${note.by}; starting it again with ${what}…`;
    this.update(deviceId, d.state);
    try {
      // The stopped agent ends its program with EOS within seconds; a second one must not start beside it.
      await this.waitGone(deviceId, note.pid);
      const state = await this.start(deviceId, undefined, note.softwareCameras, { program: note.program });
      return `The scene mixer is on air again with ${what} on Program (pid ${state.pid ?? '?'}).`;
    } catch (err) {
      const refused =
        err instanceof ContractError &&
        (err.code === 'refused' || err.code === 'busy' || err.code === 'conflict');
      const sentence =
        `The scene mixer was stopped by ${note.by}, and ${refused ? 'starting it again was refused' : 'it did not start again'}: ` +
        `${message(err).replace(/\.?$/, '.')} Start it from the Mixer tab with ${what}${refused ? ' once that is resolved' : ''}.`;
      if (d.stopNote === note) {
        note.detail = sentence;
        this.update(deviceId, this.device(deviceId).state);
      }
      throw new Error(sentence);
    }
  }

  /**
   * The reset that was to stop the mixer ended, and this console does not start it again (`why`: the reset did not end
   * healthy, or did not start; null: the mixer is not this console's to start). It stays off, and says so: what to
   * report.
   */
  leaveStopped(deviceId: string, why: string | null): string {
    const d = this.device(deviceId);
    const note = d.stopNote;
    if (!note) return `The scene mixer was started or stopped by hand meanwhile; the reset left it as it is.`;
    if (!note.ended && d.state.status === 'running' && d.state.pid === note.pid) {
      d.stopNote = null;
      return `The scene mixer was not stopped${why ? ` (${why})` : ''}; it still runs.`;
    }
    if (why === null) return this.stoppedWords(note);
    const what = sceneWords(note.program);
    note.detail =
      `Stopped by ${note.by}, and not started again: ${why}. ` +
      `Once the device is healthy, start it from the Mixer tab with ${what}.`;
    this.update(deviceId, d.state);
    return `The scene mixer stays stopped: ${why}. Once the device is healthy, start it from the Mixer tab with ${what}.`;
  }

  /** What the state says once the reset stopped the mixer, before anything else is known. */
  private stoppedWords(note: StopNote): string {
    const what = sceneWords(note.program);
    return note.restartable
      ? `Stopped by ${note.by}. It starts again with ${what} once the reset has ended healthy.`
      : `Stopped by ${note.by}. This console did not start it, so it does not start it again: ` +
          `start it from the Mixer tab with ${what} once the reset has ended.`;
  }

  /** Until the agent `pid` has ended (at most 10 s). */
  private async waitGone(deviceId: string, pid: number | null): Promise<void> {
    if (pid === null) return;
    for (let i = 0; i < 50; i++) {
      const alive = await this.opts.connections.exec(deviceId, sh`kill -0 ${pid} 2>/dev/null`, {
        timeoutMs: 5_000,
      });
      if (alive.code !== 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new ContractError('device_error', `the stopped mixer (pid ${pid}) has not ended after 10 s`);
  }

  close(): void {
    this.unsubscribe();
    for (const d of this.devices.values()) d.link?.close();
  }

  // ---- the device ------------------------------------------------------------------------------------------------

  private mixerProfile(deviceId: string): NonNullable<R58Profile['mixer']> {
    const profile = this.opts.profileOf(deviceId);
    if (!profile.mixer)
      throw new ContractError(
        'unavailable',
        `${this.opts.deviceName(deviceId)} (${profile.name}) has no mixer Tally can drive: its profile declares none.`,
      );
    return profile.mixer;
  }

  private offState(deviceId: string, detail: string, status: MixerState['status'] = 'off'): MixerState {
    const profile = this.opts.profileOf(deviceId).mixer;
    const out = { ...profile?.output, ...this.opts.output };
    return {
      deviceId,
      status,
      pid: null,
      startedAt: null,
      output: {
        width: out.width ?? 0,
        height: out.height ?? 0,
        fps: out.fps ?? 0,
        path: out.path ?? 'program',
      },
      program: null,
      preview: null,
      onProgram: [],
      onPreview: [],
      inputs: {},
      health: { flowing: false, outFps: null, problem: null },
      readAt: null,
      detail,
    };
  }

  private device(deviceId: string): DeviceMixer {
    let d = this.devices.get(deviceId);
    if (!d) {
      d = {
        link: null,
        jobId: null,
        state: this.offState(deviceId, 'Not read yet.', 'unknown'),
        seq: 0,
        offset: null,
        softwareCameras: [],
        stopNote: null,
        startedHere: false,
      };
      this.devices.set(deviceId, d);
    }
    return d;
  }

  private update(deviceId: string, next: MixerState): void {
    const d = this.device(deviceId);
    const state = this.explained(deviceId, d, next);
    // A mixer that is not running has no job to stop.
    if (state.status === 'off') {
      d.jobId = null;
      d.startedHere = false;
    }
    if (JSON.stringify(d.state) === JSON.stringify(state)) return;
    d.state = state;
    try {
      this.opts.onChange(structuredClone(state));
    } catch {
      // A listener's failure does not stop the mixer.
    }
  }

  /** The state with what a reset that stopped the mixer says about it; audits the mixer's end when it is seen. */
  private explained(deviceId: string, d: DeviceMixer, state: MixerState): MixerState {
    const note = d.stopNote;
    if (!note) return state;
    if (state.status === 'running' && note.ended) {
      // A mixer runs again (started after the reset, or by hand): the note has said its piece.
      d.stopNote = null;
      return state;
    }
    if (state.status === 'running') {
      // Not stopped yet: a take in between changes what is to come back on Program.
      note.program = sceneOnAir(state.program);
      note.pid ??= state.pid;
      return state;
    }
    if (state.status === 'stopping' && !note.ended)
      return { ...state, detail: `Stopping: ${note.by} ends the program with EOS…` };
    if (state.status === 'off' || state.status === 'failed') {
      if (!note.ended) {
        note.ended = true;
        void this.opts
          .audit({
            deviceId,
            action: 'mixer.stop',
            detail: note.ref,
            result: 'ok',
            message: `Stopped by ${note.by} (pid ${note.pid ?? '?'}, ${sceneWords(note.program)} on Program).`,
          })
          .catch(() => undefined);
      }
      return { ...state, detail: note.detail ?? this.stoppedWords(note) };
    }
    return state;
  }

  private fromAgent(deviceId: string, a: AgentState): MixerState {
    const { lastSeq: _seq, takes: _takes, version: _v, stopping, ...rest } = a;
    return {
      deviceId,
      ...rest,
      status: stopping ? 'stopping' : 'running',
      readAt: new Date().toISOString(),
      detail: a.health.problem ?? '',
    };
  }

  private onAgentState(deviceId: string, a: AgentState): void {
    const d = this.device(deviceId);
    d.seq = Math.max(d.seq, a.lastSeq[this.opts.leases.consoleId] ?? 0);
    // A console that attached to a running mixer learns its software inputs from what the device reports.
    for (const [camera, input] of Object.entries(a.inputs))
      if (input.decoder === 'sw' && !d.softwareCameras.includes(camera)) d.softwareCameras.push(camera);
    this.update(deviceId, this.fromAgent(deviceId, a));
  }

  /** After a (re)connect, and on demand: what the device's mixer says now; attach to it when it runs. */
  private async readBack(deviceId: string): Promise<void> {
    if (!this.opts.profileOf(deviceId).mixer) {
      this.update(deviceId, this.offState(deviceId, 'This kind of box has no mixer Tally can drive.'));
      return;
    }
    const r = await this.opts.connections.exec(
      deviceId,
      sh`d=${DIR}; [ -f "$d/state.json" ] || { echo '@none'; exit 0; }
cat "$d/state.json"; echo
pid=$(sed -n 's/.*"pid": *\\([0-9]*\\).*/\\1/p' "$d/state.json" | head -n 1)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo '@alive'; else echo '@dead'; fi`,
      { timeoutMs: 15_000 },
    );
    const lines = r.stdout.trim().split('\n');
    if (lines[0] === '@none' || r.code !== 0) {
      this.update(deviceId, this.offState(deviceId, 'The mixer is not running.'));
      return;
    }
    const alive = lines.at(-1) === '@alive';
    let agent: AgentState | null = null;
    try {
      const parsed = AgentState.safeParse(JSON.parse(lines.slice(0, -1).join('\n')));
      agent = parsed.success ? parsed.data : null;
    } catch {
      agent = null;
    }
    if (!alive || !agent) {
      this.update(
        deviceId,
        this.offState(
          deviceId,
          agent
            ? 'The mixer is not running (it stopped, or the device restarted).'
            : 'The mixer is not running.',
        ),
      );
      return;
    }
    this.onAgentState(deviceId, agent);
    const d = this.device(deviceId);
    if (!d.jobId) {
      const jobs = await this.opts.jobs.list(deviceId, 'mixer-', 5).catch(() => []);
      d.jobId = jobs.filter((j) => j.state === 'running').at(-1)?.jobId ?? null;
    }
    await this.linkOf(deviceId).catch(() => undefined);
  }

  private async linkOf(deviceId: string): Promise<AgentLink> {
    const d = this.device(deviceId);
    if (d.link?.open) return d.link;
    if (!isLive(this.opts.connections.status(deviceId).state))
      throw new ContractError('unavailable', `${this.opts.deviceName(deviceId)} is not connected.`);
    if (d.state.status !== 'running' && d.state.status !== 'stopping' && d.state.status !== 'starting')
      throw new ContractError(
        'unavailable',
        `The mixer is not running on ${this.opts.deviceName(deviceId)}: start it first.`,
      );
    // The running agent's own file is on the device (an older version keeps running as it is until restarted).
    const agent = this.agent();
    const link = new AgentLink(
      this.opts.connections,
      deviceId,
      sh`exec ${remotePath(this.mixerProfile(deviceId).python)} ${agentPath(agent)} attach`,
      (state) => this.onAgentState(deviceId, state),
    );
    d.link = link;
    d.offset = null;
    // The clock is measured in the background, so a take never waits for it.
    const ping = (): void => void this.measureClock(d, link).catch(() => undefined);
    ping();
    const pinger = setInterval(ping, OFFSET_EVERY_MS);
    pinger.unref();
    void link.ended.then(() => {
      clearInterval(pinger);
      if (d.link !== link) return;
      d.link = null;
      // Ended while the device is up: the mixer stopped (or its socket went); read what it left.
      if (isLive(this.opts.connections.status(deviceId).state))
        void this.readBack(deviceId).catch(() => undefined);
    });
    return link;
  }

  private lost(deviceId: string): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    d.link?.close();
    d.link = null;
    d.offset = null;
    if (d.state.status === 'running' || d.state.status === 'stopping' || d.state.status === 'starting')
      this.update(deviceId, {
        ...d.state,
        detail: 'Link down: what is on air is read back after the reconnect.',
      });
  }

  /** The device clock's offset from this one, by a ping on the open link (error at most half the round trip). */
  private async measureClock(d: DeviceMixer, link: AgentLink): Promise<NonNullable<DeviceMixer['offset']>> {
    const t1 = Date.now();
    const reply = await link.request({ cmd: 'ping' }, REQUEST_MS);
    const t2 = Date.now();
    if (reply.now === undefined || reply.now === null) throw new Error('the mixer did not say its time');
    const offset = { ms: Math.round(reply.now - (t1 + t2) / 2), at: t2, rttMs: t2 - t1 };
    if (d.link === link) d.offset = offset;
    return offset;
  }

  /** Tally's agent, named by its hash. */
  private agent(): Agent {
    this.agentCache ??= (() => {
      const text = readFileSync(path.join(packageRoot(), AGENT_FILE), 'utf8');
      const version = createHash('sha256').update(text).digest('hex').slice(0, 12);
      return { text, version, name: `agent-${version}.py` };
    })();
    return this.agentCache;
  }

  /** The agent file on the device: uploaded once per version. */
  private async upload(deviceId: string): Promise<Agent> {
    const agent = this.agent();
    const file = agentPath(agent);
    const r = await this.opts.connections.exec(
      deviceId,
      sh`d=${DIR}; mkdir -p "$d" || exit 1; f=${file}; [ -s "$f" ] && exit 0; cat > "$f.tmp" && mv -f "$f.tmp" "$f"`,
      { stdin: agent.text, timeoutMs: 20_000 },
    );
    if (r.code !== 0)
      throw new ContractError(
        'device_error',
        `Could not put the mixer agent on ${this.opts.deviceName(deviceId)}: ${r.stderr.trim() || `exit ${r.code}`}.`,
      );
    return agent;
  }

  /** Follows the start job's output until the agent says `@ready` (or `@failed`, or the job ends). */
  /** An agent that never said ready must not stay behind holding decoders (and block the next start). */
  private async endUnready(deviceId: string, jobId: string): Promise<void> {
    try {
      await this.opts.jobs.signal(deviceId, jobId, 'TERM');
      for (let i = 0; i < 20; i++) {
        if ((await this.opts.jobs.status(deviceId, jobId)).state !== 'running') return;
        await new Promise((r) => setTimeout(r, 250));
      }
      await this.opts.jobs.signal(deviceId, jobId, 'KILL');
    } catch {
      // The job already ended, or the link is down: the next start reads back what runs.
    }
  }

  private async waitReady(
    deviceId: string,
    jobId: string,
  ): Promise<{ ok: true } | { ok: false; why: string }> {
    const abort = new AbortController();
    let out = '';
    let verdict: { ok: true } | { ok: false; why: string } | null = null;
    const timer = setTimeout(() => abort.abort(), READY_MS);
    try {
      await this.opts.jobs.attach(
        deviceId,
        jobId,
        (chunk) => {
          out += chunk;
          const ready = /^@ready \d+/m.test(out);
          const failed = /^@failed (.*)$/m.exec(out);
          if (ready) verdict = { ok: true };
          else if (failed) verdict = { ok: false, why: failed[1] ?? 'it failed' };
          if (verdict) abort.abort();
        },
        { signal: abort.signal },
      );
    } catch {
      // Aborted on purpose once the verdict is in, or on the timeout below.
    } finally {
      clearTimeout(timer);
    }
    if (verdict) return verdict;
    const last = out.trim().split('\n').slice(-3).join(' / ');
    return {
      ok: false,
      why: `it did not say it was ready within ${READY_MS / 1000} s${last ? ` (last output: ${last})` : ''}.`,
    };
  }
}

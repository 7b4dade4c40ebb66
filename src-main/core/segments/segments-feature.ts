/**
 * A VMS host's cameras while it is live: processes, per-camera CPU, segments and the schedule check every few
 * seconds, closed segments probed once (cached by name), the live RTSP outputs checked every ~15 s, nvidia-smi where
 * it exists. Pushed as `segments.state` and judged by the VMS alarm rules.
 */
import {
  ContractError,
  isLive,
  type DeviceStatus,
  type LiveOutput,
  type VmsState,
} from '../../contract/index.js';
import { parseSections, section } from '../device/batch.js';
import { DevicePoll } from '../device/device-poll.js';
import {
  ffprobeFilesCommand,
  ffprobeRtspCommand,
  parseFfprobe,
  parseFfprobeFiles,
  videoStream,
} from '../device/ffprobe.js';
import type { AlarmSink } from '../device/kind-alarms.js';
import { anyProfile, deviceKind, kindWords, type VmsProfile } from '../device/profile.js';
import { sh, type ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { StateStore } from '../store/state-store.js';
import { SegmentsAlarms } from './segments-alarms.js';
import { segmentsCommand, vmsReadingFrom } from './segments-read.js';
import { VmsTracker } from './vms-tracker.js';

export interface SegmentsFeatureOptions {
  connections: ConnectionManager;
  store: StateStore;
  alarms: AlarmSink;
  onState(state: VmsState): void;
  /** Default 3 s. */
  everyMs?: number;
  /** Live outputs, default every 15 s. */
  liveEveryMs?: number;
  /** Instead of the profile's grace on the schedule (tests with short segments). */
  graceS?: number;
  downForMs?: number;
  cpuWindowMs?: number;
}

const LIVE_TIMEOUT_S = 8;
const PROBES_PER_READ = 4;

export class SegmentsFeature {
  private readonly poll: DevicePoll;
  private readonly livePoll: DevicePoll;
  private readonly trackers = new Map<string, VmsTracker>();
  private readonly rules = new Map<string, SegmentsAlarms>();
  private readonly states = new Map<string, VmsState>();
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: SegmentsFeatureOptions) {
    this.poll = new DevicePoll({ read: (id) => this.read(id), everyMs: opts.everyMs ?? 3000 });
    this.livePoll = new DevicePoll({
      read: (id) => this.checkOutputs(id),
      everyMs: opts.liveEveryMs ?? 15_000,
      afterFailureMs: 3000,
    });
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  private name(deviceId: string): string {
    return this.opts.store.device(deviceId)?.name ?? deviceId;
  }

  profileOf(deviceId: string): VmsProfile {
    const profile = anyProfile(this.opts.store, deviceId);
    if (profile.kind !== 'vms')
      throw new ContractError(
        'invalid_input',
        `${this.name(deviceId)} is ${kindWords(profile.kind)}: camera segments and live outputs are a VMS host's.`,
      );
    return profile;
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    if (!this.opts.store.device(deviceId) || deviceKind(this.opts.store, deviceId) !== 'vms') return;
    if (isLive(status.state)) {
      this.poll.start(deviceId);
      this.livePoll.start(deviceId);
    } else {
      this.poll.stop(deviceId);
      this.livePoll.stop(deviceId);
      this.rules.get(deviceId)?.reset();
      // What was seen before the link went down is not "now": a new watch starts from the box's processes.
      this.trackers.delete(deviceId);
    }
  }

  private tracker(deviceId: string, profile: VmsProfile): VmsTracker {
    let t = this.trackers.get(deviceId);
    if (!t) {
      t = new VmsTracker(deviceId, profile, this.opts.graceS ?? profile.recordings.graceS);
      this.trackers.set(deviceId, t);
    }
    return t;
  }

  private rulesOf(deviceId: string): SegmentsAlarms {
    let r = this.rules.get(deviceId);
    if (!r) {
      r = new SegmentsAlarms({
        alarms: this.opts.alarms,
        deviceId,
        deviceName: () => this.name(deviceId),
        ...(this.opts.downForMs !== undefined ? { downForMs: this.opts.downForMs } : {}),
        ...(this.opts.cpuWindowMs !== undefined ? { cpuWindowMs: this.opts.cpuWindowMs } : {}),
      });
      this.rules.set(deviceId, r);
    }
    return r;
  }

  async read(deviceId: string): Promise<VmsState> {
    const profile = this.profileOf(deviceId);
    const result = await this.opts.connections.exec(deviceId, segmentsCommand(profile), {
      timeoutMs: 20_000,
      maxBufferBytes: 2 * 1024 * 1024,
    });
    const tracker = this.tracker(deviceId, profile);
    let state = tracker.update(vmsReadingFrom(profile, result.stdout), Date.now());
    const todo = tracker.unprobed(state, PROBES_PER_READ);
    if (todo.length > 0) {
      await this.probeSegments(deviceId, profile, tracker, todo).catch(() => undefined);
      state = withProbes(state, tracker);
    }
    this.states.set(deviceId, state);
    if (this.poll.isRunning(deviceId)) this.rulesOf(deviceId).check(state, tracker.cpuHistory);
    this.opts.onState(state);
    return state;
  }

  private async probeSegments(
    deviceId: string,
    profile: VmsProfile,
    tracker: VmsTracker,
    names: string[],
  ): Promise<void> {
    const files = names.map((n) => `${profile.recordings.dir.replace(/\/$/, '')}/${n}`);
    const result = await this.opts.connections.exec(deviceId, ffprobeFilesCommand(files), {
      timeoutMs: 30_000,
    });
    const probes = parseFfprobeFiles(result.stdout);
    files.forEach((file, i) => {
      const probe = probes.get(file);
      const name = names[i];
      if (!probe || !name) return;
      tracker.probes.set(name, { durationS: probe.durationS, codec: videoStream(probe)?.codecName ?? null });
    });
  }

  /** Every known camera's live output, one ffprobe each (bounded by `timeout`), in one command. */
  private async checkOutputs(deviceId: string): Promise<void> {
    const profile = this.profileOf(deviceId);
    const tracker = this.trackers.get(deviceId);
    const outputs = tracker?.liveUrls() ?? [];
    if (!tracker || outputs.length === 0) throw new Error('no camera known yet');
    const cmd = outputs
      .map((o, i) => section(`live:${i}`, ffprobeRtspCommand(o.url, LIVE_TIMEOUT_S)))
      .reduce((all: ShellCommand, part) => sh`${all}; ${part}`, sh`true`);
    const result = await this.opts.connections.exec(deviceId, cmd, {
      timeoutMs: (LIVE_TIMEOUT_S + 5) * 1000 * outputs.length,
    });
    const parts = parseSections(result.stdout);
    const at = Date.now();
    outputs.forEach((o, i) => {
      const part = parts.get(`live:${i}`);
      const probe = parseFfprobe(part?.text ?? '');
      const video = videoStream(probe);
      const up = part?.code === 0 && video !== null;
      const live: LiveOutput = {
        url: o.url,
        state: up ? 'up' : 'down',
        codec: video?.codecName ?? null,
        width: video?.width ?? null,
        height: video?.height ?? null,
        detail: up
          ? `${video?.codecName ?? 'video'}${video?.width ? ` ${video.width}x${video.height}` : ''}` +
            (video?.codecName && video.codecName !== profile.live.codec
              ? ` (expected ${profile.live.codec})`
              : '')
          : part?.code === 124
            ? `no answer within ${LIVE_TIMEOUT_S} s`
            : (probe.problem ?? `ffprobe exited with ${part?.code ?? 'no code'}`),
        checkedAt: at,
      };
      tracker.live.set(o.camera, live);
    });
  }

  /** The cameras read now (a read: no lease). */
  state(deviceId: string): Promise<VmsState> {
    return this.read(deviceId);
  }

  latest(deviceId: string): VmsState | undefined {
    return this.states.get(deviceId);
  }

  forget(deviceId: string): void {
    this.poll.stop(deviceId);
    this.livePoll.stop(deviceId);
    this.trackers.delete(deviceId);
    this.rules.delete(deviceId);
    this.states.delete(deviceId);
  }

  close(): void {
    this.unsubscribe();
    this.poll.close();
    this.livePoll.close();
  }
}

function withProbes(state: VmsState, tracker: VmsTracker): VmsState {
  return {
    ...state,
    cameras: state.cameras.map((c) => ({
      ...c,
      recent: c.recent.map((s) => {
        const p = tracker.probes.get(s.name);
        return p ? { ...s, durationS: p.durationS, codec: p.codec } : s;
      }),
    })),
  };
}

/**
 * What the console remembers about one VMS host between readings, and the VmsState it makes of each: per-camera CPU
 * from tick deltas (percent of one core, seed 004's unit), cameras that were seen and are gone (down, not forgotten),
 * the schedule check, probed segments and the last live-output checks.
 */
import type { CameraState, LiveOutput, Segment, VmsState } from '../../contract/index.js';
import type { VmsProfile } from '../device/profile.js';
import type { SegmentFile, VmsReading } from './segments-read.js';

export interface SegmentProbe {
  durationS: number | null;
  codec: string | null;
}

const RECENT = 5;

export class VmsTracker {
  private prevTicks = new Map<number, { ticks: number; uptimeS: number }>();
  /** Cameras seen in a process while watched, and when first seen (console ms). */
  private readonly seen = new Map<
    string,
    { firstAt: number; segmentS: number | null; liveUrl: string | null }
  >();
  readonly probes = new Map<string, SegmentProbe>();
  readonly live = new Map<string, LiveOutput>();
  /** Per camera: [console ms, percent] over the last minute. */
  readonly cpuHistory = new Map<string, [number, number][]>();

  constructor(
    private readonly deviceId: string,
    private readonly profile: VmsProfile,
    private readonly graceS: number,
  ) {}

  /** The cameras known now and their live output URLs. */
  liveUrls(): { camera: string; url: string }[] {
    return [...this.seen.entries()].map(([camera, s]) => ({
      camera,
      url: s.liveUrl ?? `${this.profile.live.urlPrefix}${camera}`,
    }));
  }

  update(reading: VmsReading, at: number): VmsState {
    const { profile } = this;
    for (const p of reading.processes) {
      if (!p.camera) continue;
      const known = this.seen.get(p.camera);
      this.seen.set(p.camera, {
        firstAt: known?.firstAt ?? at,
        segmentS: p.segmentS ?? known?.segmentS ?? null,
        liveUrl: p.liveUrl ?? known?.liveUrl ?? null,
      });
    }
    // A camera with recent segments but no process since the console connected is a camera, down.
    const freshS = (reading.nowS ?? 0) - 10 * profile.recordings.segmentS;
    for (const f of reading.files)
      if (!this.seen.has(f.camera) && f.mtimeS >= freshS)
        this.seen.set(f.camera, { firstAt: at, segmentS: null, liveUrl: null });

    const nextTicks = new Map<number, { ticks: number; uptimeS: number }>();
    const cpuOf = (pid: number, ticks: number): number | null => {
      if (reading.uptimeS === null) return null;
      nextTicks.set(pid, { ticks, uptimeS: reading.uptimeS });
      const prev = this.prevTicks.get(pid);
      const dt = prev ? reading.uptimeS - prev.uptimeS : 0;
      if (!prev || dt <= 0 || ticks < prev.ticks) return null;
      return ((ticks - prev.ticks) / reading.clockTicks / dt) * 100;
    };

    const byCamera = new Map<string, SegmentFile[]>();
    for (const f of reading.files) byCamera.set(f.camera, [...(byCamera.get(f.camera) ?? []), f]);

    const cameras: CameraState[] = [...this.seen.keys()].sort().map((camera) => {
      const procs = reading.processes.filter((p) => p.camera === camera);
      const cpus = procs.map((p) => cpuOf(p.pid, p.ticks));
      const known = cpus.filter((c): c is number => c !== null);
      const cpuPercent = known.length > 0 ? round1(known.reduce((a, b) => a + b, 0)) : null;
      if (cpuPercent !== null) {
        const hist = (this.cpuHistory.get(camera) ?? []).filter(([t]) => at - t <= 60_000);
        hist.push([at, cpuPercent]);
        this.cpuHistory.set(camera, hist);
      }
      const segmentS = this.seen.get(camera)?.segmentS ?? profile.recordings.segmentS;
      const files = [...(byCamera.get(camera) ?? [])].sort(
        (a, b) => b.mtimeS - a.mtimeS || b.name.localeCompare(a.name),
      );
      const newestFile = files[0];
      const started = newestFile ? startOf(newestFile) : null;
      const newestAgeS =
        started !== null && reading.nowS !== null ? Math.max(0, round1(reading.nowS - started)) : null;
      const watchedS = (at - (this.seen.get(camera)?.firstAt ?? at)) / 1000;
      const limit = segmentS + this.graceS;
      const late = newestAgeS !== null ? newestAgeS > limit : watchedS > limit;
      const stopped = procs.some((p) => p.state === 'T' || p.state === 't');
      const state: CameraState['state'] =
        procs.length === 0 ? 'down' : stopped || late ? 'stalled' : 'running';
      const url = this.seen.get(camera)?.liveUrl ?? `${profile.live.urlPrefix}${camera}`;
      return {
        camera,
        pids: procs.map((p) => p.pid),
        cpuPercent,
        state,
        segmentS,
        newest: newestFile ? this.segment(newestFile, false) : null,
        newestAgeS,
        late,
        recent: files.slice(1, 1 + RECENT).map((f) => this.segment(f, true)),
        live: this.live.get(camera) ?? {
          url,
          state: 'unknown',
          codec: null,
          width: null,
          height: null,
          detail: 'Not checked yet.',
          checkedAt: null,
        },
      };
    });
    this.prevTicks = nextTicks;
    // Probes of files that left the listing are not needed any more.
    const listed = new Set(reading.files.map((f) => f.name));
    for (const name of [...this.probes.keys()]) if (!listed.has(name)) this.probes.delete(name);

    const cpus = cameras.map((c) => c.cpuPercent).filter((c): c is number => c !== null);
    const gpu = reading.nvidia.gpus[0];
    const sessions = gpu?.['encoder.stats.sessionCount'];
    return {
      deviceId: this.deviceId,
      at,
      cameras,
      totalCpuPercent: cpus.length > 0 ? round1(cpus.reduce((a, b) => a + b, 0)) : null,
      budgetPerCameraPercent: profile.cpu.budgetPerCameraPercent,
      nvidia: {
        present: reading.nvidia.present,
        gpuPercent: gpu?.['utilization.gpu'] ?? null,
        encoderPercent: gpu?.['utilization.encoder'] ?? null,
        sessions: sessions !== undefined && sessions !== null ? Math.round(sessions) : null,
        sessionLimit: profile.nvidia.sessionLimit,
        averageFps: gpu?.['encoder.stats.averageFps'] ?? null,
        problem: reading.nvidia.problem,
      },
      problem: reading.problem,
    };
  }

  /** Closed segments not probed yet (newest first), at most `max`. */
  unprobed(state: VmsState, max: number): string[] {
    return state.cameras
      .flatMap((c) => c.recent.map((s) => s.name))
      .filter((name) => !this.probes.has(name))
      .slice(0, max);
  }

  private segment(f: SegmentFile, closed: boolean): Segment {
    const probe = closed ? this.probes.get(f.name) : undefined;
    return {
      name: f.name,
      sizeBytes: f.sizeBytes,
      modifiedAt: new Date(f.mtimeS * 1000).toISOString(),
      durationS: probe?.durationS ?? null,
      codec: probe?.codec ?? null,
    };
  }
}

/** When the segment started: from its name, unless that is off from its mtime by more than a day (a wrong clock). */
function startOf(f: SegmentFile): number {
  if (f.startS !== null && f.startS <= f.mtimeS + 60 && f.mtimeS - f.startS < 86_400) return f.startS;
  return f.mtimeS;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Boxes for the fleet overview's tests: a glance from the status strip's own model, then the row from it. */
import type {
  Alarm,
  DeviceKind,
  DeviceStatus,
  MixerState,
  MonitorSample,
  RecorderState,
} from '../../../src-main/contract/index.js';
import { ALARM_SHORT } from '../../../src-renderer/alarms/alarm-order.js';
import { fleetRow, type FleetRow } from '../../../src-renderer/fleet-view/fleet-row.js';
import { computeGlance } from '../../../src-renderer/lib/status-strip/glance.js';
import type { LoadReading } from '../../../src-renderer/lib/status-strip/load.js';

export const NOW = Date.parse('2026-11-21T14:10:00Z');
export const LIMITS = {
  vpuSafe: 6,
  vpuPractical: 8,
  temperatureWarnC: 85,
  temperatureCriticalC: 95,
  cpuWarnPercent: 85,
};
export const CONNECTED: DeviceStatus = {
  state: 'connected',
  detail: 'Connected.',
  since: NOW - 60_000,
  rttMs: 2.4,
};

export function sample(at: number, over: Partial<MonitorSample> = {}): MonitorSample {
  return {
    at,
    vpu: {
      source: '/sys/kernel/debug/mpp_service/session',
      total: 4,
      encoders: 4,
      decoders: 0,
      byProcess: [],
    },
    cpuPercent: 20,
    cores: 8,
    topProcesses: [],
    memory: null,
    temperatureC: 50,
    zones: [],
    load: null,
    ...over,
  };
}

/** One sample a second for the last `seconds`, ending just before NOW. */
export function history(
  seconds: number,
  over: (i: number) => Partial<MonitorSample> = () => ({}),
): MonitorSample[] {
  return Array.from({ length: seconds }, (_, i) => sample(NOW - (seconds - i) * 1000 + 500, over(i)));
}

export function alarm(over: Partial<Alarm> = {}): Alarm {
  return {
    id: 'a1',
    deviceId: 'd1',
    device: 'box-1',
    kind: 'oops',
    severity: 'critical',
    title: 'Kernel Oops in gst-launch-1.0 (rkvenc)',
    detail: '',
    evidence: [],
    raisedAt: '2026-11-21T14:09:00Z',
    lastAt: '2026-11-21T14:09:00Z',
    count: 1,
    acknowledged: null,
    recovery: true,
    ...over,
  };
}

export function recording(cameras: string[]): RecorderState {
  return {
    unit: 'preke-recorder',
    activeState: 'active',
    subState: 'running',
    since: null,
    mainPid: 42,
    restarts: 0,
    recordings: cameras.map((camera) => ({
      camera,
      file: `/var/recordings/${camera}.mp4`,
      startedAt: '2026-11-21T14:08:00Z',
    })),
  };
}

export function mixer(over: Partial<MixerState> = {}): MixerState {
  return {
    deviceId: 'd1',
    status: 'running',
    pid: 7,
    startedAt: null,
    output: { width: 1920, height: 1080, fps: 30, path: 'program' },
    program: { sceneId: 'wide', name: 'Wide', boxes: [], seq: 3, appliedAt: null },
    preview: null,
    onProgram: [],
    onPreview: [],
    inputs: {},
    health: { flowing: true, outFps: 30, problem: null },
    readAt: '2026-11-21T14:09:59Z',
    detail: '',
    ...over,
  };
}

export interface BoxSpec {
  id?: string;
  name: string;
  tags?: string[];
  status?: DeviceStatus;
  alarms?: Alarm[];
  samples?: MonitorSample[];
  recording?: string[];
  mixer?: MixerState;
  kind?: DeviceKind;
  /** The kind's load reading (a transcoder's GPU, a VMS host's cameras). */
  load?: LoadReading | null;
  limits?:
    | typeof LIMITS
    | (Omit<typeof LIMITS, 'vpuSafe' | 'vpuPractical' | 'cpuWarnPercent'> & {
        vpuSafe: number | null;
        vpuPractical: number | null;
        cpuWarnPercent: number | null;
      });
}

export function box(spec: BoxSpec): FleetRow {
  const id = spec.id ?? spec.name;
  const status = spec.status ?? CONNECTED;
  const samples = spec.samples ?? history(10);
  const last = samples.at(-1);
  const alarms = (spec.alarms ?? []).map((a) => ({ ...a, deviceId: id, device: spec.name }));
  const glance = computeGlance({
    name: spec.name,
    status,
    recorder: { state: recording(spec.recording ?? []), at: NOW - 1000 },
    reading: last
      ? {
          at: last.at,
          vpuSessions: last.vpu.total,
          cpuPercent: last.cpuPercent,
          temperatureC: last.temperatureC,
        }
      : undefined,
    limits: spec.limits ?? LIMITS,
    load: spec.load ?? null,
    alarms,
    alarmShort: ALARM_SHORT,
    now: NOW,
  });
  return fleetRow({
    device: { id, name: spec.name, tags: spec.tags ?? [], status },
    ...(spec.kind ? { kind: spec.kind } : {}),
    glance,
    load: spec.load ?? null,
    samples,
    limits: spec.limits ?? LIMITS,
    mixer: spec.mixer,
    openAlarms: alarms.filter((a) => a.acknowledged === null).length,
    now: NOW,
  });
}

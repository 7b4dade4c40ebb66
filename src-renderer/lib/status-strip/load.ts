/**
 * The one "Load" figure of a box that is not an R58 (whose load is its VPU sessions): how busy a transcoder's GPU
 * is, and how many of a VMS host's cameras are recording on schedule (with its NVENC sessions when the card says).
 * Pure: the status strip, the fleet row and the Service tab read the same words.
 */
import type { HealthSample, RecorderState, VmsState } from '../../../src-main/contract/index.js';

/** Seed 003's target for the transcoder's GPU: under 80 % busy. */
export const GPU_WARN_PERCENT = 80;

export interface LoadReading {
  /** When it was read (console clock, ms). */
  at: number;
  /** Short, for a strip: "GPU 45 %", "2/2 on schedule". */
  text: string;
  /** Shorter, for a fleet cell beside its bar: "45 %", "2/2". */
  short: string;
  /** The whole sentence. */
  label: string;
  level: 'ok' | 'warn' | 'bad';
  /** How full its bar is, 0…1; what full means is in the label. */
  fill: number;
  /** A reason for the health colour, when it is not fine and no alarm says it. */
  reason: string | null;
}

/** A transcoder's GPU busy percent, from its latest health sample; null when the GPU could not be read. */
export function transcoderLoad(sample: HealthSample | undefined): LoadReading | null {
  if (!sample || sample.gpuBusyPercent === null) return null;
  const p = Math.round(sample.gpuBusyPercent);
  const high = p >= GPU_WARN_PERCENT;
  const sessions =
    sample.sessions === null
      ? ''
      : `; ${sample.sessions} transcode${sample.sessions === 1 ? '' : 's'} running`;
  return {
    at: sample.at,
    text: `GPU ${p} %`,
    short: `${p} %`,
    label: `GPU ${p} % busy (target under ${GPU_WARN_PERCENT} %)${sessions}`,
    level: high ? 'warn' : 'ok',
    fill: Math.max(0, Math.min(1, p / 100)),
    reason: high ? `GPU at ${p} %` : null,
  };
}

/** A camera records when its process runs and its newest segment came on schedule. */
export function recordingCameras(state: VmsState): number {
  return state.cameras.filter((c) => c.state === 'running' && !c.late).length;
}

/** A VMS host's cameras recording on schedule, of all it has; null before its first reading. */
export function vmsLoad(state: VmsState | undefined): LoadReading | null {
  if (!state) return null;
  const total = state.cameras.length;
  const n = recordingCameras(state);
  const nv = state.nvidia;
  const nvenc =
    nv.present && nv.sessions !== null
      ? `; NVENC ${nv.sessions} session${nv.sessions === 1 ? '' : 's'}${nv.sessionLimit !== null ? ` of ${nv.sessionLimit}` : ''}`
      : '';
  if (total === 0)
    return {
      at: state.at,
      text: 'No cameras',
      short: '0 cams',
      label: `No camera process found${nvenc}`,
      level: 'bad',
      fill: 0,
      reason: 'No camera is recording',
    };
  const missing = total - n;
  return {
    at: state.at,
    text: `${n}/${total} on schedule`,
    short: `${n}/${total}`,
    label: `${n} of ${total} camera${total === 1 ? '' : 's'} recording on schedule${nvenc}`,
    level: missing === 0 ? 'ok' : n === 0 ? 'bad' : 'warn',
    fill: n / total,
    reason: missing === 0 ? null : `${missing} of ${total} cameras not recording`,
  };
}

/**
 * A VMS host's recordings in the recorder's terms, so its REC, "link lost while recording" and the fleet's Recording
 * filter read the same as an R58's: every camera whose process runs is recording (a late one too: it is trying).
 */
export function vmsRecordings(state: VmsState | undefined): { state: RecorderState; at: number } | undefined {
  if (!state) return undefined;
  const recordings = state.cameras
    .filter((c) => c.state !== 'down')
    .map((c) => ({ camera: c.camera, file: c.newest?.name ?? '' }));
  return {
    at: state.at,
    state: {
      unit: 'vms-recorder',
      activeState: recordings.length > 0 ? 'active' : 'inactive',
      subState: recordings.length > 0 ? 'running' : 'dead',
      since: null,
      mainPid: null,
      restarts: 0,
      recordings,
    },
  };
}

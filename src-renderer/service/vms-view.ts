/**
 * A VMS host's cameras as seed 004's table: one row per camera with its processes, CPU (percent of one core, with
 * its line over time), newest segment against the schedule, the last closed segments and the live output. Pure.
 */
import type { CameraState, Segment, VmsState } from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status-strip/glance.js';

export interface CpuPoint {
  at: number;
  value: number | null;
}

/** `list` plus `more`, the oldest dropped past `cap`. */
export function appendCapped<T>(list: readonly T[], more: readonly T[], cap: number): T[] {
  const all = [...list, ...more];
  return all.length > cap ? all.slice(all.length - cap) : all;
}

/** Each camera's CPU history with this reading added (a camera no longer listed keeps its line until it ages out). */
export function cameraCpuHistory(
  before: ReadonlyMap<string, readonly CpuPoint[]>,
  state: VmsState,
  cap: number,
): Map<string, readonly CpuPoint[]> {
  const out = new Map(before);
  for (const c of state.cameras)
    out.set(c.camera, appendCapped(before.get(c.camera) ?? [], [{ at: state.at, value: c.cpuPercent }], cap));
  return out;
}

/** `18.4 MB`, `512 kB`. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} kB`;
  return `${n} B`;
}

/** `3:00`, `0:04`, `1:02:03`. */
export function formatSeconds(s: number): string {
  const total = Math.max(0, Math.round(s));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `42 s`, `3 min 5 s`. */
export function ageText(s: number): string {
  const total = Math.max(0, Math.round(s));
  if (total < 60) return `${total} s`;
  const m = Math.floor(total / 60);
  const rest = total % 60;
  return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
}

export interface SegmentLine {
  name: string;
  /** "18.4 MB · 3:00 · hevc". */
  text: string;
}

export function segmentLine(s: Segment): SegmentLine {
  const parts = [formatBytes(s.sizeBytes)];
  parts.push(s.durationS !== null ? formatSeconds(s.durationS) : 'duration unknown');
  parts.push(s.codec ?? 'codec unknown');
  return { name: s.name, text: parts.join(' · ') };
}

export interface CameraRow {
  camera: string;
  state: CameraState['state'];
  stateText: string;
  stateTone: Tone;
  /** "1 (pid 101613)", "2 (pids 101613, 101614)", "none". */
  processes: string;
  cpu: { text: string; label: string; tone: Tone; value: number | null };
  /** Newest segment: its name, age and the schedule. */
  newest: { name: string; text: string; tone: Tone; late: boolean } | null;
  newestNone: string;
  recent: SegmentLine[];
  live: { text: string; label: string; tone: Tone; up: boolean | null };
}

const STATE_WORD: Record<CameraState['state'], string> = {
  running: 'Recording',
  stalled: 'Stalled',
  down: 'Down',
};

function liveText(c: CameraState): CameraRow['live'] {
  const l = c.live;
  const shape = [l.codec, l.width && l.height ? `${l.width}×${l.height}` : null].filter(Boolean).join(' ');
  switch (l.state) {
    case 'up':
      return {
        text: shape ? `Up · ${shape}` : 'Up',
        label: `Live output ${l.url} is up${shape ? `: ${shape}` : ''}.`,
        tone: 'ok',
        up: true,
      };
    case 'down':
      return {
        text: 'Down',
        label: `Live output ${l.url} does not answer${l.detail ? `: ${l.detail}` : ''}.`,
        tone: 'bad',
        up: false,
      };
    case 'unknown':
      return {
        text: 'Not checked yet',
        label: `Live output ${l.url}: ${l.detail || 'not checked yet'}.`,
        tone: 'idle',
        up: null,
      };
  }
}

export function cameraRow(c: CameraState, budgetPercent: number): CameraRow {
  const cpu = c.cpuPercent;
  const over = cpu !== null && cpu > budgetPercent;
  const pids = c.pids.length;
  return {
    camera: c.camera,
    state: c.state,
    stateText: c.state === 'running' && c.late ? 'Late' : STATE_WORD[c.state],
    stateTone: c.state === 'down' ? 'bad' : c.state === 'stalled' || c.late ? 'warn' : 'ok',
    processes: pids === 0 ? 'none' : `${pids} (pid${pids === 1 ? '' : 's'} ${c.pids.join(', ')})`,
    cpu: {
      text: cpu === null ? '—' : `${cpu.toFixed(1)} %`,
      label:
        cpu === null
          ? `${c.camera}: CPU not read yet.`
          : `${c.camera}: ${cpu.toFixed(1)} % of one core (budget ${budgetPercent} %)${over ? ', over budget' : ''}.`,
      tone: cpu === null ? 'idle' : over ? 'warn' : 'ok',
      value: cpu,
    },
    newest: c.newest
      ? {
          name: c.newest.name,
          text: `${c.newestAgeS !== null ? `${ageText(c.newestAgeS)} ago` : 'age unknown'} · every ${ageText(c.segmentS)}${c.late ? ' · late' : ''}`,
          tone: c.late ? 'bad' : 'ok',
          late: c.late,
        }
      : null,
    newestNone: `No segment yet (every ${ageText(c.segmentS)})`,
    recent: c.recent.map(segmentLine),
    live: liveText(c),
  };
}

export interface VmsTotals {
  cameras: number;
  recording: number;
  /** "46.7 % of one core". */
  cpuText: string;
  /** The budget for all cameras: per camera × cameras. */
  budgetPercent: number;
  /** 0…1 of the budget, for the bar (past 1 drawn full). */
  fill: number;
  tone: Tone;
  label: string;
}

export function vmsTotals(state: VmsState): VmsTotals {
  const cameras = state.cameras.length;
  const recording = state.cameras.filter((c) => c.state === 'running' && !c.late).length;
  const budget = state.budgetPerCameraPercent * Math.max(1, cameras);
  const total = state.totalCpuPercent;
  const over = total !== null && total > budget;
  return {
    cameras,
    recording,
    cpuText: total === null ? 'not read yet' : `${total.toFixed(1)} % of one core`,
    budgetPercent: budget,
    fill: total === null ? 0 : Math.min(1, total / budget),
    tone: total === null ? 'idle' : over ? 'warn' : 'ok',
    label:
      total === null
        ? 'Total CPU of the cameras: not read yet.'
        : `Total CPU of the cameras: ${total.toFixed(1)} % of one core, budget ${budget} % (${state.budgetPerCameraPercent} % a camera)${over ? ', over budget' : ''}.`,
  };
}

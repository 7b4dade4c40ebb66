/**
 * One box as a row of the fleet overview, built from its status-strip glance (health, link, REC, VPU, CPU,
 * temperature, worst alarm: the same words and colours as everywhere else) plus what only a rack view shows: the
 * round trip, the VPU bar, the CPU and temperature sparklines, what is on Program and how many alarms are open.
 * Pure: the fleet view derives every row once per clock tick.
 */
import {
  KIND_LABELS,
  type DeviceKind,
  type DeviceStatus,
  type MixerState,
  type MonitorLimits,
  type MonitorSample,
} from '../../src-main/contract/index.js';
import {
  HEALTH_WORD,
  type Glance,
  type Health,
  type LinkGlance,
  type Tone,
} from '../lib/status-strip/glance.js';
import { HEALTH_TONE } from '../lib/status-strip/health.js';
import type { LoadReading } from '../lib/status-strip/load.js';
import { formatRtt } from '../lib/status.js';
import { sparkPath, type SparkPoint } from '../lib/charts/sparkline.js';

/** How far back the sparklines reach. */
export const SPARK_WINDOW_MS = 3 * 60_000;
/**
 * A box with less history than that (just connected) draws what it has across the whole width, over at least this
 * span, rather than a dot in a corner.
 */
export const SPARK_MIN_SPAN_MS = 30_000;
/** The sparklines' drawing grid (at most one point per column); the row stretches it to the width of its cell. */
export const SPARK_WIDTH = 60;
export const SPARK_HEIGHT = 14;
/** Readings further apart than this (the sampler says every second) are a gap in the line. */
const SPARK_GAP_MS = 5000;
/** The temperature scale's floor: a board idles well above it. */
const TEMPERATURE_FLOOR_C = 20;

export interface RowDevice {
  id: string;
  name: string;
  tags: readonly string[];
  status: DeviceStatus;
}

export interface FleetRowInput {
  device: RowDevice;
  /** What kind of box it is (its badge, and which load figure it has); r58 when not said, null: not found yet. */
  kind?: DeviceKind | null;
  glance: Glance;
  /** The kind's own load reading (GPU %, cameras recording); the R58's is its VPU sessions. */
  load?: LoadReading | null;
  /** The device's samples, oldest first (only the last few minutes are read). */
  samples: readonly MonitorSample[];
  limits: MonitorLimits | undefined;
  /** The device's mixer as last reported, if read. */
  mixer: MixerState | undefined;
  /** Open (unacknowledged) alarms of the device, all kinds: what "Acknowledge all" would acknowledge. */
  openAlarms: number;
  now: number;
}

/** What a cell shows (`text`), says in full (`label`, tooltip and screen readers) and its colour. */
export interface Cell {
  text: string;
  label: string;
  tone: Tone;
}

export interface SparkCell extends Cell {
  /** SVG path `d` over SPARK_WIDTH × SPARK_HEIGHT; empty when there is nothing in the window. */
  path: string;
}

export interface VpuCell extends Cell {
  /** How full the bar is, 0…1, against the practical limit. */
  fill: number;
  /** Where the safe limit sits on the bar, 0…1, when the limits are known. */
  safeAt: number | null;
}

/** The kind's own load, drawn as a bar like the VPU's. */
export interface LoadCell extends Cell {
  fill: number;
}

/** The kind badge: "R58", "Transcoder", "VMS", with the whole name for a tooltip. */
export interface KindBadge {
  /** Null: a box set to `auto` not found to be anything yet. */
  kind: DeviceKind | null;
  text: string;
  label: string;
}

const KIND_SHORT: Record<DeviceKind, string> = { r58: 'R58', transcoder: 'Transcoder', vms: 'VMS' };

export function kindBadge(kind: DeviceKind | null): KindBadge {
  if (kind === null) return { kind, text: 'Auto', label: 'Kind: found at connect, not known yet' };
  return { kind, text: KIND_SHORT[kind], label: `Kind: ${KIND_LABELS[kind]}` };
}

/** Whether the rows are of more than one kind: only then is each row's kind worth a badge. */
export function mixedKinds(rows: readonly Pick<FleetRow, 'kind'>[]): boolean {
  const first = rows[0]?.kind.kind;
  return rows.some((r) => r.kind.kind !== first);
}

export interface AlarmCell extends Cell {
  critical: boolean;
  /** The worst alarm's last activity (ms), for "newest first". */
  at: number;
}

export interface ProgramCell extends Cell {
  /** on: a mixer is running with this scene on Program; stale: the last known; none: no mixer. */
  kind: 'on' | 'stale' | 'none' | 'failed';
}

export interface FleetRow {
  id: string;
  name: string;
  tags: readonly string[];
  health: Health;
  healthWord: string;
  /** "Health: alarm — Kernel Oops in …". */
  healthLabel: string;
  healthTone: Tone;
  linkKind: LinkGlance['kind'];
  /** The state and round trip. */
  link: Cell;
  kind: KindBadge;
  vpu: VpuCell | null;
  /** A transcoder's or VMS host's load, in the column where an R58 shows its VPU sessions. */
  load: LoadCell | null;
  cpu: SparkCell | null;
  temperature: SparkCell | null;
  rec: Cell | null;
  program: ProgramCell;
  alarm: AlarmCell | null;
  /** Open alarms of any kind (the link's included): "Acknowledge all" shows when there are any. */
  openAlarms: number;
  /** The readings and REC are the last known (the link is being got back), not now. */
  stale: boolean;
}

function points(
  samples: readonly MonitorSample[],
  pick: (s: MonitorSample) => number | null,
  from: number,
): SparkPoint[] {
  // Only the window is read, scanning back from the newest.
  const out: SparkPoint[] = [];
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i];
    if (!s || s.at < from) break;
    out.push({ at: s.at, value: pick(s) });
  }
  return out.reverse();
}

function spark(
  samples: readonly MonitorSample[],
  pick: (s: MonitorSample) => number | null,
  now: number,
  min: number,
  max: number,
): string {
  const shown = points(samples, pick, now - SPARK_WINDOW_MS);
  const oldest = shown[0]?.at ?? now;
  return sparkPath(shown, {
    from: Math.min(now - SPARK_MIN_SPAN_MS, Math.max(now - SPARK_WINDOW_MS, oldest)),
    to: now,
    width: SPARK_WIDTH,
    height: SPARK_HEIGHT,
    min,
    max,
    gapMs: SPARK_GAP_MS,
  });
}

function linkCell(status: DeviceStatus, glance: Glance): Cell {
  const { link } = glance;
  if (link.kind === 'live' && status.rttMs !== undefined) {
    const rtt = formatRtt(status.rttMs);
    return {
      text: `${link.short} · ${rtt}`,
      label: `${link.label} Round trip ${rtt}.`,
      tone: link.tone,
    };
  }
  return {
    text: link.short,
    label: link.text === link.short ? link.label : `${link.text}. ${link.label}`,
    tone: link.tone,
  };
}

function vpuCell(
  glance: Glance,
  samples: readonly MonitorSample[],
  limits: MonitorLimits | undefined,
): VpuCell | null {
  const n = glance.vpu ? samples.at(-1)?.vpu.total : null;
  if (!glance.vpu || n === null || n === undefined) return null;
  const limit = limits?.vpuPractical ?? null;
  return {
    text: limit !== null ? `${n}/${limit}` : String(n),
    label: glance.vpu.label,
    tone: glance.vpu.tone,
    fill: limit ? Math.min(1, n / limit) : 0,
    safeAt: limits?.vpuSafe != null && limit ? Math.min(1, limits.vpuSafe / limit) : null,
  };
}

function programCell(mixer: MixerState | undefined): ProgramCell {
  if (!mixer) return { kind: 'none', text: '—', label: 'No mixer reading from this device.', tone: 'idle' };
  if (mixer.status === 'failed')
    return {
      kind: 'failed',
      text: 'Mixer failed',
      label: `The mixer failed${mixer.detail ? `: ${mixer.detail}` : '.'}`,
      tone: 'bad',
    };
  const scene = mixer.program?.name;
  if (!scene || mixer.status === 'off')
    return { kind: 'none', text: '—', label: 'No mixer running.', tone: 'idle' };
  if (mixer.status === 'unknown')
    return { kind: 'stale', text: scene, label: `${scene} was on Program when last read.`, tone: 'idle' };
  return { kind: 'on', text: scene, label: `${scene} is on Program.`, tone: 'ok' };
}

export function fleetRow(input: FleetRowInput): FleetRow {
  const { device, glance, samples, limits, now } = input;
  const stale = glance.lastSeen !== null;
  const cpuNow = glance.cpu ? samples.at(-1)?.cpuPercent : null;
  const alarm = glance.alarm;
  return {
    id: device.id,
    name: device.name,
    tags: device.tags,
    health: glance.health,
    healthWord: HEALTH_WORD[glance.health],
    healthLabel: glance.healthLabel,
    healthTone: HEALTH_TONE[glance.health],
    linkKind: glance.link.kind,
    link: linkCell(device.status, glance),
    kind: kindBadge(input.kind === undefined ? 'r58' : input.kind),
    vpu: vpuCell(glance, samples, limits),
    load:
      glance.load && input.load
        ? { text: input.load.short, label: glance.load.label, tone: glance.load.tone, fill: input.load.fill }
        : null,
    cpu:
      glance.cpu && cpuNow !== null && cpuNow !== undefined
        ? {
            text: `${Math.round(cpuNow)} %`,
            label: glance.cpu.label,
            tone: glance.cpu.tone,
            path: spark(samples, (s) => s.cpuPercent, now, 0, 100),
          }
        : null,
    temperature: glance.temperature
      ? {
          text: glance.temperature.text,
          label: glance.temperature.label,
          tone: glance.temperature.tone,
          path: spark(
            samples,
            (s) => s.temperatureC,
            now,
            TEMPERATURE_FLOOR_C,
            limits?.temperatureCriticalC ?? 100,
          ),
        }
      : null,
    rec: glance.rec ? { text: glance.rec.text, label: glance.rec.label, tone: glance.rec.tone } : null,
    program: programCell(input.mixer),
    alarm: alarm
      ? {
          text: alarm.text,
          label: alarm.label,
          tone: alarm.tone,
          critical: alarm.alarm.severity === 'critical',
          at: Date.parse(alarm.alarm.lastAt) || 0,
        }
      : null,
    openAlarms: input.openAlarms,
    stale,
  };
}

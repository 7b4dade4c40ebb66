/**
 * A transcoder's health samples in words and chart columns: healthy or failing (and which required fields fail,
 * with the HTTP status), sessions, FFmpeg restarts, memory against seed 003's target, GPU busy over time, and the
 * metrics as a table. Pure.
 */
import type { HealthSample, MetricSample } from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status-strip/glance.js';
import { formatBytes } from './vms-view.js';

/** Seed 003: about 150 MB in use, target under 500 MB. */
export const MEMORY_TARGET_BYTES = 500_000_000;
export const MEMORY_TYPICAL_BYTES = 150_000_000;

export interface HealthWords {
  /** "Healthy", "Failing", "Not answering", "Not read yet". */
  word: string;
  tone: Tone;
  /** "HTTP 503 · vaapi_available false · error: VAAPI device not found". */
  detail: string;
  failing: string[];
}

export function healthWords(s: HealthSample | undefined): HealthWords {
  if (!s) return { word: 'Not read yet', tone: 'idle', detail: '', failing: [] };
  const parts: string[] = [];
  if (s.httpStatus !== null) parts.push(`HTTP ${s.httpStatus}`);
  for (const f of s.failing) parts.push(`${f} ${String(s.fields[f] ?? 'missing')}`);
  if (s.problem) parts.push(s.problem);
  const detail = parts.join(' · ');
  if (!s.reachable) return { word: 'Not answering', tone: 'bad', detail, failing: s.failing };
  if (s.healthy === true) return { word: 'Healthy', tone: 'ok', detail, failing: [] };
  if (s.healthy === false) return { word: 'Failing', tone: 'bad', detail, failing: s.failing };
  return { word: 'Unknown', tone: 'idle', detail, failing: s.failing };
}

export interface Figure {
  title: string;
  value: string;
  note: string;
  tone: Tone;
  /** 0…1 for a bar, when the figure has a scale. */
  fill: number | null;
  /** Where the target sits on the bar, 0…1. */
  markAt: number | null;
}

export function sessionsFigure(s: HealthSample | undefined): Figure {
  const n = s?.sessions ?? null;
  return {
    title: 'Sessions',
    value: n === null ? '—' : String(n),
    note: n === null ? 'not reported' : n === 1 ? 'transcode running' : 'transcodes running',
    tone: n === null ? 'idle' : 'ok',
    fill: null,
    markAt: null,
  };
}

/** FFmpeg restarts since the service started; any rise during the window shown is a warning. */
export function restartsFigure(samples: readonly HealthSample[]): Figure {
  const now = samples.at(-1)?.ffmpegRestarts ?? null;
  const first = samples.find((s) => s.ffmpegRestarts !== null)?.ffmpegRestarts ?? null;
  const rose = now !== null && first !== null && now > first;
  return {
    title: 'FFmpeg restarts',
    value: now === null ? '—' : String(now),
    note:
      now === null ? 'not reported' : rose ? `up ${now - first} while watched` : 'since the service started',
    tone: now === null ? 'idle' : rose ? 'warn' : 'ok',
    fill: null,
    markAt: null,
  };
}

export function memoryFigure(s: HealthSample | undefined): Figure {
  const m = s?.memoryBytes ?? null;
  const scale = MEMORY_TARGET_BYTES * 1.2;
  return {
    title: 'Memory',
    value: m === null ? '—' : formatBytes(m),
    note: `target under ${formatBytes(MEMORY_TARGET_BYTES)} (seed 003: about ${formatBytes(MEMORY_TYPICAL_BYTES)})`,
    tone: m === null ? 'idle' : m >= MEMORY_TARGET_BYTES ? 'warn' : 'ok',
    fill: m === null ? null : Math.min(1, m / scale),
    markAt: MEMORY_TARGET_BYTES / scale,
  };
}

type Columns = [number[], ...(number | null)[][]];

/** GPU busy percent over time, x in seconds (as the Monitor's charts take it). */
export function gpuColumns(samples: readonly HealthSample[]): Columns {
  return [samples.map((s) => s.at / 1000), samples.map((s) => s.gpuBusyPercent)];
}

/** Sessions over time. */
export function sessionColumns(samples: readonly HealthSample[]): Columns {
  return [samples.map((s) => s.at / 1000), samples.map((s) => s.sessions)];
}

export interface MetricRow {
  key: string;
  name: string;
  labels: string;
  value: string;
}

/** `42`, `1.5`, `1.23e+9`, `+Inf`. */
export function metricValue(m: MetricSample): string {
  if (m.special) return m.special;
  if (m.value === null) return '—';
  const v = m.value;
  if (Number.isInteger(v) && Math.abs(v) < 1e12) return String(v);
  if (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3)) return v.toExponential(3);
  return String(Math.round(v * 1000) / 1000);
}

export function metricRows(metrics: readonly MetricSample[]): MetricRow[] {
  return metrics.map((m, i) => {
    const labels = Object.entries(m.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ');
    return { key: `${i} ${m.name}{${labels}}`, name: m.name, labels, value: metricValue(m) };
  });
}

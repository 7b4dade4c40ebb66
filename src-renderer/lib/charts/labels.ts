/** Words for kernel severities and categories, and the small formatting the monitor shares. */
import type { KernelCategory, Severity } from '../../../src-main/contract/index.js';

export const CATEGORY_LABEL: Record<KernelCategory, string> = {
  oops: 'Oops',
  panic: 'Panic',
  rcu_stall: 'RCU stall',
  vpu: 'VPU',
  video: 'Video',
  thermal: 'Thermal',
  usb: 'USB',
  network: 'Network',
  other: 'Other',
};

/** Short, fixed-width words so the log's columns line up; colour only tints them. */
export const SEVERITY_SHORT: Record<Severity, string> = {
  critical: 'CRIT',
  error: 'ERR',
  warning: 'WARN',
  notice: 'NOTE',
  info: 'INFO',
  debug: 'DBG',
};

/** `[  262.118731]`, as dmesg prints the time since boot. */
export function bootTime(usec: number): string {
  const seconds = Math.floor(usec / 1_000_000);
  const micros = Math.floor(usec % 1_000_000);
  return `[${String(seconds).padStart(5, ' ')}.${String(micros).padStart(6, '0')}]`;
}

/** A number or a dash, with a unit: the monitor shows gaps as gaps, never as zero. */
export function reading(value: number | null | undefined, unit: string, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value.toFixed(digits)}${unit}`;
}

/**
 * The least room, in CSS pixels, between two time ticks: the widest label ("23:59:59" at 11 px is about 52 px)
 * and a clear gap, so neighbouring labels never touch.
 */
export const TIME_TICK_SPACE = 84;
/** Room kept right of the plot, so a label centred on its last tick is not cut off at the edge. */
export const TIME_AXIS_END_ROOM = 30;

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * A time axis label: the 24-hour wall clock (no AM/PM to widen it), with seconds only while the ticks are less
 * than a minute apart.
 */
export function timeTickLabel(epochSeconds: number, stepSeconds: number): string {
  const at = new Date(epochSeconds * 1000);
  const hm = `${two(at.getHours())}:${two(at.getMinutes())}`;
  return stepSeconds < 60 ? `${hm}:${two(at.getSeconds())}` : hm;
}

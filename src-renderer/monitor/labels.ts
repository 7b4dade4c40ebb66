/** Words for kernel severities and categories, and the small formatting the monitor shares. */
import type { KernelCategory, Severity } from '../../src-main/contract/index.js';

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

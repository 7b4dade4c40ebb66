/**
 * A service log line's look: errors red, warnings amber, and the lines seed 004 names as harmless ("Impact: None")
 * marked as known noise rather than as errors. Pure.
 */
import type { ServiceLogLine } from '../../src-main/contract/index.js';

export type LogTone = 'error' | 'warn' | 'noise' | 'plain';

/** Seed 004's benign FFmpeg lines: the recording goes on regardless. */
const KNOWN_NOISE: readonly RegExp[] = [
  /Missing PPS in sprop-parameter-sets/i,
  /More than \d+ frames duplicated/i,
  /CUDA_ERROR_INVALID_VALUE/i,
  /method SETUP failed: 461/i,
];

export function logTone(text: string): LogTone {
  if (KNOWN_NOISE.some((re) => re.test(text))) return 'noise';
  if (/\b(error|fatal|failed|panic|killed|segfault)\b/i.test(text)) return 'error';
  if (/\b(warn|warning|deprecated|retry|restart(ing|ed)?)\b/i.test(text)) return 'warn';
  return 'plain';
}

/** `14:03:07` from the line's RFC 3339 time (the console's local clock), or empty when it has none. */
export function logTime(line: ServiceLogLine): string {
  if (!line.at) return '';
  const t = Date.parse(line.at);
  if (!Number.isFinite(t)) return '';
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Words and looks for a transcoder's or VMS host's qualification: the outcome, and checks drawn as bars. */
import type { KindQualifyCheck, KindQualifyOutcome, KindQualifyTest } from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status.js';

export const OUTCOME_LOOK: Record<KindQualifyOutcome, { word: string; banner: string; tone: Tone }> = {
  running: { word: 'running', banner: 'Qualifying…', tone: 'busy' },
  passed: { word: 'passed', banner: 'Qualified: every check passed', tone: 'ok' },
  failed: { word: 'failed', banner: 'Not qualified: a check failed', tone: 'bad' },
  refused: { word: 'refused', banner: 'Refused: nothing ran', tone: 'idle' },
};

export const CHECK_LOOK: Record<KindQualifyCheck['state'], { word: string; icon: string; tone: Tone }> = {
  pending: { word: 'waiting', icon: '○', tone: 'idle' },
  passed: { word: 'passed', icon: '✓', tone: 'ok' },
  failed: { word: 'failed', icon: '✕', tone: 'bad' },
};

export function testWords(test: KindQualifyTest): string {
  return test === 'transcode'
    ? 'Seed 003’s test: a transcode read unbuffered'
    : 'Seed 004’s test: camera CPU against the box’s baseline';
}

/** The first number in a text (`1.8 s` → 1.8, `≥ 1× real time` → 1); null when there is none. */
export function firstNumber(text: string | null): number | null {
  if (!text) return null;
  const m = /-?\d+(?:\.\d+)?/.exec(text);
  return m ? Number(m[0]) : null;
}

export interface CheckBar {
  /** Where the measured value ends and the limit sits, 0–1 of the bar's length. */
  value: number;
  limit: number;
  /** The limit is an upper bound (≤) or a lower one (≥). */
  bound: 'max' | 'min';
}

/**
 * A check with a numeric value and a `≤ X` or `≥ X` limit as a bar against its limit; null for checks that are
 * words (a codec, a container). The scale leaves room past whichever is larger so both marks show.
 */
export function checkBar(c: KindQualifyCheck): CheckBar | null {
  const bound = c.limit.trimStart().startsWith('≤')
    ? 'max'
    : c.limit.trimStart().startsWith('≥')
      ? 'min'
      : null;
  const v = firstNumber(c.value);
  const l = firstNumber(c.limit);
  if (!bound || v === null || l === null || l <= 0 || v < 0) return null;
  const scale = Math.max(v, l) * 1.25;
  return { value: v / scale, limit: l / scale, bound };
}

/** The run's progress, 0–1, from its planned length and how far it got. */
export function progressOf(elapsedS: number, totalS: number): number {
  if (!(totalS > 0)) return 0;
  return Math.max(0, Math.min(1, elapsedS / totalS));
}

/** The CPU readings as a polyline per series, in a W×H box scaled to the largest value (and the baseline). */
export function cpuPath(values: readonly (number | null)[], max: number, w: number, h: number): string {
  if (values.length === 0 || !(max > 0)) return '';
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const parts: string[] = [];
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const x = Math.round(i * step * 10) / 10;
    const y = Math.round((h - (Math.min(v, max) / max) * h) * 10) / 10;
    parts.push(`${pen ? 'L' : 'M'}${x} ${y}`);
    pen = true;
  });
  return parts.join(' ');
}

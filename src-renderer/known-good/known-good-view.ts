/** Words and looks for known-good on a transcoder or VMS host: the candidates' buttons, a switch's outcome, its strip. */
import type {
  KnownGoodCandidate,
  KnownGoodOutcome,
  KnownGoodReading,
  KnownGoodSwitch,
  KnownGoodUnit,
} from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status.js';

export const OUTCOME_LOOK: Record<KnownGoodOutcome, { word: string; banner: string; tone: Tone }> = {
  running: { word: 'running', banner: 'Switching…', tone: 'busy' },
  healthy: { word: 'passed', banner: 'Passed: healthy through its probation', tone: 'ok' },
  reverted: { word: 'reverted by itself', banner: 'Unhealthy, so it reverted by itself', tone: 'warn' },
  failed: { word: 'failed', banner: 'The switch failed: the box needs attention', tone: 'bad' },
  refused: { word: 'refused', banner: 'Refused: nothing was changed', tone: 'idle' },
};

/** What one unit of change is called on this kind of box. */
export function unitWords(unit: KnownGoodUnit): { one: string; many: string } {
  return unit === 'image'
    ? { one: 'image', many: 'Images' }
    : { one: 'binary backup', many: 'Binary backups' };
}

/**
 * The button's accessible name: "Go back to previous", "Go back to vms-recorder.before-phase3"; one an earlier
 * switch kept (what ran before it) is the way forward again, so it says so.
 */
export function switchLabel(c: KnownGoodCandidate): string {
  return c.keptBySwitch ? `Go forward to ${c.name}` : `Go back to ${c.name}`;
}

/** Candidates in the order a producer looks for them: named backups first, then ones kept by switches, newest first. */
export function orderCandidates(list: readonly KnownGoodCandidate[]): KnownGoodCandidate[] {
  const when = (c: KnownGoodCandidate): number => (c.created ? Date.parse(c.created) || 0 : 0);
  return [...list].sort((a, b) => {
    const kept = Number(a.keptBySwitch !== null) - Number(b.keptBySwitch !== null);
    return kept !== 0 ? kept : when(b) - when(a) || a.name.localeCompare(b.name);
  });
}

/** A candidate's facts on one line: its id, when it was made, its size, and which switch kept it. */
export function candidateFacts(c: KnownGoodCandidate, locale?: string): string {
  const made = c.created ? new Date(c.created) : null;
  return [
    shortId(c.id),
    made && Number.isFinite(made.getTime())
      ? made.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' })
      : null,
    c.size,
    c.keptBySwitch ? `kept by switch ${c.keptBySwitch}` : null,
  ]
    .filter((x): x is string => x !== null && x !== '')
    .join(' · ');
}

/** The short id of an image or checksum, or a dash. */
export function shortId(id: string | null): string {
  if (!id) return '—';
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export interface StripBar {
  x: number;
  width: number;
  healthy: boolean;
  text: string;
}

/**
 * A probation window as bars along its length: one per reading, as wide as the time to the next one (the last one
 * as wide as the readings' usual spacing, so a running window fills as it goes), green while healthy, red where not.
 */
export function stripBars(
  readings: readonly KnownGoodReading[],
  windowMs: number,
  width: number,
): StripBar[] {
  const span = Math.max(windowMs, readings.at(-1)?.atMs ?? 0, 1);
  const px = (ms: number): number => (Math.max(0, Math.min(ms, span)) / span) * width;
  // The usual spacing is the median gap: a long first wait (the service starting) does not widen the last bar.
  const gaps = readings
    .slice(1)
    .map((r, i) => r.atMs - (readings[i]?.atMs ?? 0))
    .filter((g) => g > 0)
    .sort((a, b) => a - b);
  const spacing = gaps[Math.floor(gaps.length / 2)] ?? 1000;
  return readings.map((r, i) => {
    const next = readings[i + 1]?.atMs ?? r.atMs + spacing;
    const x = px(r.atMs);
    return { x, width: Math.max(3, px(next) - x - 1), healthy: r.healthy, text: r.text };
  });
}

/** "3 of 5 readings healthy" — the strip's numbers for a screen reader. */
export function stripSummary(readings: readonly KnownGoodReading[]): string {
  if (readings.length === 0) return 'No reading yet.';
  const good = readings.filter((r) => r.healthy).length;
  return `${good} of ${readings.length} reading${readings.length === 1 ? '' : 's'} healthy`;
}

/** The target's short name: `xg2g-gpu-transcoder:previous` → `previous`, `/opt/vms/x.before` → `x.before`. */
export function targetName(ref: string): string {
  const colon = ref.lastIndexOf(':');
  if (!ref.startsWith('/') && colon > 0) return ref.slice(colon + 1);
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** One line for the list of past switches. */
export function historyLine(s: KnownGoodSwitch): string {
  return `${targetName(s.target)} — ${OUTCOME_LOOK[s.outcome].word}${s.kept ? ` · kept ${targetName(s.kept)}` : ''}`;
}

/** What the end of a switch says about what was kept, so the way forward is named. */
export function keptLine(s: KnownGoodSwitch, unit: KnownGoodUnit): string | null {
  if (!s.kept) return null;
  const what = unit === 'image' ? 'image' : 'binary';
  if (s.outcome === 'running') return `The ${what} that ran before is kept as ${s.kept}.`;
  return s.outcome === 'reverted'
    ? `Back on what ran before; the ${what} that ran is also kept as ${s.kept}.`
    : `The ${what} that ran before is kept as ${s.kept}: going forward again is one more switch.`;
}

/** Words and looks for a rollback's plan and report. */
import type { HealthReading, Rollback, RollbackOutcome } from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status.js';

export const OUTCOME_LOOK: Record<RollbackOutcome, { word: string; banner: string; tone: Tone }> = {
  running: { word: 'running', banner: 'Rolling back…', tone: 'busy' },
  healthy: { word: 'healthy', banner: 'Rolled back: the board is healthy', tone: 'ok' },
  reverted: { word: 'went back', banner: 'Unhealthy, so it went back by itself', tone: 'warn' },
  failed: { word: 'failed', banner: 'Rollback failed: the board needs attention', tone: 'bad' },
  refused: { word: 'refused', banner: 'Refused: nothing was changed', tone: 'idle' },
  interrupted: { word: 'interrupted', banner: 'Interrupted by the emergency VPU reset', tone: 'warn' },
};

/** What was wrong with a reading, or null when it was healthy. */
export function readingProblem(r: HealthReading): string | null {
  if (r.kernelFaults > 0) return `${r.kernelFaults} kernel fault${r.kernelFaults === 1 ? '' : 's'}`;
  if (r.streaming < r.cameras) return `${r.cameras - r.streaming} of ${r.cameras} cameras not streaming`;
  if (r.stalled.length > 0) return `no new bytes from ${r.stalled.join(', ')}`;
  return null;
}

export function short(sha: string | null): string {
  return sha ? sha.slice(0, 7) : '—';
}

/** One line on where HEAD went: "a1b2c3d → e4f5a6b (ended on e4f5a6b)". */
export function headLine(r: Rollback): string {
  const made = r.made ? `, committed ${short(r.made)}` : '';
  return `HEAD ${short(r.from)} → target ${short(r.target)}${made}; ended on ${short(r.endedOn)}`;
}

/**
 * How a VPU reset reads on screen: the four steps with their state in words, durations and waits, the outcome,
 * and short texts for sessions, recordings and cameras. Unknown values show as a dash, never as zero.
 */
import {
  RESET_STEPS,
  planJobSentence,
  type ResetCamera,
  type ResetOutcome,
  type ResetPlan,
  type ResetRecording,
  type ResetRestart,
  type ResetStep,
  type VpuReset,
} from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status.js';
import { STEP_LOOK, type StepState } from '../lib/step-look.js';

/** `850 ms`, `12.3 s`, `2 min 05 s`, `1 h 02 min`; empty when unknown. */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A recording's length: `0:42`, `1:02:03`. */
export function mediaDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const ss = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface StepRow {
  n: number;
  id: ResetStep['id'];
  title: string;
  state: StepState;
  word: string;
  icon: string;
  tone: Tone;
  /** How long it took (or has taken so far, as the device reported); empty before. */
  duration: string;
  /** `of which 8.1 s waiting on the device`; empty when there was no wait. */
  waited: string;
  lines: readonly string[];
}

/** Always the four steps in order: what the reset reported, or waiting for those it has not reached. */
export function stepRows(reset: Pick<VpuReset, 'steps'> | null | undefined): StepRow[] {
  return RESET_STEPS.map((def) => {
    const step = reset?.steps.find((s) => s.id === def.id);
    const state: StepState = step?.state ?? 'pending';
    const look = STEP_LOOK[state];
    const waitedMs = step?.waitedMs ?? null;
    return {
      n: def.n,
      id: def.id,
      title: step?.title || def.title,
      state,
      word: look.word,
      icon: look.icon,
      tone: look.tone,
      duration: durationText(step?.durationMs),
      waited:
        waitedMs !== null && waitedMs > 0 ? `of which ${durationText(waitedMs)} waiting on the device` : '',
      lines: step?.lines ?? [],
    };
  });
}

export const OUTCOME_LOOK: Record<ResetOutcome, { word: string; tone: Tone; banner: string }> = {
  running: { word: 'running', tone: 'busy', banner: 'Reset running' },
  healthy: { word: 'healthy', tone: 'ok', banner: 'Healthy: the VPU is free and the cameras are back' },
  reboot_needed: {
    word: 'reboot needed',
    tone: 'warn',
    banner: 'Reboot needed: the kernel did not let go of the VPU',
  },
  failed: { word: 'failed', tone: 'bad', banner: 'Reset failed' },
};

export const LINK_LOST =
  'Link to the device lost — the reset continues on the device; Tally reattaches when the link is back.';

/** `12 → 0`, `— → 4`. */
export function sessionsText(before: number | null, after: number | null): string {
  const n = (v: number | null): string => (v === null ? '—' : String(v));
  return `${n(before)} → ${n(after)}`;
}

export function recordingText(r: ResetRecording): string {
  if (r.state === 'finalised') return `finalised, ${mediaDuration(r.durationS)} long`;
  return r.detail ? `damaged: ${r.detail}` : 'damaged';
}

export const CAMERA_WORD: Record<ResetCamera['state'], { word: string; tone: Tone }> = {
  online: { word: 'online', tone: 'ok' },
  failed: { word: 'failed', tone: 'bad' },
  not_started: { word: 'not started', tone: 'idle' },
};

/** `3 recordings`, `1 recording`, `no recordings`. */
export function counted(n: number, one: string, many = `${one}s`): string {
  if (n === 0) return `no ${many}`;
  return `${n} ${n === 1 ? one : many}`;
}

/** The plan's first line: what runs on the device now and will be stopped. */
export function planHeadline(plan: ResetPlan): string {
  const sessions =
    plan.sessions === null ? 'an unknown number of VPU sessions' : counted(plan.sessions, 'VPU session');
  return `${plan.device} has ${sessions} open now, ${counted(plan.recordings.length, 'recording')} running and ${counted(plan.pipelines.length, 'pipeline')} started from this console.`;
}

export const RESTART_LOOK: Record<ResetRestart['state'], { word: string; tone: Tone }> = {
  pending: { word: 'after the reset', tone: 'idle' },
  running: { word: 'starting again', tone: 'busy' },
  done: { word: 'running again', tone: 'ok' },
  failed: { word: 'not started again', tone: 'bad' },
  skipped: { word: 'left stopped', tone: 'warn' },
};

/** What the plan says this console starts again itself, once the reset has ended healthy (one sentence each). */
export function planRestarts(plan: ResetPlan): string[] {
  return plan.pipelines.filter((p) => p.restart !== null).map((p) => planJobSentence(p));
}

/** Whether the reset has ended (healthy, reboot needed or failed). */
export function ended(reset: Pick<VpuReset, 'outcome'>): boolean {
  return reset.outcome !== 'running';
}

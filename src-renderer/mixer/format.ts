/** The Mixer's words: box names for screen readers, the mixer's status, take outcomes and the budget preflight. */
import type {
  InputState,
  MixerPreflight,
  MixerState,
  SceneBox,
  TakeOutcome,
  TakeResult,
} from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status.js';

/** A fraction of the frame as a percentage: `50 %`, `33.3 %`. */
export function pct(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10} %`;
}

/** A box's accessible name: `cam1 box, x 50 %, y 0 %, 50 % × 50 %` (and `, locked`). */
export function boxLabel(box: Pick<SceneBox, 'camera' | 'x' | 'y' | 'w' | 'h' | 'locked'>): string {
  const base = `${box.camera} box, x ${pct(box.x)}, y ${pct(box.y)}, ${pct(box.w)} × ${pct(box.h)}`;
  return box.locked ? `${base}, locked` : base;
}

/** `cam1`, `cam1 and cam2`, `cam1, cam2 and cam3`. */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function sentence(text: string): string {
  const t = text.trim().replace(/[.\s]+$/, '');
  return t ? `${t}.` : '';
}

export interface StatusView {
  word: string;
  tone: Tone;
  detail: string;
}

const STATUS: Record<MixerState['status'], { word: string; tone: Tone }> = {
  off: { word: 'Off', tone: 'idle' },
  starting: { word: 'Starting', tone: 'busy' },
  running: { word: 'Running', tone: 'ok' },
  stopping: { word: 'Stopping', tone: 'busy' },
  failed: { word: 'Failed', tone: 'bad' },
  unknown: { word: 'Unknown', tone: 'idle' },
};

/** The mixer's status in a word and a tone, with why (its detail, or the data-flow problem while it runs). */
export function statusView(state: MixerState | undefined): StatusView {
  if (!state) return { word: 'Not read yet', tone: 'idle', detail: '' };
  const base = STATUS[state.status];
  if (state.status === 'running' && !state.health.flowing) {
    return {
      word: 'Running, no frames',
      tone: 'warn',
      detail: sentence(state.health.problem ?? 'No frames leave the compositor') || state.detail,
    };
  }
  if (state.status === 'unknown' && !state.detail)
    return { ...base, detail: 'Not read yet, or the link to the device is down.' };
  return { ...base, detail: sentence(state.detail) };
}

export const OUTCOME_WORD: Record<TakeOutcome, string> = {
  applied: 'Applied',
  expired: 'Expired',
  duplicate: 'Duplicate',
  refused_budget: 'Refused',
  refused_inputs: 'Refused',
  not_confirmed: 'Not confirmed',
};

export const OUTCOME_TONE: Record<TakeOutcome, Tone> = {
  applied: 'ok',
  expired: 'warn',
  duplicate: 'idle',
  refused_budget: 'bad',
  refused_inputs: 'bad',
  not_confirmed: 'warn',
};

/** What each outcome means when the device's message does not say it. */
const OUTCOME_MEANS: Record<TakeOutcome, string> = {
  applied: 'It is on Program.',
  expired: 'It could not reach the device in time, so it was dropped there and never applied late.',
  duplicate: 'The device had applied this take already.',
  refused_budget: 'Over the VPU budget. Program unchanged.',
  refused_inputs: 'An input could not start. Program unchanged.',
  not_confirmed:
    'Sent, but no answer came before the link went. What is on air shows once the state is read again.',
};

export interface TakeView {
  text: string;
  tone: Tone;
}

/** One line for the take's outcome: `Take 17 applied: 2×2 is on Program.`, the budget sentence when refused. */
export function takeView(result: TakeResult): TakeView {
  const head = `Take ${result.seq} ${OUTCOME_WORD[result.outcome].toLowerCase()}`;
  let text = sentence(result.message);
  if (result.outcome === 'applied' && !text) {
    const name = result.state?.program?.name;
    text = name ? `${name} is on Program.` : OUTCOME_MEANS.applied;
  }
  if (result.outcome === 'refused_budget' && result.budget) {
    const budget = sentence(result.budget.message);
    if (budget && !text.includes(budget.slice(0, -1))) text = text ? `${text} ${budget}` : budget;
  }
  if (!text) text = OUTCOME_MEANS[result.outcome];
  return { text: `${head}: ${text}`, tone: OUTCOME_TONE[result.outcome] };
}

/** A take that failed before the device answered (the core refused it, the link was down). */
export function takeErrorView(message: string): TakeView {
  return { text: `Take not sent: ${sentence(message)}`, tone: 'bad' };
}

export interface PreflightView {
  tone: Tone;
  /** "Next: 4 inputs + 4 recording encoders = 8 sessions: at the practical limit." */
  text: string;
  /** Seed 002's fallback, when the core offers it. */
  fallback: string | null;
}

export function preflightView(p: MixerPreflight): PreflightView {
  const tone: Tone = p.budget.verdict === 'refuse' ? 'bad' : p.budget.verdict === 'warn' ? 'warn' : 'ok';
  const prefix =
    p.budget.verdict === 'refuse' ? 'Would be refused: ' : p.budget.verdict === 'warn' ? 'Warning: ' : '';
  const fallback =
    p.softwareFallback.length > 0
      ? `Fallback (seed 002): decode ${joinNames(p.softwareFallback)} in software instead of on the VPU.`
      : null;
  return { tone, text: `${prefix}${sentence(p.sentence)}`, fallback };
}

const INPUT_WORD: Record<InputState['state'], { word: string; tone: Tone }> = {
  starting: { word: 'starting', tone: 'busy' },
  playing: { word: 'playing', tone: 'ok' },
  stalled: { word: 'stalled', tone: 'warn' },
  failed: { word: 'failed', tone: 'bad' },
  stopped: { word: 'stopped', tone: 'idle' },
};

/** One mixer input as a producer reads it: "playing · 30 fps · VPU", "stalled 4 s · software". */
export function inputView(camera: string, input: InputState): { text: string; tone: Tone; label: string } {
  const { word, tone } = INPUT_WORD[input.state];
  const age =
    input.state === 'stalled' && input.lastFrameAgeMs !== null
      ? ` ${Math.round(input.lastFrameAgeMs / 1000)} s`
      : '';
  const fps = input.state === 'playing' && input.fps !== null ? ` · ${Math.round(input.fps)} fps` : '';
  const decoder = input.decoder === 'sw' ? 'software decoding' : 'VPU';
  const text = `${word}${age}${fps} · ${decoder}`;
  return { text, tone, label: `${camera}: ${text}${input.error ? ` (${input.error})` : ''}` };
}

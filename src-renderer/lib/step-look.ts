/**
 * How one step of a device job (a config operation's step, a VPU reset's step) looks on screen: its state in
 * words, an icon and a tone. Both jobs share the same five states.
 */
import type { Tone } from './status.js';

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export const STEP_LOOK: Record<StepState, { word: string; icon: string; tone: Tone }> = {
  pending: { word: 'waiting', icon: '○', tone: 'idle' },
  running: { word: 'running', icon: '◐', tone: 'busy' },
  done: { word: 'done', icon: '✓', tone: 'ok' },
  failed: { word: 'failed', icon: '✕', tone: 'bad' },
  skipped: { word: 'skipped', icon: '–', tone: 'idle' },
};

/** The colour family of each health, as the app's `tone-*` classes name them. */
import type { Health, Tone } from './glance.js';

export const HEALTH_TONE: Record<Health, Tone> = {
  alarm: 'bad',
  warning: 'warn',
  ok: 'ok',
  offline: 'idle',
};

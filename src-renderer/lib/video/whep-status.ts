/** The words a live video shows for its WHEP state: short enough for a tile, never silent about a failure. */
import { secondsUntil } from './backoff.js';
import type { WhepSnapshot } from './whep-session.js';

/** The text as a sentence ending in one full stop (server messages come with or without one). */
export function sentence(text: string): string {
  const trimmed = text.trim().replace(/[.\s]+$/, '');
  return `${trimmed}.`;
}

export type Tone = 'ok' | 'busy' | 'warn' | 'bad' | 'idle';

export interface TileStatus {
  /** One or two words: Live, Connecting, Offline, Retrying in 3 s … */
  label: string;
  /** Why, when something is wrong (the server's message, the failure). */
  detail: string;
  tone: Tone;
}

export function whepStatus(snap: WhepSnapshot | undefined, now: number): TileStatus {
  const state = snap?.state ?? { kind: 'idle' };
  switch (state.kind) {
    case 'idle':
      return { label: 'Paused', detail: 'Not on screen: not receiving.', tone: 'idle' };
    case 'connecting':
      return {
        label: 'Connecting',
        detail: state.attempt > 1 ? `Attempt ${state.attempt}.` : '',
        tone: 'busy',
      };
    case 'live':
      // A frozen picture is not live, though the session has not given up on it yet.
      if (snap?.stalledMs !== undefined)
        return {
          label: 'Stalled',
          detail:
            'No new frame: the picture is frozen. Tally starts the stream again if it does not recover.',
          tone: 'warn',
        };
      return { label: 'Live', detail: '', tone: 'ok' };
    case 'offline':
      return {
        label: 'Offline',
        detail: `${sentence(state.message)} Checking again in ${secondsUntil(state.at, now)} s.`,
        tone: 'idle',
      };
    case 'unsupported':
      return { label: 'Not playable', detail: state.message, tone: 'bad' };
    case 'unauthorized':
      return { label: 'Needs credentials', detail: state.message, tone: 'bad' };
    case 'retrying':
      return {
        label: `Retrying in ${secondsUntil(state.at, now)} s`,
        detail: `Attempt ${state.attempt} failed: ${sentence(state.reason)}`,
        tone: 'warn',
      };
    case 'closed':
      return { label: 'Closed', detail: '', tone: 'idle' };
  }
}

/** The recorder unit's state in words and a colour family, and which controls make sense in it. */
import type { RecorderState } from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status.js';

export type RecorderAction = 'start' | 'stop' | 'restart';

export function unitTone(activeState: string): Tone {
  switch (activeState) {
    case 'active':
      return 'ok';
    case 'activating':
    case 'deactivating':
    case 'reloading':
      return 'busy';
    case 'failed':
      return 'bad';
    case 'inactive':
      return 'idle';
    default:
      return 'warn';
  }
}

/** `active (running)`; the sub-state only when it adds something. */
export function unitText(state: Pick<RecorderState, 'activeState' | 'subState'>): string {
  const sub = state.subState && state.subState !== state.activeState ? ` (${state.subState})` : '';
  return `${state.activeState}${sub}`;
}

/** Start makes no sense on a running unit; Stop none on a stopped one. Restart is always offered. */
export function actionEnabled(action: RecorderAction, activeState: string | undefined): boolean {
  if (activeState === undefined) return false;
  if (action === 'start') return activeState !== 'active' && activeState !== 'activating';
  if (action === 'stop') return activeState !== 'inactive';
  return true;
}

export const ACTION_LABEL: Record<RecorderAction, string> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
};

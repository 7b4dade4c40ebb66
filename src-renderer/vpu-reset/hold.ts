/**
 * Hold-to-confirm as a small state machine: the reset starts only after the button was held (pointer or Enter /
 * Space) for HOLD_MS without a break. A plain click, or letting go early, never fires; it says to keep holding.
 * Times are passed in, so the machine is the same in a test as behind a timer.
 */

export const HOLD_MS = 1500;
export const HOLD_HINT = 'Keep holding for 1.5 s to start the reset';
export const HOLD_DESCRIPTION =
  'Press and hold for 1.5 s (mouse, touch, Enter or Space) to start the reset. Letting go earlier cancels; a click does nothing.';

/** What holds the button down: a pointer, or a key (Enter or Space). */
export type HoldVia = 'pointer' | 'key';

export type HoldState =
  | { kind: 'idle' }
  | { kind: 'holding'; since: number; via: HoldVia }
  /** Let go (or clicked) before the time was up. */
  | { kind: 'short' }
  /** Held long enough: the action fires once. */
  | { kind: 'done' };

export const IDLE: HoldState = { kind: 'idle' };

/** Pressed: starts a hold unless one is under way or it already fired. */
export function press(state: HoldState, now: number, via: HoldVia): HoldState {
  if (state.kind === 'holding' || state.kind === 'done') return state;
  return { kind: 'holding', since: now, via };
}

/** Let go. Only the pointer or key that started the hold ends it; held long enough counts as done. */
export function release(state: HoldState, now: number, via: HoldVia): HoldState {
  if (state.kind !== 'holding' || state.via !== via) return state;
  return now - state.since >= HOLD_MS ? { kind: 'done' } : { kind: 'short' };
}

/** The hold was interrupted (focus left, the pointer was cancelled). */
export function cancel(state: HoldState): HoldState {
  return state.kind === 'holding' ? { kind: 'short' } : state;
}

/** A click that was not part of a hold (e.g. a screen reader's activate): it only explains. */
export function click(state: HoldState): HoldState {
  return state.kind === 'idle' ? { kind: 'short' } : state;
}

/** Called by the timer while holding: done once the time is up. */
export function tick(state: HoldState, now: number): HoldState {
  if (state.kind !== 'holding') return state;
  return now - state.since >= HOLD_MS ? { kind: 'done' } : state;
}

/** How far the hold is, 0 to 1, for the filling bar. */
export function holdProgress(state: HoldState, now: number): number {
  if (state.kind === 'done') return 1;
  if (state.kind !== 'holding') return 0;
  return Math.min(1, Math.max(0, (now - state.since) / HOLD_MS));
}

/** What to say beside the button. */
export function holdMessage(state: HoldState): string {
  switch (state.kind) {
    case 'short':
      return HOLD_HINT;
    case 'holding':
      return 'Keep holding…';
    case 'done':
      return 'Starting the reset…';
    default:
      return '';
  }
}

/** Keys that hold the button like a pointer does. */
export function isHoldKey(key: string): boolean {
  return key === 'Enter' || key === ' ' || key === 'Spacebar';
}

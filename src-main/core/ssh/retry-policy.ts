/**
 * How long a device's connection waits before it tries again. A link that was live and is lost is most often a
 * network blip: it is tried again every few seconds for the first minutes, so the device is back soon after the
 * network; only a device gone for long falls back to the long ceiling. A login the device turned away (sshd
 * `MaxStartups`) is tried again soon, with jitter, whatever the attempt count: the device is there, only busy.
 */
import { backoffDelay } from '../../contract/index.js';

export interface ReconnectSettings {
  /** First retry delay, in ms. */
  baseMs: number;
  /** Ceiling for a device that never connected or has been gone longer than `lostShortForMs`. */
  maxMs: number;
  /** Ceiling while a link that was live has been lost for less than `lostShortForMs` (default 2 s). */
  lostMaxMs?: number;
  /** How long after the last word from the device the short ceiling applies (default 3 min). */
  lostShortForMs?: number;
  /** First delay after a login the device turned away (default 1 s), growing to `busyMaxMs` (default 3 s). */
  busyBaseMs?: number;
  busyMaxMs?: number;
}

export const RECONNECT_DEFAULTS: Required<ReconnectSettings> = {
  baseMs: 500,
  maxMs: 15_000,
  lostMaxMs: 2000,
  lostShortForMs: 180_000,
  busyBaseMs: 1000,
  busyMaxMs: 3000,
};

/** Fraction of every delay that is random, so devices that failed together do not retry in lockstep. */
export const RETRY_JITTER = 0.5;

export interface RetryInput {
  /** The retry's number, from 1. */
  attempt: number;
  /** `busy`: the device turned the login away (too many at once); `failed`: anything else. */
  reason: 'failed' | 'busy';
  /** Logins turned away in a row, this one included (for `busy`). */
  busyStreak?: number;
  /** How long since the device was last heard from, when a live link was lost; undefined if it never was live. */
  lostForMs?: number;
}

export function reconnectSettings(partial: ReconnectSettings | undefined): Required<ReconnectSettings> {
  const s = { ...RECONNECT_DEFAULTS, ...partial };
  // A caller that sets a low ceiling (tests) keeps it for lost links too.
  return { ...s, lostMaxMs: Math.min(s.lostMaxMs, s.maxMs) };
}

/** The delay before the next try, in ms. `random` returns a number in [0, 1). */
export function retryDelay(
  input: RetryInput,
  settings: Required<ReconnectSettings>,
  random: () => number = Math.random,
): number {
  if (input.reason === 'busy')
    return backoffDelay(
      input.busyStreak ?? 1,
      { baseMs: settings.busyBaseMs, maxMs: settings.busyMaxMs, jitter: RETRY_JITTER },
      random,
    );
  const recentlyLive = input.lostForMs !== undefined && input.lostForMs < settings.lostShortForMs;
  return backoffDelay(
    input.attempt,
    {
      baseMs: settings.baseMs,
      maxMs: recentlyLive ? settings.lostMaxMs : settings.maxMs,
      jitter: RETRY_JITTER,
    },
    random,
  );
}

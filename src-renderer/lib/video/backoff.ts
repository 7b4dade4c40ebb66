import { backoffDelay, type BackoffOptions } from '../../../src-main/contract/index.js';

export { backoffDelay, type BackoffOptions };

/** Retry delays for a preview: 1 s, doubling to 15 s, 20 % jitter so tiles that fail together spread out. */
export const PREVIEW_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 15_000, jitter: 0.2 };

/** Whole seconds left until `at`, for "retrying in N s" (never below 0; a partial second counts as one). */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

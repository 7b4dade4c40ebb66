/** Retry delays for a preview: short at first (a blip heals fast), growing to a ceiling, with some jitter. */
export interface BackoffOptions {
  /** First delay in ms. */
  baseMs: number;
  /** Ceiling in ms. */
  maxMs: number;
  /** Fraction of the delay that is random (0–1), so tiles that fail together do not retry in lockstep. */
  jitter: number;
}

export const PREVIEW_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 15_000, jitter: 0.2 };

/**
 * The delay before retry number `attempt` (1 for the first retry): base × 2^(attempt−1), capped, then shortened by
 * up to `jitter` of itself. `random` returns a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = PREVIEW_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  const raw = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(n - 1, 30));
  const jitter = Math.min(1, Math.max(0, options.jitter));
  return Math.round(raw * (1 - jitter * random()));
}

/** Whole seconds left until `at`, for "retrying in N s" (never below 0; a partial second counts as one). */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

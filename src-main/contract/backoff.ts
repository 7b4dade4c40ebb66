/** Retry delays: short at first (a blip heals fast), growing to a ceiling, with some jitter. One formula for the
 * core's SSH reconnects, the renderer's link to the core and the previews. */
export interface BackoffOptions {
  /** First delay in ms. */
  baseMs: number;
  /** Ceiling in ms. */
  maxMs: number;
  /** Fraction of the delay that is random (0–1), so clients that fail together do not retry in lockstep. */
  jitter: number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): base × 2^(attempt−1), capped, then shortened by
 * up to `jitter` of itself. `random` returns a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  const raw = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(n - 1, 30));
  const jitter = Math.min(1, Math.max(0, options.jitter));
  return Math.round(raw * (1 - jitter * random()));
}

import { describe, expect, it } from 'vitest';
import {
  RECONNECT_DEFAULTS,
  reconnectSettings,
  retryDelay,
} from '../../../src-main/core/ssh/retry-policy.js';

const settings = reconnectSettings(undefined);
/** The longest delay (no jitter taken off) and the shortest (all of it). */
const longest = () => 0;
const shortest = () => 0.999999;

describe('reconnect retry policy', () => {
  it('keeps the delays of a link that was live within 2 s for the first 3 minutes, whatever the attempt', () => {
    for (const attempt of [1, 2, 3, 4, 10, 50]) {
      const d = retryDelay({ attempt, reason: 'failed', lostForMs: 170_000 }, settings, longest);
      expect(d).toBeLessThanOrEqual(2000);
    }
    expect(retryDelay({ attempt: 1, reason: 'failed', lostForMs: 4000 }, settings, longest)).toBe(500);
    expect(retryDelay({ attempt: 9, reason: 'failed', lostForMs: 60_000 }, settings, longest)).toBe(2000);
    expect(retryDelay({ attempt: 9, reason: 'failed', lostForMs: 60_000 }, settings, shortest)).toBe(1000);
  });

  it('grows to the long ceiling for a device gone longer than 3 minutes, or one that never connected', () => {
    expect(retryDelay({ attempt: 20, reason: 'failed', lostForMs: 181_000 }, settings, longest)).toBe(15_000);
    expect(retryDelay({ attempt: 20, reason: 'failed' }, settings, longest)).toBe(15_000);
    expect(retryDelay({ attempt: 3, reason: 'failed' }, settings, longest)).toBe(2000);
    expect(retryDelay({ attempt: 5, reason: 'failed' }, settings, longest)).toBe(8000);
  });

  it('retries a login the device turned away soon, with jitter, even after many attempts', () => {
    const delays = [1, 2, 3, 8].map((busyStreak) =>
      retryDelay({ attempt: 40, reason: 'busy', busyStreak }, settings, longest),
    );
    expect(delays).toEqual([1000, 2000, 3000, 3000]);
    expect(retryDelay({ attempt: 40, reason: 'busy', busyStreak: 1 }, settings, shortest)).toBe(500);
    const spread = new Set(
      [0, 0.25, 0.5, 0.75].map((r) =>
        retryDelay({ attempt: 1, reason: 'busy', busyStreak: 3 }, settings, () => r),
      ),
    );
    expect(spread.size).toBe(4);
  });

  it('keeps a low ceiling a caller sets for lost links too (tests that reconnect fast)', () => {
    const fast = reconnectSettings({ baseMs: 200, maxMs: 1000 });
    expect(fast.lostMaxMs).toBe(1000);
    expect(retryDelay({ attempt: 10, reason: 'failed', lostForMs: 1000 }, fast, longest)).toBe(1000);
    expect(reconnectSettings({ baseMs: 200, maxMs: 60_000 }).lostMaxMs).toBe(RECONNECT_DEFAULTS.lostMaxMs);
  });
});

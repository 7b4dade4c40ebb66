import { describe, expect, it } from 'vitest';
import { PREVIEW_BACKOFF, backoffDelay, secondsUntil } from '../../../src-renderer/lib/video/backoff.js';

describe('preview retry backoff', () => {
  const exact = { ...PREVIEW_BACKOFF, jitter: 0 };

  it('doubles from 1 s to a 15 s ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, exact))).toEqual([
      1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
  });

  it('treats attempt 0, negatives and fractions as the first retry', () => {
    expect(backoffDelay(0, exact)).toBe(1000);
    expect(backoffDelay(-3, exact)).toBe(1000);
    expect(backoffDelay(2.7, exact)).toBe(2000);
  });

  it('shortens by at most the jitter share, never lengthens', () => {
    expect(backoffDelay(3, PREVIEW_BACKOFF, () => 0)).toBe(4000);
    expect(backoffDelay(3, PREVIEW_BACKOFF, () => 0.999_999)).toBe(3200);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, PREVIEW_BACKOFF);
      expect(d).toBeGreaterThanOrEqual(6400);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });

  it('does not overflow on a very long outage', () => {
    expect(backoffDelay(10_000, exact)).toBe(15_000);
  });

  it('counts down in whole seconds, a started second counting as one', () => {
    expect(secondsUntil(10_000, 7_000)).toBe(3);
    expect(secondsUntil(10_000, 7_001)).toBe(3);
    expect(secondsUntil(10_000, 9_999)).toBe(1);
    expect(secondsUntil(10_000, 10_000)).toBe(0);
    expect(secondsUntil(10_000, 12_000)).toBe(0);
  });
});

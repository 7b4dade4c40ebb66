import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecorderWatch } from '../../../src-main/core/recorder/recorder-watch.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('RecorderWatch', () => {
  it('reads at once, then every period, one read at a time, until stopped', async () => {
    const reads: string[] = [];
    let release: (() => void) | undefined;
    const watch = new RecorderWatch({
      read: (id) => {
        reads.push(id);
        return new Promise<void>((resolve) => (release = resolve));
      },
      everyMs: 1000,
    });
    watch.start('d1');
    watch.start('d1');
    expect(reads).toEqual(['d1']);
    // A slow read: nothing piles up behind it.
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toHaveLength(1);
    release?.();
    await vi.advanceTimersByTimeAsync(999);
    expect(reads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(reads).toHaveLength(2);
    release?.();
    watch.stop('d1');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads).toHaveLength(2);
  });

  it('waits longer after a failed read', async () => {
    let reads = 0;
    const watch = new RecorderWatch({
      read: () => {
        reads++;
        return Promise.reject(new Error('no recorder unit'));
      },
      everyMs: 1000,
      afterFailureMs: 15_000,
    });
    watch.start('d1');
    await vi.advanceTimersByTimeAsync(14_000);
    expect(reads).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toBe(2);
    watch.close();
  });

  it('a read that ends after stop and start again does not start a second loop', async () => {
    let reads = 0;
    let release: (() => void) | undefined;
    const watch = new RecorderWatch({
      read: () => {
        reads++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      everyMs: 1000,
    });
    watch.start('d1');
    const first = release;
    watch.stop('d1');
    watch.start('d1');
    expect(reads).toBe(2);
    first?.();
    release?.();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toBe(3);
    watch.close();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ring } from '../../../src-renderer/monitor/ring.js';

describe('monitor ring buffer', () => {
  it('keeps the newest items in order once full, and counts everything pushed', () => {
    const ring = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.length).toBe(3);
    expect(ring.total).toBe(5);
    expect(ring.first()).toBe(3);
    expect(ring.last()).toBe(5);
    expect(ring.at(3)).toBeUndefined();
    expect(ring.at(-1)).toBeUndefined();
  });

  it('takes a batch larger than itself without copying what cannot survive', () => {
    const ring = new Ring<number>(4);
    ring.pushAll(Array.from({ length: 10 }, (_, i) => i));
    expect(ring.toArray()).toEqual([6, 7, 8, 9]);
    expect(ring.total).toBe(10);
  });

  it('always equals the last `capacity` items pushed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.array(fc.integer(), { maxLength: 80 }), { maxLength: 20 }),
        (capacity, batches) => {
          const ring = new Ring<number>(capacity);
          const all: number[] = [];
          for (const batch of batches) {
            ring.pushAll(batch);
            all.push(...batch);
          }
          expect(ring.toArray()).toEqual(all.slice(-capacity));
          expect(ring.total).toBe(all.length);
        },
      ),
    );
  });

  it('refuses a capacity below one', () => {
    expect(() => new Ring<number>(0)).toThrow();
  });
});

/** One WHEP reader per URL however many videos show it: the Mixer's boxes, Preview and camera strip share them. */
import { describe, expect, it, vi } from 'vitest';
import type { WhepSnapshot } from '../../../src-renderer/lib/video/whep-session.js';
import { StreamPool, type PooledStream } from '../../../src-renderer/lib/video/stream-pool.js';
import { EMPTY_STATS } from '../../../src-renderer/lib/video/stats.js';

function harness() {
  const readers: {
    url: string;
    started: number;
    closed: number;
    change: (s: WhepSnapshot) => void;
    track: (s: MediaStream | null) => void;
  }[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const pool = new StreamPool(
    (url, change, track) => {
      const r = { url, started: 0, closed: 0, change, track };
      readers.push(r);
      return { start: () => void r.started++, close: () => void r.closed++ };
    },
    {
      set: (fn, ms) => {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clear: (h) => void ((h as { cleared: boolean }).cleared = true),
    },
    3000,
  );
  const fire = (): void => {
    for (const t of timers.splice(0)) if (!t.cleared) t.fn();
  };
  return { pool, readers, fire };
}

const LIVE: WhepSnapshot = { state: { kind: 'live' }, stats: EMPTY_STATS, firstFrameMs: 120, failures: 0 };

describe('StreamPool', () => {
  it('opens one reader per URL for any number of viewers, and tells each one', () => {
    const { pool, readers } = harness();
    const a = vi.fn<(s: PooledStream) => void>();
    const b = vi.fn<(s: PooledStream) => void>();
    pool.watch('/previews/r58/cam0/whep', a);
    pool.watch('/previews/r58/cam0/whep', b);
    pool.watch('/previews/r58/cam1/whep', () => undefined);
    expect(readers.map((r) => [r.url, r.started])).toEqual([
      ['/previews/r58/cam0/whep', 1],
      ['/previews/r58/cam1/whep', 1],
    ]);
    const stream = {} as MediaStream;
    readers[0]!.change(LIVE);
    readers[0]!.track(stream);
    expect(a).toHaveBeenLastCalledWith({ snapshot: LIVE, stream });
    expect(b).toHaveBeenLastCalledWith({ snapshot: LIVE, stream });
  });

  it('a late viewer hears the current state at once', () => {
    const { pool, readers } = harness();
    pool.watch('u', () => undefined);
    readers[0]!.change(LIVE);
    const late = vi.fn<(s: PooledStream) => void>();
    pool.watch('u', late);
    expect(late).toHaveBeenCalledWith({ snapshot: LIVE, stream: null });
  });

  it('closes a moment after the last viewer leaves', () => {
    const { pool, readers, fire } = harness();
    const off1 = pool.watch('u', () => undefined);
    const off2 = pool.watch('u', () => undefined);
    off1();
    fire();
    expect(readers[0]!.closed).toBe(0);
    off2();
    expect(readers[0]!.closed).toBe(0);
    fire();
    expect(readers[0]!.closed).toBe(1);
    expect(pool.size).toBe(0);
  });

  it('a viewer back within the moment keeps the same reader (a re-render does not reconnect)', () => {
    const { pool, readers, fire } = harness();
    pool.watch('u', () => undefined)();
    pool.watch('u', () => undefined);
    fire();
    expect(readers).toHaveLength(1);
    expect(readers[0]!.closed).toBe(0);
  });

  it('a goodbye said twice counts once', () => {
    const { pool, readers, fire } = harness();
    const off = pool.watch('u', () => undefined);
    pool.watch('u', () => undefined);
    off();
    off();
    fire();
    expect(readers[0]!.closed).toBe(0);
  });

  it('after closing, a new viewer opens a new reader', () => {
    const { pool, readers, fire } = harness();
    pool.watch('u', () => undefined)();
    fire();
    pool.watch('u', () => undefined);
    expect(readers).toHaveLength(2);
    expect(readers[1]!.started).toBe(1);
  });
});

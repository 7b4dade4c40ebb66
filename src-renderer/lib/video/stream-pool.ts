/**
 * One WHEP reader per URL, shared by every video that shows it: the Mixer draws the same camera in a canvas box,
 * in the composed Preview and beside it, and the device should serve it once. The reader starts with its first
 * viewer and closes a moment after its last one leaves (so a view that re-renders does not reconnect).
 */
import type { WhepSnapshot } from './whep-session.js';

export interface PooledStream {
  snapshot: WhepSnapshot | undefined;
  stream: MediaStream | null;
}

export type StreamListener = (s: PooledStream) => void;

/** A reader for one URL (a WhepSession in the browser). */
export interface Reader {
  start(): void;
  close(): Promise<void> | void;
}

export type OpenReader = (
  url: string,
  onChange: (snapshot: WhepSnapshot) => void,
  onTrack: (stream: MediaStream | null) => void,
) => Reader;

export interface PoolTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

interface Entry {
  reader: Reader;
  current: PooledStream;
  listeners: Set<StreamListener>;
  closing: unknown;
}

/** How long a reader nobody watches stays open. */
export const LINGER_MS = 3000;

export class StreamPool {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly open: OpenReader,
    private readonly timers: PoolTimers = {
      set: (fn, ms) => setTimeout(fn, ms),
      clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    },
    private readonly lingerMs = LINGER_MS,
  ) {}

  /** Watch `url`: the listener hears the reader's state and stream now and on every change. Returns the goodbye. */
  watch(url: string, listener: StreamListener): () => void {
    let entry = this.entries.get(url);
    if (!entry) {
      const created: Entry = {
        current: { snapshot: undefined, stream: null },
        listeners: new Set(),
        closing: undefined,
        reader: { start: () => undefined, close: () => undefined },
      };
      const emit = (): void => created.listeners.forEach((l) => l(created.current));
      created.reader = this.open(
        url,
        (snapshot) => {
          created.current = { ...created.current, snapshot };
          emit();
        },
        (stream) => {
          created.current = { ...created.current, stream };
          emit();
        },
      );
      this.entries.set(url, created);
      entry = created;
      created.reader.start();
    }
    const e = entry;
    if (e.closing !== undefined) {
      this.timers.clear(e.closing);
      e.closing = undefined;
    }
    e.listeners.add(listener);
    listener(e.current);
    let watching = true;
    return () => {
      if (!watching) return;
      watching = false;
      e.listeners.delete(listener);
      if (e.listeners.size > 0) return;
      e.closing = this.timers.set(() => {
        if (e.listeners.size > 0 || this.entries.get(url) !== e) return;
        this.entries.delete(url);
        void e.reader.close();
      }, this.lingerMs);
    };
  }

  /** How many URLs have an open reader (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }
}

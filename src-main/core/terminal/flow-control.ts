/**
 * Ack-based flow control between a terminal source (PTY or SSH channel) and the renderer: output is coalesced
 * into capped chunks, and the source is paused while too much is sent but not yet acknowledged as rendered.
 * A flood (`yes`, a huge `dmesg`) then costs bounded memory and leaves the UI responsive.
 */
export interface FlowSource {
  pause(): void;
  resume(): void;
}

export const FLOW = {
  /** Largest chunk sent in one event. */
  maxChunk: 64 * 1024,
  /** Pause the source above this many unacknowledged characters… */
  highWater: 256 * 1024,
  /** …and resume below this. */
  lowWater: 64 * 1024,
  /** Coalescing window. */
  flushMs: 8,
};

export class FlowControl {
  private pending = '';
  private unacked = 0;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: FlowSource,
    private readonly send: (data: string) => void,
  ) {}

  /** Output from the source. */
  push(data: string): void {
    this.pending += data;
    if (this.pending.length >= FLOW.maxChunk) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLOW.flushMs);
    if (!this.paused && this.unacked + this.pending.length > FLOW.highWater) {
      this.paused = true;
      this.source.pause();
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) {
      const chunk = this.pending.slice(0, FLOW.maxChunk);
      this.pending = this.pending.slice(chunk.length);
      this.unacked += chunk.length;
      this.send(chunk);
    }
  }

  /** The renderer has processed `chars` more characters. */
  ack(chars: number): void {
    this.unacked = Math.max(0, this.unacked - chars);
    if (this.paused && this.unacked + this.pending.length < FLOW.lowWater) {
      this.paused = false;
      this.source.resume();
    }
  }

  get unacknowledged(): number {
    return this.unacked;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Send whatever is buffered (before an exit notice). */
  drain(): void {
    this.flush();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

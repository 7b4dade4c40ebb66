/**
 * Reads each connected device's recorder state again and again (unit and running recordings), so every screen can
 * show REC whether or not the Recorder tab is open, and recordings started elsewhere (another console, the CLI, a
 * person at the box) show within one period. One read at a time per device; a failing read (no recorder on this
 * box) waits longer before the next.
 */
export interface RecorderWatchOptions {
  read(deviceId: string): Promise<unknown>;
  everyMs?: number;
  afterFailureMs?: number;
}

export class RecorderWatch {
  private readonly running = new Map<string, { timer: NodeJS.Timeout | undefined }>();
  private readonly everyMs: number;
  private readonly afterFailureMs: number;

  constructor(private readonly opts: RecorderWatchOptions) {
    this.everyMs = opts.everyMs ?? 2000;
    this.afterFailureMs = opts.afterFailureMs ?? 15_000;
  }

  /** Read now, then every period until `stop`. Watching already: nothing changes. */
  start(deviceId: string): void {
    if (this.running.has(deviceId)) return;
    const entry: { timer: NodeJS.Timeout | undefined } = { timer: undefined };
    this.running.set(deviceId, entry);
    const tick = async (): Promise<void> => {
      entry.timer = undefined;
      let ok = true;
      try {
        await this.opts.read(deviceId);
      } catch {
        ok = false;
      }
      // Stopped (or stopped and started again) while the read was on its way: that run is over.
      if (this.running.get(deviceId) !== entry) return;
      entry.timer = setTimeout(() => void tick(), ok ? this.everyMs : this.afterFailureMs);
    };
    void tick();
  }

  stop(deviceId: string): void {
    const entry = this.running.get(deviceId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.running.delete(deviceId);
  }

  close(): void {
    for (const id of [...this.running.keys()]) this.stop(id);
  }
}

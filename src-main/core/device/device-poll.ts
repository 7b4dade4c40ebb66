/**
 * Reads something on each live device again and again: one read at a time per device, the next one a period after
 * the last ended (longer after a failure), until `stop`.
 */
export interface DevicePollOptions {
  read(deviceId: string): Promise<unknown>;
  everyMs: number;
  afterFailureMs?: number;
}

export class DevicePoll {
  private readonly running = new Map<string, { timer: NodeJS.Timeout | undefined }>();

  constructor(private readonly opts: DevicePollOptions) {}

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
      if (this.running.get(deviceId) !== entry) return;
      entry.timer = setTimeout(
        () => void tick(),
        ok ? this.opts.everyMs : (this.opts.afterFailureMs ?? this.opts.everyMs * 3),
      );
    };
    void tick();
  }

  isRunning(deviceId: string): boolean {
    return this.running.has(deviceId);
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

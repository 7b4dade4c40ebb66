/**
 * Flow control, renderer side: count what xterm has processed and acknowledge it to the core in batches — at once
 * when `threshold` characters are waiting, else after `idleMs` of quiet. The core pauses the source (the remote
 * shell or the PTY) while too much is unacknowledged, so a flood cannot outrun the renderer.
 */
export class AckBatcher {
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly send: (bytes: number) => void,
    private readonly threshold = 16 * 1024,
    private readonly idleMs = 25,
  ) {}

  /** xterm finished processing `n` characters. */
  written(n: number): void {
    if (this.disposed || n <= 0) return;
    this.pending += n;
    if (this.pending >= this.threshold) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.idleMs);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === 0 || this.disposed) return;
    const bytes = this.pending;
    this.pending = 0;
    this.send(bytes);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = 0;
    this.disposed = true;
  }
}

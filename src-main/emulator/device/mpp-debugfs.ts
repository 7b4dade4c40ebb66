/**
 * Keeps `/sys/kernel/debug/mpp_service/session` equal to the kernel model's sessions. The launcher mounted a
 * root-only tmpfs (mode 0700) over /sys/kernel/debug, as debugfs is on the board, so reading it needs sudo.
 * Each rewrite goes to a temp file in the parent and is renamed into place, so a reader never sees half a file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MPP_DEBUGFS_DIR } from './config.js';

export class MppDebugfs {
  private pending = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly render: () => string,
    private readonly dir = MPP_DEBUGFS_DIR,
  ) {}

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o755 });
    await this.write();
  }

  /** Coalesces bursts of changes into one rewrite. */
  changed(): void {
    if (this.pending) return;
    this.pending = true;
    this.writing = this.writing.then(() => {
      this.pending = false;
      return this.write();
    });
  }

  /** Resolves after the latest change is on disk. */
  flushed(): Promise<void> {
    return this.writing;
  }

  private async write(): Promise<void> {
    const target = path.join(this.dir, 'session');
    const temp = path.join(path.dirname(this.dir), `.mpp-session.${process.pid}`);
    try {
      await fs.writeFile(temp, this.render(), { mode: 0o444 });
      await fs.rename(temp, target);
    } catch (err) {
      process.stderr.write(`mpp debugfs: cannot write ${target}: ${(err as Error).message}\n`);
    }
  }
}

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditEntry } from '../../contract/index.js';

/** One audit line about a device, before who, when and the device's name are added. */
export interface DeviceAuditEntry {
  deviceId: string;
  action: string;
  detail?: string;
  result: 'ok' | 'error' | 'refused' | 'started';
  message?: string;
}

/** Writes one audit line about a device, naming the device as it is called now. */
export type DeviceAudit = (entry: DeviceAuditEntry) => Promise<void>;

/** Append-only JSON-lines record of every action sent to a device. */
export class AuditLog {
  readonly file: string;
  /** `user@host (shell)`: who acted, as written in every entry. */
  readonly who: string;
  private chain: Promise<void> = Promise.resolve();

  constructor(dataDir: string, shell: string) {
    this.file = path.join(dataDir, 'audit.jsonl');
    this.who = `${os.userInfo().username}@${os.hostname()} (${shell})`;
  }

  record(entry: Omit<AuditEntry, 'at' | 'who'>): Promise<void> {
    const line = `${JSON.stringify({ at: new Date().toISOString(), who: this.who, ...entry })}\n`;
    const write = this.chain.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await fs.appendFile(this.file, line, { encoding: 'utf8', mode: 0o600 });
    });
    this.chain = write.catch(() => undefined);
    return write;
  }

  /** `record` for callers that know a device by id: the entry gets the device's current name. */
  forDevices(nameOf: (deviceId: string) => string | undefined): DeviceAudit {
    return (entry) => {
      const name = nameOf(entry.deviceId);
      return this.record({ ...entry, ...(name ? { device: name } : {}) });
    };
  }

  /** Resolves once every entry recorded so far is written (or has failed): call before the process exits. */
  flush(): Promise<void> {
    return this.chain;
  }

  async tail(limit: number): Promise<AuditEntry[]> {
    await this.chain;
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const lines = text.split('\n').filter(Boolean).slice(-limit);
    const entries: AuditEntry[] = [];
    for (const line of lines) {
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // A torn last line after a crash is skipped, not fatal.
      }
    }
    return entries;
  }
}

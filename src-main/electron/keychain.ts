import { promises as fs } from 'node:fs';
import path from 'node:path';
import { safeStorage } from 'electron';
import type { SecretStore } from '../core/store/secrets.js';
import { writeFileAtomic } from '../core/store/atomic-file.js';

/**
 * Secrets encrypted by the OS keychain (safeStorage: libsecret/kwallet, macOS Keychain, DPAPI). Only the
 * ciphertext touches the disk. Where no keychain is available, secrets stay in memory rather than in plain text.
 */
export class KeychainSecretStore implements SecretStore {
  private readonly file: string;
  private cache: Record<string, string> | undefined;
  readonly persistent: boolean;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'secrets.bin');
    this.persistent =
      safeStorage.isEncryptionAvailable() && safeStorage.getSelectedStorageBackend?.() !== 'basic_text';
  }

  private async load(): Promise<Record<string, string>> {
    if (this.cache) return this.cache;
    this.cache = {};
    if (!this.persistent) return this.cache;
    try {
      const data = await fs.readFile(this.file);
      this.cache = JSON.parse(safeStorage.decryptString(data)) as Record<string, string>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        // Unreadable (keychain changed): keep the file aside instead of overwriting it.
        await fs.rename(this.file, `${this.file}.unreadable-${Date.now()}`).catch(() => undefined);
      }
    }
    return this.cache;
  }

  private async save(values: Record<string, string>): Promise<void> {
    if (!this.persistent) return;
    const encrypted = safeStorage.encryptString(JSON.stringify(values));
    await writeFileAtomic(this.file, encrypted);
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.load())[key];
  }

  async set(key: string, value: string): Promise<void> {
    const values = await this.load();
    values[key] = value;
    await this.save(values);
  }

  async delete(key: string): Promise<void> {
    const values = await this.load();
    if (!(key in values)) return;
    delete values[key];
    await this.save(values);
  }
}

/**
 * Where passwords and key passphrases live. The Electron shell provides one backed by the OS keychain
 * (safeStorage); web mode keeps them in memory only, so a password is never written to disk.
 */
export interface SecretStore {
  /** True when secrets survive a restart. */
  readonly persistent: boolean;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  readonly persistent = false;
  private readonly values = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

export const secretKey = {
  password: (deviceId: string) => `device:${deviceId}:password`,
  passphrase: (deviceId: string) => `device:${deviceId}:passphrase`,
};

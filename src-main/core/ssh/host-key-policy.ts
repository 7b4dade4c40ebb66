import { promises as fs } from 'node:fs';
import type { StateStore } from '../store/state-store.js';
import { hostKeyId } from '../store/state-store.js';
import { fingerprint, keyAlgorithm, keyTypeLabel } from './fingerprint.js';
import { lookupKnownHosts, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';
import type { HostKeyPolicy, HostKeyVerdict, PresentedHostKey } from './types.js';

/**
 * Trust on first use, against Tally's own record of trusted keys, with the user's known_hosts files as an
 * extra source of trust. A key that differs from a recorded one is a mismatch and blocks the connection.
 */
export class StoreHostKeyPolicy implements HostKeyPolicy {
  constructor(
    private readonly store: StateStore,
    private readonly knownHostsFiles: string[],
  ) {}

  private async knownHostsEntries(
    host: string,
    port: number,
  ): Promise<{ file: string; entry: KnownHostEntry }[]> {
    const found: { file: string; entry: KnownHostEntry }[] = [];
    for (const file of this.knownHostsFiles) {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch {
        continue;
      }
      for (const entry of lookupKnownHosts(parseKnownHosts(text), host, port)) found.push({ file, entry });
    }
    return found;
  }

  async check(host: string, port: number, presented: PresentedHostKey): Promise<HostKeyVerdict> {
    const known = await this.knownHostsEntries(host, port);
    // A revoked key is refused wherever it is listed, whatever else trusts it, as ssh does.
    const revoked = known.find((k) => k.entry.marker === '@revoked' && k.entry.key === presented.key);
    if (revoked)
      return {
        kind: 'mismatch',
        expected: { fingerprint: 'revoked', keyType: presented.keyType },
        source: `${revoked.file} (marked @revoked)`,
      };
    const stored = this.store.hostKey(host, port);
    if (stored) {
      if (stored.key === presented.key) return { kind: 'trusted' };
      return {
        kind: 'mismatch',
        expected: { fingerprint: stored.fingerprint, keyType: stored.keyType },
        source: 'the key you trusted in Tally',
      };
    }
    const plain = known.filter((k) => k.entry.marker === '');
    if (plain.some((k) => k.entry.key === presented.key)) return { kind: 'trusted' };
    // Same algorithm recorded with a different key: that is exactly ssh's "REMOTE HOST IDENTIFICATION HAS CHANGED".
    const presentedAlgorithm = keyAlgorithm(Buffer.from(presented.key, 'base64'));
    const sameType = plain.find((k) => k.entry.keyType === presentedAlgorithm);
    if (sameType) {
      const blob = Buffer.from(sameType.entry.key, 'base64');
      return {
        kind: 'mismatch',
        expected: { fingerprint: fingerprint(blob), keyType: keyTypeLabel(keyAlgorithm(blob)) },
        source: sameType.file,
      };
    }
    return { kind: 'unknown' };
  }

  /** Record a key the user accepted. */
  async trust(host: string, port: number, presented: PresentedHostKey): Promise<void> {
    await this.store.update((draft) => {
      draft.knownHosts[hostKeyId(host, port)] = {
        fingerprint: presented.fingerprint,
        keyType: presented.keyType,
        key: presented.key,
        addedAt: new Date().toISOString(),
      };
    });
  }

  async forget(host: string, port: number): Promise<void> {
    await this.store.update((draft) => {
      delete draft.knownHosts[hostKeyId(host, port)];
    });
  }
}

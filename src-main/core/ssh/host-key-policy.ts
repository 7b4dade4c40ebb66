import { promises as fs } from 'node:fs';
import type { StateStore } from '../store/state-store.js';
import { hostKeyId } from '../store/state-store.js';
import { fingerprint, keyAlgorithm, keyTypeLabel } from './fingerprint.js';
import { lookupKnownHosts, parseKnownHosts } from './known-hosts.js';
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

  async check(host: string, port: number, presented: PresentedHostKey): Promise<HostKeyVerdict> {
    const stored = this.store.hostKey(host, port);
    if (stored) {
      if (stored.key === presented.key) return { kind: 'trusted' };
      return {
        kind: 'mismatch',
        expected: { fingerprint: stored.fingerprint, keyType: stored.keyType },
        source: 'the key you trusted in Tally',
      };
    }
    for (const file of this.knownHostsFiles) {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch {
        continue;
      }
      const entries = lookupKnownHosts(parseKnownHosts(text), host, port);
      const presentedAlgorithm = keyAlgorithm(Buffer.from(presented.key, 'base64'));
      for (const entry of entries) {
        if (entry.key === presented.key) {
          if (entry.marker === '@revoked')
            return {
              kind: 'mismatch',
              expected: { fingerprint: 'revoked', keyType: presented.keyType },
              source: `${file} (marked @revoked)`,
            };
          return { kind: 'trusted' };
        }
      }
      // Same algorithm recorded with a different key: that is exactly ssh's "REMOTE HOST IDENTIFICATION HAS CHANGED".
      const sameType = entries.find((e) => e.marker === '' && e.keyType === presentedAlgorithm);
      if (sameType) {
        const blob = Buffer.from(sameType.key, 'base64');
        return {
          kind: 'mismatch',
          expected: { fingerprint: fingerprint(blob), keyType: keyTypeLabel(keyAlgorithm(blob)) },
          source: file,
        };
      }
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

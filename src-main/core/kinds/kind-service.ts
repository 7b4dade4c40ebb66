/**
 * On every connect, finds out what kind of box it is (`kind-detect.ts`) and tells the screens, so each box shows the
 * tabs of its kind and a box that is not what its profile says is said so at once.
 */
import type { DeviceStatus, KindFinding, ProfileChoice } from '../../contract/index.js';
import { AUTO_PROFILE, isLive } from '../../contract/index.js';
import { detectCommand, judgeKind, pickKind, signatureOf } from '../device/kind-detect.js';
import { anyProfile, loadAnyProfile, profileIds, type DeviceProfile } from '../device/profile.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { StateStore } from '../store/state-store.js';

export interface KindServiceOptions {
  connections: ConnectionManager;
  store: StateStore;
  found(finding: KindFinding): void;
  /** A device set to `auto` was found to be this kind: give it that profile (and connect it again with it). */
  adopt(deviceId: string, profileId: string, why: string): Promise<void>;
}

export class KindService {
  private readonly findings = new Map<string, KindFinding>();
  private readonly running = new Set<string>();
  /** Devices just given a profile by `auto`: the next finding says how. */
  private readonly picked = new Map<string, string>();
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: KindServiceOptions) {
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  /** Every profile that loads, for the device form's choice. */
  profiles(): ProfileChoice[] {
    const out: ProfileChoice[] = [];
    for (const id of profileIds()) {
      try {
        const p = loadAnyProfile(id);
        out.push({ id: p.id, kind: p.kind, name: p.name });
      } catch {
        // An invalid profile file is reported where a device uses it.
      }
    }
    return out;
  }

  finding(deviceId: string): KindFinding | null {
    return this.findings.get(deviceId) ?? null;
  }

  dispose(): void {
    this.unsubscribe();
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    if (!isLive(status.state)) {
      this.running.delete(deviceId);
      return;
    }
    if (this.running.has(deviceId) || !this.opts.store.device(deviceId)) return;
    this.running.add(deviceId);
    void this.detect(deviceId).catch(() => this.running.delete(deviceId));
  }

  private async detect(deviceId: string): Promise<void> {
    if (this.opts.store.device(deviceId)?.profile === AUTO_PROFILE) return this.pick(deviceId);
    const chosen = anyProfile(this.opts.store, deviceId);
    const others = this.profiles()
      .filter((p) => p.id !== chosen.id)
      .map((p) => loadAnyProfile(p.id));
    const signatures = [chosen, ...others].map((p: DeviceProfile) => signatureOf(p));
    const result = await this.opts.connections.exec(deviceId, detectCommand(signatures), {
      timeoutMs: 15_000,
    });
    const judged = judgeKind(deviceId, chosen, signatures, result.stdout);
    const picked = this.picked.get(deviceId);
    this.picked.delete(deviceId);
    const finding =
      picked && judged.match === 'confirmed' ? { ...judged, summary: `${picked} ${judged.summary}` } : judged;
    this.findings.set(deviceId, finding);
    this.opts.found(finding);
  }

  private async pick(deviceId: string): Promise<void> {
    const profiles = this.profiles().map((p) => loadAnyProfile(p.id));
    const result = await this.opts.connections.exec(deviceId, detectCommand(profiles.map(signatureOf)), {
      timeoutMs: 15_000,
    });
    const { picked, finding } = pickKind(deviceId, profiles, result.stdout);
    this.findings.set(deviceId, finding);
    this.opts.found(finding);
    if (!picked) return;
    this.picked.set(
      deviceId,
      `Found at connect: ${finding.evidence.find((l) => !/not found|did not answer|cannot be asked/.test(l)) ?? picked.kind}.`,
    );
    await this.opts.adopt(deviceId, picked.id, finding.summary);
  }
}

/**
 * Known-good switches per transcoder or VMS host (events and kept reports), and what each box could go back to.
 * The Service tab's panel follows the events while it is open and lists the kept reports when it opens.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { KnownGoodCandidates, KnownGoodSwitch } from '../../src-main/contract/index.js';
import { app, messageOf } from '../lib/app-state.svelte.js';
import { DeviceJobStore } from '../lib/device-job-store.svelte.js';

/** How far along a switch is; a late or repeated event never shows less. */
export function switchProgress(s: KnownGoodSwitch): number {
  const settled = s.steps.filter((x) => x.state !== 'pending' && x.state !== 'running').length;
  return (s.outcome === 'running' ? 0 : 1_000_000) + settled * 10_000 + s.health.length + s.recheck.length;
}

export const switches = new DeviceJobStore<KnownGoodSwitch, string>({
  follow: (track) => app.client.on('knownGood.changed', ({ switch: s }) => track(s)),
  list: (deviceId) => app.client.invoke('knownGood.list', { deviceId }),
  progress: switchProgress,
});

export interface CandidatesEntry {
  value: KnownGoodCandidates | undefined;
  problem: string;
  loading: boolean;
}

class CandidatesStore {
  private readonly byDevice = new SvelteMap<string, CandidatesEntry>();

  peek(deviceId: string): CandidatesEntry | undefined {
    return this.byDevice.get(deviceId);
  }

  async load(deviceId: string): Promise<void> {
    const was = this.byDevice.get(deviceId);
    this.byDevice.set(deviceId, { value: was?.value, problem: '', loading: true });
    try {
      const value = await app.client.invoke('knownGood.candidates', { deviceId });
      this.byDevice.set(deviceId, { value, problem: '', loading: false });
    } catch (err) {
      this.byDevice.set(deviceId, { value: was?.value, problem: messageOf(err), loading: false });
    }
  }
}

export const candidates = new CandidatesStore();

/**
 * The profiles a device can be given and what each box was found to be at connect (`device.kind`): what decides a
 * device's tabs, its Service screen and its "Load" figure.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { DeviceKind, DeviceTab, KindFinding, ProfileChoice } from '../../src-main/contract/index.js';
import type { Client } from './client.js';
import { kindOf, tabsOfDevice, type KindedDevice } from './kinds.js';

export class KindStore {
  profiles = $state.raw<readonly ProfileChoice[]>([]);
  /** Why the profile list could not be read; the device form says so. */
  profilesProblem = $state('');
  private readonly findings = new SvelteMap<string, KindFinding | null>();
  /** Devices already asked about. Plain on purpose: nothing renders it. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly asked = new Set<string>();
  private profilesLoading: Promise<void> | undefined;

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    const off = this.client.on('device.kind', ({ finding }) => this.findings.set(finding.deviceId, finding));
    void this.loadProfiles();
    return off;
  }

  loadProfiles(force = false): Promise<void> {
    if (this.profilesLoading && !force) return this.profilesLoading;
    this.profilesLoading = this.client
      .invoke('profiles.list', {})
      .then((list) => {
        this.profiles = list;
        this.profilesProblem = '';
      })
      .catch((err: unknown) => {
        this.profilesProblem = err instanceof Error ? err.message : String(err);
        this.profilesLoading = undefined;
      });
    return this.profilesLoading;
  }

  /** Ask the core once per device (a finding made before this window opened); events keep it current. */
  load(deviceId: string): void {
    if (this.asked.has(deviceId)) return;
    this.asked.add(deviceId);
    this.client
      .invoke('device.kind', { deviceId })
      .then((finding) => {
        // An event that came meanwhile is as new or newer.
        if (!this.findings.get(deviceId)) this.findings.set(deviceId, finding);
      })
      .catch(() => this.asked.delete(deviceId));
  }

  finding(deviceId: string): KindFinding | null {
    return this.findings.get(deviceId) ?? null;
  }

  /** Null while a device set to `auto` has not been found to be anything. */
  kindOf(device: KindedDevice): DeviceKind | null {
    return kindOf(device, this.profiles, this.finding(device.id));
  }

  tabsOf(device: KindedDevice): DeviceTab[] {
    return tabsOfDevice(device, this.profiles, this.finding(device.id));
  }

  retain(ids: readonly string[]): void {
    for (const id of [...this.findings.keys()]) {
      if (!ids.includes(id)) {
        this.findings.delete(id);
        this.asked.delete(id);
      }
    }
  }
}

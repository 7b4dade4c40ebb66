/**
 * Who holds each device's operation lease (this console or another one), from `lease.get` and the core's
 * `lease.changed` events. Buttons that would be refused are disabled and say why from here.
 */
import { SvelteMap } from 'svelte/reactivity';
import { isLive, leaseSentence, type DeviceLease, type DeviceStatus } from '../../src-main/contract/index.js';
import type { Client } from './client.js';

export class LeaseStore {
  private readonly byDevice = new SvelteMap<string, DeviceLease | null>();

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    const offs = [
      this.client.on('lease.changed', ({ deviceId, lease }) => this.byDevice.set(deviceId, lease)),
      this.client.on('device.status', ({ id, status }) => this.onStatus(id, status)),
    ];
    return () => offs.forEach((off) => off());
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    // A device that is not reachable cannot say who holds it: show nothing rather than an old holder.
    if (!isLive(status.state)) this.byDevice.delete(deviceId);
  }

  /** Ask the device once (a view opened); events keep it current afterwards. */
  async load(deviceId: string): Promise<void> {
    try {
      this.byDevice.set(deviceId, await this.client.invoke('lease.get', { deviceId }));
    } catch {
      // Not connected: nothing to show.
    }
  }

  of(deviceId: string): DeviceLease | null {
    return this.byDevice.get(deviceId) ?? null;
  }

  /** Why an operation that changes the device would be refused now, or null when it would not. */
  busyReason(deviceId: string, now: number = Date.now()): string | null {
    const lease = this.of(deviceId);
    return lease ? `Busy: ${leaseSentence(lease, now)}` : null;
  }

  retain(ids: readonly string[]): void {
    for (const id of [...this.byDevice.keys()]) if (!ids.includes(id)) this.byDevice.delete(id);
  }
}

/**
 * Emergency VPU resets per device: the latest one (from `vpuReset.get`) and every one seen since, kept up to date
 * by `vpuReset.changed` events, which arrive whether or not the dialog is open. Also which device the reset
 * dialog is open for: the device head and the alarm bar both open it.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { VpuReset } from '../../src-main/contract/index.js';
import { app } from '../lib/app-state.svelte.js';
import type { Client } from '../lib/client.js';
import { mergeResets, upsertReset } from './reports.js';

export class ResetStore {
  /** Newest first, per device id. */
  private readonly byDevice = new SvelteMap<string, VpuReset[]>();
  /** The device whose reset dialog is open. */
  dialog = $state<string | undefined>();

  constructor(private readonly client: Client) {}

  /** Follow the core's events; after the link to the core comes back, read each known device again. */
  subscribe(): () => void {
    let offline = false;
    const offs = [
      this.client.on('vpuReset.changed', ({ reset }) => this.track(reset)),
      this.client.onConnectionState((state) => {
        if (state === 'closed') offline = true;
        else if (offline) {
          offline = false;
          for (const id of [...this.byDevice.keys()]) void this.load(id).catch(() => undefined);
        }
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /** All resets known for the device, newest first. */
  of(deviceId: string): readonly VpuReset[] {
    return this.byDevice.get(deviceId) ?? [];
  }

  latest(deviceId: string): VpuReset | undefined {
    return this.of(deviceId)[0];
  }

  /** The reset running on the device now, if one is. */
  running(deviceId: string): VpuReset | undefined {
    return this.of(deviceId).find((r) => r.outcome === 'running');
  }

  find(deviceId: string, id: string): VpuReset | undefined {
    return this.of(deviceId).find((r) => r.id === id);
  }

  /** A reset a command or an event brought (its events may have come first). */
  track(reset: VpuReset): void {
    this.byDevice.set(reset.deviceId, upsertReset(this.of(reset.deviceId), reset));
  }

  /** The latest reset of the device (running or its last report). */
  async load(deviceId: string): Promise<void> {
    const reset = await this.client.invoke('vpuReset.get', { deviceId });
    if (reset) this.track(reset);
    else if (!this.byDevice.has(deviceId)) this.byDevice.set(deviceId, []);
  }

  /** Every report of the device. */
  async loadList(deviceId: string): Promise<void> {
    const listed = await this.client.invoke('vpuReset.list', { deviceId });
    this.byDevice.set(deviceId, mergeResets(this.of(deviceId), listed));
  }

  open(deviceId: string): void {
    this.dialog = deviceId;
  }

  close(): void {
    this.dialog = undefined;
  }

  /** Forget devices that were removed. */
  retain(ids: readonly string[]): void {
    for (const id of [...this.byDevice.keys()]) if (!ids.includes(id)) this.byDevice.delete(id);
    if (this.dialog !== undefined && !ids.includes(this.dialog)) this.dialog = undefined;
  }
}

export const resets = new ResetStore(app.client);

/**
 * Rollbacks per device: the ones seen since the console opened (events) and the reports kept in the data
 * directory (`rollback.list`), newest first. Also which rollback dialog is open: a device and the commit to go to.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { Rollback } from '../../src-main/contract/index.js';
import { app } from '../lib/app-state.svelte.js';
import type { Client } from '../lib/client.js';
import { mergeNewest, upsertNewest } from '../lib/newest-list.js';

/** How far along a rollback is; a late or repeated event never shows less. */
function progress(r: Rollback): number {
  const settled = r.steps.filter((s) => s.state !== 'pending' && s.state !== 'running').length;
  return (r.outcome === 'running' ? 0 : 1_000_000) + settled * 10_000 + r.health.length + r.recheck.length;
}

const older = (kept: Rollback, incoming: Rollback): boolean => progress(kept) > progress(incoming);

export class RollbackStore {
  private readonly byDevice = new SvelteMap<string, Rollback[]>();
  /** The rollback dialog: the device, and the commit to roll back to (or a report to show). */
  dialog = $state<{ deviceId: string; target?: string; show?: string } | undefined>();

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    return this.client.on('rollback.changed', ({ rollback }) => this.track(rollback));
  }

  of(deviceId: string): readonly Rollback[] {
    return this.byDevice.get(deviceId) ?? [];
  }

  running(deviceId: string): Rollback | undefined {
    return this.of(deviceId).find((r) => r.outcome === 'running');
  }

  find(deviceId: string, id: string): Rollback | undefined {
    return this.of(deviceId).find((r) => r.id === id);
  }

  track(rollback: Rollback): void {
    this.byDevice.set(rollback.deviceId, upsertNewest(this.of(rollback.deviceId), rollback, older));
  }

  async load(deviceId: string): Promise<void> {
    const listed = await this.client.invoke('rollback.list', { deviceId });
    this.byDevice.set(deviceId, mergeNewest(this.of(deviceId), listed, older));
  }

  open(deviceId: string, target: string): void {
    this.dialog = { deviceId, target };
  }

  show(deviceId: string, id: string): void {
    this.dialog = { deviceId, show: id };
  }

  close(): void {
    this.dialog = undefined;
  }

  retain(ids: readonly string[]): void {
    for (const id of [...this.byDevice.keys()]) if (!ids.includes(id)) this.byDevice.delete(id);
    if (this.dialog && !ids.includes(this.dialog.deviceId)) this.dialog = undefined;
  }
}

export const rollbacks = new RollbackStore(app.client);

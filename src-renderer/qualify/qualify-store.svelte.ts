/**
 * Qualifications per device: the ones seen since the console opened (events) and the reports kept in the data
 * directory (`qualify.list`), newest first. Also which qualify dialog is open: a device and what to qualify.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { Qualification, QualifyTarget } from '../../src-main/contract/index.js';
import { app } from '../lib/app-state.svelte.js';
import type { Client } from '../lib/client.js';
import { mergeNewest, upsertNewest } from '../lib/newest-list.js';

/** How far along a qualification is; a late or repeated event never shows less. */
function progress(q: Qualification): number {
  const settled = q.tests.filter((t) => t.state !== 'pending' && t.state !== 'running').length;
  const samples = q.tests.reduce((n, t) => n + t.samples.length, 0);
  return (q.outcome === 'running' ? 0 : 1_000_000) + settled * 10_000 + samples;
}

const older = (kept: Qualification, incoming: Qualification): boolean => progress(kept) > progress(incoming);

export class QualifyStore {
  private readonly byDevice = new SvelteMap<string, Qualification[]>();
  /** The qualify dialog: the device, and what to qualify (or a report to show). */
  dialog = $state<{ deviceId: string; target?: QualifyTarget; show?: string } | undefined>();

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    return this.client.on('qualify.changed', ({ qualification }) => this.track(qualification));
  }

  of(deviceId: string): readonly Qualification[] {
    return this.byDevice.get(deviceId) ?? [];
  }

  running(deviceId: string): Qualification | undefined {
    return this.of(deviceId).find((q) => q.outcome === 'running');
  }

  find(deviceId: string, id: string): Qualification | undefined {
    return this.of(deviceId).find((q) => q.id === id);
  }

  track(q: Qualification): void {
    this.byDevice.set(q.deviceId, upsertNewest(this.of(q.deviceId), q, older));
  }

  async load(deviceId: string): Promise<void> {
    const listed = await this.client.invoke('qualify.list', { deviceId });
    this.byDevice.set(deviceId, mergeNewest(this.of(deviceId), listed, older));
  }

  open(deviceId: string, target: QualifyTarget): void {
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

export const qualifications = new QualifyStore(app.client);

/**
 * Detached device jobs that end in a report (rollbacks, qualifications) per device, as the views show them: the
 * ones seen since the console opened (events) and the reports kept in the data directory (the `list` command),
 * newest first, never going backwards. Also which dialog is open: a device, and what to do (or a report to show).
 */
import { SvelteMap } from 'svelte/reactivity';
import { mergeNewest, upsertNewest } from './newest-list.js';

export interface JobReport {
  id: string;
  deviceId: string;
  startedAt: string;
  outcome: string;
}

export interface DeviceJobSource<R extends JobReport> {
  /** Follow the core's change events; returns the unsubscribe function. */
  follow(track: (report: R) => void): () => void;
  list(deviceId: string): Promise<R[]>;
  /** How far along a report is: a late or repeated event never shows less. */
  progress(report: R): number;
}

export class DeviceJobStore<R extends JobReport, T> {
  private readonly byDevice = new SvelteMap<string, R[]>();
  /** The dialog: the device, and what to do (`target`) or a report to show. */
  dialog = $state<{ deviceId: string; target?: T; show?: string } | undefined>();
  private readonly older = (kept: R, incoming: R): boolean =>
    this.source.progress(kept) > this.source.progress(incoming);

  constructor(private readonly source: DeviceJobSource<R>) {}

  subscribe(): () => void {
    return this.source.follow((report) => this.track(report));
  }

  of(deviceId: string): readonly R[] {
    return this.byDevice.get(deviceId) ?? [];
  }

  running(deviceId: string): R | undefined {
    return this.of(deviceId).find((r) => r.outcome === 'running');
  }

  find(deviceId: string, id: string): R | undefined {
    return this.of(deviceId).find((r) => r.id === id);
  }

  track(report: R): void {
    this.byDevice.set(report.deviceId, upsertNewest(this.of(report.deviceId), report, this.older));
  }

  async load(deviceId: string): Promise<void> {
    const listed = await this.source.list(deviceId);
    this.byDevice.set(deviceId, mergeNewest(this.of(deviceId), listed, this.older));
  }

  open(deviceId: string, target: T): void {
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

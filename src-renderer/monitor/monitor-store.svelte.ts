/**
 * What the renderer keeps of each device's monitor: a bounded ring of kernel lines, the reports, the samples, the
 * status and the profile's limits. A device is loaded with `monitor.snapshot` the first time anything asks about
 * it or sends an event for it; events that arrive meanwhile are held and applied after the snapshot.
 *
 * Nothing here is deeply reactive: views depend on `version` and on whole-value `$state.raw` fields, so a flood of
 * thousands of lines a second costs one counter bump per batch.
 */
import type {
  EventPayload,
  KernelEvent,
  KernelLine,
  MonitorLimits,
  MonitorSample,
  MonitorSnapshot,
  MonitorStatus,
  MonitorSummary,
} from '../../src-main/contract/index.js';
import type { Client } from '../lib/client.js';
import {
  NO_EVENTS,
  NO_SUMMARIES,
  appendSample,
  intake,
  mergeEvents,
  onlyDevices,
  summariesFrom,
  summaryOf,
  withSummary,
} from './monitor-data.js';
import { Ring } from './ring.js';

/** Kernel lines kept per device in this window. */
export const LOG_CAPACITY = 20_000;
/** One hour of 1 Hz samples. */
export const SAMPLE_CAPACITY = 3600;

type Held =
  | { kind: 'kernel'; payload: EventPayload<'monitor.kernel'> }
  | { kind: 'sample'; sample: MonitorSample }
  | { kind: 'status'; status: MonitorStatus };

export class DeviceMonitor {
  readonly lines = new Ring<KernelLine>(LOG_CAPACITY);
  /** Bumped once per batch of lines applied: what views watch instead of the ring. */
  version = $state(0);
  events = $state.raw<ReadonlyMap<string, KernelEvent>>(NO_EVENTS);
  samples = $state.raw<readonly MonitorSample[]>([]);
  status = $state.raw<MonitorStatus | undefined>();
  limits = $state.raw<MonitorLimits | undefined>();
  phase = $state<'loading' | 'ready' | 'failed'>('loading');
  /** Why the snapshot failed, in the core's words. */
  problem = $state('');
  /** Kernel lines taken in since this window loaded the device, snapshot included. */
  received = $state(0);
  /** Lines whose seq never arrived (a gap between two batches). */
  missing = $state(0);
  private lastSeq = 0;
  private held: Held[] | undefined = [];

  constructor(readonly deviceId: string) {}

  readonly lookup = (id: string): KernelEvent | undefined => this.events.get(id);

  /** Replace everything with a snapshot, then apply what arrived while it was on its way. */
  applySnapshot(snap: MonitorSnapshot): void {
    this.lines.clear();
    this.lastSeq = 0;
    this.received = 0;
    this.missing = 0;
    this.events = NO_EVENTS;
    this.limits = snap.limits;
    this.status = snap.status;
    this.takeLines(snap.lines, snap.events, false);
    this.samples = snap.samples.slice(-SAMPLE_CAPACITY);
    const held = this.held ?? [];
    this.held = undefined;
    for (const h of held) this.applyHeld(h);
    this.phase = 'ready';
    this.problem = '';
    this.version++;
  }

  failed(problem: string): void {
    this.phase = 'failed';
    this.problem = problem;
    this.held = undefined;
  }

  /** Hold events again until the next snapshot (after the link to the core came back). */
  reload(): void {
    this.held = [];
  }

  kernel(payload: EventPayload<'monitor.kernel'>): void {
    if (this.held) this.held.push({ kind: 'kernel', payload });
    else {
      this.takeLines(payload.lines, payload.events, true);
      this.version++;
    }
  }

  sample(sample: MonitorSample): void {
    if (this.held) this.held.push({ kind: 'sample', sample });
    else this.samples = appendSample(this.samples, sample, SAMPLE_CAPACITY);
  }

  setStatus(status: MonitorStatus): void {
    if (this.held) this.held.push({ kind: 'status', status });
    else this.status = status;
  }

  private applyHeld(h: Held): void {
    if (h.kind === 'kernel') this.takeLines(h.payload.lines, h.payload.events, true);
    else if (h.kind === 'sample') this.samples = appendSample(this.samples, h.sample, SAMPLE_CAPACITY);
    else this.status = h.status;
  }

  private takeLines(lines: readonly KernelLine[], events: readonly KernelEvent[], countGaps: boolean): void {
    const taken = intake(lines, this.lastSeq, countGaps);
    this.lines.pushAll(taken.fresh);
    this.lastSeq = taken.lastSeq;
    this.received += taken.fresh.length;
    if (taken.missing > 0) this.missing += taken.missing;
    if (events.length > 0) this.events = mergeEvents(this.events, events);
  }
}

export class MonitorStore {
  /** Which devices are loaded; bumped when one is added, so `peek` is reactive without a reactive Map. */
  private known = $state(0);
  /**
   * Plain on purpose: `of()` is called from derived values, where writing reactive state is not allowed. The
   * `known` counter carries the reactivity.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly devices = new Map<string, DeviceMonitor>();
  /** The latest reading of every device, for the fleet list. */
  summaries = $state.raw<ReadonlyMap<string, MonitorSummary>>(NO_SUMMARIES);

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    const offs = [
      this.client.on('monitor.kernel', (p) => this.of(p.deviceId).kernel(p)),
      this.client.on('monitor.sample', ({ deviceId, sample }) => {
        this.of(deviceId).sample(sample);
        this.summaries = withSummary(this.summaries, summaryOf(deviceId, sample));
      }),
      this.client.on('monitor.status', ({ deviceId, status }) => this.of(deviceId).setStatus(status)),
    ];
    return () => offs.forEach((off) => off());
  }

  /** The device's monitor if it was loaded already; reactive to loading. */
  peek(deviceId: string): DeviceMonitor | undefined {
    void this.known;
    return this.devices.get(deviceId);
  }

  /** The device's monitor, loading it (snapshot) the first time. */
  of(deviceId: string): DeviceMonitor {
    let monitor = this.devices.get(deviceId);
    if (monitor) return monitor;
    monitor = new DeviceMonitor(deviceId);
    this.devices.set(deviceId, monitor);
    const created = monitor;
    // Not during the caller's own reactive read: counters and loading start on the next microtask.
    queueMicrotask(() => {
      this.known++;
      void this.load(created);
    });
    return monitor;
  }

  private async load(monitor: DeviceMonitor): Promise<void> {
    try {
      const snap = await this.client.invoke('monitor.snapshot', { deviceId: monitor.deviceId });
      if (this.devices.get(monitor.deviceId) === monitor) monitor.applySnapshot(snap);
    } catch (err) {
      monitor.failed(err instanceof Error ? err.message : String(err));
    }
  }

  async loadSummaries(): Promise<void> {
    this.summaries = summariesFrom(await this.client.invoke('monitor.summary', {}));
  }

  /** Load a device again after its snapshot failed. */
  retry(deviceId: string): void {
    const monitor = this.devices.get(deviceId);
    if (!monitor) return;
    monitor.reload();
    monitor.phase = 'loading';
    void this.load(monitor);
  }

  /** After the link to the core came back: take fresh snapshots of every loaded device. */
  reloadAll(): void {
    for (const monitor of this.devices.values()) {
      monitor.reload();
      void this.load(monitor);
    }
  }

  /** Forget devices that were removed. */
  retain(ids: readonly string[]): void {
    let changed = false;
    for (const id of [...this.devices.keys()]) {
      if (ids.includes(id)) continue;
      this.devices.delete(id);
      changed = true;
    }
    if (changed) this.known++;
    this.summaries = onlyDevices(this.summaries, ids);
  }
}

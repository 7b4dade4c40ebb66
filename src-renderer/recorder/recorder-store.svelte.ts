/**
 * What the renderer holds about each device's recorder side: the probe, the service state and its journal, the
 * cameras and recordings as last read, config operations and ad-hoc pipeline jobs. Events from the core update it
 * whether or not the Recorder tab is open; views ask for fresh readings while they are shown.
 */
import { untrack } from 'svelte';
import type {
  CameraView,
  DeviceProbe,
  JournalEntry,
  Operation,
  PipelineJob,
  Preset,
  RecorderState,
  Recording,
} from '../../src-main/contract/index.js';
import type { Client } from '../lib/client.js';
import { mergeJournal } from './journal.js';
import { mergeJobs, mergeOperations, upsertJob, upsertOperation } from './operations.js';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A reading with when it was taken and why the last try failed (the old value stays shown). */
export class Reading<T> {
  value = $state.raw<T | undefined>();
  /** ms since the epoch of the last good reading. */
  at = $state(0);
  problem = $state('');
  busy = $state(false);

  set(value: T): void {
    this.value = value;
    this.at = Date.now();
    this.problem = '';
  }

  /** Runs one read; a read already under way is not started twice. Views call it from effects: it tracks nothing. */
  async load(read: () => Promise<T>): Promise<void> {
    if (untrack(() => this.busy)) return;
    this.busy = true;
    try {
      this.set(await read());
    } catch (err) {
      this.problem = messageOf(err);
    } finally {
      this.busy = false;
    }
  }
}

export class DeviceRecorder {
  readonly probe = new Reading<DeviceProbe>();
  readonly state = new Reading<RecorderState>();
  readonly cameras = new Reading<CameraView[]>();
  readonly recordings = new Reading<Recording[]>();
  journal = $state.raw<JournalEntry[]>([]);
  journalProblem = $state('');
  /** Newest first. */
  operations = $state.raw<Operation[]>([]);
  /** Newest first. */
  jobs = $state.raw<PipelineJob[]>([]);

  constructor(readonly deviceId: string) {}
}

export class RecorderStore {
  /** Bumped when a device is added, so `peek` is reactive without a reactive Map (see MonitorStore). */
  private known = $state(0);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- `known` carries the reactivity; see `of`.
  private readonly devices = new Map<string, DeviceRecorder>();
  readonly presets = new Reading<Preset[]>();

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    const offs = [
      this.client.on('device.probed', ({ probe }) => this.of(probe.deviceId).probe.set(probe)),
      this.client.on('recorder.state', ({ deviceId, state }) => this.of(deviceId).state.set(state)),
      this.client.on('recorder.journal', ({ deviceId, entries }) => {
        const d = this.of(deviceId);
        d.journal = mergeJournal(d.journal, entries);
      }),
      this.client.on('operation.changed', ({ operation }) => this.track(operation)),
      this.client.on('pipelines.changed', ({ job }) => this.trackJob(job)),
    ];
    return () => offs.forEach((off) => off());
  }

  peek(deviceId: string): DeviceRecorder | undefined {
    void this.known;
    return this.devices.get(deviceId);
  }

  /** The device's entry, made the first time. Safe to call from derived values: it writes no reactive state. */
  of(deviceId: string): DeviceRecorder {
    let d = this.devices.get(deviceId);
    if (d) return d;
    d = new DeviceRecorder(deviceId);
    this.devices.set(deviceId, d);
    queueMicrotask(() => this.known++);
    return d;
  }

  loadProbe(deviceId: string, refresh = false): Promise<void> {
    return this.of(deviceId).probe.load(() => this.client.invoke('device.probe', { deviceId, refresh }));
  }

  loadState(deviceId: string): Promise<void> {
    return this.of(deviceId).state.load(() => this.client.invoke('recorder.status', { deviceId }));
  }

  loadCameras(deviceId: string): Promise<void> {
    return this.of(deviceId).cameras.load(() => this.client.invoke('cameras.list', { deviceId }));
  }

  loadRecordings(deviceId: string): Promise<void> {
    return this.of(deviceId).recordings.load(() => this.client.invoke('recordings.list', { deviceId }));
  }

  loadPresets(): Promise<void> {
    if (untrack(() => this.presets.value)) return Promise.resolve();
    return this.presets.load(() => this.client.invoke('presets.list', {}));
  }

  async loadJournal(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    try {
      const entries = await this.client.invoke('recorder.journal', { deviceId });
      // Events that came while this was on its way are newer than the snapshot: keep them after it.
      d.journal = mergeJournal(
        entries,
        d.journal.filter((e) => e.at >= (entries.at(-1)?.at ?? 0)),
      );
      d.journalProblem = '';
    } catch (err) {
      d.journalProblem = messageOf(err);
    }
  }

  async loadOperations(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    const listed = await this.client.invoke('operations.list', { deviceId });
    d.operations = mergeOperations(d.operations, listed);
  }

  async loadJobs(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    const listed = await this.client.invoke('pipelines.list', { deviceId });
    d.jobs = mergeJobs(d.jobs, listed);
  }

  /** An operation a command just returned (its events may have come first). */
  track(op: Operation): void {
    const d = this.of(op.deviceId);
    d.operations = upsertOperation(d.operations, op);
  }

  trackJob(job: PipelineJob): void {
    const d = this.of(job.deviceId);
    d.jobs = upsertJob(d.jobs, job);
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
  }
}

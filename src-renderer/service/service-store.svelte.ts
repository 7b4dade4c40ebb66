/**
 * What the renderer keeps of each transcoder's and VMS host's service: the container or unit state, its log, the
 * transcoder's health samples and the VMS host's camera states (with each camera's CPU over time). Events from the
 * core fill it for every connected box (the fleet's Load figure reads it); a Service tab asks for the rest once.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { HealthSample, ServiceLogLine, ServiceState, VmsState } from '../../src-main/contract/index.js';
import type { Client } from '../lib/client.js';
import { appendCapped, cameraCpuHistory, type CpuPoint } from './vms-view.js';

/** Health samples kept: ten minutes at one every two seconds. */
export const HEALTH_CAPACITY = 300;
/** Log lines kept per device. */
export const LOG_CAPACITY = 1000;
/** VMS readings kept for the per-camera CPU lines. */
export const VMS_CAPACITY = 300;

/** Replaced whole on each reading, never changed in place. */
const NO_CPU: ReadonlyMap<string, readonly CpuPoint[]> = new Map();

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class DeviceService {
  state = $state.raw<ServiceState | undefined>();
  stateProblem = $state('');
  logs = $state.raw<readonly ServiceLogLine[]>([]);
  logsProblem = $state('');
  health = $state.raw<readonly HealthSample[]>([]);
  healthProblem = $state('');
  vms = $state.raw<VmsState | undefined>();
  vmsProblem = $state('');
  /** Each camera's CPU (percent of one core) over time, oldest first. */
  cameraCpu = $state.raw<ReadonlyMap<string, readonly CpuPoint[]>>(NO_CPU);

  constructor(readonly deviceId: string) {}

  setState(state: ServiceState): void {
    this.state = state;
    this.stateProblem = '';
  }

  addLogs(lines: readonly ServiceLogLine[]): void {
    if (lines.length > 0) this.logs = appendCapped(this.logs, lines, LOG_CAPACITY);
  }

  addHealth(samples: readonly HealthSample[]): void {
    if (samples.length === 0) return;
    const last = this.health.at(-1)?.at ?? -Infinity;
    // A history that overlaps what events already brought adds only what is newer.
    const newer = samples.filter((s) => s.at > last);
    if (newer.length > 0) this.health = appendCapped(this.health, newer, HEALTH_CAPACITY);
    this.healthProblem = '';
  }

  setVms(state: VmsState): void {
    if (this.vms && state.at <= this.vms.at) return;
    this.vms = state;
    this.vmsProblem = '';
    this.cameraCpu = cameraCpuHistory(this.cameraCpu, state, VMS_CAPACITY);
  }
}

export class ServiceStore {
  private readonly byDevice = new SvelteMap<string, DeviceService>();

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    const offs = [
      this.client.on('service.state', ({ deviceId, state }) => this.of(deviceId).setState(state)),
      this.client.on('service.log', ({ deviceId, lines }) => this.of(deviceId).addLogs(lines)),
      this.client.on('health.sample', ({ deviceId, sample }) => this.of(deviceId).addHealth([sample])),
      this.client.on('segments.state', ({ state }) => this.of(state.deviceId).setVms(state)),
    ];
    return () => offs.forEach((off) => off());
  }

  /** The device's entry, made on first use (not reactive to create: call it from handlers or effects). */
  of(deviceId: string): DeviceService {
    let d = this.byDevice.get(deviceId);
    if (!d) {
      d = new DeviceService(deviceId);
      this.byDevice.set(deviceId, d);
    }
    return d;
  }

  /** The entry if there is one; safe inside `$derived`. */
  peek(deviceId: string): DeviceService | undefined {
    return this.byDevice.get(deviceId);
  }

  async loadState(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    try {
      d.setState(await this.client.invoke('service.state', { deviceId }));
    } catch (err) {
      d.stateProblem = messageOf(err);
    }
  }

  /** The last lines once per view opening; `service.log` events add the new ones. */
  async loadLogs(deviceId: string, lines = 200): Promise<void> {
    const d = this.of(deviceId);
    try {
      const got = await this.client.invoke('service.logs', { deviceId, lines });
      // What events brought meanwhile is newer than the snapshot: keep it after.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      const seen = new Set(got.map((l) => `${l.at ?? ''} ${l.text}`));
      const extra = d.logs.filter((l) => !seen.has(`${l.at ?? ''} ${l.text}`));
      d.logs = [...got, ...extra].slice(-LOG_CAPACITY);
      d.logsProblem = '';
    } catch (err) {
      d.logsProblem = messageOf(err);
    }
  }

  async loadHealth(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    try {
      const { samples } = await this.client.invoke('health.history', { deviceId });
      const merged = [...samples, ...d.health.filter((s) => s.at > (samples.at(-1)?.at ?? -Infinity))];
      d.health = merged.slice(-HEALTH_CAPACITY);
      d.healthProblem = '';
    } catch (err) {
      d.healthProblem = messageOf(err);
    }
  }

  async loadVms(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    try {
      d.setVms(await this.client.invoke('segments.state', { deviceId }));
    } catch (err) {
      d.vmsProblem = messageOf(err);
    }
  }

  retain(ids: readonly string[]): void {
    for (const id of [...this.byDevice.keys()]) if (!ids.includes(id)) this.byDevice.delete(id);
  }
}

/**
 * A transcoder's health, metrics and GPU every couple of seconds while it is live: pushed as `health.sample`, kept
 * for `health.history`, and judged by the transcoder's alarm rules.
 */
import {
  ContractError,
  isLive,
  type DeviceStatus,
  type HealthHistory,
  type HealthSample,
} from '../../contract/index.js';
import { DevicePoll } from '../device/device-poll.js';
import type { AlarmSink } from '../device/kind-alarms.js';
import { anyProfile, deviceKind, kindWords, type TranscoderProfile } from '../device/profile.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { StateStore } from '../store/state-store.js';
import { HealthAlarms } from './health-alarms.js';
import { healthCommand, healthSampleFrom } from './health-read.js';

export interface HealthFeatureOptions {
  connections: ConnectionManager;
  store: StateStore;
  alarms: AlarmSink;
  onSample(deviceId: string, sample: HealthSample): void;
  everyMs?: number;
  failForMs?: number;
  restartsQuietMs?: number;
  /** Samples kept per device (default 900: half an hour at 2 s). */
  capacity?: number;
}

export class HealthFeature {
  private readonly poll: DevicePoll;
  private readonly history = new Map<string, HealthSample[]>();
  private readonly rules = new Map<string, HealthAlarms>();
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: HealthFeatureOptions) {
    this.poll = new DevicePoll({ read: (id) => this.read(id), everyMs: opts.everyMs ?? 2000 });
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  private name(deviceId: string): string {
    return this.opts.store.device(deviceId)?.name ?? deviceId;
  }

  profileOf(deviceId: string): TranscoderProfile {
    const profile = anyProfile(this.opts.store, deviceId);
    if (profile.kind !== 'transcoder')
      throw new ContractError(
        'invalid_input',
        `${this.name(deviceId)} is ${kindWords(profile.kind)}: health endpoints and GPU readings are a transcoder's.`,
      );
    return profile;
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    if (!this.opts.store.device(deviceId) || deviceKind(this.opts.store, deviceId) !== 'transcoder') return;
    if (isLive(status.state)) this.poll.start(deviceId);
    else {
      this.poll.stop(deviceId);
      this.rules.get(deviceId)?.reset();
    }
  }

  private rulesOf(deviceId: string, profile: TranscoderProfile): HealthAlarms {
    let rules = this.rules.get(deviceId);
    if (!rules) {
      rules = new HealthAlarms({
        alarms: this.opts.alarms,
        deviceId,
        deviceName: () => this.name(deviceId),
        healthUrl: profile.health.url,
        ...(this.opts.failForMs !== undefined ? { failForMs: this.opts.failForMs } : {}),
        ...(this.opts.restartsQuietMs !== undefined ? { restartsQuietMs: this.opts.restartsQuietMs } : {}),
      });
      this.rules.set(deviceId, rules);
    }
    return rules;
  }

  async read(deviceId: string): Promise<HealthSample> {
    const profile = this.profileOf(deviceId);
    const result = await this.opts.connections.exec(deviceId, healthCommand(profile), {
      timeoutMs: 15_000,
      maxBufferBytes: 1024 * 1024,
    });
    const sample = healthSampleFrom(profile, result.stdout);
    const kept = this.history.get(deviceId) ?? [];
    kept.push(sample);
    const capacity = this.opts.capacity ?? 900;
    if (kept.length > capacity) kept.splice(0, kept.length - capacity);
    this.history.set(deviceId, kept);
    if (this.poll.isRunning(deviceId)) this.rulesOf(deviceId, profile).check(sample);
    this.opts.onSample(deviceId, sample);
    return sample;
  }

  historyOf(deviceId: string): HealthHistory {
    this.profileOf(deviceId);
    return { deviceId, samples: [...(this.history.get(deviceId) ?? [])] };
  }

  latest(deviceId: string): HealthSample | undefined {
    return this.history.get(deviceId)?.at(-1);
  }

  forget(deviceId: string): void {
    this.poll.stop(deviceId);
    this.history.delete(deviceId);
    this.rules.delete(deviceId);
  }

  close(): void {
    this.unsubscribe();
    this.poll.close();
  }
}

/**
 * The live monitor for every device: a DeviceMonitor per device, started when its connection comes up and paused
 * while it is down, and one alarm list across the fleet.
 */
import {
  ContractError,
  isLive,
  type Alarm,
  type DeviceStatus,
  type MonitorSample,
  type MonitorSnapshot,
  type MonitorSummary,
} from '../../contract/index.js';
import { anyProfile } from '../device/profile.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { StateStore } from '../store/state-store.js';
import { AlarmCenter } from './alarm-center.js';
import { DeviceMonitor, type MonitorSink } from './device-monitor.js';
import { LinkAlarms } from './link-alarm.js';

export interface MonitorServiceOptions {
  connections: ConnectionManager;
  store: StateStore;
  sink: MonitorSink;
  onAlarms: (alarms: Alarm[]) => void;
  onAlarmRaised?: (alarm: Alarm) => void;
  onAlarmAcknowledged?: (alarm: Alarm) => void;
  /** Tally closed an alarm whose cause went away (the link came back). */
  onAlarmResolved?: (alarm: Alarm) => void;
  /** The cameras the device was recording when last heard from, for the lost-link alarm's severity and words. */
  recordingsOf?: (deviceId: string) => readonly { camera: string }[] | undefined;
  flushMs?: number;
  retryMs?: number;
}

const KERNEL_ALARMS = new Set<Alarm['kind']>(['oops', 'panic', 'rcu_stall', 'vpu_error']);

export class MonitorService {
  readonly alarms: AlarmCenter;
  private readonly monitors = new Map<string, DeviceMonitor>();
  private readonly links: LinkAlarms;
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: MonitorServiceOptions) {
    this.alarms = new AlarmCenter({
      onChange: opts.onAlarms,
      ...(opts.onAlarmRaised ? { onRaised: opts.onAlarmRaised } : {}),
      ...(opts.onAlarmAcknowledged ? { onAcknowledged: opts.onAlarmAcknowledged } : {}),
      ...(opts.onAlarmResolved ? { onResolved: opts.onAlarmResolved } : {}),
    });
    this.links = new LinkAlarms({
      alarms: this.alarms,
      deviceName: (id) => opts.store.device(id)?.name ?? id,
      windowMs: () => opts.connections.keepaliveWindowMs(),
      recordingsOf: (id) => opts.recordingsOf?.(id),
      statusOf: (id) => opts.connections.status(id),
    });
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  private monitor(deviceId: string): DeviceMonitor {
    let monitor = this.monitors.get(deviceId);
    if (!monitor) {
      monitor = new DeviceMonitor({
        deviceId,
        deviceName: () => this.opts.store.device(deviceId)?.name ?? deviceId,
        profile: anyProfile(this.opts.store, deviceId),
        connections: this.opts.connections,
        alarms: this.alarms,
        sink: this.opts.sink,
        ...(this.opts.flushMs !== undefined ? { flushMs: this.opts.flushMs } : {}),
        ...(this.opts.retryMs !== undefined ? { retryMs: this.opts.retryMs } : {}),
      });
      this.monitors.set(deviceId, monitor);
    }
    return monitor;
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    if (!this.opts.store.device(deviceId)) return;
    this.links.onStatus(deviceId, status);
    if (isLive(status.state)) {
      try {
        this.monitor(deviceId).start();
      } catch (err) {
        // An unknown profile: nothing to watch with (its VPU files and limits are the profile's), and it says why.
        const detail = err instanceof Error ? err.message : String(err);
        this.opts.sink.status(deviceId, {
          kernelLog: { state: 'unavailable', source: null, detail },
          sampler: { state: 'unavailable', detail },
        });
      }
      return;
    }
    const monitor = this.monitors.get(deviceId);
    if (!monitor) return;
    if (status.state === 'disconnected') monitor.pause('Disconnected.');
    else monitor.pause(`Waiting for the connection (${status.state.replace('_', ' ')}).`);
  }

  /** Kernel alarms of the device (Oops, panic, RCU stall, VPU errors) raised or repeated since an ISO time. */
  kernelAlarmsSince(deviceId: string, sinceIso: string): Alarm[] {
    return this.alarms
      .list()
      .filter((a) => a.deviceId === deviceId && KERNEL_ALARMS.has(a.kind) && a.lastAt >= sinceIso);
  }

  /** Sessions those processes hold in the latest reading; null when unknown. */
  sessionsOfPids(deviceId: string, pids: number[]): number | null {
    const sample = this.currentSample(deviceId);
    if (!sample || sample.vpu.total === null) return null;
    const wanted = new Set(pids);
    return sample.vpu.byProcess.filter((p) => wanted.has(p.pid)).reduce((n, p) => n + p.sessions, 0);
  }

  snapshot(deviceId: string): MonitorSnapshot {
    if (!this.opts.store.device(deviceId))
      throw new ContractError('not_found', 'That device is not in the list any more.');
    return this.monitor(deviceId).snapshot();
  }

  /** The device's latest reading while the sampler runs; a reading from before the link went down is not "now". */
  currentSample(deviceId: string): MonitorSample | undefined {
    const monitor = this.monitors.get(deviceId);
    return monitor?.status.sampler.state === 'following' ? monitor.latest : undefined;
  }

  /**
   * The board's CPU averaged over the last `windowMs` while the sampler runs (seed 004 judges CPU from samples over
   * 30 s, not one reading); null without a reading in that window.
   */
  cpuNow(
    deviceId: string,
    windowMs = 30_000,
    now = Date.now(),
  ): { percent: number; samples: number; windowS: number } | null {
    const monitor = this.monitors.get(deviceId);
    if (!monitor || monitor.status.sampler.state !== 'following') return null;
    const readings = monitor
      .samplesSince(now - windowMs)
      .flatMap((s) => (s.cpuPercent === null ? [] : [s.cpuPercent]));
    if (readings.length === 0) return null;
    const percent = readings.reduce((a, b) => a + b, 0) / readings.length;
    return { percent, samples: readings.length, windowS: Math.round(windowMs / 1000) };
  }

  summary(): MonitorSummary[] {
    return this.opts.store.devices().map((d) => {
      const latest = this.currentSample(d.id);
      return {
        deviceId: d.id,
        vpuSessions: latest?.vpu.total ?? null,
        cpuPercent: latest?.cpuPercent ?? null,
        temperatureC: latest?.temperatureC ?? null,
      };
    });
  }

  /** The device was removed: stop watching it and drop its alarms. */
  forget(deviceId: string): void {
    this.monitors.get(deviceId)?.stop();
    this.monitors.delete(deviceId);
    this.links.forget(deviceId);
    this.alarms.forgetDevice(deviceId);
  }

  close(): void {
    this.unsubscribe();
    this.links.close();
    for (const monitor of this.monitors.values()) monitor.stop();
    this.monitors.clear();
  }
}

/** A device's glance from the renderer's stores: the one place the status strips read from. */
import { untrack } from 'svelte';
import { ALARM_SHORT } from '../../alarms/alarm-order.js';
import { app } from '../app-state.svelte.js';
import { clock } from './clock.svelte.js';
import { computeGlance, type Glance } from './glance.js';
import { transcoderLoad, vmsLoad, vmsRecordings, type LoadReading } from './load.js';

/** The kind's own load figure, read untracked like the samples (the clock's tick brings it). */
export function loadOf(deviceId: string, kind: 'r58' | 'transcoder' | 'vms' | null): LoadReading | null {
  if (kind === 'r58' || kind === null) return null;
  const service = untrack(() => app.service.peek(deviceId));
  if (!service) return null;
  return untrack(() =>
    kind === 'transcoder' ? transcoderLoad(service.health.at(-1)) : vmsLoad(service.vms),
  );
}

/**
 * Reactive: call it from `$derived` in a component that also runs `$effect(() => clock.use())` (the readings
 * follow the clock's tick).
 */
export function glanceOf(deviceId: string): Glance | undefined {
  const device = app.devices.find((d) => d.id === deviceId);
  if (!device) return undefined;
  const kind = app.kinds.kindOf(device);
  const recorder = app.recorder.peek(deviceId)?.state;
  // A VMS host records through its camera processes; its state arrives every few seconds (read at the clock's tick).
  const vms = kind === 'vms' ? untrack(() => vmsRecordings(app.service.peek(deviceId)?.vms)) : undefined;
  const monitor = app.monitor.peek(deviceId);
  // The latest sample is taken at the clock's tick, not tracked: with many boxes sampling at 1 Hz each, tracking it
  // would redraw the strips once per box per second (32 frames a second for a fleet) instead of once.
  const sample = untrack(() => monitor?.samples.at(-1));
  return computeGlance({
    name: device.name,
    status: device.status,
    recorder: recorder?.value ? { state: recorder.value, at: recorder.at } : vms,
    reading: sample
      ? {
          at: sample.at,
          vpuSessions: sample.vpu.total,
          cpuPercent: sample.cpuPercent,
          temperatureC: sample.temperatureC,
        }
      : undefined,
    limits: monitor?.limits,
    load: loadOf(deviceId, kind),
    alarms: app.alarms.open.filter((a) => a.deviceId === deviceId),
    alarmShort: ALARM_SHORT,
    now: clock.now,
  });
}

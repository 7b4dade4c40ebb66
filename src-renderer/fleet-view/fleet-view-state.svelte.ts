/**
 * What the fleet overview gathers each clock tick, and how the producer set it up (sort, filters, grouping), kept
 * while the app runs: leaving for a device and coming back finds the view as it was.
 */
import { untrack } from 'svelte';
import { app } from '../lib/app-state.svelte.js';
import { glanceOf, loadOf } from '../lib/status-strip/glance-of.svelte.js';
import type { Health } from '../lib/status-strip/glance.js';
import { clock } from '../lib/status-strip/clock.svelte.js';
import { fleetRow, type FleetRow } from './fleet-row.js';
import type { SortKey, StateFilter } from './fleet-order.js';

class FleetViewSettings {
  sort = $state<SortKey>('worst');
  text = $state('');
  state = $state<StateFilter>('all');
  byTag = $state(false);
}

export const fleetView = new FleetViewSettings();

/** Open alarms of each device, all kinds (the link's included). */
function openCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of app.alarms.open) counts[a.deviceId] = (counts[a.deviceId] ?? 0) + 1;
  return counts;
}

function collect(): FleetRow[] {
  const counts = openCounts();
  const rows: FleetRow[] = [];
  for (const device of app.devices) {
    const glance = glanceOf(device.id);
    if (!glance) continue;
    // Loads the device's monitor (samples and limits) the first time; samples arrive for every connected box.
    const monitor = app.monitor.of(device.id);
    const kind = app.kinds.kindOf(device);
    rows.push(
      fleetRow({
        device,
        kind,
        glance,
        load: loadOf(device.id, kind),
        samples: monitor.samples,
        limits: monitor.limits,
        mixer: app.tally.state(device.id),
        openAlarms: counts[device.id] ?? 0,
        now: clock.now,
      }),
    );
  }
  return rows;
}

/**
 * What the fleet's values follow: the clock's tick (once a second), the device list and each device's connection
 * state, and the alarms, so a state change or an acknowledgement shows at once. The samples, the recorder and
 * mixer readings are read at the tick without being tracked, so 32 boxes sampling at 1 Hz cost one derivation a
 * second, not 32.
 */
function follow(): void {
  void clock.now;
  for (const device of app.devices) void device.status;
  void app.alarms.list;
}

/** Every device's row; call it from `$derived` in a component that also runs `$effect(() => clock.use())`. */
export function fleetRows(): FleetRow[] {
  follow();
  return untrack(collect);
}

/** Each device's health, at the clock's tick and on any change of state or alarms: for the fleet's sum. */
export function fleetHealths(): { health: Health }[] {
  follow();
  return untrack(() =>
    app.devices.flatMap((d) => {
      const glance = glanceOf(d.id);
      return glance ? [{ health: glance.health }] : [];
    }),
  );
}

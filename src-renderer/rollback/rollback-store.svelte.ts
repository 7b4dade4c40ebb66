/** Rollbacks per device (events and kept reports), and the rollback dialog: a device and the commit to go to. */
import type { Rollback } from '../../src-main/contract/index.js';
import { app } from '../lib/app-state.svelte.js';
import { DeviceJobStore } from '../lib/device-job-store.svelte.js';

/** How far along a rollback is; a late or repeated event never shows less. */
function progress(r: Rollback): number {
  const settled = r.steps.filter((s) => s.state !== 'pending' && s.state !== 'running').length;
  return (r.outcome === 'running' ? 0 : 1_000_000) + settled * 10_000 + r.health.length + r.recheck.length;
}

export const rollbacks = new DeviceJobStore<Rollback, string>({
  follow: (track) => app.client.on('rollback.changed', ({ rollback }) => track(rollback)),
  list: (deviceId) => app.client.invoke('rollback.list', { deviceId }),
  progress,
});

/** Qualifications per device (events and kept reports), and the qualify dialog: a device and what to qualify. */
import type { Qualification, QualifyTarget } from '../../src-main/contract/index.js';
import { app } from '../lib/app-state.svelte.js';
import { DeviceJobStore } from '../lib/device-job-store.svelte.js';

/** How far along a qualification is; a late or repeated event never shows less. */
function progress(q: Qualification): number {
  const settled = q.tests.filter((t) => t.state !== 'pending' && t.state !== 'running').length;
  const samples = q.tests.reduce((n, t) => n + t.samples.length, 0);
  return (q.outcome === 'running' ? 0 : 1_000_000) + settled * 10_000 + samples;
}

export const qualifications = new DeviceJobStore<Qualification, QualifyTarget>({
  follow: (track) => app.client.on('qualify.changed', ({ qualification }) => track(qualification)),
  list: (deviceId) => app.client.invoke('qualify.list', { deviceId }),
  progress,
});

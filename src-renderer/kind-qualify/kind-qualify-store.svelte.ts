/** Qualifications of transcoders and VMS hosts per device (events and kept reports), newest first. */
import type { KindQualification } from '../../src-main/contract/index.js';
import { app } from '../lib/app-state.svelte.js';
import { DeviceJobStore } from '../lib/device-job-store.svelte.js';

/** How far along a run is; a late or repeated event never shows less. */
export function runProgress(q: KindQualification): number {
  const settled = q.checks.filter((c) => c.state !== 'pending').length;
  const samples = q.cpu?.samples.length ?? 0;
  return (
    (q.outcome === 'running' ? 0 : 1_000_000) + settled * 10_000 + samples * 100 + Math.round(q.elapsedS)
  );
}

/** The dialog's target: whether this run records a new baseline (VMS host). */
export interface KindQualifyTarget {
  newBaseline: boolean;
}

export const kindQualifications = new DeviceJobStore<KindQualification, KindQualifyTarget>({
  follow: (track) => app.client.on('kindQualify.changed', ({ qualification }) => track(qualification)),
  list: (deviceId) => app.client.invoke('kindQualify.list', { deviceId }),
  progress: runProgress,
});

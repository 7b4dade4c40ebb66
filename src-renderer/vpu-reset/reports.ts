/** A device's resets as a list the views show: newest first, one entry per id, never going backwards. */
import type { VpuReset } from '../../src-main/contract/index.js';
import { mergeNewest, upsertNewest } from '../lib/newest-list.js';

/** How far along a reset is; a later event never shows less. Ended beats running; then settled steps. */
function progress(r: VpuReset): number {
  const settled = r.steps.filter((s) => s.state !== 'pending' && s.state !== 'running').length;
  const started = r.steps.filter((s) => s.state !== 'pending').length;
  return (r.outcome === 'running' ? 0 : 1000) + settled * 10 + started;
}

const older = (kept: VpuReset, reset: VpuReset): boolean => progress(kept) > progress(reset);

/** Puts a reset in the list, replacing the entry with its id unless that one is further along. */
export function upsertReset(list: readonly VpuReset[], reset: VpuReset): VpuReset[] {
  return upsertNewest(list, reset, older);
}

export function mergeResets(list: readonly VpuReset[], incoming: readonly VpuReset[]): VpuReset[] {
  return mergeNewest(list, incoming, older);
}

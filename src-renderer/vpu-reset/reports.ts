/** A device's resets as a list the views show: newest first, one entry per id, never going backwards. */
import type { VpuReset } from '../../src-main/contract/index.js';

/** How far along a reset is; a later event never shows less. Ended beats running; then settled steps. */
function progress(r: VpuReset): number {
  const settled = r.steps.filter((s) => s.state !== 'pending' && s.state !== 'running').length;
  const started = r.steps.filter((s) => s.state !== 'pending').length;
  return (r.outcome === 'running' ? 0 : 1000) + settled * 10 + started;
}

function newestFirst(a: VpuReset, b: VpuReset): number {
  const d = Date.parse(b.startedAt) - Date.parse(a.startedAt);
  return d !== 0 && Number.isFinite(d) ? d : b.id.localeCompare(a.id);
}

/** Puts a reset in the list, replacing the entry with its id unless that one is further along. */
export function upsertReset(list: readonly VpuReset[], reset: VpuReset): VpuReset[] {
  const at = list.findIndex((r) => r.id === reset.id);
  if (at < 0) return [...list, reset].sort(newestFirst);
  const kept = list[at] as VpuReset;
  if (progress(kept) > progress(reset)) return list.slice();
  const out = list.slice();
  out[at] = reset;
  return out;
}

export function mergeResets(list: readonly VpuReset[], incoming: readonly VpuReset[]): VpuReset[] {
  let out = list.slice();
  for (const r of incoming) out = upsertReset(out, r);
  return out;
}

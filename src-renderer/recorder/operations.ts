/** Long operations and pipeline jobs as lists the views show: newest first, one entry per id. */
import type { Operation, PipelineJob } from '../../src-main/contract/index.js';

/** How far along an operation is; an event never goes backwards in this order. */
function progress(op: Operation): number {
  const stepsDone = op.steps.filter((s) => s.state !== 'pending' && s.state !== 'running').length;
  return (op.state === 'running' ? 0 : 1000) + stepsDone;
}

function newestFirst<T extends { startedAt: string; id: string }>(a: T, b: T): number {
  const d = Date.parse(b.startedAt) - Date.parse(a.startedAt);
  return d !== 0 && Number.isFinite(d) ? d : b.id.localeCompare(a.id);
}

/** Puts an operation in the list, replacing the entry with its id unless that one is further along. */
export function upsertOperation(list: readonly Operation[], op: Operation): Operation[] {
  const at = list.findIndex((o) => o.id === op.id);
  if (at < 0) return [...list, op].sort(newestFirst);
  const kept = list[at] as Operation;
  if (progress(kept) > progress(op)) return list.slice();
  const out = list.slice();
  out[at] = op;
  return out;
}

/** Many at once, e.g. `operations.list` arriving after some events already did. */
export function mergeOperations(list: readonly Operation[], incoming: readonly Operation[]): Operation[] {
  let out = list.slice();
  for (const op of incoming) out = upsertOperation(out, op);
  return out;
}

export function upsertJob(list: readonly PipelineJob[], job: PipelineJob): PipelineJob[] {
  const at = list.findIndex((j) => j.id === job.id);
  if (at < 0) return [...list, job].sort(newestFirst);
  // A job that ended does not start running again: a late `running` event is older news.
  const kept = list[at] as PipelineJob;
  if (kept.state !== 'running' && job.state === 'running') return list.slice();
  const out = list.slice();
  out[at] = job;
  return out;
}

export function mergeJobs(list: readonly PipelineJob[], incoming: readonly PipelineJob[]): PipelineJob[] {
  let out = list.slice();
  for (const job of incoming) out = upsertJob(out, job);
  return out;
}

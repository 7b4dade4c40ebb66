/** Long operations and pipeline jobs as lists the views show: newest first, one entry per id. */
import type { Operation, PipelineJob } from '../../src-main/contract/index.js';
import { mergeNewest, upsertNewest } from '../lib/newest-list.js';

/** How far along an operation is; an event never goes backwards in this order. */
function progress(op: Operation): number {
  const stepsDone = op.steps.filter((s) => s.state !== 'pending' && s.state !== 'running').length;
  return (op.state === 'running' ? 0 : 1000) + stepsDone;
}

const olderOperation = (kept: Operation, op: Operation): boolean => progress(kept) > progress(op);
// A job that ended does not start running again: a late `running` event is older news.
const olderJob = (kept: PipelineJob, job: PipelineJob): boolean =>
  kept.state !== 'running' && job.state === 'running';

/** Puts an operation in the list, replacing the entry with its id unless that one is further along. */
export function upsertOperation(list: readonly Operation[], op: Operation): Operation[] {
  return upsertNewest(list, op, olderOperation);
}

export function mergeOperations(list: readonly Operation[], incoming: readonly Operation[]): Operation[] {
  return mergeNewest(list, incoming, olderOperation);
}

export function upsertJob(list: readonly PipelineJob[], job: PipelineJob): PipelineJob[] {
  return upsertNewest(list, job, olderJob);
}

export function mergeJobs(list: readonly PipelineJob[], incoming: readonly PipelineJob[]): PipelineJob[] {
  return mergeNewest(list, incoming, olderJob);
}

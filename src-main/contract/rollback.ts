import { z } from 'zod';
import { DeviceLease } from './lease.js';
import { BudgetResult } from './pipelines.js';
import { ActiveRecording } from './recorder.js';

const DeviceId = z.string().min(1).max(64);
const Sha = z.string().regex(/^[0-9a-f]{7,40}$/, 'A commit id is 7 to 40 lowercase hex digits.');

/** The steps of a rollback as the device runs them; the last two only when the first attempt was unhealthy. */
export const ROLLBACK_STEPS = [
  { n: 1, id: 'keep', title: 'Keep HEAD under a backup ref' },
  { n: 2, id: 'move', title: 'Commit the target’s tree on top of HEAD' },
  { n: 3, id: 'restart', title: 'Stop recordings (EOS) and restart the recorder' },
  { n: 4, id: 'probation', title: 'Probation: cameras, VPU sessions, kernel, encoders' },
  { n: 5, id: 'back', title: 'Unhealthy: go back to the kept HEAD and restart' },
  { n: 6, id: 'recheck', title: 'Check the old HEAD is healthy again' },
] as const;
export const RollbackStepId = z.enum(['keep', 'move', 'restart', 'probation', 'back', 'recheck']);

export const RollbackStep = z.object({
  n: z.number().int().min(1).max(6),
  id: RollbackStepId,
  title: z.string(),
  state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
  startedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  lines: z.array(z.string()),
});
export type RollbackStep = z.infer<typeof RollbackStep>;

/** One health reading during a probation window. */
export const HealthReading = z.object({
  /** Into the window, ms. */
  atMs: z.number(),
  streaming: z.number().int(),
  cameras: z.number().int(),
  sessions: z.number().int().nullable(),
  /** Cameras whose media path took in no new bytes since the reading before (an encoder that stalled). */
  stalled: z.array(z.string()),
  kernelFaults: z.number().int(),
});
export type HealthReading = z.infer<typeof HealthReading>;

/** interrupted: an emergency VPU reset took the device over; the rollback stopped where it was, going back over nothing. */
export const RollbackOutcome = z.enum(['running', 'healthy', 'reverted', 'failed', 'refused', 'interrupted']);
export type RollbackOutcome = z.infer<typeof RollbackOutcome>;

/** A rollback: live while it runs on the device, its report once it ended. */
export const Rollback = z.object({
  /** The detached job's id on the device. */
  id: z.string(),
  deviceId: z.string(),
  device: z.string(),
  who: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  outcome: RollbackOutcome,
  summary: z.string(),
  /** HEAD before, the target, the commit the rollback made, and where HEAD ended. */
  from: z.string().nullable(),
  target: z.string(),
  made: z.string().nullable(),
  endedOn: z.string().nullable(),
  /** Refs that keep every commit reachable: the backup of HEAD, and a failed attempt's commit. */
  refs: z.array(z.string()),
  probationMs: z.number(),
  steps: z.array(RollbackStep),
  /** Readings of the first probation window, then of the recheck after going back. */
  health: z.array(HealthReading),
  recheck: z.array(HealthReading),
  /** Why the probation failed: kernel lines, cameras, sessions. */
  evidence: z.array(z.string()),
  /** False while the console is not following the job (link down): the device carries on and decides. */
  following: z.boolean(),
});
export type Rollback = z.infer<typeof Rollback>;

export const RollbackRequest = z.object({
  deviceId: DeviceId,
  /** The commit to go back to. */
  to: Sha,
  /** The probation window; 60 s unless told (10 s to 30 min). */
  probationS: z.number().int().min(10).max(1800).optional(),
});

export const RollbackStart = RollbackRequest.extend({
  /** The producer saw the plan (target, diff, restarts, recordings, budget). */
  confirmed: z.literal(true, { message: 'Confirm the rollback after reading its plan.' }),
  /** Go ahead even though the target's budget is over the practical limit; audited. */
  overrideBudget: z.boolean().default(false),
});

/** What a rollback would do, for the confirmation. */
export const RollbackPlan = z.object({
  deviceId: z.string(),
  device: z.string(),
  head: z.string().nullable(),
  headSubject: z.string().nullable(),
  target: z.string(),
  targetSubject: z.string(),
  /** config.yml: HEAD → target, unified diff. */
  diff: z.string(),
  restarts: z.array(z.string()),
  /** Stopped with EOS before the restart, so their files are finalised. */
  recordings: z.array(ActiveRecording),
  budget: BudgetResult,
  /** The cameras the target's config names, each checked during probation. */
  cameras: z.array(z.string()),
  probationS: z.number(),
  /** Another operation holding the device now. */
  lease: DeviceLease.nullable(),
  /** Why it would be refused (dirty tree, dangerous target, over budget without override, busy); null: it can go. */
  blocked: z.string().nullable(),
  /** Refused unless overridden: the reason (over budget). */
  overridable: z.string().nullable(),
});
export type RollbackPlan = z.infer<typeof RollbackPlan>;

export const RollbackRef = z.object({
  deviceId: DeviceId,
  id: z
    .string()
    .regex(/^rollback-[a-z0-9-]{6,48}$/)
    .optional(),
});

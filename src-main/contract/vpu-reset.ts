import { z } from 'zod';
import { DeviceLease } from './lease.js';
import { ActiveRecording } from './recorder.js';

/** The four steps of seed 002's emergency procedure, as Tally runs them. */
export const RESET_STEPS = [
  { n: 1, id: 'stop', title: 'Stop recordings (EOS), pipelines and the recorder' },
  { n: 2, id: 'drain', title: 'Wait for the VPU sessions to close; kill only the processes that hold them' },
  { n: 3, id: 'check', title: 'Check the kernel let go: no sessions left, no panic' },
  { n: 4, id: 'start', title: 'Start the media server and the recorder, then the cameras one at a time' },
] as const;
export const ResetStepId = z.enum(['stop', 'drain', 'check', 'start']);
export type ResetStepId = z.infer<typeof ResetStepId>;

export const ResetStep = z.object({
  n: z.number().int().min(1).max(4),
  id: ResetStepId,
  title: z.string(),
  state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
  /** ISO time the step began on the device; null before. */
  startedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  /** Of the duration, the time spent polling the device until it was ready (not fixed sleeps). */
  waitedMs: z.number().nullable(),
  /** What happened, in plain words, in order. */
  lines: z.array(z.string()),
});
export type ResetStep = z.infer<typeof ResetStep>;

export const ResetRecording = z.object({
  file: z.string(),
  /** finalised: it has a duration now; damaged: ffprobe/gst-discoverer could not read it. */
  state: z.enum(['finalised', 'damaged']),
  durationS: z.number().nullable(),
  detail: z.string(),
});
export type ResetRecording = z.infer<typeof ResetRecording>;

export const ResetKill = z.object({
  pid: z.number().int(),
  name: z.string(),
  signal: z.enum(['TERM', 'KILL']),
  /** Sessions the process held when it was signalled. */
  sessions: z.number().int(),
});
export type ResetKill = z.infer<typeof ResetKill>;

export const ResetCamera = z.object({
  camera: z.string(),
  state: z.enum(['online', 'failed', 'not_started']),
  /** VPU sessions counted right after this camera came up. */
  sessionsAfter: z.number().int().nullable(),
  detail: z.string(),
});
export type ResetCamera = z.infer<typeof ResetCamera>;

/**
 * Something the reset stops that this console starts again once the reset has ended healthy (the scene mixer, with
 * the scene that was on Program), and how that went.
 */
export const ResetRestart = z.object({
  /** The detached job the reset stopped. */
  jobId: z.string(),
  /** What it is: "the scene mixer (4 input(s) → program)". */
  label: z.string(),
  /** What the console does after a healthy reset, in words: "starts again with scene “2×2”". */
  plan: z.string(),
  /** pending: the reset has not ended yet; running: starting it again now; skipped: the reset did not end healthy. */
  state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
  /** How it went, in plain words; when it is not running again, what to do. */
  detail: z.string(),
});
export type ResetRestart = z.infer<typeof ResetRestart>;

export const ResetOutcome = z.enum(['running', 'healthy', 'reboot_needed', 'failed']);
export type ResetOutcome = z.infer<typeof ResetOutcome>;

/** One emergency VPU reset: live while it runs, the report once it ended. */
export const VpuReset = z.object({
  /** The detached job's id on the device. */
  id: z.string(),
  deviceId: z.string(),
  device: z.string(),
  who: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  outcome: ResetOutcome,
  /** One line: how it ended, or where it stands. */
  summary: z.string(),
  sessionsBefore: z.number().int().nullable(),
  sessionsAfter: z.number().int().nullable(),
  steps: z.array(ResetStep),
  /** Recordings that were running when the reset began, checked after they were stopped. */
  recordings: z.array(ResetRecording),
  killed: z.array(ResetKill),
  cameras: z.array(ResetCamera),
  /** Kernel lines that stopped the reset (an alarm while a camera came up, a panic). */
  evidence: z.array(z.string()),
  /** What is left for the producer to do. */
  todo: z.array(z.string()),
  /** What this console starts again after the reset (reports from before there was such a thing have none). */
  restarts: z.array(ResetRestart).default([]),
  /** False while the console is not following the job (link down): the device carries on regardless. */
  following: z.boolean(),
});
export type VpuReset = z.infer<typeof VpuReset>;

/** What a reset would stop, shown before the producer holds the button. */
export const ResetPlan = z.object({
  deviceId: z.string(),
  device: z.string(),
  sessions: z.number().int().nullable(),
  recordings: z.array(ActiveRecording),
  /** Detached jobs this console started on the device (ad-hoc pipelines, the scene mixer): stopped with EOS. */
  pipelines: z.array(
    z.object({
      jobId: z.string(),
      label: z.string(),
      /** What this console does with it once the reset has ended healthy ("starts again with scene “2×2”"); null: nothing. */
      restart: z.string().nullable().default(null),
    }),
  ),
  units: z.array(z.string()),
  cameras: z.array(z.string()),
  /** A reset already running on the device (then a new one is refused). */
  running: VpuReset.nullable(),
  /** Another operation holding the device now: the reset can interrupt it (it stops at a safe point). */
  lease: DeviceLease.nullable(),
  /** Why a reset cannot start now (not connected, no sudo…); null when it can. */
  blocked: z.string().nullable(),
});
export type ResetPlan = z.infer<typeof ResetPlan>;

const DeviceId = z.string().min(1).max(64);
export const ResetStart = z.object({
  deviceId: DeviceId,
  /** The producer held the button after seeing the plan. */
  confirmed: z.literal(true, { message: 'Hold the button to confirm the reset.' }),
  /** Interrupt the operation holding the device (the plan names it); without it, a held device is refused. */
  interrupt: z.boolean().default(false),
});
export const ResetRef = z.object({
  deviceId: DeviceId,
  id: z
    .string()
    .regex(/^vpu-reset-[a-z0-9-]{6,48}$/, 'A reset id looks like vpu-reset-20261121T163000-ab12cd34.')
    .optional(),
});
export const RebootRequest = z.object({
  deviceId: DeviceId,
  /** Must repeat the device's name: a reboot ends every stream and recording on it. */
  confirmName: z.string().max(200),
});

/**
 * What the plan says about one of the console's jobs it stops: "The scene mixer (4 input(s) → program) stops with EOS
 * and starts again with scene “2×2” once the reset has ended healthy." (the confirm dialog and the CLI say it).
 */
export function planJobSentence(job: ResetPlan['pipelines'][number]): string {
  const what = job.label.charAt(0).toUpperCase() + job.label.slice(1);
  return job.restart ? `${what} stops with EOS and ${job.restart}.` : `${what} stops with EOS.`;
}

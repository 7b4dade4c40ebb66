/**
 * Qualification for the kinds beside the R58 (issue 17), each the seed's own test: the transcoder opens /transcode
 * against a test source for a few seconds, read unbuffered, and checks MPEG-TS with H.264 at or above real time
 * (seed 003); the VMS host samples its camera processes' CPU and compares it with its own baseline (seed 004).
 */
import { z } from 'zod';
import { DeviceLease } from './lease.js';

const DeviceId = z.string().min(1).max(64);

export const KindQualifyTest = z.enum(['transcode', 'cpu-baseline']);
export type KindQualifyTest = z.infer<typeof KindQualifyTest>;

export const KindQualifyRequest = z.object({
  deviceId: DeviceId,
  /** Transcoder: the source to transcode instead of the profile's test source. */
  sourceUrl: z
    .string()
    .regex(
      /^https?:\/\/[^\s'"]{1,500}$/,
      'An http(s) URL the box itself can reach, without spaces or quotes.',
    )
    .optional(),
  /** VMS host: record a new baseline from this run instead of comparing with the one kept on the box. */
  newBaseline: z.boolean().default(false),
});
export type KindQualifyRequest = z.infer<typeof KindQualifyRequest>;

/** One check of a qualification, with its figure and limit in words. */
export const KindQualifyCheck = z.object({
  id: z.string(),
  title: z.string(),
  state: z.enum(['pending', 'passed', 'failed']),
  /** What was measured (`1.8 s`, `hevc`), or null before it was. */
  value: z.string().nullable(),
  /** What it had to be (`≤ 3 s`, `h264`). */
  limit: z.string(),
});
export type KindQualifyCheck = z.infer<typeof KindQualifyCheck>;

/** seed 003's figures. */
export const TranscodeFigures = z.object({
  sourceUrl: z.string(),
  seconds: z.number(),
  /** Time to the first byte of the stream, s (curl's time_starttransfer). */
  startupS: z.number().nullable(),
  bytes: z.number().int().nullable(),
  httpStatus: z.number().int().nullable(),
  format: z.string().nullable(),
  video: z.string().nullable(),
  videoProfile: z.string().nullable(),
  audio: z.string().nullable(),
  frames: z.number().int().nullable(),
  /** Seconds of media the read covered. */
  mediaS: z.number().nullable(),
  /** mediaS over the seconds after the first byte: 1.0 is real time. */
  speed: z.number().nullable(),
});
export type TranscodeFigures = z.infer<typeof TranscodeFigures>;

/** One CPU reading of seed 004's test: percent of one core over the interval before it. */
export const CpuReading = z.object({
  atMs: z.number(),
  total: z.number().nullable(),
  perCamera: z.record(z.string(), z.number().nullable()),
});
export type CpuReading = z.infer<typeof CpuReading>;

/** The box's own CPU figure, kept on it (`~/.tally/baseline-vms.json`) so every console compares with the same. */
export const CpuBaseline = z.object({
  recordedAt: z.string(),
  totalPercent: z.number(),
  perCamera: z.record(z.string(), z.number()),
  samples: z.number().int(),
  everyS: z.number(),
});
export type CpuBaseline = z.infer<typeof CpuBaseline>;

/** seed 004's figures. */
export const CpuFigures = z.object({
  cameras: z.array(z.string()),
  samples: z.array(CpuReading),
  /** Means over the whole test, percent of one core. */
  totalPercent: z.number().nullable(),
  perCamera: z.record(z.string(), z.number()),
  baseline: CpuBaseline.nullable(),
  /** This run recorded the baseline (the first run, or asked to). */
  recordedBaseline: z.boolean(),
  tolerance: z.number(),
});
export type CpuFigures = z.infer<typeof CpuFigures>;

export const KindQualifyOutcome = z.enum(['running', 'passed', 'failed', 'refused']);
export type KindQualifyOutcome = z.infer<typeof KindQualifyOutcome>;

/** A qualification of a transcoder or VMS host: live while it runs, its report once it ended. */
export const KindQualification = z.object({
  id: z.string(),
  deviceId: z.string(),
  device: z.string(),
  who: z.string(),
  test: KindQualifyTest,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  outcome: KindQualifyOutcome,
  summary: z.string(),
  /** The planned length, s, and how far it got (for a progress bar). */
  totalS: z.number(),
  elapsedS: z.number(),
  checks: z.array(KindQualifyCheck),
  transcode: TranscodeFigures.nullable(),
  cpu: CpuFigures.nullable(),
  /** Lines the run said along the way. */
  log: z.array(z.string()),
  following: z.boolean(),
});
export type KindQualification = z.infer<typeof KindQualification>;

/** What a qualification would do, for the confirmation. */
export const KindQualifyPlan = z.object({
  deviceId: z.string(),
  device: z.string(),
  test: KindQualifyTest,
  /** What it does, in words (which source, how long; what is sampled and against what). */
  what: z.string(),
  totalS: z.number(),
  checks: z.array(KindQualifyCheck),
  lease: DeviceLease.nullable(),
  blocked: z.string().nullable(),
});
export type KindQualifyPlan = z.infer<typeof KindQualifyPlan>;

export const KindQualifyRef = z.object({
  deviceId: DeviceId,
  id: z
    .string()
    .regex(/^kindqualify-[a-z0-9-]{6,48}$/)
    .optional(),
});

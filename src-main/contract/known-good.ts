/**
 * Known-good for the kinds beside the R58 (issue 17): going back to an earlier container image (the transcoder) or
 * to a deployed binary's backup (the VMS host), as one detached job on the device that keeps what ran, switches,
 * restarts, watches the box's own health for a probation window, and goes back by itself when it is unhealthy.
 */
import { z } from 'zod';
import { DeviceLease } from './lease.js';

const DeviceId = z.string().min(1).max(64);

/** What a switch changes: which image tag the container runs, or which binary the unit starts. */
export const KnownGoodUnit = z.enum(['image', 'binary']);
export type KnownGoodUnit = z.infer<typeof KnownGoodUnit>;

/**
 * A name to go back to: an image tag of the profile's repository (`previous`), or a backup beside the binary
 * (`vms-recorder.before-phase3`). Plain characters only; the device is asked whether it exists.
 */
export const KnownGoodName = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
    'An image tag or a backup file name: letters, digits, _ . - (no paths).',
  );

/** One image or backup the box could go back to. */
export const KnownGoodCandidate = z.object({
  /** The tag (`previous`) or the backup's file name (`vms-recorder.before-phase3`). */
  name: z.string(),
  /** `xg2g-gpu-transcoder:previous` or `/opt/vms/vms-recorder.before-phase3`. */
  ref: z.string(),
  /** The image id (short), or the first 12 hex digits of the file's SHA-256. */
  id: z.string().nullable(),
  /** When it was made (image) or last written (file), ISO; null when unknown. */
  created: z.string().nullable(),
  /** `1.2GB` (docker's words) or bytes as text. */
  size: z.string().nullable(),
  /** It is what runs now (same image id / same checksum): going there changes nothing. */
  current: z.boolean(),
  /** Kept by an earlier switch (`tally-keep-<job>`, `.tally-<job>`): the way forward after going back. */
  keptBySwitch: z.string().nullable(),
});
export type KnownGoodCandidate = z.infer<typeof KnownGoodCandidate>;

export const KnownGoodCandidates = z.object({
  deviceId: z.string(),
  device: z.string(),
  unit: KnownGoodUnit,
  /** What runs now: the container's image (`repo:tag` and id) or the deployed binary (path and checksum). */
  running: z.object({ ref: z.string(), id: z.string().nullable() }),
  /** The tag or binary the service starts from (`xg2g-gpu-transcoder:production`, `/opt/vms/vms-recorder`). */
  slot: z.string(),
  candidates: z.array(KnownGoodCandidate),
});
export type KnownGoodCandidates = z.infer<typeof KnownGoodCandidates>;

export const KnownGoodRequest = z.object({
  deviceId: DeviceId,
  /** The tag or backup name to go to (one of the candidates). */
  to: KnownGoodName,
  /** The probation window; the profile's unless told (3 s to 10 min). */
  probationS: z.number().int().min(3).max(600).optional(),
});
export type KnownGoodRequest = z.infer<typeof KnownGoodRequest>;

export const KnownGoodStart = KnownGoodRequest.extend({
  /** The producer read the plan: what stops, for how long, and what is kept. */
  confirmed: z.literal(true, { message: 'Confirm the switch after reading its plan.' }),
});

/** What a switch would do, for the confirmation. */
export const KnownGoodPlan = z.object({
  deviceId: z.string(),
  device: z.string(),
  unit: KnownGoodUnit,
  from: z.object({ ref: z.string(), id: z.string().nullable() }),
  to: KnownGoodCandidate,
  /** Where what runs now is kept, so the way forward stays (`xg2g-gpu-transcoder:tally-keep-<job>`). */
  keepAs: z.string(),
  /** What stops and for how long, in words. */
  stops: z.string(),
  /** What the probation watches, one line each. */
  gate: z.array(z.string()),
  probationS: z.number(),
  lease: DeviceLease.nullable(),
  /** Why it would be refused (busy, unknown name, already running it); null: it can go. */
  blocked: z.string().nullable(),
});
export type KnownGoodPlan = z.infer<typeof KnownGoodPlan>;

export const KNOWN_GOOD_STEPS = [
  { n: 1, id: 'keep', title: 'Keep what runs now' },
  { n: 2, id: 'switch', title: 'Switch to the chosen one' },
  { n: 3, id: 'restart', title: 'Restart the service' },
  { n: 4, id: 'probation', title: 'Probation: the box’s own health' },
  { n: 5, id: 'back', title: 'Unhealthy: put the kept one back and restart' },
  { n: 6, id: 'recheck', title: 'Check the kept one is healthy again' },
] as const;

export const KnownGoodStep = z.object({
  n: z.number().int().min(1).max(6),
  id: z.enum(['keep', 'switch', 'restart', 'probation', 'back', 'recheck']),
  title: z.string(),
  state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
  startedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  lines: z.array(z.string()),
});
export type KnownGoodStep = z.infer<typeof KnownGoodStep>;

/** One look at the box during a probation window. */
export const KnownGoodReading = z.object({
  /** Into the window, ms. */
  atMs: z.number(),
  healthy: z.boolean(),
  /** What was seen: `running, restarts 0, /health 200` or `Duc_Tai_Dendo_1 up, new segment; …`. */
  text: z.string(),
});
export type KnownGoodReading = z.infer<typeof KnownGoodReading>;

export const KnownGoodOutcome = z.enum(['running', 'healthy', 'reverted', 'failed', 'refused']);
export type KnownGoodOutcome = z.infer<typeof KnownGoodOutcome>;

/** A switch: live while it runs on the device, its report once it ended. */
export const KnownGoodSwitch = z.object({
  id: z.string(),
  deviceId: z.string(),
  device: z.string(),
  who: z.string(),
  unit: KnownGoodUnit,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  outcome: KnownGoodOutcome,
  summary: z.string(),
  /** What ran before (ref and id), the target, and where what ran is kept. */
  from: z.string().nullable(),
  fromId: z.string().nullable(),
  target: z.string(),
  kept: z.string().nullable(),
  /** What runs at the end (id or checksum), as the device read it. */
  endedOn: z.string().nullable(),
  probationMs: z.number(),
  steps: z.array(KnownGoodStep),
  health: z.array(KnownGoodReading),
  recheck: z.array(KnownGoodReading),
  evidence: z.array(z.string()),
  following: z.boolean(),
});
export type KnownGoodSwitch = z.infer<typeof KnownGoodSwitch>;

export const KnownGoodRef = z.object({
  deviceId: DeviceId,
  id: z
    .string()
    .regex(/^knowngood-[a-z0-9-]{6,48}$/)
    .optional(),
});

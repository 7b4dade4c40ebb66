import { z } from 'zod';

/** One recording segment of a camera on a VMS host. */
export const Segment = z.object({
  name: z.string(),
  sizeBytes: z.number(),
  /** ISO, the file's modification time (the device's clock). */
  modifiedAt: z.string(),
  /** From ffprobe, for closed segments only (the newest is still being written); null until probed. */
  durationS: z.number().nullable(),
  codec: z.string().nullable(),
});
export type Segment = z.infer<typeof Segment>;

export const LiveOutput = z.object({
  url: z.string(),
  state: z.enum(['up', 'down', 'unknown']),
  codec: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  detail: z.string(),
  /** Console wall clock (ms) of the check. */
  checkedAt: z.number().nullable(),
});
export type LiveOutput = z.infer<typeof LiveOutput>;

export const CameraState = z.object({
  camera: z.string(),
  /** The camera's processes (Phase 3: one; the older Phase 1 shape: two). */
  pids: z.array(z.number().int()),
  /** Percent of one core, all the camera's processes together (seed 004's unit). */
  cpuPercent: z.number().nullable(),
  /** `running`, `stalled` (process stopped or not writing), `down` (no process). */
  state: z.enum(['running', 'stalled', 'down']),
  segmentS: z.number(),
  newest: Segment.nullable(),
  /** Seconds since the newest segment started being written... or was last written, on the device's clock. */
  newestAgeS: z.number().nullable(),
  /** No new segment within the schedule and its grace. */
  late: z.boolean(),
  /** The last few closed segments, newest first. */
  recent: z.array(Segment),
  live: LiveOutput,
});
export type CameraState = z.infer<typeof CameraState>;

export const NvidiaReading = z.object({
  present: z.boolean(),
  gpuPercent: z.number().nullable(),
  encoderPercent: z.number().nullable(),
  sessions: z.number().int().nullable(),
  sessionLimit: z.number().int().nullable(),
  averageFps: z.number().nullable(),
  problem: z.string().nullable(),
});
export type NvidiaReading = z.infer<typeof NvidiaReading>;

/** A VMS host's cameras, recordings and outputs, every couple of seconds. */
export const VmsState = z.object({
  deviceId: z.string(),
  at: z.number(),
  cameras: z.array(CameraState),
  /** Percent of one core, all cameras together. */
  totalCpuPercent: z.number().nullable(),
  budgetPerCameraPercent: z.number(),
  nvidia: NvidiaReading,
  /** Why the state is incomplete (recordings folder unreadable…); null when whole. */
  problem: z.string().nullable(),
});
export type VmsState = z.infer<typeof VmsState>;

import { z } from 'zod';

export const FEATURE_IDS = ['recorder', 'cameras', 'presets', 'recordings', 'pipelines', 'vpu'] as const;
export const FeatureId = z.enum(FEATURE_IDS);

/** What the console found on the device when it connected. */
export const DeviceProbe = z.object({
  deviceId: z.string(),
  at: z.string(),
  model: z.string().nullable(),
  kernel: z.string().nullable(),
  units: z.array(z.object({ name: z.string(), present: z.boolean(), activeState: z.string().nullable() })),
  vpu: z.object({ file: z.string().nullable(), readable: z.boolean(), problem: z.string().nullable() }),
  repo: z.object({
    path: z.string(),
    present: z.boolean(),
    head: z.string().nullable(),
    subject: z.string().nullable(),
    dirty: z.boolean().nullable(),
    dirtyFiles: z.array(z.string()),
  }),
  mediamtx: z.object({ answers: z.boolean(), detail: z.string() }),
  recorderApi: z.object({ answers: z.boolean(), detail: z.string() }),
  /** Each feature on or off, and why it is off. */
  features: z.array(z.object({ id: FeatureId, available: z.boolean(), reason: z.string().nullable() })),
});
export type DeviceProbe = z.infer<typeof DeviceProbe>;

export const ActiveRecording = z.object({
  camera: z.string(),
  file: z.string(),
  /** When the recording started (ISO, the device's clock), if the recorder says. */
  startedAt: z.string().optional(),
});
export type ActiveRecording = z.infer<typeof ActiveRecording>;

export const RecorderState = z.object({
  unit: z.string(),
  activeState: z.string(),
  subState: z.string(),
  /** ISO time the unit entered its current active state, or null. */
  since: z.string().nullable(),
  mainPid: z.number().int().nullable(),
  restarts: z.number().int(),
  /** Recordings running now (from the recorder API); empty when none, or when unknown (see below). */
  recordings: z.array(ActiveRecording),
  /**
   * Why the recorder API could not say which recordings run (it did not answer, or not as expected); absent when
   * it answered. An empty `recordings` with a problem means "unknown", never "nothing".
   */
  recordingsProblem: z.string().optional(),
});
export type RecorderState = z.infer<typeof RecorderState>;

export const RecorderAction = z.enum(['start', 'stop', 'restart']);

export const RecorderControl = z.object({
  deviceId: z.string().min(1).max(64),
  action: RecorderAction,
  /** Set after the producer saw which recordings will end. */
  confirmed: z.boolean().default(false),
});

/** Either it was done, or it needs the producer to confirm first (recordings would end). */
export const RecorderControlResult = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('done'), state: RecorderState }),
  z.object({
    kind: z.literal('confirm'),
    message: z.string(),
    recordings: z.array(ActiveRecording),
  }),
]);
export type RecorderControlResult = z.infer<typeof RecorderControlResult>;

export const JournalEntry = z.object({
  /** ms since the epoch. */
  at: z.number(),
  priority: z.number().int(),
  message: z.string(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

export const CameraView = z.object({
  name: z.string(),
  /** From the recorder's summary: streaming, no_signal, error, or unknown. */
  signal: z.enum(['streaming', 'no_signal', 'error', 'unknown']),
  /** The recorder's own words, e.g. `streaming (3840x2160)`. */
  detail: z.string(),
  resolution: z.string().nullable(),
  codec: z.string().nullable(),
  /** Inbound bitrate at MediaMTX over the last reading, kbit/s. */
  bitrateKbps: z.number().nullable(),
  readers: z.number().int().nullable(),
  /** Whether MediaMTX has the path online. */
  online: z.boolean(),
});
export type CameraView = z.infer<typeof CameraView>;

export const Recording = z.object({
  name: z.string(),
  path: z.string(),
  sizeBytes: z.number(),
  modified: z.string(),
  durationS: z.number().nullable(),
  codec: z.string().nullable(),
  container: z.string().nullable(),
  /** Still being written. */
  active: z.boolean(),
  /** Why the file could not be read (e.g. not finalised yet). */
  problem: z.string().nullable(),
});
export type Recording = z.infer<typeof Recording>;

const RecordingName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/, 'A recording name is a file name in the recordings folder.');

export const RecordingDelete = z.object({
  deviceId: z.string().min(1).max(64),
  name: RecordingName,
  /** Must repeat the name: nothing is deleted on a single click. */
  confirmName: z.string(),
});

export const RecordingsControl = z.object({
  deviceId: z.string().min(1).max(64),
  cameras: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/))
    .max(32)
    .optional(),
});

/**
 * Stopping recordings ends files: without `confirmed` the core answers with the recordings that would stop
 * (RecorderControlResult `confirm`) and stops nothing. Confirm with the cameras that were named.
 */
export const RecordingsStop = RecordingsControl.extend({
  /** Set after the producer saw which recordings will end. */
  confirmed: z.boolean().default(false),
});

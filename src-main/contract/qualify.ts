import { z } from 'zod';
import { DeviceLease } from './lease.js';
import { PresetId } from './pipelines.js';
import { ActiveRecording } from './recorder.js';

const DeviceId = z.string().min(1).max(64);
const Sha = z.string().regex(/^[0-9a-f]{7,40}$/, 'A commit id is 7 to 40 lowercase hex digits.');

/** What is qualified: the config HEAD selects, a preset, or the config of a commit from the history. */
export const QualifyTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('head') }),
  z.object({ kind: z.literal('preset'), preset: PresetId }),
  z.object({ kind: z.literal('commit'), commit: Sha }),
]);
export type QualifyTarget = z.infer<typeof QualifyTarget>;

/** full: seed 000's durations (30 s, 5 min, 30 s); quick: 10 s, 60 s, 10 s for demos and tests. */
export const QualifyVariant = z.enum(['full', 'quick']);
export type QualifyVariant = z.infer<typeof QualifyVariant>;

/** Seed 000's three stability tests, in the order they run. */
export const QUALIFY_TESTS = [
  { n: 1, id: 'encode', title: 'Test 1: encode to a file' },
  { n: 2, id: 'sustained', title: 'Test 2: sustained encode' },
  { n: 3, id: 'rtsp', title: 'Test 3: RTSP push to MediaMTX' },
] as const;

/** One reading a second during a test. */
export const QualifySample = z.object({
  atMs: z.number(),
  /** CPU busy over the last second, % of all cores (from /proc/stat). */
  cpu: z.number().nullable(),
  /** The hottest thermal zone, °C. */
  tempC: z.number().nullable(),
  /** VPU sessions open now (null when the session file cannot be read). */
  sessions: z.number().int().nullable(),
});
export type QualifySample = z.infer<typeof QualifySample>;

export const QualifyProbe = z.object({
  codec: z.string().nullable(),
  durationS: z.number().nullable(),
  frames: z.number().int().nullable(),
  /** Which tool answered, or why none did. */
  tool: z.string(),
});
export type QualifyProbe = z.infer<typeof QualifyProbe>;

export const QualifyTestReport = z.object({
  n: z.number().int().min(1).max(3),
  id: z.enum(['encode', 'sustained', 'rtsp']),
  title: z.string(),
  durationS: z.number(),
  state: z.enum(['pending', 'running', 'passed', 'failed', 'skipped']),
  startedAt: z.string().nullable(),
  /** Into the test, ms: the last reading, or the whole test once it ended. */
  elapsedMs: z.number(),
  /** Why it failed, for a person; null otherwise. */
  reason: z.string().nullable(),
  /** Kernel lines that appeared during the test (faults first). */
  kernelLines: z.array(z.string()),
  /** Kernel lines that are VPU faults (Oops, panic, RCU stall, MPP timeout/reset, IOMMU, too many sessions). */
  kernelFaults: z.number().int(),
  /** The most VPU sessions the test opened over what was open before it. */
  sessionsOpened: z.number().int().nullable(),
  frames: z.number().int().nullable(),
  /** Encoded frames a second, against the source's frame rate. */
  encodeFps: z.number().nullable(),
  inputFps: z.number(),
  probe: QualifyProbe.nullable(),
  peakCpu: z.number().nullable(),
  peakTempC: z.number().nullable(),
  /** The encoder process's resident memory (VmRSS), kB. */
  memStartKb: z.number().int().nullable(),
  memEndKb: z.number().int().nullable(),
  /** Test 3: the MediaMTX path read back through its API. */
  mediamtx: z
    .object({
      path: z.string(),
      online: z.boolean(),
      bytesFirst: z.number().nullable(),
      bytesLast: z.number().nullable(),
    })
    .nullable(),
  samples: z.array(QualifySample),
});
export type QualifyTestReport = z.infer<typeof QualifyTestReport>;

/** interrupted: an emergency VPU reset took the device over; the run stopped, no verdict was written. */
export const QualifyOutcome = z.enum(['running', 'passed', 'failed', 'refused', 'interrupted']);
export type QualifyOutcome = z.infer<typeof QualifyOutcome>;

/** What was qualified, in words and as the encoder line. */
export const QualifySubject = z.object({
  kind: z.enum(['head', 'preset', 'commit']),
  /** "HEAD 1a2b3c4 (subject)", "preset h264-hw", "commit 1a2b3c4 (subject)". */
  label: z.string(),
  /** The commit whose config is qualified (HEAD's for a preset); null when unknown. */
  commit: z.string().nullable(),
  encoder: z.string(),
});
export type QualifySubject = z.infer<typeof QualifySubject>;

/** A qualification: live while it runs on the device, its report once it ended. */
export const Qualification = z.object({
  id: z.string(),
  deviceId: z.string(),
  device: z.string(),
  who: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  outcome: QualifyOutcome,
  summary: z.string(),
  subject: QualifySubject,
  variant: QualifyVariant,
  /** All three tests' planned length, s. */
  totalS: z.number(),
  kernel: z.string().nullable(),
  /** The recorder unit's state before (active: it is started again afterwards), and after. */
  recorderBefore: z.string().nullable(),
  recorderAfter: z.string().nullable(),
  /** Where the result is kept on the device: the commit its git note is on, or why there is none. */
  note: z.object({ commit: z.string().nullable(), written: z.boolean(), text: z.string() }).nullable(),
  tests: z.array(QualifyTestReport),
  /** Lines the run said along the way (recordings stopped, recorder restored, pipelines killed). */
  log: z.array(z.string()),
  following: z.boolean(),
});
export type Qualification = z.infer<typeof Qualification>;

export const QualifyRequest = z.object({
  deviceId: DeviceId,
  target: QualifyTarget.default({ kind: 'head' }),
  variant: QualifyVariant.default('full'),
});

export const QualifyStart = QualifyRequest.extend({
  /** The producer read the plan (what is qualified, recordings stopped, the recorder restored). */
  confirmed: z.literal(true, { message: 'Confirm the qualification after reading its plan.' }),
});

/** What a qualification would do, for the confirmation. */
export const QualifyPlan = z.object({
  deviceId: z.string(),
  device: z.string(),
  subject: QualifySubject,
  variant: QualifyVariant,
  tests: z.array(z.object({ n: z.number().int(), title: z.string(), durationS: z.number() })),
  totalS: z.number(),
  /** The test source, e.g. 1920x1080@30. */
  source: z.string(),
  /** The MediaMTX path Test 3 pushes to. */
  rtspPath: z.string(),
  /** Stopped with EOS through the recorder API before the tests, so their files are finalised. */
  recordings: z.array(ActiveRecording),
  recorderUnit: z.string(),
  /** The recorder's state now: stopped for the tests and started again afterwards when it was active. */
  recorderState: z.string().nullable(),
  /** VPU sessions each test opens (one pipeline at a time). */
  sessions: z.number().int(),
  /** The commit the result is written on as a git note, or null: kept in the console's data directory only. */
  noteOn: z.string().nullable(),
  noteText: z.string(),
  /** A known-dangerous encoder (seed 000's panic config): qualifying it is allowed, and expected to fail. */
  danger: z.string().nullable(),
  lease: DeviceLease.nullable(),
  /** Why it would be refused (busy, not connected, no such commit); null: it can go. */
  blocked: z.string().nullable(),
});
export type QualifyPlan = z.infer<typeof QualifyPlan>;

export const QualifyRef = z.object({
  deviceId: DeviceId,
  id: z
    .string()
    .regex(/^qualify-[a-z0-9-]{6,48}$/)
    .optional(),
});

/** Seconds of the whole run done so far: finished tests count whole, the running one by its last reading. */
export function qualifyProgressS(q: Qualification): number {
  return q.tests.reduce((s, t) => {
    if (t.state === 'pending') return s;
    if (t.state === 'running') return s + Math.min(t.elapsedMs / 1000, t.durationS);
    return s + t.durationS;
  }, 0);
}

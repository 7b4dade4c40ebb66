import { z } from 'zod';

export const PRESET_IDS = ['h264-hw', 'h265-hw', 'h264-sw'] as const;
export const PresetId = z.enum(PRESET_IDS);
export type PresetId = z.infer<typeof PresetId>;

/** A GStreamer property value as the builder accepts it: numbers, booleans, or plain words. */
export const PropertyValue = z.union([z.number(), z.boolean(), z.string().max(256)]);
export type PropertyValue = z.infer<typeof PropertyValue>;

/** One encoder element with its properties, e.g. `mpph264enc qp-init=26 … bps=8000000`. */
export const EncoderSpec = z.object({
  element: z.string().min(1).max(64),
  properties: z.record(z.string().max(64), PropertyValue),
});
export type EncoderSpec = z.infer<typeof EncoderSpec>;

export const Preset = z.object({
  id: PresetId,
  label: z.string(),
  description: z.string(),
  codec: z.enum(['h264', 'h265']),
  /** The encoder at the preset's default bitrate. */
  encoder: EncoderSpec,
  /** The property that carries the bitrate and its unit. */
  bitrate: z.object({ property: z.string(), unit: z.enum(['bps', 'kbps']), defaultKbps: z.number() }),
  /** VPU sessions one stream with this encoder takes. */
  vpuSessions: z.number().int(),
  /** Whether a browser can play it over WHEP (H.265 cannot). */
  whepPlayable: z.boolean(),
  container: z.enum(['mp4', 'mkv']),
  /** What the seeds record about it, each with its seed. */
  notes: z.array(z.string()),
  /** CPU one stream with this encoder takes on the board of `cpu.profile`; absent when the profile has no figure. */
  cpu: z.object({ low: z.number(), high: z.number(), profile: z.string(), board: z.string() }).optional(),
});
export type Preset = z.infer<typeof Preset>;

/** Why an encoder setting is dangerous (the Dec 19 panic config), or null. */
export const Danger = z.object({ id: z.string(), reason: z.string(), seed: z.string() }).nullable();
export type Danger = z.infer<typeof Danger>;

/** A whole-device plan: what each camera runs, and the mixer. */
export const BudgetPlan = z.object({
  cameras: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'Camera names are letters, digits, - and _.'),
        recordingEncoder: EncoderSpec.nullable(),
        previewEncoder: EncoderSpec.nullable(),
        mixerDecoder: z.boolean(),
      }),
    )
    .max(32),
  mixerOutput: EncoderSpec.nullable(),
});
export type BudgetPlan = z.infer<typeof BudgetPlan>;

export const BudgetVerdict = z.enum(['ok', 'warn', 'refuse']);
export type BudgetVerdict = z.infer<typeof BudgetVerdict>;

/** A CPU figure as a range, in percent of the whole board (all cores = 100, as the monitor's CPU reading). */
export const CpuRange = z.object({ low: z.number(), high: z.number() });
export type CpuRange = z.infer<typeof CpuRange>;

/**
 * The CPU side of a budget: what each camera's encoders (and the mixer output) cost by the profile's per-stream
 * figures, plus what the rest of the board runs, against the profile's safe and practical limits. Refused when even
 * the low figure is over the practical limit; a warning when the high figure is over the safe one.
 */
export const CpuBudget = z.object({
  perCamera: z.array(CpuRange.extend({ name: z.string(), parts: z.array(z.string()) })),
  mixer: CpuRange.nullable(),
  /** The rest of the board: measured (the monitor's average less the recorder's own streams) or the profile's figure. */
  others: CpuRange.extend({ source: z.enum(['measured', 'profile']), detail: z.string() }),
  /** Everything together. */
  low: z.number(),
  high: z.number(),
  safe: z.number(),
  practical: z.number(),
  verdict: BudgetVerdict,
  /** The sum in words, e.g. "4 × x264enc at 30–40 % + 6 % for the rest of the board = 126–166 % …". */
  message: z.string(),
  /** Elements the profile has no CPU figure for (not counted; they make the verdict a warning at least). */
  unknown: z.array(z.string()),
  /** The board's CPU now (the monitor's average over the last 30 s), null when unknown. */
  now: z.number().nullable(),
});
export type CpuBudget = z.infer<typeof CpuBudget>;

export const BudgetResult = z.object({
  perCamera: z.array(z.object({ name: z.string(), sessions: z.number().int(), parts: z.array(z.string()) })),
  mixer: z.number().int(),
  total: z.number().int(),
  safe: z.number().int(),
  practical: z.number().int(),
  verdict: BudgetVerdict,
  /** One sentence for a person: the numbers and what to do. */
  message: z.string(),
  /** Sessions the device has open right now (from the monitor), null when unknown. */
  live: z.number().int().nullable(),
  /**
   * The CPU budget beside the VPU one; absent where CPU is not counted (a profile without CPU figures). `verdict`
   * and `message` above are the VPU's; a caller that enforces CPU reads `cpu.verdict` (see `budgetVerdict`).
   */
  cpu: CpuBudget.optional(),
});
export type BudgetResult = z.infer<typeof BudgetResult>;

const VERDICT_ORDER = { ok: 0, warn: 1, refuse: 2 } as const;

/** The worse of the VPU and the CPU verdicts. */
export function budgetVerdict(budget: Pick<BudgetResult, 'verdict' | 'cpu'>): BudgetVerdict {
  const cpu = budget.cpu?.verdict ?? 'ok';
  return VERDICT_ORDER[cpu] > VERDICT_ORDER[budget.verdict] ? cpu : budget.verdict;
}

/** Bitrates a producer might type, in kbit/s: 100 kbit/s to 100 Mbit/s. */
export const BitrateKbps = z
  .number({ message: 'The bitrate is a number of kbit/s, for example 8000.' })
  .int('The bitrate is a whole number of kbit/s.')
  .min(100, 'At least 100 kbit/s: less than that is not a usable video stream.')
  .max(100_000, 'At most 100,000 kbit/s (100 Mbit/s): the R58 encoders go no higher.');

export const ConfigChange = z.object({
  deviceId: z.string().min(1).max(64),
  /** `all`, or camera names. */
  cameras: z.union([
    z.literal('all'),
    z
      .array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/))
      .min(1)
      .max(32),
  ]),
  preset: PresetId,
  bitrateKbps: BitrateKbps.optional(),
  /** An encoder typed as `element prop=value …`; replaces the preset's encoder. Validated, never spliced. */
  encoder: z.string().max(1000).optional(),
  /** Apply a setting the known-bad list marks dangerous. Written to the audit log. */
  overrideDanger: z.boolean().default(false),
});
export type ConfigChange = z.infer<typeof ConfigChange>;
export type ConfigChangeInput = z.input<typeof ConfigChange>;

export const ConfigPreview = z.object({
  file: z.string(),
  before: z.string(),
  after: z.string(),
  /** Unified diff of the file. */
  diff: z.string(),
  budget: BudgetResult,
  danger: Danger,
  repo: z.object({ head: z.string().nullable(), dirty: z.boolean(), dirtyFiles: z.array(z.string()) }),
  /** Why it cannot be applied as it is (danger without override, over budget, dirty tree), or null. */
  blocked: z.string().nullable(),
});
export type ConfigPreview = z.infer<typeof ConfigPreview>;

export const StepState = z.enum(['pending', 'running', 'done', 'failed', 'skipped']);

/**
 * A config change applied on a device, with its steps as they happen. It runs as one detached job on the device
 * (write, commit, restart, watch; back by itself when unhealthy), so its id is that job's and a console that
 * reconnects or restarts finds it again.
 */
export const Operation = z.object({
  id: z.string(),
  deviceId: z.string(),
  kind: z.enum(['config.apply']),
  title: z.string(),
  /**
   * reverted: the change was unhealthy and the device went back to the commit before by itself, healthy again.
   * interrupted: an emergency VPU reset took the device over; it stopped at a safe point, reverting nothing.
   */
  state: z.enum(['running', 'succeeded', 'reverted', 'failed', 'interrupted']),
  /** One sentence on how it ended (or where it is). */
  summary: z.string(),
  steps: z.array(
    z.object({
      name: z.string(),
      state: StepState,
      detail: z.string(),
      durationMs: z.number().optional(),
    }),
  ),
  /** Kernel lines, camera states and readings that explain a failure. */
  evidence: z.array(z.string()),
  /** The commit the change made, and the one before it (the way back: a rollback to it). */
  commit: z.string().nullable(),
  previousCommit: z.string().nullable(),
  /** Refs on the device that keep every commit reachable (the backup of HEAD, an unhealthy attempt). */
  refs: z.array(z.string()),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** False while the console is not following the job (link down): the device carries on and decides. */
  following: z.boolean(),
});
export type Operation = z.infer<typeof Operation>;

export const PipelineKind = z.enum(['test-encode', 'ingest', 'recording-tee']);

/** An ad-hoc pipeline: one from the builder, or a typed one (validated element by element). */
export const PipelineRequest = z.object({
  deviceId: z.string().min(1).max(64),
  pipeline: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('test-encode'),
      encoder: EncoderSpec,
      width: z.number().int().min(16).max(7680).default(1920),
      height: z.number().int().min(16).max(4320).default(1080),
      framerate: z.number().int().min(1).max(120).default(30),
      /** Buffers to encode; seed 001's Test 1 uses 300. 0 = until stopped. */
      buffers: z.number().int().min(0).max(1_000_000).default(300),
    }),
    z.object({ kind: z.literal('typed'), text: z.string().min(1).max(4000) }),
  ]),
});
export type PipelineRequest = z.infer<typeof PipelineRequest>;
export type PipelineRequestInput = z.input<typeof PipelineRequest>;

export const PipelineJob = z.object({
  id: z.string(),
  deviceId: z.string(),
  /** The gst-launch-1.0 line as it runs on the device. */
  command: z.string(),
  state: z.enum(['running', 'exited', 'stopped', 'failed']),
  exitCode: z.number().int().nullable(),
  startedAt: z.string(),
  /** Sessions the job's processes hold now (from the monitor), null when unknown. */
  vpuSessions: z.number().int().nullable(),
  /** Sessions the pipeline was expected to take. */
  expectedSessions: z.number().int(),
  output: z.string(),
});
export type PipelineJob = z.infer<typeof PipelineJob>;

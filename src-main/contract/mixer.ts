/**
 * The scene mixer (issue 14): scenes laid out on a canvas in the program's aspect, kept on the device, and taken
 * live on the device's compositor. Positions are fractions of the program frame (0..1), so a scene does not depend
 * on the program's resolution; the device turns them into pixels.
 */
import { z } from 'zod';
import { BudgetResult } from './pipelines.js';

const DeviceId = z.string().min(1).max(64);
/** A camera's media path name, as the recorder config and MediaMTX name it. */
export const MixerCamera = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'A camera name is 1 to 32 letters, digits, "_" or "-".');
export const SceneId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'A scene id is 1 to 40 lowercase letters, digits or "-".');

const Fraction = z.number().min(0).max(1);
/** Part of the camera's picture cut away on each side, as a fraction of its width or height. */
export const Crop = z
  .object({
    left: z.number().min(0).max(0.45),
    top: z.number().min(0).max(0.45),
    right: z.number().min(0).max(0.45),
    bottom: z.number().min(0).max(0.45),
  })
  .strict();
export type Crop = z.infer<typeof Crop>;
export const NO_CROP: Crop = { left: 0, top: 0, right: 0, bottom: 0 };

/** One camera's box on the canvas. */
export const SceneBox = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,32}$/),
    camera: MixerCamera,
    x: Fraction,
    y: Fraction,
    /** At least 2 % of the frame: a box the producer can still see and grab. */
    w: z.number().min(0.02).max(1),
    h: z.number().min(0.02).max(1),
    crop: Crop,
    /** Higher is on top; the background is below 0. */
    z: z.number().int().min(0).max(15),
    locked: z.boolean(),
  })
  .strict()
  .refine((b) => b.x + b.w <= 1.0001 && b.y + b.h <= 1.0001, {
    message: 'A box must stay inside the frame.',
  });
export type SceneBox = z.infer<typeof SceneBox>;

export const Scene = z
  .object({
    id: SceneId,
    name: z.string().trim().min(1, 'Name the scene.').max(40, 'At most 40 characters.'),
    boxes: z.array(SceneBox).max(8, 'At most 8 boxes: each is a decoder on the device.'),
  })
  .strict()
  .refine((s) => new Set(s.boxes.map((b) => b.id)).size === s.boxes.length, {
    message: 'Two boxes have the same id.',
  });
export type Scene = z.infer<typeof Scene>;

/** The device's scenes; `rev` grows with every change, so two consoles cannot overwrite each other unknowingly. */
export const SceneList = z.object({ rev: z.number().int().min(0), scenes: z.array(Scene) });
export type SceneList = z.infer<typeof SceneList>;

export const Transition = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cut') }),
  z.object({ kind: z.literal('fade'), ms: z.number().int().min(100).max(5000) }),
]);
export type Transition = z.infer<typeof Transition>;

export const InputState = z.object({
  state: z.enum(['starting', 'playing', 'stalled', 'failed', 'stopped']),
  /** hw: the device's hardware decoder (one VPU session); sw: software decoding (seed 002's fallback). */
  decoder: z.enum(['hw', 'sw']),
  fps: z.number().nullable(),
  /** How long since the last decoded frame, ms; null before the first. */
  lastFrameAgeMs: z.number().nullable(),
  error: z.string().nullable(),
});
export type InputState = z.infer<typeof InputState>;

/** What is on air, as the device's mixer reports it (never what the console last sent). */
export const OnAir = z.object({
  sceneId: SceneId.nullable(),
  name: z.string(),
  boxes: z.array(SceneBox),
  /** The take that put it there. */
  seq: z.number().int().nullable(),
  appliedAt: z.string().nullable(),
});
export type OnAir = z.infer<typeof OnAir>;

export const MixerState = z.object({
  deviceId: z.string(),
  /** off: no mixer on the device; unknown: not read yet, or the link is down (see `readAt`). */
  status: z.enum(['off', 'starting', 'running', 'stopping', 'failed', 'unknown']),
  pid: z.number().int().nullable(),
  startedAt: z.string().nullable(),
  output: z.object({ width: z.number().int(), height: z.number().int(), fps: z.number(), path: z.string() }),
  program: OnAir.nullable(),
  preview: OnAir.nullable(),
  /** Cameras visible on Program (red tally) and on Preview (green), as the device computed them. */
  onProgram: z.array(z.string()),
  onPreview: z.array(z.string()),
  inputs: z.record(z.string(), InputState),
  /** Frames really leave the compositor (a caps failure can stop them while the pipeline says PLAYING). */
  health: z.object({
    flowing: z.boolean(),
    outFps: z.number().nullable(),
    problem: z.string().nullable(),
    /** How often the device's mixer rebuilt its program after losing it (absent from older agents). */
    restarts: z.number().int().optional(),
  }),
  /** When the console last heard from the device's mixer. */
  readAt: z.string().nullable(),
  /** Why it is off or failed, in words. */
  detail: z.string(),
});
export type MixerState = z.infer<typeof MixerState>;

export const TakeOutcome = z.enum([
  'applied',
  /** It could not reach the device before its deadline: dropped there, never applied late. */
  'expired',
  /** The device had applied this sequence number already. */
  'duplicate',
  'refused_budget',
  'refused_inputs',
  /** Sent, but no answer came before the link went: after the reconnect the state says what is on air. */
  'not_confirmed',
]);
export type TakeOutcome = z.infer<typeof TakeOutcome>;

export const TakeResult = z.object({
  outcome: TakeOutcome,
  seq: z.number().int(),
  message: z.string(),
  budget: BudgetResult.nullable(),
  state: MixerState.nullable(),
});
export type TakeResult = z.infer<typeof TakeResult>;

const SceneRef = z.object({ deviceId: DeviceId, sceneId: SceneId });

export const MixerStartInput = z.object({
  deviceId: DeviceId,
  /** The scene on Program at start (the first saved scene when absent). */
  sceneId: SceneId.optional(),
  /** Cameras to decode in software, no VPU session (seed 002's fallback when the budget is tight). */
  softwareCameras: z.array(MixerCamera).max(16).optional(),
});
export const SceneSaveInput = z.object({ deviceId: DeviceId, scene: Scene, rev: z.number().int().min(0) });
export const SceneDeleteInput = SceneRef.extend({ rev: z.number().int().min(0) });
export const PreviewInput = z.object({
  deviceId: DeviceId,
  sceneId: SceneId.optional(),
  /** The scene as edited now (unsaved), when it differs from the saved one. */
  scene: Scene.optional(),
});
export const TakeInput = z.object({
  deviceId: DeviceId,
  /** Take the scene on Preview (default), or this one directly. */
  sceneId: SceneId.optional(),
  scene: Scene.optional(),
  transition: Transition.default({ kind: 'cut' }),
});
export const PreflightInput = PreviewInput;

/** The budget a scene would need next to what already runs, with the sum in words. */
export const MixerPreflight = z.object({
  budget: BudgetResult,
  /** e.g. "4 inputs + 4 recording encoders = 8 sessions: at the practical limit". */
  sentence: z.string(),
  /** Cameras seed 002's fallback could decode in software to come under the limit. */
  softwareFallback: z.array(z.string()),
});
export type MixerPreflight = z.infer<typeof MixerPreflight>;

/**
 * The mixer's VPU budget before it starts and before each take (seed 002): every hardware-decoded input of what
 * will be on air (Program and the next scene, both decoding during a fade) is one session, added to what already
 * runs — the recording encoders, and any other session the device has open that the plan does not explain.
 */
import type { BudgetPlan, MixerPreflight, Scene } from '../../contract/index.js';
import type { RecorderConfig } from '../media/recorder-config.js';
import { checkBudget, type BudgetLimits } from '../media/vpu-budget.js';
import { vpuSessionsOf } from '../media/elements.js';

export interface PreflightInput {
  config: RecorderConfig;
  /** The scenes that will decode: Program now, and the next one. */
  scenes: ReadonlyArray<Scene | null>;
  /** Decoded in software: no session. */
  softwareCameras: readonly string[];
  limits: BudgetLimits;
  /** The device's open sessions now (the monitor), null when unknown. */
  live: number | null;
  /** Of those, the mixer's own decoders (they are counted again as inputs). */
  mixerOwn: number;
}

function cameraSet(scenes: ReadonlyArray<Scene | null>): string[] {
  return [...new Set(scenes.flatMap((s) => s?.boxes.map((b) => b.camera) ?? []))];
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function mixerPreflight(input: PreflightInput): MixerPreflight {
  const { config, limits, live } = input;
  const cameras = cameraSet(input.scenes);
  const hardware = cameras.filter((c) => !input.softwareCameras.includes(c));
  const names = [...new Set([...config.cameras.map((c) => c.name), ...cameras])];
  const plan: BudgetPlan = {
    cameras: names.map((name) => ({
      name,
      recordingEncoder: config.cameras.find((c) => c.name === name)?.encoder ?? null,
      previewEncoder: null,
      mixerDecoder: hardware.includes(name),
    })),
    mixerOutput: null,
  };
  const base = checkBudget(plan, limits, live);
  const recording = config.cameras.reduce((n, c) => n + vpuSessionsOf(c.encoder.element), 0);
  const others = live === null ? 0 : Math.max(0, live - input.mixerOwn - recording);
  const total = hardware.length + recording + others;
  const verdict = total > limits.practical ? 'refuse' : total > limits.safe ? 'warn' : 'ok';
  const parts = [
    plural(hardware.length, 'input', 'inputs'),
    plural(recording, 'recording encoder', 'recording encoders'),
    ...(others > 0 ? [plural(others, 'other session', 'other sessions')] : []),
  ];
  const where =
    verdict === 'refuse'
      ? `over the practical limit of ${limits.practical}`
      : total === limits.practical
        ? 'at the practical limit'
        : verdict === 'warn'
          ? `over the safe limit of ${limits.safe}`
          : `within the safe limit of ${limits.safe}`;
  const sentence = `${parts.join(' + ')} = ${plural(total, 'session', 'sessions')}: ${where}${live === null ? ' (the device’s open sessions are not known, so only the plan is counted)' : ''}.`;
  // Seed 002's fallback: decode the last inputs in software until the sum fits.
  const softwareFallback = verdict === 'refuse' ? hardware.slice(-(total - limits.practical)) : [];
  return {
    budget: { ...base, total, verdict, message: sentence },
    sentence,
    softwareFallback,
  };
}

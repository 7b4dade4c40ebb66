import {
  ContractError,
  type BudgetPlan,
  type BudgetResult,
  type BudgetVerdict,
  type EncoderSpec,
} from '../../contract/index.js';
import { vpuSessionsOf } from './elements.js';
import { presetEncoder } from './presets.js';

export interface BudgetLimits {
  safe: number;
  practical: number;
}

/** Seed 002: safe 4–6 sessions, practical 6–8; the upper ends are the limits Tally applies. */
export const SEED_002_LIMITS: BudgetLimits = { safe: 6, practical: 8 };

function sessionsOf(encoder: EncoderSpec | null): number {
  return encoder ? vpuSessionsOf(encoder.element) : 0;
}

function advice(plan: BudgetPlan): string {
  if (plan.cameras.some((c) => sessionsOf(c.previewEncoder) > 0)) {
    return "use a software preview encoder (x264enc) — seed 002's safe plan — or fewer cameras";
  }
  if (sessionsOf(plan.mixerOutput) > 0)
    return 'use a software mixer output encoder (x264enc) or fewer cameras';
  return 'use fewer cameras, or software decoding for some mixer inputs';
}

/**
 * Sessions per camera (recording + preview encoder + mixer decoder) plus the mixer output, against the limits.
 * `parts` lists what takes a session; software elements take none and are left out.
 */
export function checkBudget(plan: BudgetPlan, limits: BudgetLimits, live: number | null): BudgetResult {
  const { safe, practical } = limits;
  if (!Number.isInteger(safe) || !Number.isInteger(practical) || safe < 1 || practical < safe) {
    throw new ContractError(
      'invalid_input',
      `VPU limits safe=${safe} practical=${practical} are not usable: both whole numbers, 1 ≤ safe ≤ practical.`,
    );
  }
  const perCamera = plan.cameras.map((camera) => {
    const parts: string[] = [];
    let sessions = 0;
    const add = (role: string, encoder: EncoderSpec | null): void => {
      const n = sessionsOf(encoder);
      if (encoder && n > 0) {
        parts.push(`${role} ${encoder.element}`);
        sessions += n;
      }
    };
    add('recording', camera.recordingEncoder);
    add('preview', camera.previewEncoder);
    if (camera.mixerDecoder) add('mixer', { element: 'mppvideodec', properties: {} });
    return { name: camera.name, sessions, parts };
  });
  const mixer = sessionsOf(plan.mixerOutput);
  const total = perCamera.reduce((sum, c) => sum + c.sessions, mixer);
  const verdict: BudgetVerdict = total > practical ? 'refuse' : total > safe ? 'warn' : 'ok';
  const now = live === null ? '' : ` (the device has ${live} open now)`;
  const noun = total === 1 ? 'VPU session' : 'VPU sessions';
  const message =
    verdict === 'refuse'
      ? `${total} ${noun}${now} is over the practical limit of ${practical}: ${advice(plan)}.`
      : verdict === 'warn'
        ? `${total} ${noun}${now} is within the practical limit of ${practical} but over the safe limit of ${safe}: ` +
          'watch the kernel log for "too many sessions" and RCU stalls, or use fewer cameras.'
        : `${total} ${noun}${now} is within the safe limit of ${safe}.`;
  return { perCamera, mixer, total, safe, practical, verdict, message, live };
}

/** The two 4-camera plans from seed 002, for tests and the CLI's examples. */
export function seed002Plan(kind: 'unsafe-12' | 'safe-8'): BudgetPlan {
  const hardware = presetEncoder('h264-hw');
  const software = presetEncoder('h264-sw', 2000);
  return {
    cameras: ['cam0', 'cam1', 'cam2', 'cam3'].map((name) => ({
      name,
      recordingEncoder: structuredClone(hardware),
      previewEncoder: structuredClone(kind === 'unsafe-12' ? hardware : software),
      mixerDecoder: true,
    })),
    // Seed 002's design guideline: the mixer output is one software encoder.
    mixerOutput: software,
  };
}

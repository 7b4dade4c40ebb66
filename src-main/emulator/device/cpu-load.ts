/**
 * The emulated R58's CPU load, from the product profile's per-stream figures (resources/profiles/r58.yaml `cpu:`),
 * so the Monitor and the budget show the board the seeds describe rather than this machine: four x264enc cameras
 * read 120 % and more of an 8-core RK3588 (pinned at 100 %), four mpph264enc ones about 20 %.
 *
 * What counts, each at the midpoint of its figure:
 * - every gst-launch-1.0 process (the recorder's cameras, qualification tests, ad-hoc pipelines): each element of its
 *   pipeline that has a figure (the wrapper keeps the pipeline as typed, so `mpph264enc`, not its stand-in);
 * - Tally's mixer agent (`tally_mixer.py run`): its output as a smaller x264enc stream, one hardware decoder per VPU
 *   session it holds, and one software decoder per input its state file says it decodes in software;
 * - the profile's base figure for everything else.
 */
import type { CpuProfile } from '../../core/device/profile.js';
import { streamCpu } from '../../core/media/cpu-budget.js';

export interface LoadProcess {
  pid: number;
  argv: readonly string[];
}

export interface LoadInput {
  processes: readonly LoadProcess[];
  /** The kernel model's VPU sessions. */
  sessions: readonly { pid: number; element: string }[];
  /** The mixer agent's state file (`~/.tally/mixer/state.json`), parsed, or null. */
  mixerState: unknown;
  /** The element the mixer agent decodes with in software (profile `mixer.softwareDecoder`). */
  softwareDecoder: string;
}

const mid = (model: CpuProfile, element: string, size: 'camera' | 'small' = 'camera'): number => {
  const r = streamCpu(model, element, size);
  return r ? (r.low + r.high) / 2 : 0;
};

const isGstLaunch = (argv: readonly string[]): boolean =>
  argv.slice(0, 2).some((a) => /(^|\/)gst-launch(-1\.0|\.py)$/.test(a));

const mixerAgentRun = (argv: readonly string[]): boolean => {
  const at = argv.findIndex((a) => /(^|\/)tally_mixer\.py$/.test(a));
  return at >= 0 && argv[at + 1] === 'run';
};

/** Inputs the agent says it decodes in software, when the state file is the running agent's. */
function softwareInputs(state: unknown, pid: number): number {
  if (typeof state !== 'object' || state === null) return 0;
  const s = state as { pid?: unknown; inputs?: unknown };
  if (s.pid !== pid || typeof s.inputs !== 'object' || s.inputs === null) return 0;
  return Object.values(s.inputs).filter(
    (i) => typeof i === 'object' && i !== null && (i as { decoder?: unknown }).decoder === 'sw',
  ).length;
}

/** Percent of the whole board the modelled processes take, before any noise; not capped. */
export function modelledLoad(model: CpuProfile, input: LoadInput): number {
  let load = (model.basePercent[0] + model.basePercent[1]) / 2;
  for (const p of input.processes) {
    if (isGstLaunch(p.argv)) {
      for (const word of p.argv) load += mid(model, word);
    } else if (mixerAgentRun(p.argv)) {
      load += mid(model, 'x264enc', 'small');
      for (const s of input.sessions) if (s.pid === p.pid) load += mid(model, s.element);
      load += softwareInputs(input.mixerState, p.pid) * mid(model, input.softwareDecoder);
    }
  }
  return load;
}

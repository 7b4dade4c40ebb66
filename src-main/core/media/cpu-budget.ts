/**
 * The CPU budget of a plan (pure, no I/O): each encoder and decoder at the profile's per-stream figure, plus what the
 * rest of the board runs, against the profile's safe and practical limits. Figures are ranges in percent of the
 * whole board (all cores = 100, the unit of the monitor's CPU reading), because the seeds give them as ranges.
 *
 * What already runs comes from the monitor when it has readings: the board's average over the last 30 s (seed 004
 * samples for 30 s) less what the recorder's own streams take by the same figures, since the plan counts those again.
 * A measurement catches everything the model does not know about (the mixer, ad-hoc pipelines, other services); the
 * subtraction is by the model's midpoint and never goes below zero. Without readings, the profile's base figure.
 */
import type { BudgetPlan, BudgetResult, CpuBudget, CpuRange, EncoderSpec } from '../../contract/index.js';
import type { CpuProfile, R58Profile } from '../device/profile.js';
import { vpuSessionsOf } from './elements.js';

/** A camera's own stream (recording/ingest), or a smaller one (a preview, the mixer output). */
export type StreamSize = 'camera' | 'small';

/** The board's CPU over a recent window, from the monitor. */
export interface CpuReading {
  /** Average percent of the whole board. */
  percent: number;
  samples: number;
  windowS: number;
}

export type CpuOthers = CpuBudget['others'];

/** The figure for one stream of this element, or null when the profile has none. */
export function streamCpu(model: CpuProfile, element: string, size: StreamSize = 'camera'): CpuRange | null {
  const figure = (size === 'small' ? model.perSmallStream[element] : undefined) ?? model.perStream[element];
  return figure ? { low: figure[0], high: figure[1] } : null;
}

/** `30–40 %`, or `6 %` when both ends round alike. */
export function rangeText(range: CpuRange): string {
  const low = Math.round(range.low);
  const high = Math.round(range.high);
  return low === high ? `${low} %` : `${low}–${high} %`;
}

interface Stream {
  camera: string | null;
  role: 'recording' | 'preview' | 'mixer input' | 'mixer output';
  element: string;
  size: StreamSize;
}

function streamsOf(plan: BudgetPlan, mixerDecoder: string): Stream[] {
  const out: Stream[] = [];
  const add = (camera: string | null, role: Stream['role'], spec: EncoderSpec | null, size: StreamSize) => {
    if (spec) out.push({ camera, role, element: spec.element, size });
  };
  for (const c of plan.cameras) {
    add(c.name, 'recording', c.recordingEncoder, 'camera');
    add(c.name, 'preview', c.previewEncoder, 'small');
    if (c.mixerDecoder)
      out.push({ camera: c.name, role: 'mixer input', element: mixerDecoder, size: 'camera' });
  }
  add(null, 'mixer output', plan.mixerOutput, 'small');
  return out;
}

function sum(ranges: readonly CpuRange[]): CpuRange {
  return ranges.reduce((a, r) => ({ low: a.low + r.low, high: a.high + r.high }), { low: 0, high: 0 });
}

const mid = (r: CpuRange): number => (r.low + r.high) / 2;

/** What the streams of a plan cost together (elements without a figure count nothing). */
export function planCpu(plan: BudgetPlan, model: CpuProfile, mixerDecoder = 'mppvideodec'): CpuRange {
  return sum(
    streamsOf(plan, mixerDecoder).flatMap((s) => {
      const r = streamCpu(model, s.element, s.size);
      return r ? [r] : [];
    }),
  );
}

/**
 * What runs besides the plan: the reading less the streams of `running` (what the recorder runs now, which the plan
 * replaces), or the profile's base figure without a reading.
 */
export function cpuOthers(
  model: CpuProfile,
  reading: CpuReading | null,
  running: BudgetPlan | null,
): CpuOthers {
  if (!reading) {
    const [low, high] = model.basePercent;
    return {
      low,
      high,
      source: 'profile',
      detail: `${rangeText({ low, high })} for the rest of the board (the profile's figure: no CPU reading yet)`,
    };
  }
  const streams = running ? planCpu(running, model) : { low: 0, high: 0 };
  const rest = Math.max(0, reading.percent - mid(streams));
  const less =
    running && running.cameras.length > 0
      ? `, less ${rangeText(streams)} for the recorder's ${running.cameras.length} ${running.cameras.length === 1 ? 'stream' : 'streams'} now`
      : '';
  return {
    low: rest,
    high: rest,
    source: 'measured',
    detail:
      `${rangeText({ low: rest, high: rest })} for the rest of the board (${Math.round(reading.percent)} % measured ` +
      `over the last ${reading.windowS} s${less})`,
  };
}

/** Term of the sum for a group of like streams: `4 × x264enc at 30–40 %`, `x264enc (mixer output) at 15–25 %`. */
function term(count: number, element: string, role: Stream['role'], each: CpuRange): string {
  const what = role === 'recording' ? element : `${element} (${role})`;
  return `${count === 1 ? '' : `${count} × `}${what} at ${rangeText(each)}`;
}

/** The most software encodes of `element` that keep the plan's low figure within the practical limit. */
function softwareThatFits(
  total: CpuRange,
  count: number,
  each: CpuRange,
  hw: CpuRange,
  practical: number,
): number {
  for (let n = count; n >= 0; n--) {
    const low = total.low - (count - n) * (each.low - hw.low);
    if (low <= practical) return n;
  }
  return 0;
}

function advice(streams: readonly Stream[], model: CpuProfile, total: CpuRange): string {
  const software = streams.filter(
    (s) => s.role === 'recording' && vpuSessionsOf(s.element) === 0 && streamCpu(model, s.element),
  );
  const hw = streamCpu(model, 'mpph264enc');
  const first = software[0];
  if (!first || !hw) return 'Use fewer cameras, or encoders with a lower CPU figure.';
  const same = software.filter((s) => s.element === first.element);
  const each = streamCpu(model, first.element) as CpuRange;
  const fit = softwareThatFits(total, same.length, each, hw, model.practicalPercent);
  return (
    `Encode in hardware (mpph264enc at ${rangeText(hw)} a stream), or keep ${first.element} to ` +
    `${fit === 0 ? 'no camera' : `at most ${fit} ${fit === 1 ? 'camera' : 'cameras'}`}.`
  );
}

/** The plan's CPU against the profile's limits, with the sum in words. */
export function checkCpu(
  plan: BudgetPlan,
  model: CpuProfile,
  others: CpuOthers,
  now: number | null,
  mixerDecoder = 'mppvideodec',
): CpuBudget {
  const streams = streamsOf(plan, mixerDecoder);
  const unknown = [
    ...new Set(streams.filter((s) => !streamCpu(model, s.element, s.size)).map((s) => s.element)),
  ];
  const perCamera = plan.cameras.map((c) => {
    const mine = streams.filter((s) => s.camera === c.name);
    const parts = mine.flatMap((s) => {
      const r = streamCpu(model, s.element, s.size);
      return r ? [`${s.role} ${s.element} ${rangeText(r)}`] : [`${s.role} ${s.element} (no figure)`];
    });
    const cost = sum(mine.flatMap((s) => streamCpu(model, s.element, s.size) ?? []));
    return { name: c.name, ...cost, parts };
  });
  const output = streams.find((s) => s.role === 'mixer output');
  const mixer = output ? streamCpu(model, output.element, output.size) : null;
  const total = sum([...perCamera, ...(mixer ? [mixer] : []), others]);
  const { safePercent: safe, practicalPercent: practical } = model;

  // Like streams together, in the order they first appear.
  const groups = new Map<string, { element: string; role: Stream['role']; count: number; each: CpuRange }>();
  for (const s of streams) {
    const each = streamCpu(model, s.element, s.size);
    if (!each) continue;
    const key = `${s.role}/${s.element}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { element: s.element, role: s.role, count: 1, each });
  }
  const terms = [...groups.values()].map((g) => term(g.count, g.element, g.role, g.each));
  const sumText = `${[...terms, others.detail].join(' + ')} = ${rangeText(total)} of the board's CPU`;
  const missing =
    unknown.length > 0
      ? ` The profile has no CPU figure for ${unknown.join(', ')}, so ${unknown.length === 1 ? 'it is' : 'they are'} not counted.`
      : '';

  const verdict = total.low > practical ? 'refuse' : total.high > safe || unknown.length > 0 ? 'warn' : 'ok';
  const message =
    verdict === 'refuse'
      ? `${sumText}: over the practical limit of ${practical} % even at the low figure. ${advice(streams, model, total)}${missing}`
      : verdict === 'warn' && total.high > safe
        ? `${sumText}: over the safe limit of ${safe} % at the high figure (the practical limit is ${practical} %). ` +
          `Frames drop when the board runs out of CPU: watch CPU in the Monitor, or use fewer software encoders.${missing}`
        : `${sumText}: within the safe limit of ${safe} %.${missing}`;
  return {
    perCamera,
    mixer,
    others,
    low: total.low,
    high: total.high,
    safe,
    practical,
    verdict,
    message,
    unknown,
    now,
  };
}

/**
 * The VPU budget with its CPU side added, when the profile has CPU figures. `running` is what the recorder runs now
 * (its config, while its unit is up): measured CPU less those streams is what the rest of the board takes.
 */
export function withCpu(
  budget: BudgetResult,
  plan: BudgetPlan,
  profile: R58Profile,
  reading: CpuReading | null,
  running: BudgetPlan | null,
): BudgetResult {
  const model = profile.cpu;
  if (!model) return budget;
  const decoder = profile.mixer?.decoder ?? 'mppvideodec';
  const others = cpuOthers(model, reading, running);
  return { ...budget, cpu: checkCpu(plan, model, others, reading?.percent ?? null, decoder) };
}

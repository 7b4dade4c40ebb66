import { describe, expect, it } from 'vitest';
import {
  budgetVerdict,
  BudgetResult,
  CpuBudget,
  type BudgetPlan,
  type EncoderSpec,
} from '../../../src-main/contract/index.js';
import { R58Profile, loadProfile } from '../../../src-main/core/device/profile.js';
import {
  checkCpu,
  cpuOthers,
  planCpu,
  rangeText,
  streamCpu,
  withCpu,
} from '../../../src-main/core/media/cpu-budget.js';
import { presetEncoder, presetsFor } from '../../../src-main/core/media/presets.js';
import { checkBudget, SEED_002_LIMITS, seed002Plan } from '../../../src-main/core/media/vpu-budget.js';

const r58 = loadProfile('r58');
const model =
  r58.cpu ??
  (() => {
    throw new Error('the r58 profile has no CPU figures');
  })();

function cameras(encoders: readonly EncoderSpec[]): BudgetPlan {
  return {
    cameras: encoders.map((e, i) => ({
      name: `cam${i}`,
      recordingEncoder: e,
      previewEncoder: null,
      mixerDecoder: false,
    })),
    mixerOutput: null,
  };
}

const SW = presetEncoder('h264-sw');
const HW = presetEncoder('h264-hw');
const NO_READING = cpuOthers(model, null, null);

describe('the CPU budget (r58 profile: seeds 000, 002, 004)', () => {
  it('carries the seeds’ per-stream figures in the profile, and each preset shows its own', () => {
    expect(streamCpu(model, 'x264enc')).toEqual({ low: 30, high: 40 });
    expect(streamCpu(model, 'mpph264enc')).toEqual({ low: 2, high: 5 });
    expect(streamCpu(model, 'mpph265enc')).toEqual({ low: 5, high: 10 });
    // A preview or the mixer output is a smaller stream (seed 002: x264enc 15–25 %); elements without their own
    // small figure fall back to the camera one, and an element the profile does not know has none.
    expect(streamCpu(model, 'x264enc', 'small')).toEqual({ low: 15, high: 25 });
    expect(streamCpu(model, 'mpph264enc', 'small')).toEqual({ low: 2, high: 5 });
    expect(streamCpu(model, 'x265enc')).toBeNull();
    const presets = Object.fromEntries(presetsFor(r58).map((p) => [p.id, p.cpu]));
    expect(presets).toEqual({
      'h264-hw': { low: 2, high: 5, profile: 'r58', board: 'Rockchip RK3588' },
      'h265-hw': { low: 5, high: 10, profile: 'r58', board: 'Rockchip RK3588' },
      'h264-sw': { low: 30, high: 40, profile: 'r58', board: 'Rockchip RK3588' },
    });
  });

  it('refuses h264-sw on four cameras and spells the sum out (seed 000: not four cameras at once)', () => {
    const result = checkCpu(cameras([SW, SW, SW, SW]), model, NO_READING, null);
    expect(CpuBudget.parse(result)).toEqual(result);
    expect(result).toMatchObject({ low: 124, high: 168, safe: 70, practical: 85, verdict: 'refuse' });
    expect(result.perCamera[0]).toEqual({
      name: 'cam0',
      low: 30,
      high: 40,
      parts: ['recording x264enc 30–40 %'],
    });
    expect(result.message).toBe(
      "4 × x264enc at 30–40 % + 4–8 % for the rest of the board (the profile's figure: no CPU reading yet) = " +
        "124–168 % of the board's CPU: over the practical limit of 85 % even at the low figure. " +
        'Encode in hardware (mpph264enc at 2–5 % a stream), or keep x264enc to at most 2 cameras.',
    );
  });

  it('follows seed 000’s "limit to 2 cameras": two software streams warn, three are refused', () => {
    const two = checkCpu(cameras([SW, SW, HW, HW]), model, NO_READING, null);
    expect(two).toMatchObject({ low: 68, high: 98, verdict: 'warn' });
    expect(two.message).toMatch(
      /^2 × x264enc at 30–40 % \+ 2 × mpph264enc at 2–5 % \+ 4–8 % for the rest .* = 68–98 % of the board's CPU: over the safe limit of 70 % at the high figure \(the practical limit is 85 %\)\. Frames drop/,
    );
    expect(checkCpu(cameras([SW, SW, SW, HW]), model, NO_READING, null).verdict).toBe('refuse');
    const hardware = checkCpu(cameras([HW, HW, HW, HW]), model, NO_READING, null);
    expect(hardware).toMatchObject({ low: 12, high: 28, verdict: 'ok' });
    expect(hardware.message).toMatch(/= 12–28 % of the board's CPU: within the safe limit of 70 %\.$/);
  });

  it('counts what already runs from the monitor’s average, less the recorder’s own streams (no double count)', () => {
    const running = cameras([HW, HW, HW, HW]);
    // 20 % measured while 4 × mpph264enc (2–5 %, midpoint 3.5) run: 6 % is the rest of the board.
    const others = cpuOthers(model, { percent: 20, samples: 30, windowS: 30 }, running);
    expect(others).toEqual({
      low: 6,
      high: 6,
      source: 'measured',
      detail:
        "6 % for the rest of the board (20 % measured over the last 30 s, less 8–20 % for the recorder's 4 streams now)",
    });
    const sw = checkCpu(cameras([SW, SW, SW, SW]), model, others, 20);
    expect(sw).toMatchObject({ low: 126, high: 166, verdict: 'refuse', now: 20 });
    expect(sw.message).toMatch(/^4 × x264enc at 30–40 % \+ 6 % for the rest of the board .* = 126–166 % of/);
    // The same config again adds up to about what was measured.
    const same = checkCpu(running, model, others, 20);
    expect((same.low + same.high) / 2).toBeCloseTo(20);
    // A recorder that is stopped takes nothing now: the whole reading is the rest of the board.
    expect(cpuOthers(model, { percent: 20, samples: 5, windowS: 30 }, null)).toMatchObject({
      low: 20,
      high: 20,
    });
    // A model that overestimates the streams never makes the rest negative.
    expect(cpuOthers(model, { percent: 3, samples: 5, windowS: 30 }, running)).toMatchObject({
      low: 0,
      high: 0,
    });
  });

  it('refuses on what already runs: a busy board takes a plan that alone would fit over the limit', () => {
    const busy = cpuOthers(model, { percent: 80, samples: 30, windowS: 30 }, null);
    const result = checkCpu(cameras([HW, HW]), model, busy, 80);
    expect(result).toMatchObject({ low: 84, high: 90, verdict: 'warn' });
    const over = checkCpu(
      cameras([HW, HW, HW, HW]),
      model,
      cpuOthers(model, { percent: 82, samples: 3, windowS: 30 }, null),
      82,
    );
    expect(over.verdict).toBe('refuse');
    // No software encoder to move: the advice is about the plan as a whole.
    expect(over.message).toMatch(/Use fewer cameras, or encoders with a lower CPU figure\.$/);
  });

  it('counts previews, mixer inputs and the mixer output by the same figures (seed 002’s safe plan)', () => {
    const plan = seed002Plan('safe-8');
    const result = checkCpu(plan, model, NO_READING, null);
    // 4 × (mpph264enc 2–5 + x264enc preview 15–25 + mppvideodec 2–5) + mixer x264enc 15–25 + base 4–8.
    expect(result).toMatchObject({ low: 95, high: 173, verdict: 'refuse' });
    expect(result.mixer).toEqual({ low: 15, high: 25 });
    expect(result.perCamera[0]?.parts).toEqual([
      'recording mpph264enc 2–5 %',
      'preview x264enc 15–25 %',
      'mixer input mppvideodec 2–5 %',
    ]);
    expect(result.message).toMatch(
      /^4 × mpph264enc at 2–5 % \+ 4 × x264enc \(preview\) at 15–25 % \+ 4 × mppvideodec \(mixer input\) at 2–5 % \+ x264enc \(mixer output\) at 15–25 % \+ 4–8 %/,
    );
    expect(planCpu(plan, model)).toEqual({ low: 91, high: 165 });
  });

  it('warns at least, and says so, for an element the profile has no figure for', () => {
    const x265 = { element: 'x265enc', properties: {} };
    const result = checkCpu(cameras([x265]), model, NO_READING, null);
    expect(result.verdict).toBe('warn');
    expect(result.unknown).toEqual(['x265enc']);
    expect(result.perCamera[0]?.parts).toEqual(['recording x265enc (no figure)']);
    expect(result.message).toMatch(/The profile has no CPU figure for x265enc, so it is not counted\.$/);
  });

  it('adds the CPU side to a VPU budget; the worse verdict of the two is the budget’s', () => {
    const plan = cameras([SW, SW, SW, SW]);
    const vpu = checkBudget(plan, SEED_002_LIMITS, 4);
    expect(vpu.verdict).toBe('ok');
    const both = withCpu(vpu, plan, r58, null, null);
    expect(BudgetResult.parse(both)).toEqual(both);
    expect(both.verdict).toBe('ok');
    expect(both.cpu?.verdict).toBe('refuse');
    expect(budgetVerdict(both)).toBe('refuse');
    expect(budgetVerdict(vpu)).toBe('ok');
    // A profile without CPU figures leaves the budget as it was.
    const bare = R58Profile.parse({ ...r58, cpu: undefined });
    expect(withCpu(vpu, plan, bare, null, null)).toEqual(vpu);
  });

  it('rejects CPU figures that cannot be right', () => {
    const bad = (cpu: unknown): boolean => R58Profile.safeParse({ ...r58, cpu }).success;
    expect(bad({ ...model, safePercent: 90, practicalPercent: 80 })).toBe(false);
    expect(bad({ ...model, perStream: { x264enc: [40, 30] } })).toBe(false);
    expect(bad({ ...model, perStream: { 'x264enc;rm': [30, 40] } })).toBe(false);
    expect(bad(model)).toBe(true);
  });

  it('writes ranges as a person reads them', () => {
    expect(rangeText({ low: 30, high: 40 })).toBe('30–40 %');
    expect(rangeText({ low: 6.2, high: 6.4 })).toBe('6 %');
  });
});

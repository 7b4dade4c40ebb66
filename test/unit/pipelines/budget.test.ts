import { describe, expect, it } from 'vitest';
import { BudgetResult, ContractError, type BudgetPlan } from '../../../src-main/contract/index.js';
import { presetEncoder } from '../../../src-main/core/media/presets.js';
import { checkBudget, SEED_002_LIMITS, seed002Plan } from '../../../src-main/core/media/vpu-budget.js';

describe('checkBudget', () => {
  it("refuses seed 002's unsafe plan: 12 sessions, 3 per camera", () => {
    const result = checkBudget(seed002Plan('unsafe-12'), SEED_002_LIMITS, null);
    expect(BudgetResult.parse(result)).toEqual(result);
    expect(result.total).toBe(12);
    expect(result.verdict).toBe('refuse');
    expect(result.perCamera.map((c) => c.sessions)).toEqual([3, 3, 3, 3]);
    expect(result.perCamera[0]?.parts).toEqual([
      'recording mpph264enc',
      'preview mpph264enc',
      'mixer mppvideodec',
    ]);
    expect(result.message).toBe(
      "12 VPU sessions is over the practical limit of 8: use a software preview encoder (x264enc) — seed 002's safe plan — or fewer cameras.",
    );
  });

  it("accepts seed 002's safe plan with a warning: 8 sessions is over safe (6) but not over practical (8)", () => {
    const result = checkBudget(seed002Plan('safe-8'), SEED_002_LIMITS, 2);
    expect(result.total).toBe(8);
    expect(result.mixer).toBe(0);
    expect(result.verdict).toBe('warn');
    expect(result.perCamera[0]?.parts).toEqual(['recording mpph264enc', 'mixer mppvideodec']);
    expect(result.message).toMatch(
      /^8 VPU sessions \(the device has 2 open now\) is within the practical limit of 8 but over the safe limit of 6/,
    );
    expect(result.live).toBe(2);
  });

  it.each([
    [1, 2, 'ok'],
    [2, 4, 'ok'],
    [3, 6, 'ok'],
    [4, 8, 'warn'],
  ] as const)(
    "%d camera(s) with seed 002's safe design take %d sessions (its checklist)",
    (count, total, verdict) => {
      const plan = seed002Plan('safe-8');
      const result = checkBudget({ ...plan, cameras: plan.cameras.slice(0, count) }, SEED_002_LIMITS, null);
      expect(result.total).toBe(total);
      expect(result.verdict).toBe(verdict);
    },
  );

  it('counts a hardware mixer output and suggests a software one', () => {
    const plan: BudgetPlan = {
      cameras: ['a', 'b', 'c', 'd'].map((name) => ({
        name,
        recordingEncoder: presetEncoder('h264-hw'),
        previewEncoder: null,
        mixerDecoder: true,
      })),
      mixerOutput: presetEncoder('h264-hw'),
    };
    const result = checkBudget(plan, SEED_002_LIMITS, null);
    expect([result.mixer, result.total, result.verdict]).toEqual([1, 9, 'refuse']);
    expect(result.message).toMatch(/software mixer output encoder \(x264enc\)/);
  });

  it('says ok within the safe limit', () => {
    const result = checkBudget({ cameras: [], mixerOutput: null }, SEED_002_LIMITS, 0);
    expect([result.total, result.verdict]).toEqual([0, 'ok']);
    expect(result.message).toMatch(/within the safe limit of 6/);
  });

  it('refuses limits that make no sense', () => {
    expect(() => checkBudget(seed002Plan('safe-8'), { safe: 8, practical: 6 }, null)).toThrow(ContractError);
    expect(() => checkBudget(seed002Plan('safe-8'), { safe: 0, practical: 6 }, null)).toThrow(
      /1 ≤ safe ≤ practical/,
    );
  });
});

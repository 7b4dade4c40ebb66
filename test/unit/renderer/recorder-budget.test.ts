import { describe, expect, it } from 'vitest';
import type { BudgetResult, CpuBudget } from '../../../src-main/contract/index.js';
import {
  budgetGeometry,
  budgetSentence,
  budgetZone,
  cpuGeometry,
  cpuSentence,
  markAlign,
} from '../../../src-renderer/recorder/budget-geometry.js';

function budget(perCamera: number[], mixer = 0, live: number | null = null): BudgetResult {
  const total = perCamera.reduce((a, b) => a + b, 0) + mixer;
  return {
    perCamera: perCamera.map((sessions, i) => ({
      name: `cam${i}`,
      sessions,
      parts: Array.from({ length: sessions }, () => 'recording mpph264enc'),
    })),
    mixer,
    total,
    safe: 6,
    practical: 8,
    verdict: total <= 6 ? 'ok' : total <= 8 ? 'warn' : 'refuse',
    message: '',
    live,
  };
}

describe('VPU budget bar', () => {
  it('names the zone against the safe and practical limits (seed 002: 6 and 8)', () => {
    expect(budgetZone(4, 6, 8)).toBe('safe');
    expect(budgetZone(6, 6, 8)).toBe('safe');
    expect(budgetZone(7, 6, 8)).toBe('practical');
    expect(budgetZone(8, 6, 8)).toBe('practical');
    expect(budgetZone(12, 6, 8)).toBe('over');
    expect(budgetSentence(4, 6, 8)).toBe('4 of 8 VPU sessions, within the safe limit (6)');
    expect(budgetSentence(8, 6, 8)).toBe(
      '8 of 8 VPU sessions, past the safe limit, within the practical limit (6–8)',
    );
    expect(budgetSentence(12, 6, 8)).toBe('12 of 8 VPU sessions, over the practical limit (8)');
  });

  it('lays four one-session cameras side by side on a scale with room past the practical limit', () => {
    const geo = budgetGeometry(budget([1, 1, 1, 1]));
    expect(geo.scale).toBe(10);
    expect(geo.segments.map((s) => [s.name, s.startPct, s.widthPct])).toEqual([
      ['cam0', 0, 10],
      ['cam1', 10, 10],
      ['cam2', 20, 10],
      ['cam3', 30, 10],
    ]);
    expect(geo.safe.pct).toBe(60);
    expect(geo.practical.pct).toBe(80);
    expect(geo.ticks).toHaveLength(9);
    expect(geo.zone).toBe('safe');
    expect(geo.live).toBeNull();
  });

  it("stretches the scale to the seed's unsafe plan and colours each segment by where it ends", () => {
    // Seed 002's unsafe configuration: three sessions per camera, twelve in all.
    const geo = budgetGeometry(budget([3, 3, 3, 3]));
    expect(geo.scale).toBe(12);
    expect(geo.segments.map((s) => s.zone)).toEqual(['safe', 'safe', 'over', 'over']);
    const last = geo.segments.at(-1);
    expect((last?.startPct ?? 0) + (last?.widthPct ?? 0)).toBeCloseTo(100);
    expect(geo.zone).toBe('over');
  });

  it('skips cameras with no hardware element, adds the mixer, and marks the live count', () => {
    const geo = budgetGeometry(budget([1, 0, 2], 1, 3), 5);
    expect(geo.segments.map((s) => s.name)).toEqual(['cam0', 'cam2', 'mixer']);
    expect(geo.segments[2]).toMatchObject({ startPct: 30, widthPct: 10, zone: 'safe' });
    // The monitor's reading wins over the one in the result.
    expect(geo.live).toEqual({ label: 'now', value: 5, pct: 50, align: 'center' });
    expect(budgetGeometry(budget([1]), null).live).toBeNull();
    expect(budgetGeometry(budget([1], 0, 2)).live?.value).toBe(2);
  });

  it('keeps a live count beyond the plan on the bar, its label inside the bar at either end', () => {
    const geo = budgetGeometry(budget([1]), 14);
    expect(geo.scale).toBe(14);
    expect(geo.live).toMatchObject({ pct: 100, align: 'end' });
    // No session open: the mark sits at the left end and its label runs right, not half outside the bar.
    expect(budgetGeometry(budget([1]), 0).live).toMatchObject({ pct: 0, align: 'start' });
    expect([markAlign(5), markAlign(50), markAlign(95)]).toEqual(['start', 'center', 'end']);
  });
});

function cpu(over: Partial<CpuBudget> = {}): CpuBudget {
  return {
    perCamera: [0, 1, 2, 3].map((i) => ({
      name: `cam${i}`,
      low: 30,
      high: 40,
      parts: ['recording x264enc 30–40 %'],
    })),
    mixer: null,
    others: { low: 6, high: 6, source: 'measured', detail: '6 % for the rest of the board' },
    low: 126,
    high: 166,
    safe: 70,
    practical: 85,
    verdict: 'refuse',
    message: '',
    unknown: [],
    now: 20,
    ...over,
  };
}

describe('CPU budget bar', () => {
  it('lays the rest of the board, each camera’s low figure and the span up to the high one along the bar', () => {
    const geo = cpuGeometry(cpu());
    expect(geo.scale).toBe(170);
    expect(geo.segments.map((s) => [s.name, s.kind, s.zone])).toEqual([
      ['rest', 'rest', 'safe'],
      ['cam0', 'plan', 'safe'],
      ['cam1', 'plan', 'safe'],
      ['cam2', 'plan', 'over'],
      ['cam3', 'plan', 'over'],
      ['range', 'range', 'over'],
    ]);
    const last = geo.segments.at(-1);
    expect(last?.label).toBe('up to 166 %');
    expect((last?.startPct ?? 0) + (last?.widthPct ?? 0)).toBeCloseTo((166 / 170) * 100);
    expect(geo.segments[1]?.title).toBe('cam0: 30–40 % (recording x264enc 30–40 %)');
    expect(geo.ticks).toHaveLength(16);
    expect(geo.live).toMatchObject({ value: 20, align: 'start' });
    expect(geo.zone).toBe('over');
  });

  it('keeps room past the practical limit and the limit labels apart, each running away from the other', () => {
    const geo = cpuGeometry(
      cpu({ perCamera: [], low: 14, high: 26, verdict: 'ok', others: { ...cpu().others, low: 6, high: 6 } }),
    );
    expect(geo.scale).toBe(130);
    expect(geo.safe).toMatchObject({ value: 70, align: 'end' });
    expect(geo.practical).toMatchObject({ value: 85, align: 'start' });
    expect(geo.practical.pct).toBeLessThan(70);
    expect(geo.zone).toBe('safe');
    expect(cpuGeometry(cpu({ now: null })).live).toBeNull();
  });

  it('says the bar in words, by the verdict', () => {
    expect(cpuSentence(cpu())).toBe("126–166 % of the board's CPU, over the practical limit (85 %)");
    expect(cpuSentence(cpu({ low: 68, high: 98, verdict: 'warn' }))).toBe(
      "68–98 % of the board's CPU, past the safe limit (70 %) at the high figure",
    );
    expect(cpuSentence(cpu({ low: 20, high: 20, verdict: 'ok' }))).toBe(
      "20 % of the board's CPU, within the safe limit (70 %)",
    );
  });
});

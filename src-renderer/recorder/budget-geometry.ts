/**
 * Where things sit on the VPU budget bar: one segment per camera (and the mixer), the safe and practical limits
 * as marks, and the live count. Positions are percentages of the bar's width; the scale leaves room past the
 * practical limit so a plan over it is visibly over, not clipped.
 */
import type { BudgetResult } from '../../src-main/contract/index.js';

export type BudgetZone = 'safe' | 'practical' | 'over';

export interface BarSegment {
  /** Camera name, or `mixer`. */
  name: string;
  sessions: number;
  /** What takes the sessions, e.g. `recording mpph264enc`. */
  parts: readonly string[];
  startPct: number;
  widthPct: number;
  zone: BudgetZone;
}

export interface BarMark {
  label: string;
  value: number;
  pct: number;
}

export interface BudgetGeometry {
  /** Sessions the full width stands for. */
  scale: number;
  segments: BarSegment[];
  safe: BarMark;
  practical: BarMark;
  /** Where the live count is, when known. */
  live: BarMark | null;
  /** One tick per session, as percentages. */
  ticks: number[];
  zone: BudgetZone;
}

/** Within the safe limit, past it but within the practical one, or over the practical one. */
export function budgetZone(total: number, safe: number, practical: number): BudgetZone {
  if (total <= safe) return 'safe';
  if (total <= practical) return 'practical';
  return 'over';
}

export const ZONE_TEXT: Record<BudgetZone, string> = {
  safe: 'within the safe limit',
  practical: 'past the safe limit, within the practical limit',
  over: 'over the practical limit',
};

function pct(value: number, scale: number): number {
  return scale > 0 ? Math.min(100, Math.max(0, (value / scale) * 100)) : 0;
}

/** The bar for a budget; `live` (sessions open now) comes from the monitor when it knows better than the result. */
export function budgetGeometry(
  budget: Pick<BudgetResult, 'perCamera' | 'mixer' | 'total' | 'safe' | 'practical' | 'live'>,
  live: number | null = budget.live,
): BudgetGeometry {
  const { safe, practical } = budget;
  // A quarter past the practical limit, and always room for the plan and the live count.
  const scale = Math.max(Math.ceil(practical * 1.25), practical + 1, budget.total, live ?? 0, 1);
  const segments: BarSegment[] = [];
  let at = 0;
  const add = (name: string, sessions: number, parts: readonly string[]): void => {
    if (sessions <= 0) return;
    const end = at + sessions;
    segments.push({
      name,
      sessions,
      parts,
      startPct: pct(at, scale),
      widthPct: pct(end, scale) - pct(at, scale),
      zone: budgetZone(end, safe, practical),
    });
    at = end;
  };
  for (const cam of budget.perCamera) add(cam.name, cam.sessions, cam.parts);
  add('mixer', budget.mixer, ['mixer output']);
  return {
    scale,
    segments,
    safe: { label: 'safe', value: safe, pct: pct(safe, scale) },
    practical: { label: 'practical', value: practical, pct: pct(practical, scale) },
    live: live === null ? null : { label: 'now', value: live, pct: pct(live, scale) },
    ticks: Array.from({ length: scale - 1 }, (_, i) => pct(i + 1, scale)),
    zone: budgetZone(budget.total, safe, practical),
  };
}

/** `4 of 8 VPU sessions, within the safe limit (6)`: the bar in words. */
export function budgetSentence(total: number, safe: number, practical: number): string {
  const zone = budgetZone(total, safe, practical);
  const limit =
    zone === 'safe' ? ` (${safe})` : zone === 'over' ? ` (${practical})` : ` (${safe}–${practical})`;
  return `${total} of ${practical} VPU sessions, ${ZONE_TEXT[zone]}${limit}`;
}

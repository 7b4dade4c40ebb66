/**
 * Where things sit on the budget bars: one segment per camera (and the mixer), the safe and practical limits as
 * marks, and the reading now. The VPU bar counts sessions; the CPU bar percent of the board, where each camera's
 * segment is its low figure and one hatched segment spans up to the high figure. Positions are percentages of the
 * bar's width; the scale leaves room past the practical limit so a plan over it is visibly over, not clipped, and
 * every label is aligned so it stays inside the bar.
 */
import type { BudgetResult, CpuBudget } from '../../src-main/contract/index.js';

export type BudgetZone = 'safe' | 'practical' | 'over';

export interface BarSegment {
  /** Camera name, `mixer`, `rest` (the rest of the board) or `range` (up to the high figure). */
  name: string;
  /** Shown inside the segment when it fits. */
  label: string;
  /** Whether the label fits (about 1.6 % of the bar a character: a narrow bar is ~370 px, a character ~6 px). */
  showLabel: boolean;
  /** On hover: what takes it, e.g. `cam0: 1 (recording mpph264enc)`. */
  title: string;
  /** A camera's or the mixer's part; the rest of the board; the span between the low and high figures. */
  kind: 'plan' | 'rest' | 'range';
  startPct: number;
  widthPct: number;
  zone: BudgetZone;
}

/** Which way a label runs from its mark, so it stays inside the bar near the ends. */
export type MarkAlign = 'start' | 'center' | 'end';

export interface BarMark {
  label: string;
  value: number;
  pct: number;
  align: MarkAlign;
}

export interface BudgetGeometry {
  /** What the full width stands for (sessions, or percent of the board). */
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

/** A label centred on its mark, unless that would push it past an end of the bar. */
export function markAlign(at: number): MarkAlign {
  return at < 12 ? 'start' : at > 88 ? 'end' : 'center';
}

const fits = (label: string, widthPct: number): boolean => widthPct >= label.length * 1.6;

function mark(label: string, value: number, scale: number): BarMark {
  const at = pct(value, scale);
  return { label, value, pct: at, align: markAlign(at) };
}

/** The two limit marks; close together, the safe label runs left of its line and the practical one right. */
function limitMarks(safe: number, practical: number, scale: number): { safe: BarMark; practical: BarMark } {
  const s = mark('safe', safe, scale);
  const p = mark('practical', practical, scale);
  if (p.pct - s.pct < 25) return { safe: { ...s, align: 'end' }, practical: { ...p, align: 'start' } };
  return { safe: s, practical: p };
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
    const widthPct = pct(end, scale) - pct(at, scale);
    segments.push({
      name,
      label: name,
      showLabel: fits(name, widthPct),
      title: `${name}: ${sessions} (${parts.join(', ')})`,
      kind: 'plan',
      startPct: pct(at, scale),
      widthPct,
      zone: budgetZone(end, safe, practical),
    });
    at = end;
  };
  for (const cam of budget.perCamera) add(cam.name, cam.sessions, cam.parts);
  add('mixer', budget.mixer, ['mixer output']);
  return {
    scale,
    segments,
    ...limitMarks(safe, practical, scale),
    live: live === null ? null : mark('now', live, scale),
    ticks: Array.from({ length: scale - 1 }, (_, i) => pct(i + 1, scale)),
    zone: budgetZone(budget.total, safe, practical),
  };
}

/** The CPU bar's zone follows the verdict: refused is over, a warning past the safe limit. */
function cpuZone(cpu: Pick<CpuBudget, 'verdict'>): BudgetZone {
  return cpu.verdict === 'refuse' ? 'over' : cpu.verdict === 'warn' ? 'practical' : 'safe';
}

const whole = (n: number): string => String(Math.round(n));
const span = (low: number, high: number): string =>
  Math.round(low) === Math.round(high) ? `${whole(low)} %` : `${whole(low)}–${whole(high)} %`;

/**
 * The CPU bar: the rest of the board first, then each camera's and the mixer's low figure, then the span up to the
 * high figure, hatched; `now` is the board's reading. Ticks every 10 %.
 */
export function cpuGeometry(cpu: CpuBudget, now: number | null = cpu.now): BudgetGeometry {
  const { safe, practical } = cpu;
  // Half again past the practical limit: the limit labels need room at the right end on a narrow bar.
  const scale = Math.ceil(Math.max(practical * 1.5, cpu.high, now ?? 0, 10) / 10) * 10;
  const segments: BarSegment[] = [];
  let at = 0;
  const add = (name: string, label: string, kind: BarSegment['kind'], width: number, title: string) => {
    if (width <= 0) return;
    const end = at + width;
    const widthPct = pct(end, scale) - pct(at, scale);
    segments.push({
      name,
      label,
      showLabel: fits(label, widthPct),
      title,
      kind,
      startPct: pct(at, scale),
      widthPct,
      zone: kind === 'rest' ? 'safe' : budgetZone(end, safe, practical),
    });
    at = end;
  };
  add('rest', 'rest', 'rest', cpu.others.low, `Rest of the board: ${cpu.others.detail}`);
  for (const cam of cpu.perCamera)
    add(
      cam.name,
      cam.name,
      'plan',
      cam.low,
      `${cam.name}: ${span(cam.low, cam.high)} (${cam.parts.join(', ')})`,
    );
  if (cpu.mixer)
    add('mixer', 'mixer', 'plan', cpu.mixer.low, `mixer output: ${span(cpu.mixer.low, cpu.mixer.high)}`);
  add(
    'range',
    `up to ${whole(cpu.high)} %`,
    'range',
    cpu.high - cpu.low,
    `Up to ${whole(cpu.high)} % at the high figures`,
  );
  return {
    scale,
    segments,
    ...limitMarks(safe, practical, scale),
    live: now === null ? null : mark('now', Math.round(now), scale),
    ticks: Array.from({ length: scale / 10 - 1 }, (_, i) => pct((i + 1) * 10, scale)),
    zone: cpuZone(cpu),
  };
}

/** `126–166 % of the board's CPU, over the practical limit (85 %)`: the CPU bar in words. */
export function cpuSentence(cpu: Pick<CpuBudget, 'low' | 'high' | 'safe' | 'practical' | 'verdict'>): string {
  const where =
    cpu.verdict === 'refuse'
      ? `over the practical limit (${cpu.practical} %)`
      : cpu.verdict === 'warn'
        ? cpu.high > cpu.safe
          ? `past the safe limit (${cpu.safe} %) at the high figure`
          : 'not all of it known'
        : `within the safe limit (${cpu.safe} %)`;
  return `${span(cpu.low, cpu.high)} of the board's CPU, ${where}`;
}

/** `4 of 8 VPU sessions, within the safe limit (6)`: the bar in words. */
export function budgetSentence(total: number, safe: number, practical: number): string {
  const zone = budgetZone(total, safe, practical);
  const limit =
    zone === 'safe' ? ` (${safe})` : zone === 'over' ? ` (${practical})` : ` (${safe}–${practical})`;
  return `${total} of ${practical} VPU sessions, ${ZONE_TEXT[zone]}${limit}`;
}

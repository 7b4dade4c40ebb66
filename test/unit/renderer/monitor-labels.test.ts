/** The Monitor's chart time labels: short enough for their spacing, seconds only when the ticks need them. */
import { describe, expect, it } from 'vitest';
import { TIME_TICK_SPACE, timeTickLabel } from '../../../src-renderer/lib/charts/labels.js';

const at = (h: number, m: number, s: number): number => new Date(2024, 0, 1, h, m, s).getTime() / 1000;

describe('time tick labels', () => {
  it('shows seconds while ticks are less than a minute apart', () => {
    expect(timeTickLabel(at(13, 5, 9), 15)).toBe('13:05:09');
    expect(timeTickLabel(at(0, 0, 30), 30)).toBe('00:00:30');
  });

  it('drops the seconds from a minute apart on', () => {
    expect(timeTickLabel(at(13, 5, 0), 60)).toBe('13:05');
    expect(timeTickLabel(at(23, 55, 0), 300)).toBe('23:55');
  });

  it('uses the 24-hour clock, with no AM/PM to widen a label', () => {
    expect(timeTickLabel(at(1, 22, 0), 30)).toBe('01:22:00');
    expect(timeTickLabel(at(13, 22, 0), 30)).not.toMatch(/AM|PM/);
  });

  it('spaces ticks wider than the widest label at 11 px (about 6.5 px a character) plus a gap', () => {
    const widest = timeTickLabel(at(23, 59, 59), 1).length * 6.5;
    expect(TIME_TICK_SPACE).toBeGreaterThanOrEqual(widest + 24);
  });
});

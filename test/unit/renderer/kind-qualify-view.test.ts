import { describe, expect, it } from 'vitest';
import type { KindQualifyCheck } from '../../../src-main/contract/index.js';
import {
  checkBar,
  cpuPath,
  firstNumber,
  progressOf,
} from '../../../src-renderer/kind-qualify/kind-qualify-view.js';

function check(value: string | null, limit: string): KindQualifyCheck {
  return { id: 'x', title: 'X', state: 'passed', value, limit };
}

describe('checks as bars against their limits', () => {
  it('draws an upper bound (time to first byte) with the value under the limit', () => {
    const bar = checkBar(check('1.20 s', '≤ 3 s'));
    expect(bar?.bound).toBe('max');
    expect(bar?.value).toBeCloseTo(1.2 / 3.75);
    expect(bar?.limit).toBeCloseTo(0.8);
  });

  it('draws a lower bound (speed) and scales to the larger of value and limit', () => {
    const bar = checkBar(check('2.00× (20.0 s of media in 10.0 s)', '≥ 1× real time'));
    expect(bar?.bound).toBe('min');
    expect(bar?.value).toBeCloseTo(0.8);
    expect(bar?.limit).toBeCloseTo(0.4);
  });

  it('reads a CPU figure against its baseline limit', () => {
    const bar = checkBar(check('30.0 %', '≤ 25.7 % (baseline 23.4 % + 10 %)'));
    expect(bar?.value).toBeCloseTo(0.8);
    expect((bar?.limit ?? 1) < (bar?.value ?? 0)).toBe(true);
  });

  it('draws no bar for words, for a pending value or for a limit without a bound', () => {
    expect(checkBar(check('h264 (High)', 'h264'))).toBeNull();
    expect(checkBar(check(null, '≤ 3 s'))).toBeNull();
    expect(checkBar(check('23.4 %', 'baseline recorded now'))).toBeNull();
  });

  it('finds the first number in a figure', () => {
    expect(firstNumber('HTTP 200, 12 bytes')).toBe(200);
    expect(firstNumber('none')).toBeNull();
    expect(firstNumber(null)).toBeNull();
  });
});

describe('progress and the CPU chart', () => {
  it('clamps progress to 0–1 and treats an unknown length as none', () => {
    expect(progressOf(5, 10)).toBe(0.5);
    expect(progressOf(15, 10)).toBe(1);
    expect(progressOf(3, 0)).toBe(0);
  });

  it('draws a line through the samples and lifts the pen over a missing one', () => {
    expect(cpuPath([10, 20, null, 40], 40, 300, 40)).toBe('M0 30 L100 20 M300 0');
    expect(cpuPath([], 40, 300, 40)).toBe('');
  });
});

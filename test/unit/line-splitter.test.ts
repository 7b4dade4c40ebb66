import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src-main/core/ssh/line-splitter.js';

describe('LineSplitter (streamed command output into whole lines)', () => {
  it('holds a partial line and a split UTF-8 character until the rest arrives, and flushes the tail at the end', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((batch) => lines.push(...batch));
    const bytes = Buffer.from('first\nsecond °C\nlast', 'utf8');
    const cut = bytes.indexOf(0xb0); // inside the two bytes of "°"
    splitter.push(bytes.subarray(0, cut));
    expect(lines).toEqual(['first']);
    splitter.push(bytes.subarray(cut));
    expect(lines).toEqual(['first', 'second °C']);
    splitter.end();
    expect(lines).toEqual(['first', 'second °C', 'last']);
  });
});

import { describe, expect, it } from 'vitest';
import { ResumePoint } from '../../../src-main/core/monitor/kernel-follower.js';
import { parseDmesgLine, type RawKernelLine } from '../../../src-main/core/monitor/kernel-parse.js';

function lines(text: string): RawKernelLine[] {
  return text
    .trim()
    .split('\n')
    .map((l) => parseDmesgLine(l))
    .filter((l): l is RawKernelLine => l !== null);
}

describe('ResumePoint (dmesg replays its whole buffer after a reconnect)', () => {
  it('passes only what came after the last line seen, including lines sharing its timestamp', () => {
    const point = new ResumePoint();
    const first = lines(`
<6>[   10.000001] a
<6>[   10.000002] b
<3>[   10.000002] c`);
    for (const l of first) {
      expect(point.isNew(l)).toBe(true);
      point.advance(l);
    }
    const replay = lines(`
<6>[   10.000001] a
<6>[   10.000002] b
<3>[   10.000002] c
<3>[   10.000002] d
<6>[   10.500000] e`);
    const fresh = replay.filter((l) => {
      const isNew = point.isNew(l);
      if (isNew) point.advance(l);
      return isNew;
    });
    expect(fresh.map((l) => l.text)).toEqual(['d', 'e']);
  });

  it('remembers the journal cursor of the last line', () => {
    const point = new ResumePoint();
    point.advance({ usec: 5, priority: 6, text: 'x', cursor: 's=1;i=a' });
    point.advance({ usec: 6, priority: 6, text: 'y', cursor: 's=1;i=b' });
    expect(point.cursor).toBe('s=1;i=b');
  });
});

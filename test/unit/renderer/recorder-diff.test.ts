import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { parseUnifiedDiff, summarize, wordParts } from '../../../src-renderer/lib/diff-lines.js';

const cam = (n: number, bps: number): string =>
  `  cam${n}: { device: /dev/video22, resolution: 640x360, framerate: 30, codec: h264, encoder: { element: mpph264enc, properties: { qp-init: 26, qp-min: 10, qp-max: 51, gop: 30, rc-mode: cbr, bps: ${bps} } } }`;

const before = [
  '# Preke R58 recorder configuration',
  'cameras:',
  cam(0, 8000000),
  cam(1, 8000000),
  'api: { port: 8000 }',
  '',
].join('\n');
const after = [
  '# Preke R58 recorder configuration',
  'cameras:',
  cam(0, 6000000),
  cam(1, 6000000),
  'api: { port: 8000 }',
  '',
].join('\n');

describe('config.yml diff rows', () => {
  it('turns a jsdiff patch into numbered -/+ rows, without the file headers', () => {
    const rows = parseUnifiedDiff(createTwoFilesPatch('config.yml', 'config.yml', before, after));
    const body = rows.filter((r) => r.kind !== 'meta');
    expect(body.map((r) => r.kind)).toEqual([
      'hunk',
      'context',
      'context',
      'del',
      'del',
      'add',
      'add',
      'context',
    ]);
    const dels = body.filter((r) => r.kind === 'del');
    const adds = body.filter((r) => r.kind === 'add');
    expect(dels.map((r) => [r.oldNo, r.newNo])).toEqual([
      [3, null],
      [4, null],
    ]);
    expect(adds.map((r) => [r.oldNo, r.newNo])).toEqual([
      [null, 3],
      [null, 4],
    ]);
    expect(body[1]).toMatchObject({
      kind: 'context',
      text: '# Preke R58 recorder configuration',
      oldNo: 1,
      newNo: 1,
    });
    expect(summarize(rows)).toEqual({ added: 2, removed: 2 });
    // The headers are kept as meta rows (the view names the file itself).
    expect(rows.filter((r) => r.kind === 'meta').map((r) => r.text)).toContain('--- config.yml');
  });

  it('marks only the words that changed in a replaced line', () => {
    const rows = parseUnifiedDiff(createTwoFilesPatch('config.yml', 'config.yml', before, after));
    const del = rows.find((r) => r.kind === 'del');
    const add = rows.find((r) => r.kind === 'add');
    expect(del?.parts?.filter((p) => p.changed).map((p) => p.text)).toEqual(['8000000']);
    expect(add?.parts?.filter((p) => p.changed).map((p) => p.text)).toEqual(['6000000']);
    // The parts put together are the line.
    expect(add?.parts?.map((p) => p.text).join('')).toBe(cam(0, 6000000));
  });

  it('reads a removed line that looks like a header as a removal inside its hunk', () => {
    const diff = ['--- a/x', '+++ b/x', '@@ -1,2 +1,1 @@', '--- not a header', ' kept', ''].join('\n');
    const rows = parseUnifiedDiff(diff);
    expect(rows.map((r) => r.kind)).toEqual(['meta', 'meta', 'hunk', 'del', 'context']);
    expect(rows[3]?.text).toBe('-- not a header');
  });

  it('counts from the hunk header, handles added files and the no-newline note', () => {
    const diff = [
      '@@ -0,0 +1,2 @@',
      '+a',
      '+b',
      '\\ No newline at end of file',
      '@@ -10 +11 @@',
      '-x',
      '+y',
    ].join('\n');
    const rows = parseUnifiedDiff(diff);
    expect(rows.filter((r) => r.kind === 'add').map((r) => r.newNo)).toEqual([1, 2, 11]);
    expect(rows.find((r) => r.kind === 'note')?.text).toBe('No newline at end of file');
    expect(rows.find((r) => r.kind === 'del')?.oldNo).toBe(10);
  });

  it('has no rows for an empty diff, and pairs unequal runs only as far as they go', () => {
    expect(parseUnifiedDiff('')).toEqual([]);
    expect(parseUnifiedDiff('\n')).toEqual([]);
    const rows = parseUnifiedDiff(['@@ -1,2 +1,1 @@', '-one', '-two', '+uno'].join('\n'));
    expect(rows[1]?.parts).toBeDefined();
    expect(rows[2]?.parts).toBeUndefined();
    expect(rows[3]?.parts).toBeDefined();
  });

  it('splits words so an unchanged line reads as one unchanged part', () => {
    const [a, b] = wordParts('same words', 'same words');
    expect(a).toEqual([{ text: 'same words', changed: false }]);
    expect(b).toEqual([{ text: 'same words', changed: false }]);
  });
});

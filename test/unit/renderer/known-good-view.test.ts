import { describe, expect, it } from 'vitest';
import type { KnownGoodCandidate, KnownGoodSwitch } from '../../../src-main/contract/index.js';
import {
  candidateFacts,
  historyLine,
  keptLine,
  orderCandidates,
  shortId,
  stripBars,
  stripSummary,
  switchLabel,
  targetName,
} from '../../../src-renderer/known-good/known-good-view.js';

function cand(over: Partial<KnownGoodCandidate>): KnownGoodCandidate {
  return {
    name: 'previous',
    ref: 'xg2g-gpu-transcoder:previous',
    id: 'abc123def456',
    created: '2026-12-01T10:00:00Z',
    size: '1.2GB',
    current: false,
    keptBySwitch: null,
    ...over,
  };
}

function sw(over: Partial<KnownGoodSwitch>): KnownGoodSwitch {
  return {
    id: 'knowngood-abc123',
    deviceId: 'd1',
    device: 'xg2g-1',
    who: 'ops@host (web)',
    unit: 'image',
    startedAt: '2026-12-06T16:00:00Z',
    endedAt: null,
    outcome: 'running',
    summary: '',
    from: 'xg2g-gpu-transcoder:production',
    fromId: 'sha256:111111111111aaaa',
    target: 'xg2g-gpu-transcoder:previous',
    kept: 'xg2g-gpu-transcoder:tally-keep-knowngood-abc123',
    endedOn: null,
    probationMs: 5000,
    steps: [],
    health: [],
    recheck: [],
    evidence: [],
    following: true,
    ...over,
  };
}

describe('known-good candidates', () => {
  it('names the button after the candidate: back to a backup, forward to what a switch kept', () => {
    expect(switchLabel(cand({}))).toBe('Go back to previous');
    expect(
      switchLabel(cand({ name: 'vms-recorder.before-phase3', ref: '/opt/vms/vms-recorder.before-phase3' })),
    ).toBe('Go back to vms-recorder.before-phase3');
    expect(switchLabel(cand({ name: 'tally-keep-knowngood-abc123', keptBySwitch: 'knowngood-abc123' }))).toBe(
      'Go forward to tally-keep-knowngood-abc123',
    );
  });

  it('lists named backups before the ones switches kept, newest first within each', () => {
    const list = [
      cand({
        name: 'tally-keep-x',
        ref: 'r:tally-keep-x',
        keptBySwitch: 'x',
        created: '2026-12-06T00:00:00Z',
      }),
      cand({ name: 'old', ref: 'r:old', created: '2026-01-01T00:00:00Z' }),
      cand({ name: 'new', ref: 'r:new', created: '2026-06-01T00:00:00Z' }),
      cand({ name: 'undated', ref: 'r:undated', created: null }),
    ];
    expect(orderCandidates(list).map((c) => c.name)).toEqual(['new', 'old', 'undated', 'tally-keep-x']);
  });

  it('puts a candidate’s facts on one line, leaving out what is unknown', () => {
    expect(candidateFacts(cand({ created: null }))).toBe('abc123def456 · 1.2GB');
    expect(candidateFacts(cand({ created: 'not a date', size: null, keptBySwitch: 'knowngood-x1' }))).toBe(
      'abc123def456 · kept by switch knowngood-x1',
    );
    expect(candidateFacts(cand({}), 'en-GB').split(' · ')).toHaveLength(3);
  });

  it('shortens image ids and checksums, and says a dash for none', () => {
    expect(shortId('sha256:0123456789abcdef')).toBe('0123456789ab');
    expect(shortId('fedcba9876543210')).toBe('fedcba987654');
    expect(shortId(null)).toBe('—');
  });

  it('takes the short name of an image reference or a backup path', () => {
    expect(targetName('xg2g-gpu-transcoder:previous')).toBe('previous');
    expect(targetName('/opt/vms/vms-recorder.before-phase3')).toBe('vms-recorder.before-phase3');
    expect(targetName('registry:5000/xg2g:previous')).toBe('previous');
  });
});

describe('the probation strip', () => {
  it('lays readings along the window, each as wide as the time to the next, red where unhealthy', () => {
    const bars = stripBars(
      [
        { atMs: 0, healthy: true, text: 'a' },
        { atMs: 1000, healthy: false, text: 'b' },
        { atMs: 2000, healthy: true, text: 'c' },
      ],
      4000,
      400,
    );
    expect(bars.map((b) => b.x)).toEqual([0, 100, 200]);
    expect(bars.map((b) => b.width)).toEqual([99, 99, 99]);
    expect(bars.map((b) => b.healthy)).toEqual([true, false, true]);
  });

  it('sizes the last bar by the median spacing, not by a long wait before the readings settled', () => {
    const bars = stripBars(
      [
        { atMs: 0, healthy: true, text: '' },
        { atMs: 3000, healthy: true, text: '' },
        { atMs: 4000, healthy: true, text: '' },
        { atMs: 5000, healthy: true, text: '' },
      ],
      10_000,
      1000,
    );
    expect(bars.at(-1)?.width).toBe(99);
  });

  it('grows with a running window instead of filling it from the first reading', () => {
    const bars = stripBars([{ atMs: 0, healthy: true, text: 'first' }], 5000, 500);
    expect(bars[0]?.width).toBe(99);
  });

  it('never draws past its width when a reading comes after the planned window', () => {
    const bars = stripBars([{ atMs: 6000, healthy: true, text: 'late' }], 4000, 400);
    expect(bars[0]?.x).toBe(400);
    expect((bars[0]?.x ?? 0) + (bars[0]?.width ?? 0)).toBeLessThanOrEqual(403);
  });

  it('counts the healthy readings in words', () => {
    expect(stripSummary([])).toBe('No reading yet.');
    expect(
      stripSummary([
        { atMs: 0, healthy: true, text: '' },
        { atMs: 1, healthy: false, text: '' },
      ]),
    ).toBe('1 of 2 readings healthy');
  });
});

describe('a switch in words', () => {
  it('says the outcome and what was kept in the history line', () => {
    expect(historyLine(sw({ outcome: 'healthy' }))).toBe(
      'previous — passed · kept tally-keep-knowngood-abc123',
    );
    expect(historyLine(sw({ outcome: 'reverted', target: 'x:broken' }))).toMatch(
      /^broken — reverted by itself/,
    );
  });

  it('names the kept image as the way forward after a pass, and as kept after going back by itself', () => {
    expect(keptLine(sw({ outcome: 'healthy' }), 'image')).toMatch(
      /image that ran before is kept as xg2g-gpu-transcoder:tally-keep-knowngood-abc123/,
    );
    expect(keptLine(sw({ outcome: 'reverted' }), 'binary')).toMatch(/^Back on what ran before; the binary/);
    expect(keptLine(sw({ kept: null }), 'image')).toBeNull();
    expect(keptLine(sw({ outcome: 'running' }), 'image')).not.toMatch(/going forward/);
  });
});

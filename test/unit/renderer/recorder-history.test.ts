import { describe, expect, it } from 'vitest';
import { historyBadges, type HistoryCommit } from '../../../src-main/contract/index.js';
import { commitTime, detailLines, failureReason } from '../../../src-renderer/recorder/history-view.js';

const base: HistoryCommit = {
  sha: 'a'.repeat(40),
  short: 'aaaaaaa',
  subject: 'Switch to mpph264enc hardware encoder to cut CPU',
  date: '2025-12-19T09:41:52+01:00',
  author: { name: 'Preke R58', email: 'dev@preke.no' },
  encoder: 'mpph264enc bps=8000000 bps-max=16000000',
  encoders: [{ camera: 'cam0', encoder: 'mpph264enc bps=8000000 bps-max=16000000' }],
  configProblem: null,
  configChanged: true,
  diff: '',
  head: false,
  madeBy: 'hand',
  qualifications: [],
  danger: null,
};

describe('history rows', () => {
  it("shows the author's own clock", () => {
    expect(commitTime(base.date)).toBe('2025-12-19 09:41');
    expect(commitTime('yesterday')).toBe('yesterday');
  });

  it('puts a failed qualification reason under the subject and in the details', () => {
    const failed: HistoryCommit = {
      ...base,
      qualifications: [
        {
          schema: 1,
          commit: base.sha,
          encoder: base.encoder ?? '',
          kernel: '5.10.160',
          variant: 'quick',
          date: '2026-12-06T02:30:00.000Z',
          verdict: 'fail',
          reason: 'Test 1: Internal error: Oops',
          evidence: '1 Oops',
        },
      ],
    };
    expect(failureReason(base)).toBeNull();
    expect(failureReason(failed)).toBe('Test 1: Internal error: Oops');
    expect(detailLines(failed, 'config.yml')).toEqual([
      'Qualification failed (quick, 2026-12-06 02:30, kernel 5.10.160): Test 1: Internal error: Oops — 1 Oops',
    ]);
    expect(historyBadges(failed).map((b) => b.label)).toEqual(['failed qualification', 'by hand']);
  });

  it('says when only the pipelines file changed, and lists cameras whose encoders differ', () => {
    const mixed: HistoryCommit = {
      ...base,
      configChanged: false,
      encoders: [
        { camera: 'cam0', encoder: 'x264enc' },
        { camera: 'cam1', encoder: 'mpph265enc' },
      ],
    };
    expect(detailLines(mixed, 'config.yml')).toEqual([
      'config.yml did not change in this commit (only the pipelines file).',
      'cam0: x264enc',
      'cam1: mpph265enc',
    ]);
  });
});

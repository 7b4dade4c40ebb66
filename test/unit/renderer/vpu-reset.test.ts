import { describe, expect, it } from 'vitest';
import type { ResetPlan, ResetStep, VpuReset } from '../../../src-main/contract/index.js';
import {
  HOLD_HINT,
  HOLD_MS,
  IDLE,
  cancel,
  click,
  holdMessage,
  holdProgress,
  isHoldKey,
  press,
  release,
  tick,
  type HoldState,
} from '../../../src-renderer/vpu-reset/hold.js';
import {
  LINK_LOST,
  OUTCOME_LOOK,
  counted,
  durationText,
  mediaDuration,
  planHeadline,
  planRestarts,
  recordingText,
  sessionsText,
  stepRows,
} from '../../../src-renderer/vpu-reset/report-view.js';
import { mergeResets, upsertReset } from '../../../src-renderer/vpu-reset/reports.js';

function step(id: ResetStep['id'], over: Partial<ResetStep> = {}): ResetStep {
  const n = { stop: 1, drain: 2, check: 3, start: 4 }[id];
  return {
    n,
    id,
    title: `step ${id}`,
    state: 'done',
    startedAt: '2026-11-21T16:30:00.000Z',
    durationMs: 1000,
    waitedMs: null,
    lines: [],
    ...over,
  };
}

function reset(id: string, over: Partial<VpuReset> = {}): VpuReset {
  return {
    id,
    deviceId: 'r58',
    device: 'r58-a',
    who: 'producer',
    startedAt: '2026-11-21T16:30:00.000Z',
    endedAt: null,
    outcome: 'running',
    summary: 'Stopping',
    sessionsBefore: 12,
    sessionsAfter: null,
    steps: [],
    recordings: [],
    killed: [],
    cameras: [],
    evidence: [],
    todo: [],
    restarts: [],
    following: true,
    ...over,
  };
}

describe('hold to confirm', () => {
  const held = (since = 0): HoldState => press(IDLE, since, 'pointer');

  it('fires only after the button was held for the whole time', () => {
    let s = held(1000);
    expect(s).toEqual({ kind: 'holding', since: 1000, via: 'pointer' });
    s = tick(s, 1000 + HOLD_MS - 1);
    expect(s.kind).toBe('holding');
    expect(holdProgress(s, 1000 + HOLD_MS / 2)).toBeCloseTo(0.5);
    s = tick(s, 1000 + HOLD_MS);
    expect(s.kind).toBe('done');
    expect(holdProgress(s, 0)).toBe(1);
  });

  it('a plain click or an early release never fires and says to keep holding', () => {
    const early = release(held(0), 120, 'pointer');
    expect(early.kind).toBe('short');
    expect(holdMessage(early)).toBe(HOLD_HINT);
    expect(HOLD_HINT).toBe('Keep holding for 1.5 s to start the reset');
    // The click that follows the pointerup changes nothing.
    expect(click(early)).toBe(early);
    // A click with no pointer before it (a screen reader's activate) only explains.
    expect(click(IDLE).kind).toBe('short');
    expect(holdProgress(early, 500)).toBe(0);
  });

  it('a release after the full time counts even if the timer had not ticked', () => {
    expect(release(held(0), HOLD_MS, 'pointer').kind).toBe('done');
  });

  it('only the pointer or key that started a hold ends it; a second press does not restart it', () => {
    const s = press(IDLE, 0, 'key');
    expect(release(s, 100, 'pointer')).toBe(s);
    expect(press(s, 900, 'pointer')).toBe(s);
    expect(release(s, 100, 'key').kind).toBe('short');
  });

  it('can be held again after letting go early, and a cancelled hold is short', () => {
    const short = release(held(0), 100, 'pointer');
    expect(press(short, 200, 'key')).toEqual({ kind: 'holding', since: 200, via: 'key' });
    expect(cancel(held(0)).kind).toBe('short');
    expect(cancel(IDLE)).toBe(IDLE);
  });

  it('once done it stays done: it fires once', () => {
    const done: HoldState = { kind: 'done' };
    expect(press(done, 0, 'pointer')).toBe(done);
    expect(release(done, 0, 'pointer')).toBe(done);
    expect(tick(done, 99_999)).toBe(done);
    expect(cancel(done)).toBe(done);
  });

  it('is held with Enter or Space', () => {
    expect(isHoldKey('Enter')).toBe(true);
    expect(isHoldKey(' ')).toBe(true);
    expect(isHoldKey('Escape')).toBe(false);
    expect(isHoldKey('a')).toBe(false);
  });

  it('clamps the progress', () => {
    expect(holdProgress(held(100), 50)).toBe(0);
    expect(holdProgress(held(0), HOLD_MS * 3)).toBe(1);
    expect(holdProgress(IDLE, 5)).toBe(0);
  });
});

describe('reset report wording', () => {
  it('writes durations in the unit that reads best, and nothing when unknown', () => {
    expect(durationText(null)).toBe('');
    expect(durationText(undefined)).toBe('');
    expect(durationText(-5)).toBe('');
    expect(durationText(Number.NaN)).toBe('');
    expect(durationText(0)).toBe('0 ms');
    expect(durationText(850)).toBe('850 ms');
    expect(durationText(1000)).toBe('1.0 s');
    expect(durationText(12_345)).toBe('12.3 s');
    expect(durationText(59_999)).toBe('59.9 s');
    expect(durationText(125_000)).toBe('2 min 05 s');
    expect(durationText(3_725_000)).toBe('1 h 02 min');
  });

  it('writes recording lengths as m:ss or h:mm:ss', () => {
    expect(mediaDuration(42.9)).toBe('0:42');
    expect(mediaDuration(3723)).toBe('1:02:03');
    expect(mediaDuration(null)).toBe('—');
  });

  it('shows always the four steps in order, waiting for those not reached yet', () => {
    const rows = stepRows(
      reset('x', {
        steps: [
          step('drain', { state: 'running', durationMs: 4200, waitedMs: 3900, lines: ['12 → 4 sessions'] }),
          step('stop', { durationMs: 2500, waitedMs: 0 }),
        ],
      }),
    );
    expect(rows.map((r) => [r.n, r.id, r.word])).toEqual([
      [1, 'stop', 'done'],
      [2, 'drain', 'running'],
      [3, 'check', 'waiting'],
      [4, 'start', 'waiting'],
    ]);
    expect(rows[0]).toMatchObject({ duration: '2.5 s', waited: '', tone: 'ok', icon: '✓' });
    expect(rows[1]).toMatchObject({
      duration: '4.2 s',
      waited: 'of which 3.9 s waiting on the device',
      lines: ['12 → 4 sessions'],
      tone: 'busy',
    });
    expect(rows[2]).toMatchObject({
      title: 'Check the kernel let go: no sessions left, no panic',
      duration: '',
    });
    expect(stepRows(null)).toHaveLength(4);
  });

  it('names failures and skips in words', () => {
    const rows = stepRows(
      reset('x', { steps: [step('check', { state: 'failed' }), step('start', { state: 'skipped' })] }),
    );
    expect(rows[2]).toMatchObject({ word: 'failed', tone: 'bad' });
    expect(rows[3]).toMatchObject({ word: 'skipped', tone: 'idle' });
  });

  it('has a banner for each outcome and says what a lost link means', () => {
    expect(OUTCOME_LOOK.healthy.banner).toMatch(/^Healthy/);
    expect(OUTCOME_LOOK.reboot_needed.banner).toMatch(/^Reboot needed/);
    expect(OUTCOME_LOOK.failed.tone).toBe('bad');
    expect(LINK_LOST).toBe(
      'Link to the device lost — the reset continues on the device; Tally reattaches when the link is back.',
    );
  });

  it('writes sessions, recordings and counts', () => {
    expect(sessionsText(12, 4)).toBe('12 → 4');
    expect(sessionsText(null, 0)).toBe('— → 0');
    expect(recordingText({ file: 'cam0.mp4', state: 'finalised', durationS: 754.2, detail: '' })).toBe(
      'finalised, 12:34 long',
    );
    expect(
      recordingText({ file: 'cam1.mp4', state: 'damaged', durationS: null, detail: 'moov atom not found' }),
    ).toBe('damaged: moov atom not found');
    expect(counted(0, 'recording')).toBe('no recordings');
    expect(counted(1, 'recording')).toBe('1 recording');
    expect(counted(3, 'VPU session')).toBe('3 VPU sessions');
  });

  it('sums the plan up in one sentence', () => {
    const plan: ResetPlan = {
      deviceId: 'r58',
      device: 'r58-a',
      sessions: 12,
      recordings: [{ camera: 'cam0', file: '/data/cam0.mp4' }],
      pipelines: [],
      units: ['preke-recorder'],
      cameras: ['cam0', 'cam1'],
      running: null,
      lease: null,
      blocked: null,
    };
    expect(planHeadline(plan)).toBe(
      'r58-a has 12 VPU sessions open now, 1 recording running and no pipelines started from this console.',
    );
    expect(planHeadline({ ...plan, sessions: null })).toContain('an unknown number of VPU sessions');
  });

  it('says which of the console’s jobs come back after a healthy reset, and with what', () => {
    const plan: ResetPlan = {
      deviceId: 'r58',
      device: 'r58-a',
      sessions: 8,
      recordings: [],
      pipelines: [
        { jobId: 'j1', label: 'gst-launch-1.0 videotestsrc ! fakesink', restart: null },
        {
          jobId: 'mixer-1',
          label: 'the scene mixer (4 input(s) → program)',
          restart: 'starts again with scene “2×2” once the reset has ended healthy',
        },
      ],
      units: ['preke-recorder'],
      cameras: ['cam0'],
      running: null,
      lease: null,
      blocked: null,
    };
    expect(planRestarts(plan)).toEqual([
      'The scene mixer (4 input(s) → program) stops with EOS and starts again with scene “2×2” once the reset has ended healthy.',
    ]);
    expect(planRestarts({ ...plan, pipelines: [] })).toEqual([]);
  });
});

describe('reset lists', () => {
  it('keeps one entry per id, newest first', () => {
    const a = reset('vpu-reset-a', { startedAt: '2026-11-21T10:00:00.000Z', outcome: 'healthy' });
    const b = reset('vpu-reset-b', { startedAt: '2026-11-21T12:00:00.000Z' });
    const list = mergeResets([], [a, b]);
    expect(list.map((r) => r.id)).toEqual(['vpu-reset-b', 'vpu-reset-a']);
    const moved = upsertReset(list, { ...b, steps: [step('stop')] });
    expect(moved.map((r) => r.id)).toEqual(['vpu-reset-b', 'vpu-reset-a']);
    expect(moved[0]?.steps).toHaveLength(1);
  });

  it('a late event never takes a reset backwards', () => {
    const live = reset('vpu-reset-b', { steps: [step('stop'), step('drain', { state: 'running' })] });
    const older = reset('vpu-reset-b', { steps: [step('stop', { state: 'running' })] });
    expect(upsertReset([live], older)[0]).toBe(live);
    const ended = { ...live, outcome: 'healthy' as const };
    expect(upsertReset([ended], live)[0]).toBe(ended);
    expect(upsertReset([live], ended)[0]).toBe(ended);
  });

  it('takes news of the same progress, like a lost or regained link', () => {
    const live = reset('vpu-reset-b', { steps: [step('stop')] });
    const lost = { ...live, following: false };
    expect(upsertReset([live], lost)[0]?.following).toBe(false);
  });
});

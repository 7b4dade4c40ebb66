/** The Mixer's words: box names, the mixer's status, take outcomes, the preflight line, the video of a box. */
import { describe, expect, it } from 'vitest';
import type {
  BudgetResult,
  MixerPreflight,
  PreviewSource,
  TakeResult,
} from '../../../src-main/contract/index.js';
import {
  boxLabel,
  inputView,
  joinNames,
  pct,
  preflightView,
  statusView,
  takeErrorView,
  takeView,
} from '../../../src-renderer/mixer/format.js';
import { cameraNames, videoLookup } from '../../../src-renderer/mixer/video.js';
import { mixerState } from './mixer-fixtures.js';

const budget = (over: Partial<BudgetResult> = {}): BudgetResult => ({
  perCamera: [],
  mixer: 4,
  total: 9,
  safe: 6,
  practical: 8,
  verdict: 'refuse',
  message: '4 inputs + 4 recording encoders + 1 other = 9 sessions: over the practical limit of 8.',
  live: 5,
  ...over,
});

const take = (over: Partial<TakeResult>): TakeResult => ({
  outcome: 'applied',
  seq: 17,
  message: '',
  budget: null,
  state: null,
  ...over,
});

describe('box names', () => {
  it('say the camera, the place and the size in % of the frame', () => {
    expect(boxLabel({ camera: 'cam1', x: 0.5, y: 0, w: 0.5, h: 0.5, locked: false })).toBe(
      'cam1 box, x 50 %, y 0 %, 50 % × 50 %',
    );
    expect(boxLabel({ camera: 'cam0', x: 0.67, y: 0.65, w: 0.28, h: 0.28, locked: true })).toBe(
      'cam0 box, x 67 %, y 65 %, 28 % × 28 %, locked',
    );
  });

  it('percentages have at most one decimal', () => {
    expect(pct(1 / 3)).toBe('33.3 %');
    expect(pct(0.125)).toBe('12.5 %');
  });

  it('names are joined in words', () => {
    expect(joinNames(['cam1'])).toBe('cam1');
    expect(joinNames(['cam1', 'cam2', 'cam3'])).toBe('cam1, cam2 and cam3');
  });
});

describe('the mixer status', () => {
  it('is a word, a tone and why', () => {
    expect(statusView(mixerState())).toMatchObject({ word: 'Running', tone: 'ok' });
    expect(statusView(mixerState({ status: 'failed', detail: 'compositor: not negotiated' }))).toEqual({
      word: 'Failed',
      tone: 'bad',
      detail: 'compositor: not negotiated.',
    });
    expect(statusView(mixerState({ status: 'off', detail: '' }))).toMatchObject({
      word: 'Off',
      tone: 'idle',
    });
    expect(statusView(undefined).word).toBe('Not read yet');
  });

  it('says when frames stop while the pipeline still runs', () => {
    const v = statusView(mixerState({ health: { flowing: false, outFps: 0, problem: 'no output for 2 s' } }));
    expect(v).toEqual({ word: 'Running, no frames', tone: 'warn', detail: 'no output for 2 s.' });
  });

  it('an unknown state says why it may be unknown', () => {
    expect(statusView(mixerState({ status: 'unknown', detail: '' })).detail).toMatch(
      /link to the device is down/,
    );
  });
});

describe('take outcomes', () => {
  it('applied names what is on Program', () => {
    const state = mixerState({
      program: { sceneId: 'grid', name: '2×2', boxes: [], seq: 17, appliedAt: null },
    });
    expect(takeView(take({ state }))).toEqual({ text: 'Take 17 applied: 2×2 is on Program.', tone: 'ok' });
  });

  it("uses the device's message when there is one", () => {
    expect(takeView(take({ outcome: 'expired', message: 'Dropped on the device after 1000 ms' })).text).toBe(
      'Take 17 expired: Dropped on the device after 1000 ms.',
    );
  });

  it('a budget refusal carries the budget sentence', () => {
    const v = takeView(take({ outcome: 'refused_budget', message: 'Program unchanged', budget: budget() }));
    expect(v.tone).toBe('bad');
    expect(v.text).toBe(
      'Take 17 refused: Program unchanged. 4 inputs + 4 recording encoders + 1 other = 9 sessions: over the practical limit of 8.',
    );
  });

  it('does not say the budget sentence twice', () => {
    const b = budget();
    const v = takeView(
      take({ outcome: 'refused_budget', message: `${b.message} Program unchanged.`, budget: b }),
    );
    expect(v.text.split('9 sessions')).toHaveLength(2);
  });

  it('explains each outcome when the device says nothing', () => {
    expect(takeView(take({ outcome: 'duplicate' })).text).toBe(
      'Take 17 duplicate: The device had applied this take already.',
    );
    expect(takeView(take({ outcome: 'not_confirmed' })).text).toMatch(
      /^Take 17 not confirmed: Sent, but no answer/,
    );
    expect(takeView(take({ outcome: 'expired' })).text).toMatch(/never applied late/);
    expect(takeView(take({ outcome: 'refused_inputs' })).tone).toBe('bad');
  });

  it('a take the core refused before sending', () => {
    expect(takeErrorView('The link is too slow for takes')).toEqual({
      text: 'Take not sent: The link is too slow for takes.',
      tone: 'bad',
    });
  });
});

describe('the preflight line', () => {
  const preflight = (over: Partial<MixerPreflight>): MixerPreflight => ({
    budget: budget({ verdict: 'ok' }),
    sentence: '2 inputs + 4 recording encoders = 6 sessions: within the safe limit',
    softwareFallback: [],
    ...over,
  });

  it('within the limits: the sentence alone', () => {
    expect(preflightView(preflight({}))).toEqual({
      tone: 'ok',
      text: '2 inputs + 4 recording encoders = 6 sessions: within the safe limit.',
      fallback: null,
    });
  });

  it('a warning above the safe limit', () => {
    const v = preflightView(
      preflight({
        budget: budget({ verdict: 'warn' }),
        sentence: '4 inputs + 4 recording encoders = 8 sessions: at the practical limit',
      }),
    );
    expect(v).toMatchObject({
      tone: 'warn',
      text: 'Warning: 4 inputs + 4 recording encoders = 8 sessions: at the practical limit.',
    });
  });

  it("a refusal, with seed 002's software fallback when offered", () => {
    const v = preflightView(
      preflight({ budget: budget(), sentence: 'over', softwareFallback: ['cam2', 'cam3'] }),
    );
    expect(v.tone).toBe('bad');
    expect(v.text).toBe('Would be refused: over.');
    expect(v.fallback).toBe('Fallback (seed 002): decode cam2 and cam3 in software instead of on the VPU.');
  });
});

describe('the video of a box', () => {
  const source = (over: Partial<PreviewSource>): PreviewSource => ({
    path: 'cam0',
    name: 'cam0',
    online: true,
    codec: 'H264',
    webrtcPlayable: true,
    reason: null,
    whepUrl: '/previews/r58/cam0/whep',
    hlsUrl: '/previews/r58/cam0/hls/index.m3u8',
    readers: 0,
    program: false,
    ...over,
  });

  it("is the camera's WHEP URL", () => {
    expect(videoLookup([source({})])('cam0')).toEqual({ url: '/previews/r58/cam0/whep', unavailable: '' });
  });

  it('or why there is none', () => {
    const lookup = videoLookup([
      source({ path: 'cam1', webrtcPlayable: false, reason: 'H.265: not in WebRTC' }),
    ]);
    expect(lookup('cam1')).toEqual({ url: null, unavailable: 'H.265: not in WebRTC' });
    expect(lookup('cam7')).toEqual({ url: null, unavailable: 'Not on the media server' });
    expect(videoLookup(undefined)('cam0').url).toBeNull();
  });

  it('the program path is not a camera', () => {
    expect(videoLookup([source({ path: 'program', program: true })])('program').url).toBeNull();
  });

  it('camera names come from the paths, the inputs and the scenes, sorted, without the program', () => {
    const names = cameraNames(
      [source({ path: 'cam10' }), source({ path: 'cam2' }), source({ path: 'program', program: true })],
      ['cam1'],
      ['cam2', 'bad/name'],
    );
    expect(names).toEqual(['cam1', 'cam2', 'cam10']);
  });
});

describe('inputView', () => {
  it('says a playing VPU input with its rate, and a stalled software input with its age', () => {
    expect(
      inputView('cam0', { state: 'playing', decoder: 'hw', fps: 29.6, lastFrameAgeMs: 30, error: null }),
    ).toEqual({ text: 'playing · 30 fps · VPU', tone: 'ok', label: 'cam0: playing · 30 fps · VPU' });
    const stalled = inputView('cam3', {
      state: 'stalled',
      decoder: 'sw',
      fps: 0,
      lastFrameAgeMs: 4200,
      error: 'cam3: no frame for 4.2 s',
    });
    expect(stalled.text).toBe('stalled 4 s · software decoding');
    expect(stalled.tone).toBe('warn');
    expect(stalled.label).toContain('(cam3: no frame for 4.2 s)');
  });
});

import { describe, expect, it } from 'vitest';
import { templateScene } from '../../../src-main/contract/index.js';
import { mixerPreflight } from '../../../src-main/core/mixer/preflight.js';
import { parseRecorderConfig } from '../../../src-main/core/media/recorder-config.js';
import { cameraSpecs, configYml } from '../../../src-main/emulator/device/repo/config-yml.js';

const CAMS = ['cam0', 'cam1', 'cam2', 'cam3'];
const hw = parseRecorderConfig(configYml('h264-hw', cameraSpecs(4)));
const sw = parseRecorderConfig(configYml('x264', cameraSpecs(4)));
const limits = { safe: 6, practical: 8 };
const grid = templateScene('grid-2x2', CAMS, 'grid');
const full = templateScene('full', CAMS, 'full');

describe('mixer budget preflight (seed 002)', () => {
  it('4 inputs next to 4 hardware recording encoders is 8 sessions: at the practical limit, a warning', () => {
    const p = mixerPreflight({
      config: hw,
      scenes: [null, grid],
      softwareCameras: [],
      limits,
      live: 4,
      mixerOwn: 0,
    });
    expect(p.sentence).toBe('4 inputs + 4 recording encoders = 8 sessions: at the practical limit.');
    expect(p.budget.verdict).toBe('warn');
    expect(p.softwareFallback).toEqual([]);
  });

  it('counts sessions the plan does not explain, refuses above the practical limit and offers software decoding', () => {
    const p = mixerPreflight({
      config: hw,
      scenes: [full, grid],
      softwareCameras: [],
      limits,
      live: 6,
      mixerOwn: 1,
    });
    expect(p.sentence).toBe(
      '4 inputs + 4 recording encoders + 1 other session = 9 sessions: over the practical limit of 8.',
    );
    expect(p.budget.verdict).toBe('refuse');
    expect(p.softwareFallback).toEqual(['cam3']);
    const fixed = mixerPreflight({
      config: hw,
      scenes: [full, grid],
      softwareCameras: ['cam3'],
      limits,
      live: 6,
      mixerOwn: 1,
    });
    expect(fixed.budget.verdict).toBe('warn');
  });

  it('software recording encoders leave room; the mixer’s own decoders are not counted twice', () => {
    const p = mixerPreflight({
      config: sw,
      scenes: [grid, grid],
      softwareCameras: [],
      limits,
      live: 4,
      mixerOwn: 4,
    });
    expect(p.sentence).toBe('4 inputs + 0 recording encoders = 4 sessions: within the safe limit of 6.');
    expect(p.budget.verdict).toBe('ok');
  });

  it('says so when the live count is unknown', () => {
    const p = mixerPreflight({
      config: hw,
      scenes: [null, full],
      softwareCameras: [],
      limits,
      live: null,
      mixerOwn: 0,
    });
    expect(p.sentence).toMatch(
      /^1 input \+ 4 recording encoders = 5 sessions: within the safe limit of 6 \(.*not known/,
    );
  });
});

/** Tally lights from the device's report, and the mismatch with what this console last sent. */
import { describe, expect, it } from 'vitest';
import { templateBoxes } from '../../../src-main/contract/index.js';
import { isStale, programMismatch, replaces, sameLayout, tallyOf } from '../../../src-renderer/lib/tally.js';
import { mixerState } from './mixer-fixtures.js';

const FRAME = { width: 1920, height: 1080 };
const PIP = templateBoxes('pip', ['cam0', 'cam1']);

describe('tally lights', () => {
  const state = mixerState({ onProgram: ['cam0', 'cam1'], onPreview: ['cam1', 'cam2'] });

  it('red on Program, green on Preview, both, or none', () => {
    expect(tallyOf(state, 'cam0')).toBe('program');
    expect(tallyOf(state, 'cam2')).toBe('preview');
    expect(tallyOf(state, 'cam1')).toBe('both');
    expect(tallyOf(state, 'cam3')).toBeNull();
    expect(tallyOf(undefined, 'cam0')).toBeNull();
  });

  it('are the last known while the state is unknown', () => {
    expect(isStale(mixerState({ status: 'unknown' }))).toBe(true);
    expect(isStale(state)).toBe(false);
  });
});

describe('which reading wins', () => {
  it('a newer reading replaces an older one, never the other way', () => {
    const older = mixerState({ readAt: '2025-01-01T10:00:00.000Z' });
    const newer = mixerState({ readAt: '2025-01-01T10:00:05.000Z' });
    expect(replaces(older, newer)).toBe(true);
    expect(replaces(newer, older)).toBe(false);
    expect(replaces(undefined, older)).toBe(true);
    expect(replaces(newer, mixerState({ readAt: null, status: 'unknown' }))).toBe(true);
  });
});

describe('same layout', () => {
  it('within a pixel and a half, whatever the box order', () => {
    const moved = PIP.map((b) => (b.id === 'box-2' ? { ...b, x: b.x + 1 / 1920 } : b));
    expect(sameLayout(PIP, [...moved].reverse(), FRAME)).toBe(true);
    const far = PIP.map((b) => (b.id === 'box-2' ? { ...b, x: b.x - 10 / 1920 } : b));
    expect(sameLayout(PIP, far, FRAME)).toBe(false);
  });

  it('another camera, crop or stacking is another layout', () => {
    expect(
      sameLayout(
        PIP,
        PIP.map((b) => ({ ...b, camera: b.camera === 'cam0' ? 'cam2' : b.camera })),
        FRAME,
      ),
    ).toBe(false);
    expect(
      sameLayout(
        PIP,
        PIP.map((b) => ({ ...b, crop: { ...b.crop, left: 0.1 } })),
        FRAME,
      ),
    ).toBe(false);
    expect(sameLayout(PIP, PIP.slice(0, 1), FRAME)).toBe(false);
  });
});

describe('the mismatch note', () => {
  const running = (boxes = PIP, name = 'Picture-in-picture') =>
    mixerState({ program: { sceneId: 'pip', name, boxes, seq: 3, appliedAt: null } });

  it('says nothing when the device shows what this console sent', () => {
    expect(programMismatch({ name: 'PiP', boxes: PIP }, running())).toBeNull();
  });

  it('says nothing when this console sent nothing, or the mixer is not running', () => {
    expect(programMismatch(undefined, running())).toBeNull();
    expect(programMismatch({ name: 'PiP', boxes: PIP }, mixerState({ status: 'unknown' }))).toBeNull();
  });

  it('names both when they differ', () => {
    const note = programMismatch(
      { name: 'PiP', boxes: PIP },
      running(templateBoxes('full', ['cam3']), 'cam3 full'),
    );
    expect(note).toMatch(
      /^Mismatch: this console last sent PiP, but the device reports cam3 full on Program/,
    );
  });

  it('when the device reports nothing on Program', () => {
    expect(programMismatch({ name: 'PiP', boxes: PIP }, mixerState())).toMatch(/reports nothing on Program/);
  });
});

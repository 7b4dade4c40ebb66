/** The recorder views' small decisions: forms into contract inputs, errors onto fields, lists kept in order. */
import { presetById } from '../../../src-main/core/media/presets.js';
import { describe, expect, it } from 'vitest';
import type {
  DeviceProbe,
  JournalEntry,
  Operation,
  PipelineJob,
  Preset,
} from '../../../src-main/contract/index.js';
import {
  changeKey,
  emptyChange,
  overrideLabel,
  toConfigChange,
} from '../../../src-renderer/recorder/change-form.js';
import { encoderText, parseKbps, presetEncoder } from '../../../src-renderer/recorder/encoder-text.js';
import { featureOff } from '../../../src-renderer/recorder/features.js';
import { placeFieldErrors } from '../../../src-renderer/recorder/field-errors.js';
import { mergeJournal, priorityLabel } from '../../../src-renderer/recorder/journal.js';
import { mergeOperations, upsertJob, upsertOperation } from '../../../src-renderer/recorder/operations.js';
import {
  TEST_ENCODE_FIELDS,
  test1Form,
  testEncodeRequest,
  typedRequest,
} from '../../../src-renderer/recorder/pipeline-form.js';
import { actionEnabled, unitText, unitTone } from '../../../src-renderer/recorder/service-state.js';

// The core's own catalogue entry, as `presets.list` hands it to the renderer.
const H264_HW: Preset = presetById('h264-hw');

describe('encoder text', () => {
  it("writes the seed's proven encoder as a pipeline element, at the chosen bitrate", () => {
    expect(encoderText(H264_HW.encoder)).toBe(
      'mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000',
    );
    expect(encoderText(presetEncoder(H264_HW, 6000))).toBe(
      'mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=6000000',
    );
    const kbpsPreset: Preset = {
      ...H264_HW,
      encoder: { element: 'x264enc', properties: { bitrate: 4000 } },
      bitrate: { property: 'bitrate', unit: 'kbps', defaultKbps: 4000 },
    };
    expect(encoderText(presetEncoder(kbpsPreset, 2500))).toBe('x264enc bitrate=2500');
  });

  it('reads a typed bitrate, leaving empty as "the default" and nonsense for the core to reject', () => {
    expect(parseKbps('')).toBeUndefined();
    expect(parseKbps('  ')).toBeUndefined();
    expect(parseKbps('6000')).toBe(6000);
    expect(parseKbps('6 000')).toBe(6000);
    expect(parseKbps('6,000')).toBe(6000);
    expect(parseKbps('fast')).toBeNaN();
  });
});

describe('the change form', () => {
  it('sends all cameras, or the chosen ones in the device order', () => {
    const form = emptyChange();
    form.bitrate = '6000';
    expect(toConfigChange('r58', form, ['cam0', 'cam1'])).toEqual({
      deviceId: 'r58',
      cameras: 'all',
      preset: 'h264-hw',
      bitrateKbps: 6000,
    });
    form.allCameras = false;
    form.cameras = ['cam3', 'cam0'];
    expect(toConfigChange('r58', form, ['cam0', 'cam1', 'cam2', 'cam3']).cameras).toEqual(['cam0', 'cam3']);
    // None chosen goes as none: the core says so next to the field.
    form.cameras = [];
    expect(toConfigChange('r58', form, ['cam0']).cameras).toEqual([]);
  });

  it('sends a typed encoder instead of the bitrate, and the override only when set', () => {
    const form = emptyChange();
    form.custom = true;
    form.bitrate = '6000';
    form.encoder = '  mpph264enc bps=8000000 bps-max=16000000 ';
    const change = toConfigChange('r58', form, []);
    expect(change).toEqual({
      deviceId: 'r58',
      cameras: 'all',
      preset: 'h264-hw',
      encoder: 'mpph264enc bps=8000000 bps-max=16000000',
    });
    form.override = true;
    expect(toConfigChange('r58', form, []).overrideDanger).toBe(true);
  });

  it('keys a change by its content, so a preview is matched to the form it was made for', () => {
    const a = toConfigChange('r58', { ...emptyChange(), bitrate: '6000' }, []);
    const b = toConfigChange('r58', { ...emptyChange(), bitrate: '6000' }, ['cam0']);
    const c = toConfigChange('r58', { ...emptyChange(), bitrate: '6001' }, []);
    expect(changeKey(a)).toBe(changeKey(b));
    expect(changeKey(a)).not.toBe(changeKey(c));
    const nan = toConfigChange('r58', { ...emptyChange(), bitrate: 'x' }, []);
    const nan2 = toConfigChange('r58', { ...emptyChange(), bitrate: 'y' }, []);
    expect(changeKey(nan)).toBe(changeKey(nan2));
    expect(changeKey(nan)).not.toBe(changeKey(toConfigChange('r58', emptyChange(), [])));
  });

  it("words the override after the seed's panic", () => {
    expect(
      overrideLabel({ id: 'mpp-panic', reason: 'This config panicked the kernel on Dec 19.', seed: '000' }),
    ).toBe('Override: I know this config panicked the kernel (seed 000)');
    expect(
      overrideLabel({ id: 'x', reason: 'Too many sessions.', seed: 'seeds/002_18636eabfc133628.txt' }),
    ).toBe('Override: I know this config is dangerous (seed 002)');
  });
});

describe('field errors', () => {
  it("puts the core's messages on the fields that show them, the rest in words", () => {
    const { placed, other } = placeFieldErrors(
      {
        bitrateKbps: 'At least 100 kbit/s.',
        'cameras.1': 'Camera names are letters.',
        deviceId: 'Too long.',
        _: 'Bad.',
      },
      { cameras: ['cameras'], bitrate: ['bitrateKbps'], encoder: ['encoder'] },
    );
    expect(placed).toEqual({ bitrate: 'At least 100 kbit/s.', cameras: 'Camera names are letters.' });
    expect(other).toEqual(['deviceId: Too long.', 'Bad.']);
  });

  it('gives a path to the field with the longest matching prefix', () => {
    const { placed } = placeFieldErrors(
      {
        'pipeline.width': 'At most 7680.',
        'pipeline.encoder.element': 'Unknown element.',
        'pipeline.kind': 'Bad kind.',
      },
      TEST_ENCODE_FIELDS,
    );
    expect(placed).toEqual({ width: 'At most 7680.', encoder: 'Unknown element.' });
    expect(placeFieldErrors({ pipeline: 'Refused.' }, TEST_ENCODE_FIELDS).placed).toEqual({
      encoder: 'Refused.',
    });
  });
});

describe('pipeline requests', () => {
  it("builds seed 001's Test 1 with the preset's encoder", () => {
    const built = testEncodeRequest('r58', test1Form(), H264_HW);
    expect(built).toEqual({
      request: {
        deviceId: 'r58',
        pipeline: {
          kind: 'test-encode',
          encoder: H264_HW.encoder,
          width: 1920,
          height: 1080,
          framerate: 30,
          buffers: 300,
        },
      },
    });
  });

  it('names each field that is not a whole number, and leaves ranges to the core', () => {
    const built = testEncodeRequest('r58', { ...test1Form(), width: '19.2', buffers: '' }, H264_HW);
    expect(built).toEqual({
      errors: {
        width: 'The width is a whole number of pixels, for example 1920.',
        buffers: 'Buffers is a whole number of frames to encode, for example 300 (0 runs until stopped).',
      },
    });
    expect('request' in testEncodeRequest('r58', { ...test1Form(), width: '99999' }, H264_HW)).toBe(true);
    expect(typedRequest('r58', '  videotestsrc ! fakesink \n')).toEqual({
      deviceId: 'r58',
      pipeline: { kind: 'typed', text: 'videotestsrc ! fakesink' },
    });
  });
});

describe('journal', () => {
  const e = (at: number, message: string, priority = 6): JournalEntry => ({ at, priority, message });

  it('appends only what is new, even when a batch overlaps what is kept', () => {
    const kept = [e(1, 'a'), e(2, 'b'), e(2, 'c')];
    const merged = mergeJournal(kept, [e(1, 'a'), e(2, 'c'), e(2, 'd'), e(3, 'e')]);
    expect(merged.map((x) => x.message)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(mergeJournal([], [e(5, 'x'), e(5, 'x')]).map((x) => x.message)).toEqual(['x']);
  });

  it('keeps the newest entries within the capacity', () => {
    const merged = mergeJournal([e(1, 'a')], [e(2, 'b'), e(3, 'c')], 2);
    expect(merged.map((x) => x.message)).toEqual(['b', 'c']);
    expect(priorityLabel(3)).toBe('ERR');
    expect(priorityLabel(42)).toBe('INFO');
  });
});

describe('operations and jobs', () => {
  const op = (id: string, startedAt: string, state: Operation['state'], done: number): Operation => ({
    id,
    deviceId: 'r58',
    kind: 'config.apply',
    title: 'Apply',
    state,
    summary: '',
    steps: ['write', 'commit', 'restart', 'watch'].map((name, i) => ({
      name,
      state: i < done ? 'done' : i === done && state === 'running' ? 'running' : 'pending',
      detail: '',
    })),
    evidence: [],
    commit: null,
    previousCommit: null,
    refs: [],
    startedAt,
    endedAt: null,
    following: true,
  });

  it('lists operations newest first and never lets an older event undo progress', () => {
    let list = upsertOperation([], op('a', '2025-12-22T10:00:00Z', 'succeeded', 4));
    list = upsertOperation(list, op('b', '2025-12-22T11:00:00Z', 'running', 1));
    expect(list.map((o) => o.id)).toEqual(['b', 'a']);
    list = upsertOperation(list, op('b', '2025-12-22T11:00:00Z', 'running', 2));
    list = upsertOperation(list, op('b', '2025-12-22T11:00:00Z', 'running', 1));
    expect(list[0]?.steps.filter((s) => s.state === 'done')).toHaveLength(2);
    // A list answer that arrives after the events does not set the operation back either.
    list = mergeOperations(list, [
      op('b', '2025-12-22T11:00:00Z', 'running', 0),
      op('c', '2025-12-21T09:00:00Z', 'failed', 2),
    ]);
    expect(list.map((o) => o.id)).toEqual(['b', 'a', 'c']);
    expect(list[0]?.steps.filter((s) => s.state === 'done')).toHaveLength(2);
  });

  it('keeps an ended job ended', () => {
    const job = (state: PipelineJob['state'], output: string): PipelineJob => ({
      id: 'j1',
      deviceId: 'r58',
      command: 'gst-launch-1.0 …',
      state,
      exitCode: state === 'running' ? null : 0,
      startedAt: '2025-12-22T10:00:00Z',
      vpuSessions: 1,
      expectedSessions: 1,
      output,
    });
    let list = upsertJob([], job('running', 'a'));
    list = upsertJob(list, job('exited', 'ab'));
    list = upsertJob(list, job('running', 'a'));
    expect(list).toHaveLength(1);
    expect(list[0]?.state).toBe('exited');
    expect(list[0]?.output).toBe('ab');
  });
});

describe('recorder service and features', () => {
  it('words the unit state and offers only the controls that make sense', () => {
    expect(unitText({ activeState: 'active', subState: 'running' })).toBe('active (running)');
    expect(unitText({ activeState: 'failed', subState: 'failed' })).toBe('failed');
    expect(unitTone('failed')).toBe('bad');
    expect(unitTone('deactivating')).toBe('busy');
    expect(actionEnabled('start', 'active')).toBe(false);
    expect(actionEnabled('stop', 'active')).toBe(true);
    expect(actionEnabled('start', 'failed')).toBe(true);
    expect(actionEnabled('stop', 'inactive')).toBe(false);
    expect(actionEnabled('restart', 'inactive')).toBe(true);
    expect(actionEnabled('restart', undefined)).toBe(false);
  });

  it("gives the probe's reason for a feature that is off", () => {
    const probe = {
      features: [
        { id: 'recorder', available: true, reason: null },
        { id: 'vpu', available: false, reason: 'No VPU session file is readable.' },
        { id: 'recordings', available: false, reason: null },
      ],
    } as unknown as DeviceProbe;
    expect(featureOff(probe, 'recorder')).toBeNull();
    expect(featureOff(probe, 'vpu')).toBe('No VPU session file is readable.');
    expect(featureOff(probe, 'recordings')).toBe('Recordings is not available on this device.');
    expect(featureOff(undefined, 'vpu')).toBeNull();
  });
});

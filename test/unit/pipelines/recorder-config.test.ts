import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../src-main/contract/index.js';
import { encoderToText, parseEncoderText } from '../../../src-main/core/media/encoder-text.js';
import { presetEncoder } from '../../../src-main/core/media/presets.js';
import {
  changeEncoders,
  configDiff,
  parseRecorderConfig,
  planFromConfig,
} from '../../../src-main/core/media/recorder-config.js';
import { checkBudget, SEED_002_LIMITS } from '../../../src-main/core/media/vpu-budget.js';
import {
  cameraSpecs,
  configYml,
  encoderFor,
  type EncoderStage,
} from '../../../src-main/emulator/device/repo/config-yml.js';

const STAGES: EncoderStage[] = ['x264', 'mpp-panic', 'h265', 'h264-hw'];

function diffBody(diff: string): string[] {
  return diff.split('\n').filter((l) => /^[-+](?![-+]{2} [ab]\/)/.test(l));
}

describe('parseRecorderConfig', () => {
  it.each(STAGES)("reads the emulator's config.yml at history stage %s", (stage) => {
    const config = parseRecorderConfig(configYml(stage, cameraSpecs(4)));
    const expected = encoderFor(stage);
    expect(config.cameras.map((c) => c.name)).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
    expect(config.cameras[0]).toEqual({
      name: 'cam0',
      device: '/dev/video22',
      resolution: '640x360',
      framerate: 30,
      codec: expected.codec,
      encoder: { element: expected.element, properties: Object.fromEntries(expected.properties) },
    });
    expect(config.recording).toEqual({ dir: '/var/recordings', container: expected.container });
    const budget = checkBudget(planFromConfig(config), SEED_002_LIMITS, null);
    expect(budget.total).toBe(stage === 'x264' ? 0 : 4);
  });

  it.each([
    ['not YAML', 'cameras: [\n', /config\.yml line \d+: it is not valid YAML/],
    ['no cameras', 'recording: { dir: /x, container: mp4 }\n', /cameras must be a mapping/],
    [
      'a camera without a codec',
      'cameras:\n  cam0: { device: /dev/video0 }\n',
      /line 2: cameras\.cam0\.codec is missing/,
    ],
    [
      'a wrong codec',
      'cameras:\n  cam0:\n    device: /dev/video0\n    resolution: 640x360\n    framerate: 30\n    codec: vp8\n',
      /line 6: cameras\.cam0\.codec must be h264 or h265/,
    ],
  ])('names the line when %s', (_name, text, message) => {
    expect(() => parseRecorderConfig(text)).toThrow(ContractError);
    expect(() => parseRecorderConfig(text)).toThrow(message);
  });
});

describe('changeEncoders', () => {
  const before = configYml('mpp-panic', cameraSpecs(4));

  it('switches every camera to the proven encoder; only the camera lines change, comments stay', () => {
    const after = changeEncoders(before, {
      cameras: 'all',
      encoder: presetEncoder('h264-hw'),
      codec: 'h264',
    });
    const expected = configYml('h264-hw', cameraSpecs(4));
    // The emulator's h264-hw stage differs only in its second comment line: that one we keep.
    expect(after).toBe(expected.replace(/^(# .*\n)# .*\n/, `$1${before.split('\n')[1] ?? ''}\n`));
    const changed = diffBody(configDiff(before, after, 'config.yml'));
    expect(changed).toHaveLength(8);
    expect(changed.every((l) => /^[-+] {2}cam\d: /.test(l))).toBe(true);
    expect(after).toContain('# Preke R58 recorder configuration\n# Hardware H.264 (VPU). Cuts CPU');
  });

  it('changes one camera to H.265 and leaves the container while codecs are mixed', () => {
    const after = changeEncoders(before, {
      cameras: ['cam2'],
      encoder: presetEncoder('h265-hw'),
      codec: 'h265',
    });
    const diff = configDiff(before, after, 'config.yml');
    expect(diff.startsWith('--- a/config.yml\n+++ b/config.yml\n')).toBe(true);
    const changed = diffBody(diff);
    expect(changed).toHaveLength(2);
    expect(changed[0]).toMatch(
      /^- {2}cam2: .*codec: h264, encoder: \{ element: mpph264enc, properties: \{ bps: 8000000, bps-max: 16000000 \} \} \}$/,
    );
    expect(changed[1]).toMatch(
      /^\+ {2}cam2: \{ device: \/dev\/video11, .*codec: h265, encoder: \{ element: mpph265enc, properties: \{ qp-init: 26, qp-min: 10, qp-max: 51, gop: 30, rc-mode: cbr, bps: 8000000 \} \} \}$/,
    );
    const config = parseRecorderConfig(after);
    expect(config.recording.container).toBe('mp4');
    expect(config.cameras.map((c) => c.codec)).toEqual(['h264', 'h264', 'h265', 'h264']);
  });

  it('sets the container when every camera ends up on the same codec', () => {
    const after = changeEncoders(before, {
      cameras: 'all',
      encoder: presetEncoder('h265-hw'),
      codec: 'h265',
    });
    expect(parseRecorderConfig(after).recording.container).toBe('mkv');
    const back = changeEncoders(after, {
      cameras: ['cam0', 'cam1', 'cam2', 'cam3'],
      encoder: parseEncoderText('x264enc tune=zerolatency bitrate=3000'),
      codec: 'h264',
      container: 'mp4',
    });
    const config = parseRecorderConfig(back);
    expect(config.recording.container).toBe('mp4');
    expect(config.cameras.map((c) => encoderToText(c.encoder))).toEqual(
      Array(4).fill('x264enc tune=zerolatency bitrate=3000'),
    );
  });

  it('keeps block style when the file uses it', () => {
    const block = [
      'cameras:',
      '  cam0:',
      '    device: /dev/video0 # HDMI in',
      '    resolution: 1920x1080',
      '    framerate: 30',
      '    codec: h264',
      '    encoder:',
      '      element: x264enc',
      '      properties:',
      '        bitrate: 4000',
      'recording:',
      '  dir: /var/recordings',
      '  container: mp4',
      '',
    ].join('\n');
    const after = changeEncoders(block, {
      cameras: ['cam0'],
      encoder: presetEncoder('h264-hw'),
      codec: 'h264',
    });
    expect(after).toContain('    device: /dev/video0 # HDMI in\n');
    expect(after).toContain('      element: mpph264enc\n      properties:\n        qp-init: 26\n');
    expect(parseRecorderConfig(after).cameras[0]?.encoder).toEqual(presetEncoder('h264-hw'));
  });

  it('makes no change when the encoder is already in place', () => {
    const proven = configYml('h264-hw', cameraSpecs(2));
    const after = changeEncoders(proven, {
      cameras: 'all',
      encoder: presetEncoder('h264-hw'),
      codec: 'h264',
    });
    expect(after).toBe(proven);
    expect(configDiff(proven, after, 'config.yml')).toBe('');
  });

  it('refuses an unknown camera and lists the real ones', () => {
    expect(() =>
      changeEncoders(before, { cameras: ['cam0', 'cam9'], encoder: presetEncoder('h264-hw'), codec: 'h264' }),
    ).toThrow('No camera "cam9" in config.yml: the cameras are cam0, cam1, cam2, cam3.');
  });

  it('refuses a codec that is not what the encoder makes, and an invalid encoder', () => {
    expect(() =>
      changeEncoders(before, { cameras: 'all', encoder: presetEncoder('h265-hw'), codec: 'h264' }),
    ).toThrow(/mpph265enc encodes h265, not h264/);
    expect(() =>
      changeEncoders(before, {
        cameras: 'all',
        encoder: { element: 'mpph264enc', properties: { bps: '8000000 bps-max=1' } },
        codec: 'h264',
      }),
    ).toThrow(/contains a space/);
  });
});

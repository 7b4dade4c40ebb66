import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../src-main/contract/index.js';
import { parseEncoderText } from '../../../src-main/core/media/encoder-text.js';
import {
  buildPipeline,
  parseTypedPipeline,
  pipelineSessions,
  pipelineText,
} from '../../../src-main/core/media/pipeline-builder.js';
import { presetEncoder } from '../../../src-main/core/media/presets.js';
import {
  SEED_001_CAM3_INGEST,
  SEED_001_TEST_1,
  seed002TeePipeline,
  seedTokens,
} from './fixtures/seed-pipelines.js';

function contractError(fn: () => unknown): ContractError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).code).toBe('invalid_input');
    return err as ContractError;
  }
  throw new Error('expected a ContractError');
}

const TEE_ARGS = ['/dev/video0', '/var/recordings/cam0.mkv', 'rtsp://127.0.0.1:8554/cam0_preview'] as const;

describe('buildPipeline against the seeds', () => {
  it("renders seed 001's cam3 ingest pipeline token by token", () => {
    const argv = buildPipeline({
      kind: 'ingest',
      device: '/dev/video22',
      input: { format: 'UYVY', width: 3840, height: 2160, framerate: 30 },
      output: { width: 1920, height: 1080 },
      encoder: presetEncoder('h264-hw'),
      rtspUrl: 'rtsp://127.0.0.1:8554/cam3',
    });
    expect(argv).toEqual(seedTokens(SEED_001_CAM3_INGEST));
    expect(pipelineSessions(argv)).toBe(1);
  });

  it("renders seed 001's Test 1 command", () => {
    const argv = buildPipeline({
      kind: 'test-encode',
      encoder: presetEncoder('h264-hw'),
      width: 1920,
      height: 1080,
      framerate: 30,
      buffers: 300,
    });
    expect(argv).toEqual(seedTokens(SEED_001_TEST_1));
    expect(pipelineText(argv)).toBe(seedTokens(SEED_001_TEST_1).join(' '));
  });

  it("renders seed 002's recording tee (hardware recording, software preview)", () => {
    const argv = buildPipeline({
      kind: 'recording-tee',
      device: TEE_ARGS[0],
      recording: {
        encoder: parseEncoderText('mpph264enc qp-init=20 gop=30 profile=high bps=8000000'),
        mux: 'matroskamux',
        location: TEE_ARGS[1],
      },
      preview: {
        encoder: parseEncoderText('x264enc tune=zerolatency bitrate=2000 speed-preset=superfast'),
        rtspUrl: TEE_ARGS[2],
      },
    });
    expect(argv).toEqual(seedTokens(seed002TeePipeline(...TEE_ARGS)));
    expect(pipelineSessions(argv)).toBe(1);
  });

  it('uses the H.265 caps and parser for mpph265enc', () => {
    const argv = buildPipeline({
      kind: 'test-encode',
      encoder: presetEncoder('h265-hw'),
      width: 1280,
      height: 720,
      framerate: 25,
      buffers: 0,
    });
    expect(argv.slice(0, 3)).toEqual([
      'videotestsrc',
      '!',
      'video/x-raw,width=1280,height=720,framerate=25/1',
    ]);
    expect(argv).toContain('video/x-h265,stream-format=byte-stream');
    expect(argv).toContain('h265parse');
  });

  it('refuses two hardware encoders on one tee (seed 002: never)', () => {
    const err = contractError(() =>
      buildPipeline({
        kind: 'recording-tee',
        device: '/dev/video0',
        recording: { encoder: presetEncoder('h264-hw'), mux: 'mp4mux', location: '/var/recordings/a.mp4' },
        preview: { encoder: presetEncoder('h264-hw'), rtspUrl: 'rtsp://127.0.0.1:8554/a' },
      }),
    );
    expect(err.message).toMatch(/x264enc for the preview/);
  });

  it.each([
    ['a device outside /dev/video*', { device: '/etc/passwd' }, /v4l2src device/],
    ['an RTSP URL with a command', { rtspUrl: 'rtsp://127.0.0.1:8554/$(reboot)' }, /contains a "\$"/],
    ['a non-encoder as the encoder', { encoder: { element: 'h264parse', properties: {} } }, /not an encoder/],
    [
      'an unknown input format',
      { input: { format: 'UYVY,foo=bar', width: 1, height: 1, framerate: 30 } },
      /format/,
    ],
    ['a zero framerate', { input: { format: 'UYVY', width: 640, height: 480, framerate: 0 } }, /framerate/],
  ])('refuses an ingest pipeline with %s', (_name, patch, message) => {
    const err = contractError(() =>
      buildPipeline({
        kind: 'ingest',
        device: '/dev/video0',
        input: { format: 'UYVY', width: 640, height: 480, framerate: 30 },
        output: { width: 640, height: 480 },
        encoder: presetEncoder('h264-sw'),
        rtspUrl: 'rtsp://127.0.0.1:8554/cam0',
        ...patch,
      }),
    );
    expect(err.message).toMatch(message);
  });

  it('refuses a recording path that climbs out with ..', () => {
    const err = contractError(() =>
      buildPipeline({
        kind: 'recording-tee',
        device: '/dev/video0',
        recording: {
          encoder: presetEncoder('h264-hw'),
          mux: 'mp4mux',
          location: '/var/recordings/../../etc/x',
        },
        preview: { encoder: presetEncoder('h264-sw'), rtspUrl: 'rtsp://127.0.0.1:8554/a' },
      }),
    );
    expect(err.message).toMatch(/filesink location/);
  });
});

describe('parseTypedPipeline', () => {
  it.each([
    ["seed 001's cam3 ingest", SEED_001_CAM3_INGEST],
    ["seed 001's Test 1 (gst-launch-1.0 and continuations dropped)", SEED_001_TEST_1],
    ["seed 002's recording tee", seed002TeePipeline(...TEE_ARGS)],
  ])('accepts %s token for token', (_name, text) => {
    expect(parseTypedPipeline(text)).toEqual(seedTokens(text));
  });

  it('counts one VPU session per mpp element', () => {
    const argv = parseTypedPipeline(
      'udpsrc port=5000 ! application/x-rtp,media=video,encoding-name=H264,payload=96 ! rtph264depay ! h264parse ! ' +
        'mppvideodec ! videoconvert ! mpph264enc ! h264parse ! fakesink',
    );
    expect(pipelineSessions(argv)).toBe(2);
  });

  it('normalises values (true/false, numbers)', () => {
    expect(parseTypedPipeline('videotestsrc is-live=true num-buffers=010 ! fakesink sync=false')).toEqual([
      'videotestsrc',
      'is-live=true',
      'num-buffers=10',
      '!',
      'fakesink',
      'sync=false',
    ]);
  });

  it.each([
    [
      'videotestsrc ! filesrc location=/etc/shadow ! fakesink',
      /Token 3 "filesrc"/,
      /Unknown element "filesrc"/,
    ],
    ['videotestsrc ! mpph264encc ! fakesink', /Token 3/, /Did you mean mpph264enc\?/],
    ['videotestsrc ! fakesink; reboot', /Token 3 "fakesink;"/, /contains a ";"/],
    ['videotestsrc ! x264enc bitrate=`reboot` ! fakesink', /Token 4 "bitrate=`reboot`"/, /backtick/],
    ['videotestsrc ! x264enc bitrate=$(reboot) ! fakesink', /Token 4/, /contains a "\$"/],
    ['videotestsrc ! x264enc "bitrate=2000" ! fakesink', /Token 4/, /quote/],
    ['videotestsrc ! x264enc bitrate=-2000 ! fakesink', /Token 4/, /negative/],
    ['videotestsrc ! x264enc bitrate=99999999 ! fakesink', /Token 4/, /out of range/],
    ['videotestsrc ! ! fakesink', /Token 3 "!"/, /needs an element before it/],
    ['videotestsrc ! fakesink !', /ends with "!"/, /./],
    ['videotestsrc ! video/x-raw,width=1920 fakesink', /Token 4 "fakesink"/, /caps must be followed by "!"/],
    ['videotestsrc ! video/x-raw,width=(int)1920 ! fakesink', /Token 3/, /shell operator/],
    ['videotestsrc ! video/x-raw,evil=1 ! fakesink', /Token 3/, /caps field "evil=1"/],
    ['videotestsrc ! t. ! fakesink', /Token 3 "t\."/, /nothing is named "t"/],
    [
      'gst-launch-1.0 --gst-plugin-path=/tmp videotestsrc ! fakesink',
      /Option/,
      /Tally runs gst-launch-1.0 itself/,
    ],
    ['videotestsrc num-buffers=1 num-buffers=2 ! fakesink', /Token 3/, /set twice/],
    ['   ', /empty/, /./],
  ])('refuses %j', (text, where, what) => {
    const err = contractError(() => parseTypedPipeline(text));
    expect(err.message).toMatch(where);
    expect(err.message).toMatch(what);
  });

  it('refuses a newline inside a token boundary trick', () => {
    // A newline splits tokens like any whitespace; the pieces are still validated one by one.
    const err = contractError(() => parseTypedPipeline('videotestsrc ! fakesink\nreboot'));
    expect(err.message).toMatch(/Unknown element "reboot"/);
  });
});

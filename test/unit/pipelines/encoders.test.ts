import { describe, expect, it } from 'vitest';
import { ContractError, Preset } from '../../../src-main/contract/index.js';
import { ELEMENTS, validateElement, vpuSessionsOf } from '../../../src-main/core/media/elements.js';
import { encoderToText, parseEncoderText } from '../../../src-main/core/media/encoder-text.js';
import { dangerOf, presetById, presetEncoder, PRESETS } from '../../../src-main/core/media/presets.js';

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

const PROVEN = 'mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000';
const PANIC = 'mpph264enc bps=8000000 bps-max=16000000';

describe('presets', () => {
  it('match the contract schema', () => {
    for (const preset of PRESETS) expect(Preset.parse(preset)).toEqual(preset);
  });

  it("h264-hw is seed 001's proven encoder, one session, WHEP, mp4", () => {
    const p = presetById('h264-hw');
    expect(encoderToText(p.encoder)).toBe(PROVEN);
    expect([p.vpuSessions, p.whepPlayable, p.container]).toEqual([1, true, 'mp4']);
  });

  it('h265-hw does not play over WHEP, and says why with its seed', () => {
    const p = presetById('h265-hw');
    expect([p.codec, p.vpuSessions, p.whepPlayable, p.container]).toEqual(['h265', 1, false, 'mkv']);
    expect(p.notes.join(' ')).toMatch(/does not play over WebRTC \(WHEP\) or flvmux.*001/);
  });

  it('h264-sw takes no VPU session and notes its CPU cost', () => {
    const p = presetById('h264-sw');
    expect(p.vpuSessions).toBe(0);
    expect(vpuSessionsOf(p.encoder.element)).toBe(0);
    expect(p.notes.join(' ')).toMatch(/15–25 % CPU per stream \(seed 002\)/);
  });

  it('every preset names its seeds and agrees with the registry', () => {
    for (const p of PRESETS) {
      expect(p.notes.every((n) => /seeds? 00\d/i.test(n))).toBe(true);
      expect(vpuSessionsOf(p.encoder.element)).toBe(p.vpuSessions);
      expect(ELEMENTS[p.encoder.element]?.codec).toBe(p.codec);
      expect(validateElement(p.encoder)).toEqual(p.encoder);
    }
  });

  it('sets the bitrate in the preset unit', () => {
    expect(presetEncoder('h264-hw', 6000).properties.bps).toBe(6_000_000);
    expect(presetEncoder('h265-hw', 4000).properties.bps).toBe(4_000_000);
    expect(presetEncoder('h264-sw', 2000).properties.bitrate).toBe(2000);
    expect(presetEncoder('h264-hw')).toEqual(presetById('h264-hw').encoder);
  });

  it.each([
    [-8000, /At least 100 kbit\/s/],
    [0, /At least 100 kbit\/s/],
    [50, /At least 100 kbit\/s/],
    [1_000_000, /At most 100,000 kbit\/s/],
    [8000.5, /whole number/],
    [Number.NaN, /./],
  ])('refuses the bitrate %d kbit/s', (kbps, message) => {
    expect(contractError(() => presetEncoder('h264-hw', kbps)).message).toMatch(message);
  });
});

describe('dangerOf', () => {
  it('flags the seed 000 panic config (Dec 19)', () => {
    const danger = dangerOf(parseEncoderText(PANIC));
    expect(danger).toMatchObject({ seed: '000' });
    expect(danger?.reason).toMatch(/Dec 19 kernel panic/);
  });

  it.each([
    ['the proven config', PROVEN],
    ['the panic config plus qp-init', `${PANIC} qp-init=26`],
    ['the panic config plus qp-min and qp-max', `${PANIC} qp-min=10 qp-max=51`],
    ['bps alone', 'mpph264enc bps=8000000'],
    ['x264enc', 'x264enc bitrate=4000'],
  ])('passes %s', (_name, text) => {
    expect(dangerOf(parseEncoderText(text))).toBeNull();
  });
});

describe('parseEncoderText', () => {
  it('parses element and key=value words, numbers as numbers, in order', () => {
    const spec = parseEncoderText(`  ${PROVEN}  `);
    expect(spec).toEqual(presetById('h264-hw').encoder);
    expect(Object.keys(spec.properties)).toEqual(['qp-init', 'qp-min', 'qp-max', 'gop', 'rc-mode', 'bps']);
    expect(encoderToText(spec)).toBe(PROVEN);
    expect(parseEncoderText('x264enc tune=zerolatency byte-stream=true').properties['byte-stream']).toBe(
      true,
    );
  });

  it.each([
    ['empty', '', /empty.*Encoders: mpph264enc, mpph265enc, x264enc, x265enc/],
    [
      'unknown element',
      'mpph264encc bps=8000000',
      /Unknown encoder "mpph264encc"\. Did you mean mpph264enc\?.*Tally knows: mpph264enc/,
    ],
    [
      'a source as encoder',
      'filesrc location=/etc/passwd',
      /Unknown encoder "filesrc".*Tally knows: mpph264enc, mpph265enc/,
    ],
    ['a parser as encoder', 'h264parse', /"h264parse" is not an encoder/],
    [
      'a property it does not have',
      'x264enc bps=8000000',
      /x264enc has no property "bps"\. Its properties: tune, speed-preset, bitrate/,
    ],
    ['a misspelt property', 'mpph264enc bsp=8000000', /has no property "bsp"\. Did you mean bps\?/],
    ['a bare word', 'mpph264enc cbr', /"cbr" is not a setting; settings are written key=value/],
    ['double quotes', 'mpph264enc rc-mode="cbr"', /rc-mode: the value "\\"cbr\\"" contains a quote/],
    ['single quotes', "mpph264enc rc-mode='cbr'", /contains a quote/],
    ['!', 'mpph264enc bps=8000000 ! filesink', /"!" contains a "!"/],
    [';', 'mpph264enc bps=8000000;reboot', /bps: the value "8000000;reboot" contains a ";"/],
    ['$(reboot)', 'mpph264enc bps=$(reboot)', /contains a "\$"/],
    ['backticks', 'mpph264enc bps=`reboot`', /contains a backtick/],
    ['a pipe', 'mpph264enc rc-mode=cbr|reboot', /contains a shell operator/],
    ['a newline', 'mpph264enc bps=8000000\nreboot', /line break/],
    ['NUL', 'mpph264enc bps=8000000\0', /NUL/],
    [
      'a negative bitrate',
      'mpph264enc bps=-8000000',
      /bps: -8000000 is negative; mpph264enc bps must be a whole number from 100000 to 100000000/,
    ],
    ['an absurd bitrate', 'mpph264enc bps=800000000000', /out of range/],
    ['a fractional number', 'x264enc bitrate=2000.5', /not a whole number/],
    ['a huge number', 'x264enc bitrate=99999999999999999999', /not a whole number/],
    [
      'a value outside the enum',
      'mpph264enc rc-mode=turbo',
      /rc-mode: "turbo" is not allowed; mpph264enc rc-mode must be one of vbr, cbr, fixqp, avbr/,
    ],
    ['an empty value', 'mpph264enc bps=', /bps: the value "" is empty/],
    ['a repeated key', 'mpph264enc bps=8000000 bps=9000000', /"bps" is set twice/],
    ['a prototype key', 'mpph264enc __proto__=1', /has no property "__proto__"/],
    ['an inherited element name', 'constructor', /Unknown encoder "constructor"/],
  ])('refuses %s', (_name, text, message) => {
    expect(contractError(() => parseEncoderText(text)).message).toMatch(message);
  });
});

describe('validateElement', () => {
  it('checks paths, URLs and devices', () => {
    expect(
      validateElement({ element: 'filesink', properties: { location: '/var/recordings/cam0.mp4' } }),
    ).toBeTruthy();
    expect(
      validateElement({ element: 'splitmuxsink', properties: { location: '/var/recordings/cam0_%05d.mkv' } }),
    ).toBeTruthy();
    for (const location of ['relative/x.mp4', '/var/../etc/x', '/var/recordings/-rf', '/var/x%s']) {
      expect(
        contractError(() => validateElement({ element: 'filesink', properties: { location } })).message,
      ).toMatch(/filesink location/);
    }
    expect(
      contractError(() =>
        validateElement({ element: 'rtspclientsink', properties: { location: 'http://x/y' } }),
      ).message,
    ).toMatch(/an RTSP URL such as rtsp:\/\/127\.0\.0\.1:8554\/cam0/);
    expect(
      contractError(() => validateElement({ element: 'v4l2src', properties: { device: '/dev/sda' } }))
        .message,
    ).toMatch(/a capture device such as \/dev\/video0/);
  });

  it('refuses non-word values of any type', () => {
    const bad = {
      element: 'x264enc',
      properties: { bitrate: { toString: () => '1' } },
    } as unknown as Parameters<typeof validateElement>[0];
    expect(contractError(() => validateElement(bad)).message).toMatch(
      /must be a number, true\/false or a word/,
    );
    expect(
      contractError(() =>
        validateElement({ element: 'x264enc', properties: { bitrate: Number.POSITIVE_INFINITY } }),
      ).message,
    ).toMatch(/not a whole number/);
  });

  it('counts VPU sessions, and unknown mpp* elements as one', () => {
    expect(['mpph264enc', 'mpph265enc', 'mppvideodec'].map(vpuSessionsOf)).toEqual([1, 1, 1]);
    expect(['x264enc', 'queue', 'nosuch'].map(vpuSessionsOf)).toEqual([0, 0, 0]);
    expect(vpuSessionsOf('mppjpegenc')).toBe(1);
  });
});

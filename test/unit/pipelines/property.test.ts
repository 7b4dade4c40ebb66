import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../src-main/contract/index.js';
import { ELEMENTS } from '../../../src-main/core/media/elements.js';
import { encoderToText, parseEncoderText } from '../../../src-main/core/media/encoder-text.js';
import { parseTypedPipeline, pipelineText } from '../../../src-main/core/media/pipeline-builder.js';

/** Characters a shell or gst-launch would read as more than a word. */
const METACHARS = /["'`$;\\&|<>(){}[\]*?~#!\s\p{Cc}]/u;

const NASTY = [
  '"',
  "'",
  '`',
  '$',
  '$(reboot)',
  ';',
  '!',
  '\\',
  '\n',
  '\0',
  ' ',
  '\t',
  '|',
  '&',
  '>',
  '(',
  ')',
  '#',
  '=',
  ',',
];
const WORDS = [
  ...Object.keys(ELEMENTS),
  '!',
  't.',
  'name=t',
  'bps=8000000',
  'qp-init=26',
  'rc-mode=cbr',
  'bitrate=2000',
  'location=/var/recordings/a.mp4',
  'location=rtsp://127.0.0.1:8554/cam0',
  'device=/dev/video0',
  'video/x-raw,width=1920,height=1080,framerate=30/1',
  'video/x-h264,stream-format=byte-stream',
  'gst-launch-1.0',
  '-e',
  '__proto__=1',
  'constructor',
];

const word = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.string({ maxLength: 12 }),
  fc
    .tuple(fc.constantFrom(...WORDS), fc.constantFrom(...NASTY), fc.string({ maxLength: 4 }))
    .map((p) => p.join('')),
);
const text = fc.oneof(
  fc.array(word, { maxLength: 14 }).map((w) => w.join(' ')),
  fc.array(word, { maxLength: 14 }).map((w) => w.join(' ! ')),
  fc.string({ maxLength: 80 }),
);

function outcome(fn: () => string[]): string[] | null {
  try {
    return fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).code).toBe('invalid_input');
    expect((err as ContractError).message.length).toBeGreaterThan(10);
    return null;
  }
}

describe('parsers under random input', () => {
  it('parseTypedPipeline throws only ContractError and returns only plain tokens', () => {
    fc.assert(
      fc.property(text, (t) => {
        const argv = outcome(() => parseTypedPipeline(t));
        if (argv === null) return;
        for (const token of argv) {
          if (token !== '!') expect(token).not.toMatch(METACHARS);
        }
        expect(parseTypedPipeline(pipelineText(argv))).toEqual(argv);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseEncoderText throws only ContractError and returns only plain words', () => {
    const encoderText = fc.oneof(
      text,
      fc
        .tuple(
          fc.constantFrom('mpph264enc', 'mpph265enc', 'x264enc', 'x265enc'),
          fc.array(word, { maxLength: 6 }),
        )
        .map(([e, w]) => [e, ...w].join(' ')),
    );
    fc.assert(
      fc.property(encoderText, (t) => {
        const tokens = outcome(() => encoderToText(parseEncoderText(t)).split(' '));
        if (tokens === null) return;
        for (const token of tokens) expect(token).not.toMatch(METACHARS);
        expect(encoderToText(parseEncoderText(tokens.join(' ')))).toBe(tokens.join(' '));
      }),
      { numRuns: 3000 },
    );
  });
});

import { ContractError, type EncoderSpec, type PropertyValue } from '../../contract/index.js';
import {
  describe,
  elementInfo,
  ELEMENTS,
  unknownElementError,
  unsafeReason,
  validateElement,
} from './elements.js';

/**
 * Typed pipeline models from seeds 001 and 002, rendered to gst-launch-1.0 argv (one array element per token, without
 * `gst-launch-1.0` itself), and typed pipelines parsed back into validated argv.
 */

export type CapsMedia = 'video/x-raw' | 'video/x-h264' | 'video/x-h265';

export interface Caps {
  media: CapsMedia;
  fields: Record<string, string | number>;
}

export interface IngestPipeline {
  kind: 'ingest';
  device: string;
  input: { format: string; width: number; height: number; framerate: number };
  output: { width: number; height: number };
  encoder: EncoderSpec;
  rtspUrl: string;
  queueBuffers?: number;
}

export interface RecordingTeePipeline {
  kind: 'recording-tee';
  device: string;
  recording: { encoder: EncoderSpec; mux: 'matroskamux' | 'mp4mux'; location: string };
  preview: { encoder: EncoderSpec; rtspUrl: string };
}

export interface TestEncodePipeline {
  kind: 'test-encode';
  encoder: EncoderSpec;
  width: number;
  height: number;
  framerate: number;
  buffers: number;
  /** Frames at the source's own pace (seed 000's timed encodes) instead of as fast as the encoder takes them. */
  live?: boolean;
  /** Where the encoded stream goes: nowhere (seed 001's Test 1), a file, or an RTSP push to the media server. */
  sink?: TestEncodeSink;
}

export type TestEncodeSink =
  | { kind: 'fakesink' }
  | { kind: 'file'; location: string; mux: 'mp4mux' | 'matroskamux' }
  | { kind: 'rtsp'; url: string };

export type PipelineModel = IngestPipeline | RecordingTeePipeline | TestEncodePipeline;

const CAPS_MEDIA: readonly string[] = ['video/x-raw', 'video/x-h264', 'video/x-h265', 'application/x-rtp'];
const CAPS_FIELDS: readonly string[] = [
  'format',
  'width',
  'height',
  'framerate',
  'stream-format',
  'alignment',
  'profile',
  'level',
  'pixel-aspect-ratio',
  'interlace-mode',
  'media',
  'encoding-name',
  'payload',
  'clock-rate',
];
const CAPS_VALUE = /^[A-Za-z0-9_.-]{1,32}(?:\/[0-9]{1,6})?$/;
const RAW_FORMATS: readonly string[] = [
  'UYVY',
  'YUY2',
  'NV12',
  'NV16',
  'NV24',
  'I420',
  'YV12',
  'BGR',
  'RGB',
  'BGRx',
  'RGBx',
];
const MAX_TYPED = 4000;

function invalid(message: string): ContractError {
  return new ContractError('invalid_input', message);
}

/** `element key=value …` tokens of a validated element. */
export function elementTokens(spec: EncoderSpec): string[] {
  const valid = validateElement(spec);
  return [valid.element, ...Object.entries(valid.properties).map(([k, v]) => `${k}=${String(v)}`)];
}

export function capsToken(caps: Caps): string {
  if (!CAPS_MEDIA.includes(caps.media))
    throw invalid(`Caps media ${describe(String(caps.media))} is not one Tally builds.`);
  const parts: string[] = [caps.media];
  for (const [key, value] of Object.entries(caps.fields)) {
    const text = String(value);
    if (!CAPS_FIELDS.includes(key))
      throw invalid(`Caps field ${describe(key)} is not allowed; use ${CAPS_FIELDS.join(', ')}.`);
    if (!CAPS_VALUE.test(text)) {
      throw invalid(
        `Caps ${key}=${describe(text)} is not a plain value (letters, digits, . - _, or a fraction like 30/1).`,
      );
    }
    parts.push(`${key}=${text}`);
  }
  return parts.join(',');
}

function wholeNumber(what: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${what} must be a whole number from ${min} to ${max}, not ${describe(String(value))}.`);
  }
  return value;
}

/** The encoder, checked to be one, with the caps and parser that follow it. */
function encoderChain(spec: EncoderSpec, role: string, withCaps: boolean): string[] {
  const info = elementInfo(spec.element);
  if (info?.kind !== 'encoder' || !info.codec) {
    throw invalid(`The ${role} encoder ${describe(spec.element)} is not an encoder Tally knows.`);
  }
  const tokens = elementTokens(spec);
  const caps = capsToken({ media: `video/x-${info.codec}`, fields: { 'stream-format': 'byte-stream' } });
  return withCaps ? [...tokens, '!', caps] : tokens;
}

function parserOf(spec: EncoderSpec): string {
  return elementInfo(spec.element)?.codec === 'h265' ? 'h265parse' : 'h264parse';
}

function leakyQueue(buffers: number, full: boolean): string[] {
  const props: Record<string, PropertyValue> = { 'max-size-buffers': buffers };
  if (full) Object.assign(props, { 'max-size-time': 0, 'max-size-bytes': 0 });
  props.leaky = 'downstream';
  return elementTokens({ element: 'queue', properties: props });
}

/** Join segments with `!` tokens. */
function link(...segments: string[][]): string[] {
  return segments.flatMap((s, i) => (i === 0 ? s : ['!', ...s]));
}

function buildIngest(m: IngestPipeline): string[] {
  if (!RAW_FORMATS.includes(m.input.format)) {
    throw invalid(
      `Input format ${describe(String(m.input.format))} is not one of ${RAW_FORMATS.join(', ')}.`,
    );
  }
  const framerate = `${wholeNumber('The input framerate', m.input.framerate, 1, 120)}/1`;
  const queue = leakyQueue(wholeNumber('The queue size', m.queueBuffers ?? 5, 1, 100), true);
  return link(
    elementTokens({ element: 'v4l2src', properties: { device: m.device, 'io-mode': 'mmap' } }),
    [
      capsToken({
        media: 'video/x-raw',
        fields: {
          format: m.input.format,
          width: wholeNumber('The input width', m.input.width, 16, 7680),
          height: wholeNumber('The input height', m.input.height, 16, 4320),
          framerate,
        },
      }),
    ],
    ['videorate'],
    [capsToken({ media: 'video/x-raw', fields: { framerate } })],
    ['videoconvert'],
    ['videoscale'],
    [
      capsToken({
        media: 'video/x-raw',
        fields: {
          width: wholeNumber('The output width', m.output.width, 16, 7680),
          height: wholeNumber('The output height', m.output.height, 16, 4320),
          format: 'NV12',
        },
      }),
    ],
    queue,
    encoderChain(m.encoder, 'ingest', true),
    queue,
    [parserOf(m.encoder)],
    elementTokens({
      element: 'rtspclientsink',
      properties: { location: m.rtspUrl, protocols: 'udp', latency: 0 },
    }),
  );
}

function buildRecordingTee(m: RecordingTeePipeline): string[] {
  if (
    elementInfo(m.recording.encoder.element)?.vpuSessions &&
    elementInfo(m.preview.encoder.element)?.vpuSessions
  ) {
    throw invalid(
      'Recording and preview both on hardware encoders overload the VPU (seed 002: never two hardware encoders on one ' +
        'tee): use x264enc for the preview.',
    );
  }
  if (m.recording.mux !== 'matroskamux' && m.recording.mux !== 'mp4mux') {
    throw invalid(
      `The recording muxer must be matroskamux or mp4mux, not ${describe(String(m.recording.mux))}.`,
    );
  }
  const source = link(
    elementTokens({ element: 'v4l2src', properties: { device: m.device } }),
    ['videoconvert'],
    ['videoscale'],
    [capsToken({ media: 'video/x-raw', fields: { format: 'NV12' } })],
    elementTokens({ element: 'tee', properties: { name: 't' } }),
  );
  const recording = link(
    leakyQueue(15, false),
    encoderChain(m.recording.encoder, 'recording', false),
    [parserOf(m.recording.encoder)],
    [m.recording.mux],
    elementTokens({ element: 'filesink', properties: { location: m.recording.location } }),
  );
  const preview = link(
    leakyQueue(10, false),
    encoderChain(m.preview.encoder, 'preview', false),
    [parserOf(m.preview.encoder)],
    elementTokens({ element: 'rtspclientsink', properties: { location: m.preview.rtspUrl } }),
  );
  return [...link(source, recording), 't.', '!', ...preview];
}

function testSink(sink: TestEncodeSink | undefined): string[][] {
  switch (sink?.kind ?? 'fakesink') {
    case 'fakesink':
      return [['fakesink']];
    case 'file': {
      const file = sink as Extract<TestEncodeSink, { kind: 'file' }>;
      if (file.mux !== 'mp4mux' && file.mux !== 'matroskamux')
        throw invalid(`The test muxer must be mp4mux or matroskamux, not ${describe(String(file.mux))}.`);
      return [[file.mux], elementTokens({ element: 'filesink', properties: { location: file.location } })];
    }
    case 'rtsp':
      return [
        elementTokens({
          element: 'rtspclientsink',
          properties: { location: (sink as Extract<TestEncodeSink, { kind: 'rtsp' }>).url, protocols: 'tcp' },
        }),
      ];
    default:
      throw invalid(`Unknown test sink ${describe(String((sink as { kind: unknown }).kind))}.`);
  }
}

function buildTestEncode(m: TestEncodePipeline): string[] {
  const buffers = wholeNumber('The buffer count', m.buffers, 0, 1_000_000);
  const source: Record<string, PropertyValue> = buffers > 0 ? { 'num-buffers': buffers } : {};
  if (m.live) source['is-live'] = true;
  return link(
    elementTokens({ element: 'videotestsrc', properties: source }),
    [
      capsToken({
        media: 'video/x-raw',
        fields: {
          width: wholeNumber('The width', m.width, 16, 7680),
          height: wholeNumber('The height', m.height, 16, 4320),
          framerate: `${wholeNumber('The framerate', m.framerate, 1, 120)}/1`,
        },
      }),
    ],
    encoderChain(m.encoder, 'test', true),
    [parserOf(m.encoder)],
    ...testSink(m.sink),
  );
}

/** The model as gst-launch-1.0 argv; every element, value and caps validated. */
export function buildPipeline(model: PipelineModel): string[] {
  switch (model.kind) {
    case 'ingest':
      return buildIngest(model);
    case 'recording-tee':
      return buildRecordingTee(model);
    case 'test-encode':
      return buildTestEncode(model);
    default:
      throw invalid(`Unknown pipeline kind ${describe(String((model as { kind: unknown }).kind))}.`);
  }
}

/** `a ! b …` on one line. The tokens are plain words, so no quoting is needed to read it. */
export function pipelineText(argv: readonly string[]): string {
  return argv.join(' ');
}

/** VPU sessions a pipeline takes: one per mpp* encoder/decoder element. */
export function pipelineSessions(argv: readonly string[]): number {
  return argv.reduce((n, token) => n + (elementInfo(token)?.vpuSessions ?? 0), 0);
}

const PAD_REF = /^([A-Za-z][A-Za-z0-9_-]{0,31})\.$/;
const LAUNCH_OPTIONS: readonly string[] = ['-e', '--eos-on-shutdown', '-q', '--quiet'];

function parseCapsToken(token: string, at: string): string {
  const [media = '', ...fields] = token.split(',');
  if (!CAPS_MEDIA.includes(media)) {
    throw invalid(`${at}: caps ${describe(media)} are not allowed; use ${CAPS_MEDIA.join(', ')}.`);
  }
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = field.slice(0, eq);
    const value = field.slice(eq + 1);
    if (eq <= 0 || !CAPS_FIELDS.includes(key)) {
      throw invalid(
        `${at}: caps field ${describe(field)} is not allowed; fields are ${CAPS_FIELDS.join(', ')}.`,
      );
    }
    if (!CAPS_VALUE.test(value)) {
      throw invalid(
        `${at}: caps ${key}=${describe(value)} is not a plain value (letters, digits, . - _, or 30/1).`,
      );
    }
  }
  return token;
}

/**
 * A typed pipeline (gst-launch syntax) → argv, every element validated against the registry. Caps, `tee name=t` and
 * `t.` pad references are allowed; a leading `gst-launch-1.0` (with -e/-q) and `\` line continuations are dropped.
 * Throws ContractError naming the first bad token.
 */
export function parseTypedPipeline(text: string): string[] {
  if (typeof text !== 'string' || text.trim() === '')
    throw invalid('The pipeline is empty: type a gst-launch pipeline.');
  if (text.length > MAX_TYPED) throw invalid(`The pipeline is longer than ${MAX_TYPED} characters.`);
  if (text.includes('\0')) throw invalid('The pipeline contains a NUL byte.');
  const tokens = text
    .replace(/\\[ \t]*\r?\n/g, ' ')
    .trim()
    .split(/\s+/);
  let start = 0;
  if (tokens[0] === 'gst-launch-1.0') {
    start = 1;
    while (tokens[start]?.startsWith('-')) {
      const option = tokens[start] ?? '';
      if (!LAUNCH_OPTIONS.includes(option)) {
        throw invalid(
          `Option ${describe(option)}: Tally runs gst-launch-1.0 itself; only ${LAUNCH_OPTIONS.join(', ')} may be typed.`,
        );
      }
      start++;
    }
  }

  const out: string[] = [];
  const names = new Set<string>();
  const refs: Array<{ name: string; at: string }> = [];
  let current: { spec: EncoderSpec; at: string } | null = null;
  let previous: 'start' | 'link' | 'element' | 'caps' | 'ref' = 'start';

  const flush = (): void => {
    if (!current) return;
    const name = current.spec.properties.name;
    out.push(...elementTokens(current.spec));
    if (typeof name === 'string') {
      if (names.has(name)) throw invalid(`${current.at}: the name ${describe(name)} is used twice.`);
      names.add(name);
    }
    current = null;
  };

  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const at = `Token ${i - start + 1} ${describe(token)}`;
    if (token === '!') {
      if (previous === 'start' || previous === 'link')
        throw invalid(`${at}: a link needs an element before it.`);
      flush();
      out.push('!');
      previous = 'link';
      continue;
    }
    const ref = PAD_REF.exec(token);
    if (ref?.[1]) {
      flush();
      refs.push({ name: ref[1], at });
      out.push(token);
      previous = 'ref';
      continue;
    }
    const slash = token.indexOf('/');
    const eq = token.indexOf('=');
    if (slash > 0 && (eq < 0 || slash < eq)) {
      if (previous !== 'link') throw invalid(`${at}: caps go between two "!".`);
      const reason = unsafeReason(token.replace(/[,=]/g, ''));
      if (reason) throw invalid(`${at}: the caps ${reason}.`);
      out.push(parseCapsToken(token, at));
      previous = 'caps';
      continue;
    }
    if (eq > 0) {
      if (!current) throw invalid(`${at}: a property must follow its element.`);
      const key = token.slice(0, eq);
      if (Object.hasOwn(current.spec.properties, key)) throw invalid(`${at}: ${describe(key)} is set twice.`);
      const one = validateAt(
        { element: current.spec.element, properties: { [key]: token.slice(eq + 1) } },
        at,
      );
      Object.assign(current.spec.properties, one.properties);
      continue;
    }
    if (previous === 'caps') throw invalid(`${at}: caps must be followed by "!".`);
    flush();
    const reason = unsafeReason(token);
    if (reason) throw invalid(`${at} ${reason}; a pipeline is elements, key=value properties, caps and "!".`);
    if (!elementInfo(token))
      throw invalid(`${at}: ${unknownElementError(token, Object.keys(ELEMENTS)).message}`);
    current = { spec: { element: token, properties: {} }, at };
    previous = 'element';
  }
  flush();
  if (previous === 'link') throw invalid('The pipeline ends with "!": a link needs an element after it.');
  if (previous === 'caps') throw invalid('The pipeline ends with caps: they need an element after them.');
  if (!out.some((t) => elementInfo(t))) throw invalid('The pipeline has no elements.');
  for (const r of refs) {
    if (!names.has(r.name))
      throw invalid(`${r.at}: nothing is named ${describe(r.name)}; name it first, e.g. tee name=${r.name}.`);
  }
  return out;
}

function validateAt(spec: EncoderSpec, at: string): EncoderSpec {
  try {
    return validateElement(spec);
  } catch (err) {
    if (err instanceof ContractError) throw invalid(`${at}: ${err.message}`);
    throw err;
  }
}

import { ContractError, type EncoderSpec, type PropertyValue } from '../../contract/index.js';

/** The registry of GStreamer elements Tally will put in a pipeline, with the properties it lets a person set. */

export type ElementKind =
  'source' | 'filter' | 'encoder' | 'decoder' | 'parser' | 'muxer' | 'sink' | 'tee' | 'queue' | 'convert';

export interface ElementInfo {
  name: string;
  kind: ElementKind;
  vpuSessions: 0 | 1;
  codec?: 'h264' | 'h265';
  properties: Record<string, PropertyRule>;
}

export type PropertyRule =
  | { type: 'int'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
  | { type: 'word'; pattern: RegExp };

const int = (min: number, max: number): PropertyRule => ({ type: 'int', min, max });
const oneOf = (...values: string[]): PropertyRule => ({ type: 'enum', values });
const bool: PropertyRule = { type: 'bool' };
const word = (pattern: RegExp): PropertyRule => ({ type: 'word', pattern });

/** V4L2 capture nodes only. */
export const DEVICE_PATTERN = /^\/dev\/video[0-9]{1,3}$/;
/** Absolute path whose segments never start with `.` or `-` (so no `..`, no option-looking names). */
export const SAFE_PATH_PATTERN = /^(?:\/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){1,16}$/;
/** Like SAFE_PATH_PATTERN, plus splitmuxsink's `%05d` fragment counter in the file name. */
const SPLIT_PATH_PATTERN =
  /^(?:\/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){0,15}\/[A-Za-z0-9_](?:[A-Za-z0-9._-]|%0[1-9]d){0,127}$/;
export const RTSP_URL_PATTERN =
  /^rtsp:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(?::[0-9]{1,5})?(?:\/[A-Za-z0-9_][A-Za-z0-9._-]{0,63}){0,8}$/;
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const IPV4_PATTERN = /^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$/;
const PROTOCOLS_PATTERN = /^(?:udp|tcp|udp-mcast)(?:\+(?:udp|tcp|udp-mcast)){0,2}$/;

const BPS = int(100_000, 100_000_000);
const QP = int(0, 51);
const NUM_BUFFERS = int(0, 10_000_000);
const SPEED_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
  'placebo',
];

function mppEncoder(codec: 'h264' | 'h265', profiles: string[]): Omit<ElementInfo, 'name'> {
  return {
    kind: 'encoder',
    vpuSessions: 1,
    codec,
    properties: {
      'qp-init': QP,
      'qp-min': QP,
      'qp-max': QP,
      'qp-min-i': QP,
      'qp-max-i': QP,
      gop: int(0, 1000),
      'rc-mode': oneOf('vbr', 'cbr', 'fixqp', 'avbr'),
      bps: BPS,
      'bps-min': BPS,
      'bps-max': int(100_000, 200_000_000),
      profile: oneOf(...profiles),
      level: int(10, 62),
      'header-mode': oneOf('first-frame', 'each-idr'),
      'sei-mode': oneOf('off', 'one-seq', 'one-frame'),
      rotation: oneOf('0', '90', '180', '270'),
      width: int(0, 7680),
      height: int(0, 4320),
      'zero-copy-pkt': bool,
      'max-reenc': int(0, 3),
    },
  };
}

const DEFINITIONS: Record<string, Omit<ElementInfo, 'name'>> = {
  v4l2src: {
    kind: 'source',
    vpuSessions: 0,
    properties: {
      device: word(DEVICE_PATTERN),
      'io-mode': oneOf('auto', 'rw', 'mmap', 'userptr', 'dmabuf', 'dmabuf-import'),
      'num-buffers': NUM_BUFFERS,
      'do-timestamp': bool,
    },
  },
  videotestsrc: {
    kind: 'source',
    vpuSessions: 0,
    properties: {
      'num-buffers': NUM_BUFFERS,
      pattern: oneOf(
        'smpte',
        'snow',
        'black',
        'white',
        'red',
        'green',
        'blue',
        'checkers-1',
        'checkers-2',
        'checkers-4',
        'checkers-8',
        'circular',
        'blink',
        'smpte75',
        'zone-plate',
        'gamut',
        'chroma-zone-plate',
        'solid-color',
        'ball',
        'smpte100',
        'bar',
        'pinwheel',
        'spokes',
        'gradient',
        'colors',
      ),
      'is-live': bool,
    },
  },
  udpsrc: {
    kind: 'source',
    vpuSessions: 0,
    properties: { port: int(1, 65535), address: word(IPV4_PATTERN), 'buffer-size': int(0, 100_000_000) },
  },
  videorate: {
    kind: 'filter',
    vpuSessions: 0,
    properties: { 'drop-only': bool, 'max-rate': int(1, 1000), 'skip-to-first': bool },
  },
  videoconvert: { kind: 'convert', vpuSessions: 0, properties: { 'n-threads': int(0, 64) } },
  videoscale: {
    kind: 'convert',
    vpuSessions: 0,
    properties: {
      method: oneOf('nearest-neighbour', 'bilinear', '4-tap', 'lanczos', 'bilinear2', 'sinc', 'hermite'),
      'add-borders': bool,
    },
  },
  capsfilter: { kind: 'filter', vpuSessions: 0, properties: {} },
  queue: {
    kind: 'queue',
    vpuSessions: 0,
    properties: {
      'max-size-buffers': int(0, 100_000),
      'max-size-time': int(0, 60_000_000_000),
      'max-size-bytes': int(0, 1_000_000_000),
      leaky: oneOf('no', 'upstream', 'downstream'),
      silent: bool,
    },
  },
  tee: { kind: 'tee', vpuSessions: 0, properties: { 'allow-not-linked': bool } },
  mpph264enc: mppEncoder('h264', ['baseline', 'main', 'high']),
  mpph265enc: mppEncoder('h265', ['main']),
  mppvideodec: {
    kind: 'decoder',
    vpuSessions: 1,
    properties: { 'fast-mode': bool, 'ignore-error': bool, 'dma-feature': bool },
  },
  x264enc: {
    kind: 'encoder',
    vpuSessions: 0,
    codec: 'h264',
    properties: {
      tune: oneOf('zerolatency', 'fastdecode', 'stillimage'),
      'speed-preset': oneOf(...SPEED_PRESETS),
      bitrate: int(100, 100_000),
      'key-int-max': int(0, 1000),
      bframes: int(0, 16),
      threads: int(0, 64),
      pass: oneOf('cbr', 'quant', 'qual'),
      quantizer: int(0, 50),
      'byte-stream': bool,
      'vbv-buf-capacity': int(0, 10_000),
    },
  },
  x265enc: {
    kind: 'encoder',
    vpuSessions: 0,
    codec: 'h265',
    properties: {
      tune: oneOf('psnr', 'ssim', 'grain', 'zerolatency', 'fastdecode', 'animation'),
      'speed-preset': oneOf(...SPEED_PRESETS),
      bitrate: int(100, 100_000),
      'key-int-max': int(0, 1000),
    },
  },
  h264parse: {
    kind: 'parser',
    vpuSessions: 0,
    codec: 'h264',
    properties: { 'config-interval': int(-1, 3600) },
  },
  h265parse: {
    kind: 'parser',
    vpuSessions: 0,
    codec: 'h265',
    properties: { 'config-interval': int(-1, 3600) },
  },
  rtph264depay: { kind: 'parser', vpuSessions: 0, codec: 'h264', properties: {} },
  rtph265depay: { kind: 'parser', vpuSessions: 0, codec: 'h265', properties: {} },
  mp4mux: {
    kind: 'muxer',
    vpuSessions: 0,
    properties: { faststart: bool, 'fragment-duration': int(0, 3_600_000) },
  },
  matroskamux: { kind: 'muxer', vpuSessions: 0, properties: { streamable: bool } },
  splitmuxsink: {
    kind: 'sink',
    vpuSessions: 0,
    properties: {
      location: word(SPLIT_PATH_PATTERN),
      'max-size-time': int(0, 86_400_000_000_000),
      'max-size-bytes': int(0, 1_000_000_000_000),
      'max-files': int(0, 100_000),
      'muxer-factory': oneOf('mp4mux', 'matroskamux'),
      'async-finalize': bool,
    },
  },
  filesink: {
    kind: 'sink',
    vpuSessions: 0,
    properties: { location: word(SAFE_PATH_PATTERN), sync: bool, async: bool },
  },
  fakesink: { kind: 'sink', vpuSessions: 0, properties: { sync: bool, async: bool, silent: bool } },
  rtspclientsink: {
    kind: 'sink',
    vpuSessions: 0,
    properties: {
      location: word(RTSP_URL_PATTERN),
      protocols: word(PROTOCOLS_PATTERN),
      latency: int(0, 10_000),
    },
  },
};

export const ELEMENTS: Record<string, ElementInfo> = Object.fromEntries(
  Object.entries(DEFINITIONS).map(([name, info]) => [name, { name, ...info }]),
);

/** Every element may be named (`tee name=t`, then `t.` refers to it). */
const NAME_RULE: PropertyRule = word(NAME_PATTERN);

export const ENCODER_NAMES: readonly string[] = Object.values(ELEMENTS)
  .filter((e) => e.kind === 'encoder')
  .map((e) => e.name);

export function elementInfo(name: string): ElementInfo | undefined {
  return Object.hasOwn(ELEMENTS, name) ? ELEMENTS[name] : undefined;
}

/** Sessions one instance takes. Unknown `mpp*` elements count as one, to err on the safe side of the budget. */
export function vpuSessionsOf(element: string): number {
  const info = elementInfo(element);
  if (info) return info.vpuSessions;
  return element.startsWith('mpp') ? 1 : 0;
}

export function codecOf(element: string): 'h264' | 'h265' | undefined {
  return elementInfo(element)?.codec;
}

const ALLOWED_CHARS = /^[A-Za-z0-9._:/%+@-]+$/;
const UNSAFE_CHARS: ReadonlyArray<[RegExp, string]> = [
  [/["']/, 'a quote'],
  [/`/, 'a backtick'],
  [/\$/, 'a "$"'],
  [/!/, 'a "!"'],
  [/;/, 'a ";"'],
  [/[\r\n]/, 'a line break'],
  [/\0/, 'a NUL byte'],
  [/\s/, 'a space'],
  [/\\/, 'a backslash'],
  [/[&|<>()]/, 'a shell operator'],
  [/[*?[\]{}~#]/, 'a wildcard or brace'],
  [/=/, 'an "="'],
  [/,/, 'a comma'],
  [/[\p{Cc}]/u, 'a control character'],
];

/** What makes a text unusable as a pipeline word, or null when it is a plain word. */
export function unsafeReason(text: string): string | null {
  if (text.length === 0) return 'is empty';
  for (const [re, what] of UNSAFE_CHARS) if (re.test(text)) return `contains ${what}`;
  if (!ALLOWED_CHARS.test(text)) return 'contains characters other than letters, digits and . _ - : / + % @';
  return null;
}

export function describe(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(shown);
}

/** Edit distance counting a swap of neighbours as one edit (`bsp` is one away from `bps`). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(
        at(i - 1, j) + 1,
        at(i, j - 1) + 1,
        at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** ` Did you mean x?` when one candidate is close, else ''. */
export function suggestion(text: string, candidates: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = text.length > 64 ? Infinity : distance(text.toLowerCase(), c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best ? ` Did you mean ${best}?` : '';
}

function invalid(message: string): ContractError {
  return new ContractError('invalid_input', message);
}

export function unknownElementError(
  element: string,
  known: readonly string[],
  what = 'element',
): ContractError {
  const reason = unsafeReason(element);
  const head = reason
    ? `The ${what} name ${describe(element)} ${reason}; element names are plain words.`
    : `Unknown ${what} ${describe(element)}.${suggestion(element, known)}`;
  return invalid(`${head} Tally knows: ${known.join(', ')}.`);
}

function ruleText(rule: PropertyRule): string {
  switch (rule.type) {
    case 'int':
      return `a whole number from ${rule.min} to ${rule.max}`;
    case 'enum':
      return `one of ${rule.values.join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'word':
      return wordHint(rule.pattern);
  }
}

function wordHint(pattern: RegExp): string {
  if (pattern === DEVICE_PATTERN) return 'a capture device such as /dev/video0';
  if (pattern === SAFE_PATH_PATTERN)
    return 'an absolute path of plain names, such as /var/recordings/cam0.mp4';
  if (pattern === SPLIT_PATH_PATTERN) return 'an absolute path such as /var/recordings/cam0_%05d.mkv';
  if (pattern === RTSP_URL_PATTERN) return 'an RTSP URL such as rtsp://127.0.0.1:8554/cam0';
  if (pattern === PROTOCOLS_PATTERN) return 'udp, tcp or udp-mcast, combined with +';
  if (pattern === IPV4_PATTERN) return 'an IPv4 address';
  return 'a name of letters, digits, - and _ starting with a letter';
}

function checkValue(element: string, key: string, rule: PropertyRule, value: PropertyValue): PropertyValue {
  const where = `${element} ${key}`;
  const expected = `${where} must be ${ruleText(rule)}`;
  if (typeof value === 'string') {
    const reason = unsafeReason(value);
    if (reason) {
      throw invalid(
        `${where}: the value ${describe(value)} ${reason}; values are plain words or numbers (${expected}).`,
      );
    }
  }
  switch (rule.type) {
    case 'int': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^-?[0-9]{1,16}$/.test(value)
            ? Number(value)
            : NaN;
      if (!Number.isSafeInteger(n))
        throw invalid(`${where}: ${describe(String(value))} is not a whole number; ${expected}.`);
      if (n < 0 && rule.min >= 0) throw invalid(`${where}: ${n} is negative; ${expected}.`);
      if (n < rule.min || n > rule.max) throw invalid(`${where}: ${n} is out of range; ${expected}.`);
      return n;
    }
    case 'enum': {
      const s = String(value);
      if (typeof value === 'boolean' || !rule.values.includes(s)) {
        throw invalid(`${where}: ${describe(s)} is not allowed; ${expected}.`);
      }
      return s;
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw invalid(`${where}: ${describe(String(value))} is not allowed; ${expected}.`);
    }
    case 'word': {
      const s = String(value);
      if (typeof value === 'boolean' || !rule.pattern.test(s)) {
        throw invalid(`${where}: ${describe(s)} is not allowed; ${expected}.`);
      }
      return s;
    }
  }
}

/**
 * Validate one element with its properties; throws ContractError naming the element/property and the allowed values.
 * Rejects unknown elements, unknown properties, and any value that is not a plain word or number. Returns the spec
 * with values normalised (numbers as numbers, booleans as booleans), in the given order.
 */
export function validateElement(spec: EncoderSpec): EncoderSpec {
  const element = String(spec.element);
  const info = elementInfo(element);
  if (!info) throw unknownElementError(element, Object.keys(ELEMENTS));
  const properties: Record<string, PropertyValue> = {};
  const allowed = Object.keys(info.properties);
  for (const [key, value] of Object.entries(spec.properties)) {
    const rule =
      key === 'name' ? NAME_RULE : Object.hasOwn(info.properties, key) ? info.properties[key] : undefined;
    if (!rule) {
      const reason = unsafeReason(key);
      const head = reason
        ? `${element}: the property name ${describe(key)} ${reason}.`
        : `${element} has no property ${describe(key)}.${suggestion(key, allowed)}`;
      throw invalid(`${head} Its properties: ${allowed.length ? allowed.join(', ') : 'none besides name'}.`);
    }
    if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') {
      throw invalid(`${element} ${key}: the value must be a number, true/false or a word.`);
    }
    properties[key] = checkValue(element, key, rule, value);
  }
  return { element, properties };
}

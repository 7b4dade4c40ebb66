import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { isCollection, isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import {
  ContractError,
  type BudgetPlan,
  type EncoderSpec,
  type PropertyValue,
} from '../../contract/index.js';
import { codecOf, validateElement, vpuSessionsOf } from './elements.js';

/** The recorder's config.yml, as far as Tally reads and changes it. */
export interface RecorderConfig {
  cameras: {
    name: string;
    device: string;
    resolution: string;
    framerate: number;
    codec: 'h264' | 'h265';
    encoder: EncoderSpec;
  }[];
  recording: { dir: string; container: string };
}

export interface EncoderChange {
  cameras: 'all' | string[];
  encoder: EncoderSpec;
  codec: 'h264' | 'h265';
  container?: 'mp4' | 'mkv';
}

const DEFAULT_CONTAINER: Record<'h264' | 'h265', 'mp4' | 'mkv'> = { h264: 'mp4', h265: 'mkv' };

class Reader {
  private readonly lines = new LineCounter();
  readonly doc: Document.Parsed;

  constructor(text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    const [first] = this.doc.errors;
    if (first) {
      const line = this.lines.linePos(first.pos[0]).line;
      throw this.error(line, `it is not valid YAML (${first.code})`);
    }
  }

  error(line: number | null, what: string): ContractError {
    const at = line === null ? 'config.yml' : `config.yml line ${line}`;
    return new ContractError('invalid_input', `${at}: ${what}. Check the file in the recorder's repo.`);
  }

  lineOf(node: Node | null | undefined): number | null {
    const start = node?.range?.[0];
    return start === undefined ? null : this.lines.linePos(start).line;
  }

  node(path: readonly (string | number)[]): Node | undefined {
    const found: unknown = this.doc.getIn(path, true);
    return found as Node | undefined;
  }

  /** The nearest node along the path that exists, for the line in an error. */
  near(path: readonly (string | number)[]): Node | null {
    for (let n = path.length; n > 0; n--) {
      const found = this.node(path.slice(0, n));
      if (found) return found;
    }
    return this.doc.contents;
  }

  scalar(path: readonly string[], type: 'string' | 'number'): string | number {
    const node = this.node(path);
    const value: unknown = isScalar(node) ? node.value : undefined;
    if (typeof value === 'number' && type === 'string') return String(value);
    if (node === undefined) throw this.error(this.lineOf(this.near(path)), `${path.join('.')} is missing`);
    if (typeof value !== type) {
      const where = this.lineOf(node ?? this.near(path));
      throw this.error(
        where,
        `${path.join('.')} must be ${type === 'number' ? 'a number' : 'a plain value'}`,
      );
    }
    return value as string | number;
  }
}

function readEncoder(reader: Reader, path: readonly string[]): EncoderSpec {
  const element = reader.scalar([...path, 'element'], 'string');
  const propsPath = [...path, 'properties'];
  const props = reader.node(propsPath);
  const entries: Array<[string, PropertyValue]> = [];
  if (props !== undefined && !(isScalar(props) && props.value === null)) {
    if (!isMap(props)) throw reader.error(reader.lineOf(props), `${propsPath.join('.')} must be a mapping`);
    for (const pair of props.items) {
      const key: unknown = isScalar(pair.key) ? pair.key.value : undefined;
      const value: unknown = isScalar(pair.value) ? pair.value.value : undefined;
      if (typeof key !== 'string' || !['string', 'number', 'boolean'].includes(typeof value)) {
        throw reader.error(reader.lineOf(props), `${propsPath.join('.')} must map names to plain values`);
      }
      entries.push([key, value as PropertyValue]);
    }
  }
  return { element: String(element), properties: Object.fromEntries(entries) };
}

/** Read config.yml; ContractError naming the line when it is not the shape the recorder expects. */
export function parseRecorderConfig(text: string): RecorderConfig {
  const reader = new Reader(text);
  const cams = reader.node(['cameras']);
  // An empty mapping (`cameras: {}`) is a recorder with nothing connected, as on the emulator's light boxes.
  if (!isMap(cams)) {
    throw reader.error(
      reader.lineOf(cams ?? reader.doc.contents),
      'cameras must be a mapping of camera names',
    );
  }
  const cameras = cams.items.map((pair) => {
    const name: unknown = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof name !== 'string') throw reader.error(reader.lineOf(cams), 'every camera needs a name');
    const at = (key: string): string[] => ['cameras', name, key];
    if (!isMap(pair.value))
      throw reader.error(
        reader.lineOf(isScalar(pair.key) ? pair.key : cams),
        `cameras.${name} must be a mapping`,
      );
    const codec = reader.scalar(at('codec'), 'string');
    if (codec !== 'h264' && codec !== 'h265') {
      throw reader.error(
        reader.lineOf(reader.node(at('codec'))),
        `cameras.${name}.codec must be h264 or h265`,
      );
    }
    return {
      name,
      device: String(reader.scalar(at('device'), 'string')),
      resolution: String(reader.scalar(at('resolution'), 'string')),
      framerate: Number(reader.scalar(at('framerate'), 'number')),
      codec: codec as 'h264' | 'h265',
      encoder: readEncoder(reader, at('encoder')),
    };
  });
  return {
    cameras,
    recording: {
      dir: String(reader.scalar(['recording', 'dir'], 'string')),
      container: String(reader.scalar(['recording', 'container'], 'string')),
    },
  };
}

/**
 * The new text of config.yml with the encoder of the given cameras replaced as a whole (element and properties) and
 * their codec set. recording.container follows the codec when every camera ends up with the same one. Comments, key
 * order and flow style survive; only the touched values change.
 */
export function changeEncoders(text: string, change: EncoderChange): string {
  const config = parseRecorderConfig(text);
  const encoder = validateElement(change.encoder);
  const encoderCodec = codecOf(encoder.element);
  if (encoderCodec !== change.codec) {
    throw new ContractError(
      'invalid_input',
      `${encoder.element} encodes ${encoderCodec ?? 'no video codec'}, not ${change.codec}: pick an ${change.codec} encoder.`,
    );
  }
  const names = config.cameras.map((c) => c.name);
  let targets: string[];
  if (change.cameras === 'all') {
    if (names.length === 0)
      throw new ContractError(
        'invalid_input',
        'config.yml lists no cameras, so there is no encoder to switch.',
      );
    targets = names;
  } else {
    const unknown = change.cameras.filter((n) => !names.includes(n));
    if (unknown.length > 0) {
      throw new ContractError(
        'invalid_input',
        `No camera ${unknown.map((n) => JSON.stringify(n)).join(', ')} in config.yml: the cameras are ${names.join(', ')}.`,
      );
    }
    if (change.cameras.length === 0)
      throw new ContractError('invalid_input', 'Pick at least one camera, or all.');
    targets = [...new Set(change.cameras)];
  }

  const doc = new Reader(text).doc;
  for (const name of targets) {
    setScalar(doc, ['cameras', name, 'codec'], change.codec);
    const path = ['cameras', name, 'encoder'];
    const old: unknown = doc.getIn(path, true);
    const flow = isCollection(old) ? (old.flow ?? false) : true;
    doc.setIn(path, doc.createNode({ element: encoder.element, properties: encoder.properties }, { flow }));
  }
  const codecs = new Set(config.cameras.map((c) => (targets.includes(c.name) ? change.codec : c.codec)));
  if (codecs.size === 1) {
    setScalar(doc, ['recording', 'container'], change.container ?? DEFAULT_CONTAINER[change.codec]);
  }
  return doc.toString({ lineWidth: 0 });
}

/** Change a scalar's value in place (keeping its style and comments), only when it differs. */
function setScalar(doc: Document, path: readonly string[], value: string): void {
  const node: unknown = doc.getIn(path, true);
  if (isScalar(node)) {
    if (node.value !== value) node.value = value;
    return;
  }
  doc.setIn(path, value);
}

/**
 * The device's plan as the recorder runs it (seed 001): one encoder per camera feeding MediaMTX; previews are WHEP
 * reads of that stream, so there is no preview encoder, and there is no mixer yet.
 */
export function planFromConfig(config: RecorderConfig): BudgetPlan {
  return {
    cameras: config.cameras.map((c) => ({
      name: c.name,
      recordingEncoder: c.encoder,
      previewEncoder: null,
      mixerDecoder: false,
    })),
    mixerOutput: null,
  };
}

/** The cameras a config names, and the VPU sessions its recording encoders open: what a health check expects. */
export function configNeeds(config: RecorderConfig): { cameras: string[]; sessions: number } {
  return {
    cameras: config.cameras.map((c) => c.name),
    sessions: config.cameras.reduce((n, c) => n + vpuSessionsOf(c.encoder.element), 0),
  };
}

/** Unified diff with a/ and b/ file names; empty when nothing changed. */
export function configDiff(before: string, after: string, file: string): string {
  if (before === after) return '';
  return createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, {
    headerOptions: FILE_HEADERS_ONLY,
  });
}

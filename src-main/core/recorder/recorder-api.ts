/**
 * The recorder's HTTP API (uvicorn on the device, `recorderApi.port`), read through the SSH connection with curl on
 * the device's loopback: the API is not exposed to the network on every box, and one SSH connection already exists.
 *
 * Also the two helpers the other recorder modules share to ask several things in ONE remote command: `section`
 * frames each part's output with markers, `parseSections` splits it again.
 */
import { ContractError } from '../../contract/index.js';
import type { DeviceProfile } from '../device/profile.js';
import { sh, type ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';

export interface RecorderStatusSummary {
  summary: { total: number; streaming: number; no_signal: number; error: number };
  cameras: Record<string, string>;
}

export interface ActiveRecordingFile {
  camera: string;
  file: string;
}

/** What `POST /record/start` reports: camera → file started, camera → why not. */
export interface StartReport {
  started: Record<string, string>;
  errors: Record<string, string>;
}

// ---- one remote command, several answers ------------------------------------------------------------------------

const BEGIN = '@@tally-section ';
const END = '@@tally-rc ';

export interface Section {
  /** Everything the part printed (stdout and stderr), without the framing newline. */
  text: string;
  /** The part's exit code; null when the command was cut off before it finished. */
  code: number | null;
}

/** Frame one part of a compound command; its stderr goes to the same stream so failures carry their reason. */
export function section(name: string, command: ShellCommand): ShellCommand {
  return sh`printf '%s\\n' ${BEGIN + name}; { ${command}; } 2>&1; printf '\\n%s%s\\n' ${END} "$?"`;
}

export function parseSections(stdout: string): Map<string, Section> {
  const out = new Map<string, Section>();
  let name: string | undefined;
  let lines: string[] = [];
  const close = (code: number | null): void => {
    if (name === undefined) return;
    // The END marker is printed after a newline of its own: drop it again.
    if (code !== null && lines.at(-1) === '') lines.pop();
    out.set(name, { text: lines.join('\n'), code });
    name = undefined;
    lines = [];
  };
  for (const line of stdout.split('\n')) {
    if (line.startsWith(BEGIN)) {
      close(null);
      name = line.slice(BEGIN.length);
    } else if (line.startsWith(END) && name !== undefined) {
      const code = Number(line.slice(END.length));
      close(Number.isInteger(code) ? code : null);
    } else if (name !== undefined) lines.push(line);
  }
  close(null);
  return out;
}

// ---- curl ---------------------------------------------------------------------------------------------------------

export interface HttpReply {
  /** HTTP status, or null when nothing answered. */
  status: number | null;
  body: string;
  /** Why there is no answer (curl's own words), or null. */
  error: string | null;
}

const STATUS_MARK = '@@http ';

/** curl on the device. The HTTP status comes last on its own line, so a body without a final newline is kept whole. */
export function curl(
  host: string,
  port: number,
  pathAndQuery: string,
  opts: { method?: 'GET' | 'POST'; maxTimeS?: number } = {},
): ShellCommand {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${pathAndQuery}`;
  const maxTime = opts.maxTimeS ?? 5;
  const head =
    opts.method === 'POST'
      ? sh`curl -sS --max-time ${maxTime} --data ''`
      : sh`curl -sS --max-time ${maxTime}`;
  return sh`${head} -w ${`\\n${STATUS_MARK}%{http_code}`} ${url}`;
}

export function parseCurl(section: Section | undefined): HttpReply {
  if (!section) return { status: null, body: '', error: 'no answer (the command was cut off)' };
  const text = section.text;
  const at = text.lastIndexOf(STATUS_MARK);
  if (at < 0) {
    const why = firstLine(text) || `exit ${section.code ?? 'unknown'}`;
    return {
      status: null,
      body: '',
      error: /not found/i.test(why) && section.code === 127 ? 'curl is not installed' : why,
    };
  }
  const status = Number(text.slice(at + STATUS_MARK.length).trim());
  // The -w text starts with its own newline.
  const body = text.slice(0, at).replace(/\n$/, '');
  if (!Number.isInteger(status) || status === 0) {
    const why = body.split('\n').find((l) => l.startsWith('curl:')) ?? firstLine(body);
    return { status: null, body: '', error: why || `curl exit ${section.code ?? 'unknown'}` };
  }
  return { status, body, error: null };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

/** One line for a message: "answers (HTTP 200)", "curl: (7) Failed to connect …". */
export function describeReply(reply: HttpReply): string {
  if (reply.status === null) return reply.error ?? 'no answer';
  return `HTTP ${reply.status}`;
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

// ---- the recorder's JSON ------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** GET /status (seed 001): `{"summary":{…},"cameras":{"cam0":"streaming (3840x2160)"}}`. */
export function parseRecorderStatus(value: unknown): RecorderStatusSummary | undefined {
  if (!isRecord(value) || !isRecord(value.cameras)) return undefined;
  const cameras: Record<string, string> = {};
  for (const [name, word] of Object.entries(value.cameras)) {
    if (typeof word === 'string') cameras[name] = word;
    else if (isRecord(word) && typeof word.status === 'string') cameras[name] = word.status;
  }
  const s = isRecord(value.summary) ? value.summary : {};
  const words = Object.values(cameras);
  return {
    summary: {
      total: isRecord(value.summary) ? count(s.total) : words.length,
      streaming: isRecord(value.summary)
        ? count(s.streaming)
        : words.filter((w) => w.startsWith('streaming')).length,
      no_signal: count(s.no_signal),
      error: count(s.error),
    },
    cameras,
  };
}

/** GET /record/status: `{"recording":{"cam0":{"file":"/var/recordings/cam0_….mp4","started":…,"running":true}}}`. */
export function parseRecordStatus(value: unknown): ActiveRecordingFile[] | undefined {
  if (!isRecord(value)) return undefined;
  const recording = value.recording;
  if (!isRecord(recording)) return undefined;
  const out: ActiveRecordingFile[] = [];
  for (const [camera, entry] of Object.entries(recording)) {
    if (isRecord(entry) && typeof entry.file === 'string') out.push({ camera, file: entry.file });
    else if (typeof entry === 'string') out.push({ camera, file: entry });
  }
  return out.sort((a, b) => a.camera.localeCompare(b.camera));
}

/** POST /record/start: `{"ok":…,"started":{cam:file},"errors":{cam:reason}}`. */
export function parseStartReport(value: unknown): StartReport | undefined {
  if (!isRecord(value)) return undefined;
  const strings = (v: unknown): Record<string, string> => {
    const out: Record<string, string> = {};
    if (isRecord(v)) for (const [k, s] of Object.entries(v)) if (typeof s === 'string') out[k] = s;
    return out;
  };
  return { started: strings(value.started), errors: strings(value.errors) };
}

const CAMERA = /^[A-Za-z0-9_-]{1,32}$/;

function cameraQuery(cameras: readonly string[] | undefined): string {
  if (cameras === undefined) return '';
  for (const name of cameras)
    if (!CAMERA.test(name))
      throw new ContractError('invalid_input', `${JSON.stringify(name)} is not a camera name (e.g. cam0).`);
  return `?camera=${cameras.join(',')}`;
}

export class RecorderApi {
  constructor(
    private readonly connections: ConnectionManager,
    private readonly deviceId: string,
    private readonly profile: DeviceProfile,
  ) {}

  private get port(): number {
    return this.profile.recorderApi.port;
  }

  private async call(
    what: string,
    pathAndQuery: string,
    method: 'GET' | 'POST',
    maxTimeS = 5,
  ): Promise<{ reply: HttpReply; json: unknown }> {
    const cmd = section('api', curl('127.0.0.1', this.port, pathAndQuery, { method, maxTimeS }));
    const result = await this.connections.exec(this.deviceId, cmd, { timeoutMs: (maxTimeS + 10) * 1000 });
    const reply = parseCurl(parseSections(result.stdout).get('api'));
    if (reply.status === null)
      throw new ContractError(
        'unavailable',
        `The recorder API (127.0.0.1:${this.port} on the device) did not answer ${what}: ${reply.error ?? 'no answer'}. ` +
          `Check that ${this.profile.units.recorder} is running (Recorder tab) and look at its journal.`,
      );
    return { reply, json: parseJson(reply.body) };
  }

  private unexpected(what: string, reply: HttpReply): ContractError {
    return new ContractError(
      'device_error',
      `The recorder API answered ${what} with HTTP ${reply.status ?? '?'} and ${JSON.stringify(reply.body.slice(0, 200))}, ` +
        'which Tally does not understand. The recorder on this box may be a different version.',
    );
  }

  async status(): Promise<RecorderStatusSummary> {
    const { reply, json } = await this.call('GET /status', '/status', 'GET');
    const parsed = reply.status === 200 ? parseRecorderStatus(json) : undefined;
    if (!parsed) throw this.unexpected('GET /status', reply);
    return parsed;
  }

  async recordStatus(): Promise<{ camera: string; file: string }[]> {
    const { reply, json } = await this.call('GET /record/status', '/record/status', 'GET');
    const parsed = reply.status === 200 ? parseRecordStatus(json) : undefined;
    if (!parsed) throw this.unexpected('GET /record/status', reply);
    return parsed;
  }

  /** Start recordings; what started and what did not, camera by camera. */
  async startRecordingReport(cameras?: string[]): Promise<StartReport> {
    const { reply, json } = await this.call(
      'POST /record/start',
      `/record/start${cameraQuery(cameras)}`,
      'POST',
    );
    const parsed = parseStartReport(json);
    if (!parsed || (reply.status !== 200 && reply.status !== 409))
      throw this.unexpected('POST /record/start', reply);
    return parsed;
  }

  /** Start recordings (all streaming cameras by default). Throws, naming each camera, if any did not start. */
  async startRecording(cameras?: string[]): Promise<void> {
    const report = await this.startRecordingReport(cameras);
    const failed = Object.entries(report.errors);
    if (failed.length === 0) return;
    const started = Object.keys(report.started);
    const why = failed.map(([cam, reason]) => `${cam}: ${reason}`).join('; ');
    throw new ContractError(
      'device_error',
      started.length > 0
        ? `Recording started for ${started.join(', ')}, but not for the rest (${why}). Check those cameras’ signal.`
        : `No recording started (${why}). Check the cameras' signal and the recorder's journal.`,
    );
  }

  /**
   * Stop recordings (all by default). The recorder sends EOS and waits for each file to be finalised, which takes
   * a few seconds per file, so this allows curl more time than a plain read.
   */
  async stopRecording(cameras?: string[]): Promise<void> {
    const { reply } = await this.call('POST /record/stop', `/record/stop${cameraQuery(cameras)}`, 'POST', 30);
    if (reply.status !== 200) throw this.unexpected('POST /record/stop', reply);
  }
}

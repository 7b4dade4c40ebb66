/**
 * The recorder's HTTP API (uvicorn on the device, `recorderApi.port`), read through the SSH connection with curl on
 * the device's loopback: the API is not exposed to the network on every box, and one SSH connection already exists.
 */
import { ContractError } from '../../contract/index.js';
import type { R58Profile } from '../device/profile.js';
import { parseSections, section } from '../device/batch.js';
import { curl, parseCurl, parseJson, type HttpReply } from '../device/http.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';

export interface RecorderStatusSummary {
  summary: { total: number; streaming: number; no_signal: number; error: number };
  cameras: Record<string, string>;
}

export interface ActiveRecordingFile {
  camera: string;
  file: string;
  /** ISO time the recording started, when the recorder says. */
  startedAt?: string;
}

/** What `POST /record/start` reports: camera → file started, camera → why not. */
export interface StartReport {
  started: Record<string, string>;
  errors: Record<string, string>;
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

/**
 * A recording's `started` as an ISO time: ISO 8601 with or without a colon in the offset (`…+0200`, as Python's
 * `%z` prints it), or seconds (or milliseconds) since the epoch. Anything else is unknown.
 */
export function parseStarted(value: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0)
    ms = value < 1e11 ? value * 1000 : value;
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value.trim())) {
    const text = value
      .trim()
      .replace(' ', 'T')
      .replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
    ms = Date.parse(text);
  }
  return ms !== undefined && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** GET /record/status: `{"recording":{"cam0":{"file":"/var/recordings/cam0_….mp4","started":…,"running":true}}}`. */
export function parseRecordStatus(value: unknown): ActiveRecordingFile[] | undefined {
  if (!isRecord(value)) return undefined;
  const recording = value.recording;
  if (!isRecord(recording)) return undefined;
  const out: ActiveRecordingFile[] = [];
  for (const [camera, entry] of Object.entries(recording)) {
    if (isRecord(entry) && typeof entry.file === 'string') {
      const startedAt = parseStarted(entry.started);
      out.push(startedAt ? { camera, file: entry.file, startedAt } : { camera, file: entry.file });
    } else if (typeof entry === 'string') out.push({ camera, file: entry });
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
    private readonly profile: R58Profile,
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

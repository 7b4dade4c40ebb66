/**
 * The cameras as the producer sees them: the recorder's own words for each input (seed 001: "streaming
 * (3840x2160)") joined with what MediaMTX has for the same path (online, codec, readers, bytes in). Both are read in
 * one remote command; the bitrate is the change in MediaMTX's inbound byte count since the previous reading.
 */
import { ContractError, type CameraView } from '../../contract/index.js';
import type { R58Profile } from '../device/profile.js';
import { parseMediaPaths, type MediaPath } from '../device/mediamtx.js';
import { sh } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { parseRecorderStatus, type RecorderStatusSummary } from './recorder-api.js';
import { curl, parseCurl, parseJson, type HttpReply } from '../device/http.js';
import { parseSections, section } from '../device/batch.js';

export function parseCameraWord(word: string | undefined): {
  signal: CameraView['signal'];
  resolution: string | null;
} {
  const text = (word ?? '').trim().toLowerCase();
  const resolution = /\((\d{2,5})x(\d{2,5})\)/.exec(text);
  const signal: CameraView['signal'] = text.startsWith('streaming')
    ? 'streaming'
    : /^no[_ ]signal/.test(text)
      ? 'no_signal'
      : text.startsWith('error')
        ? 'error'
        : 'unknown';
  return { signal, resolution: resolution ? `${resolution[1]}x${resolution[2]}` : null };
}

interface Reading {
  bytes: number;
  atMs: number;
}

/** kbit/s between two readings of a byte counter; null on the first reading or when the counter went back. */
export function bitrateKbps(previous: Reading | undefined, now: Reading): number | null {
  if (!previous) return null;
  const seconds = (now.atMs - previous.atMs) / 1000;
  const bytes = now.bytes - previous.bytes;
  if (seconds <= 0.05 || bytes < 0) return null;
  return Math.round((bytes * 8) / 1000 / seconds);
}

export function cameraViews(
  profile: R58Profile,
  recorder: RecorderStatusSummary | undefined,
  recorderProblem: string,
  paths: MediaPath[] | undefined,
  rate: (path: MediaPath) => number | null,
): CameraView[] {
  const byName = new Map((paths ?? []).map((p) => [p.name, p]));
  const views: CameraView[] = [];
  for (const name of profile.cameras) {
    const word = recorder?.cameras[name];
    const media = byName.get(name);
    if (word === undefined && !media) continue;
    const parsed = parseCameraWord(word);
    views.push({
      name,
      signal: parsed.signal,
      detail: word ?? (recorder ? 'Not in the recorder’s status.' : recorderProblem),
      resolution: parsed.resolution ?? media?.resolution ?? null,
      codec: media?.codec ?? null,
      bitrateKbps: media ? rate(media) : null,
      readers: media ? media.readers : null,
      online: media?.online ?? false,
    });
  }
  return views;
}

export class CameraReader {
  /** deviceId → path → the previous byte count. */
  private readonly previous = new Map<string, Map<string, Reading>>();

  constructor(
    private readonly connections: ConnectionManager,
    private readonly profileOf: (deviceId: string) => R58Profile,
  ) {}

  async list(deviceId: string): Promise<CameraView[]> {
    const profile = this.profileOf(deviceId);
    const mtx = profile.mediamtx;
    const cmd = sh`${section('recorder', curl('127.0.0.1', profile.recorderApi.port, '/status'))}; ${section(
      'mediamtx',
      curl(mtx.apiHost, mtx.apiPort, '/v3/paths/list'),
    )}`;
    const result = await this.connections.exec(deviceId, cmd, { timeoutMs: 20_000 });
    const atMs = Date.now();
    const parts = parseSections(result.stdout);
    const recReply = parseCurl(parts.get('recorder'));
    const mtxReply = parseCurl(parts.get('mediamtx'));
    const recorder = recReply.status === 200 ? parseRecorderStatus(parseJson(recReply.body)) : undefined;
    const paths = mtxReply.status === 200 ? parseMediaPaths(parseJson(mtxReply.body)) : undefined;
    const recorderProblem = `The recorder API does not answer (${why(recReply)}).`;
    if (!recorder && !paths)
      throw new ContractError(
        'unavailable',
        `Neither the recorder API (127.0.0.1:${profile.recorderApi.port}: ${why(recReply)}) nor MediaMTX's API ` +
          `(${mtx.apiHost}:${mtx.apiPort}: ${why(mtxReply)}) answers. Check that ${profile.units.recorder} and ` +
          `${profile.units.mediaServer} are running.`,
      );
    const before = this.previous.get(deviceId) ?? new Map<string, Reading>();
    const after = new Map<string, Reading>();
    const views = cameraViews(profile, recorder, recorderProblem, paths, (media) => {
      if (media.inboundBytes === null) return null;
      const now = { bytes: media.inboundBytes, atMs };
      after.set(media.name, now);
      return bitrateKbps(before.get(media.name), now);
    });
    // When MediaMTX did not answer, keep the old counters: the next answer still has something to compare with.
    if (paths) this.previous.set(deviceId, after);
    return views;
  }

  /** Forget a device's counters (disconnected or removed). */
  forget(deviceId: string): void {
    this.previous.delete(deviceId);
  }
}

function why(reply: HttpReply): string {
  if (reply.status === null) return reply.error ?? 'no answer';
  return reply.status === 200 ? 'unexpected JSON' : `HTTP ${reply.status}`;
}

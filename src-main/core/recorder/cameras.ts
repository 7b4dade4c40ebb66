/**
 * The cameras as the producer sees them: the recorder's own words for each input (seed 001: "streaming
 * (3840x2160)") joined with what MediaMTX has for the same path (online, codec, readers, bytes in). Both are read in
 * one remote command; the bitrate is the change in MediaMTX's inbound byte count since the previous reading.
 */
import { ContractError, type CameraView } from '../../contract/index.js';
import type { DeviceProfile } from '../device/profile.js';
import { sh } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import {
  curl,
  parseCurl,
  parseJson,
  parseRecorderStatus,
  parseSections,
  section,
  type HttpReply,
  type RecorderStatusSummary,
} from './recorder-api.js';

export interface MediaPath {
  name: string;
  online: boolean;
  codec: string | null;
  resolution: string | null;
  inboundBytes: number | null;
  readers: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function trackCodec(track: unknown): string | null {
  if (typeof track === 'string') return track;
  if (isRecord(track) && typeof track.codec === 'string') return track.codec;
  return null;
}

/** MediaMTX `GET /v3/paths/list` (`items[]`: name, online/ready, tracks, tracks2, inboundBytes/bytesReceived, readers). */
export function parseMediaPaths(value: unknown): MediaPath[] | undefined {
  if (!isRecord(value) || !Array.isArray(value.items)) return undefined;
  const out: MediaPath[] = [];
  for (const item of value.items) {
    if (!isRecord(item) || typeof item.name !== 'string') continue;
    const tracks2 = Array.isArray(item.tracks2) ? item.tracks2 : [];
    const tracks = Array.isArray(item.tracks) ? item.tracks : [];
    const video = tracks2.find((t) => isRecord(t) && isRecord(t.codecProps) && 'width' in t.codecProps);
    const props = isRecord(video) && isRecord(video.codecProps) ? video.codecProps : undefined;
    const width = Number(props?.width);
    const height = Number(props?.height);
    // MediaMTX 1.15 renamed bytesReceived to inboundBytes; older boxes only have the old name.
    const bytes = Number(item.inboundBytes ?? item.bytesReceived);
    const online = typeof item.online === 'boolean' ? item.online : item.ready === true;
    out.push({
      name: item.name,
      online,
      codec: trackCodec(video) ?? trackCodec(tracks2[0]) ?? trackCodec(tracks[0]),
      resolution: width > 0 && height > 0 ? `${width}x${height}` : null,
      inboundBytes: Number.isFinite(bytes) && bytes >= 0 ? bytes : null,
      readers: Array.isArray(item.readers) ? item.readers.length : Number(item.readers) || 0,
    });
  }
  return out;
}

/** The recorder's word for a camera → the contract's signal and the resolution it names. */
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
  profile: DeviceProfile,
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
    private readonly profileOf: (deviceId: string) => DeviceProfile,
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

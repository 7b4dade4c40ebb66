/**
 * The few MediaMTX config file keys the stand-in honours, read from `/etc/mediamtx/mediamtx.yml` (one of the
 * places MediaMTX looks) when it exists, or `--config FILE`. They override the unit's flags, as the real server's
 * file is what decides: so the emulator can turn ICE-TCP off by writing `webrtcLocalTCPAddress: ''`.
 *
 *   webrtcLocalTCPAddress: ':8189'   ('' turns ICE-TCP off)
 *   hls: yes|no   hlsAddress: ':8888'   hlsSegmentDuration: 1s   hlsMuxerCloseAfter: 10s
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { MediaServerConfig } from './config.js';

export const DEFAULT_CONFIG_FILE = '/etc/mediamtx/mediamtx.yml';

/** `:8189`, `0.0.0.0:8189` → 8189; `` → 0. */
function addressPort(key: string, value: unknown): number {
  if (value === '' || value === null) return 0;
  const m = typeof value === 'string' ? /^(?:[0-9.]*):(\d{1,5})$/.exec(value) : null;
  const port = Number(m?.[1]);
  if (!m || port < 1 || port > 65535) throw new Error(`${key}: expected ':PORT' or '', got ${String(value)}`);
  return port;
}

/** `10s`, `500ms`, `1m` → seconds. */
function duration(key: string, value: unknown): number {
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value) : null;
  if (!m) throw new Error(`${key}: expected a duration like 10s, got ${String(value)}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

export function applyConfigFile(config: MediaServerConfig, file: string): void {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: not a YAML mapping`);
  const values = doc as Record<string, unknown>;
  config.configFile = file;
  if ('webrtcLocalTCPAddress' in values)
    config.iceTcpPort = addressPort('webrtcLocalTCPAddress', values.webrtcLocalTCPAddress);
  if ('hls' in values && values.hls === false) config.hlsPort = 0;
  else if ('hlsAddress' in values) config.hlsPort = addressPort('hlsAddress', values.hlsAddress);
  if ('hlsSegmentDuration' in values)
    config.hlsSegmentDuration = Math.max(
      1,
      Math.round(duration('hlsSegmentDuration', values.hlsSegmentDuration)),
    );
  if ('hlsMuxerCloseAfter' in values)
    config.hlsCloseAfter = duration('hlsMuxerCloseAfter', values.hlsMuxerCloseAfter);
}

/**
 * What the device's MediaMTX says about ICE-TCP: `webrtcLocalTCPAddress` in `GET /v3/config/global/get` on its
 * loopback API, read through SSH. The tunnel needs it, since SSH forwards TCP only.
 */
import type { R58Profile } from '../device/profile.js';
import type { ShellCommand } from '../device/quote.js';
import { curl, parseJson, type HttpReply } from '../device/http.js';

export const ICE_TCP_HINT =
  'Set webrtcLocalTCPAddress: :8189 in mediamtx.yml on the device and restart mediamtx';

export interface IceTcpConfig {
  /** True when MediaMTX listens for ICE-TCP; null when the configuration could not be read. */
  iceTcp: boolean | null;
  /** Where to reach the ICE-TCP listener from the device itself; null when off or unknown. */
  address: { host: string; port: number } | null;
  /** The setting that turns it on, when it is off. */
  hint: string | null;
  /** Why the configuration is unknown, for the reach detail. */
  problem: string | null;
}

/** `curl -sS --max-time 5 http://127.0.0.1:9997/v3/config/global/get` (with the status line the parser expects). */
export function configCommand(profile: R58Profile): ShellCommand {
  const mtx = profile.mediamtx;
  return curl(mtx.apiHost, mtx.apiPort, '/v3/config/global/get', { maxTimeS: 5 });
}

/**
 * `":8189"` → 127.0.0.1:8189 (every address, so the device's loopback works); `"10.0.0.5:8189"` → that address;
 * `"[::]:8189"` → 127.0.0.1:8189. Null for anything else.
 */
export function parseListenAddress(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  const host = m[1] ?? m[2] ?? '';
  const any = host === '' || host === '0.0.0.0' || host === '::';
  return { host: any ? '127.0.0.1' : host, port };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseIceTcpConfig(reply: HttpReply): IceTcpConfig {
  const unknown = (problem: string): IceTcpConfig => ({ iceTcp: null, address: null, hint: null, problem });
  if (reply.status === null) return unknown(`MediaMTX's API did not answer (${reply.error ?? 'no answer'})`);
  if (reply.status !== 200)
    return unknown(`MediaMTX's API answered HTTP ${reply.status} for its configuration`);
  const config = parseJson(reply.body);
  if (!isRecord(config)) return unknown('MediaMTX sent a configuration that is not JSON');
  // MediaMTX before 1.0 called it webrtcICETCPMuxAddress.
  const value = config.webrtcLocalTCPAddress ?? config.webrtcICETCPMuxAddress;
  if (value === undefined) return unknown('MediaMTX’s configuration has no webrtcLocalTCPAddress');
  if (typeof value !== 'string' || value.trim() === '')
    return { iceTcp: false, address: null, hint: ICE_TCP_HINT, problem: null };
  const address = parseListenAddress(value);
  if (!address)
    return unknown(
      `MediaMTX’s webrtcLocalTCPAddress ${JSON.stringify(value)} is not an address Tally understands`,
    );
  return { iceTcp: true, address, hint: null, problem: null };
}

/**
 * Where MediaMTX serves WHEP (`webrtcAddress`) and HLS (`hlsAddress`), as reached from the device itself; null
 * for each one the configuration does not say (the profile's ports apply then).
 */
export function parseServerAddresses(reply: HttpReply): {
  whep: { host: string; port: number } | null;
  hls: { host: string; port: number } | null;
} {
  const config = reply.status === 200 ? parseJson(reply.body) : undefined;
  if (!isRecord(config)) return { whep: null, hls: null };
  const address = (value: unknown): { host: string; port: number } | null =>
    typeof value === 'string' ? parseListenAddress(value) : null;
  return { whep: address(config.webrtcAddress), hls: address(config.hlsAddress) };
}

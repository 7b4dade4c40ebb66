/**
 * Live previews, per device: which MediaMTX paths there are, and how the console reaches the device's WHEP and HLS —
 * straight to its address ("direct"), or through its SSH connection ("tunnel": signalling and HLS forwarded, media
 * over ICE-TCP on the one port MediaMTX offers for it, also forwarded). The route is tried direct first and falls
 * back by itself; the reason stays in `PreviewReach.detail`.
 */
import net from 'node:net';
import {
  isLive,
  ContractError,
  type PreviewList,
  type PreviewReach,
  type PreviewRoute,
  type PreviewSource,
} from '../../contract/index.js';
import type { R58Profile } from '../device/profile.js';
import { sh } from '../device/quote.js';
import { parseMediaPaths, type MediaPath } from '../device/mediamtx.js';
import { curl, parseCurl, parseJson } from '../device/http.js';
import { parseSections, section } from '../device/batch.js';
import type { ConnectionManager, LocalForward } from '../ssh/connection-manager.js';
import {
  configCommand,
  parseIceTcpConfig,
  parseServerAddresses,
  type IceTcpConfig,
} from './mediamtx-config.js';

export const H265_REASON = 'H.265 does not play over WebRTC in browsers (seed 001); showing HLS instead.';
/** What MediaMTX's WHEP sends on (its 400 for anything else names the same list). */
const WEBRTC_CODECS = new Set(['H264', 'VP8', 'VP9', 'AV1']);
const LOOPBACK_HOST = '127.0.0.1';

export interface PreviewServiceOptions {
  connections: ConnectionManager;
  /** The stored SSH host of a device (its address, a name, or a loopback proxy). */
  hostOf: (deviceId: string) => string;
  profileOf: (deviceId: string) => R58Profile;
  /** TCP connect timeout when checking whether the device's WHEP port is reachable (default 1000 ms). */
  probeTimeoutMs?: number;
}

/** Where the proxy sends a request: host and port as seen from the console. */
export interface Upstream {
  route: PreviewRoute;
  host: string;
  port: number;
}

interface Reach {
  route: PreviewRoute;
  /** The device address used for direct; null in tunnel mode. */
  directHost: string | null;
  detail: string;
  ice: IceTcpConfig;
  /** WHEP and HLS as seen from the device (the tunnel's targets); their ports are the direct ports too. */
  whep: DeviceAddress;
  hls: DeviceAddress;
}

interface DeviceAddress {
  host: string;
  port: number;
}

interface DeviceReading {
  paths: MediaPath[] | undefined;
  pathsProblem: string | null;
  ice: IceTcpConfig;
  whep: DeviceAddress | null;
  hls: DeviceAddress | null;
  addresses: string[];
}

interface DeviceState {
  preferred: PreviewRoute | undefined;
  reach: Reach | undefined;
  deciding: Promise<Reach> | undefined;
  forwards: Map<string, Promise<LocalForward>>;
}

// ---- pure parts -----------------------------------------------------------------------------------------------------

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** IPv4 addresses from `hostname -I` or `ip -4 -o addr show`, without loopback and link-local ones. */
export function parseAddresses(text: string): string[] {
  const found = text.includes('inet ')
    ? [...text.matchAll(/\binet (\d{1,3}(?:\.\d{1,3}){3})\//g)].map((m) => m[1] ?? '')
    : text.split(/\s+/).filter((w) => /^\d{1,3}(?:\.\d{1,3}){3}$/.test(w));
  return [...new Set(found)].filter((a) => !a.startsWith('127.') && !a.startsWith('169.254.'));
}

/**
 * Addresses to try for direct, best first: the stored host unless it is a loopback (then SSH goes through a local
 * proxy or port forward and says nothing about where the media is), then what the device reports for itself.
 */
export function directCandidates(storedHost: string, deviceAddresses: string[]): string[] {
  const out = isLoopbackHost(storedHost) ? [] : [storedHost];
  for (const a of deviceAddresses) if (!out.includes(a)) out.push(a);
  return out;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function previewUrls(deviceId: string, pathName: string): { whepUrl: string; hlsUrl: string } {
  const base = `/previews/${encodeURIComponent(deviceId)}/${pathName.split('/').map(encodeURIComponent).join('/')}`;
  return { whepUrl: `${base}/whep`, hlsUrl: `${base}/hls/index.m3u8` };
}

export function previewSources(deviceId: string, paths: MediaPath[]): PreviewSource[] {
  return paths.map((p) => {
    const codec = p.online ? p.codec : null;
    const playable = codec === null || WEBRTC_CODECS.has(codec.toUpperCase());
    const reason = playable
      ? null
      : /^(H265|HEVC)$/i.test(codec ?? '')
        ? H265_REASON
        : `${codec} does not play over WebRTC in browsers; showing HLS instead.`;
    return {
      path: p.name,
      name: p.name,
      online: p.online,
      codec,
      webrtcPlayable: playable,
      reason,
      ...previewUrls(deviceId, p.name),
      readers: p.readers,
      program: p.name === 'program',
    };
  });
}

/** Connects to host:port and closes at once; null when it connected, else why not. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (why: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => done(null));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** A listener on `bindHost` that pipes every connection to 127.0.0.1:`port`. */
export async function relayTo(bindHost: string, port: number): Promise<LocalForward> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const upstream = net.connect({ host: LOOPBACK_HOST, port });
    upstream.setNoDelay(true);
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    socket.pipe(upstream).pipe(socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`Tally cannot listen on ${urlHost(bindHost)} for ICE-TCP: ${err.message}`)),
    );
    server.listen(0, bindHost, () => resolve());
  });
  return {
    localPort: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

// ---- the service ----------------------------------------------------------------------------------------------------

export class PreviewService {
  private readonly devices = new Map<string, DeviceState>();
  private readonly offStatus: () => void;

  constructor(private readonly opts: PreviewServiceOptions) {
    const wasUp = new Map<string, boolean>();
    this.offStatus = opts.connections.onStatus((deviceId, status) => {
      const up = isLive(status.state);
      const state = this.devices.get(deviceId);
      if (state && up && wasUp.get(deviceId) === false) state.reach = undefined; // decide again after a reconnect
      wasUp.set(deviceId, up);
      // Forwards ride out a reconnect (each new TCP connection takes the live link); a device that is given up on,
      // or waits on the user, loses them.
      if (!up && status.state !== 'connecting' && status.state !== 'unreachable') void this.forget(deviceId);
    });
  }

  private state(deviceId: string): DeviceState {
    let s = this.devices.get(deviceId);
    if (!s) {
      s = { preferred: undefined, reach: undefined, deciding: undefined, forwards: new Map() };
      this.devices.set(deviceId, s);
    }
    return s;
  }

  /** The device's paths and the route in use. `route` forces one; without it direct is tried, then the tunnel. */
  async list(deviceId: string, route?: PreviewRoute): Promise<PreviewList> {
    const state = this.state(deviceId);
    if (state.preferred !== route) {
      state.reach = undefined;
      state.deciding = undefined;
      state.preferred = route;
    }
    const reading = await this.read(deviceId);
    // Every list looks again (direct can come back, or go away); the proxy keeps using the last decision between.
    state.reach = undefined;
    state.deciding = undefined;
    const reach = await this.reach(deviceId, reading);
    if (!reading.paths)
      throw new ContractError(
        'unavailable',
        `MediaMTX's API does not list its paths (${reading.pathsProblem ?? 'no answer'}). ` +
          `Check that ${this.opts.profileOf(deviceId).units.mediaServer} is running.`,
      );
    return { reach: this.reachView(deviceId, reach), sources: previewSources(deviceId, reading.paths) };
  }

  /** The WHEP endpoint's host and port for the proxy (deciding the route when nobody has yet). */
  async whepUpstream(deviceId: string): Promise<Upstream> {
    return this.upstream(deviceId, (reach) => reach.whep);
  }

  async hlsUpstream(deviceId: string): Promise<Upstream> {
    return this.upstream(deviceId, (reach) => reach.hls);
  }

  private async upstream(deviceId: string, which: (reach: Reach) => DeviceAddress): Promise<Upstream> {
    const reach = await this.reach(deviceId);
    const target = which(reach);
    if (reach.route === 'direct' && reach.directHost)
      return { route: 'direct', host: reach.directHost, port: target.port };
    const fwd = await this.forward(deviceId, target.host, target.port);
    return { route: 'tunnel', host: LOOPBACK_HOST, port: fwd.localPort };
  }

  /**
   * The local port that carries the device's ICE-TCP port `devicePort` (from an answer's candidate) through SSH.
   * Uses the address from MediaMTX's configuration when known, else the device's loopback.
   */
  async iceTcpForward(deviceId: string, devicePort: number): Promise<number> {
    const ice = this.state(deviceId).reach?.ice;
    const host = ice?.address && ice.address.port === devicePort ? ice.address.host : LOOPBACK_HOST;
    return (await this.forward(deviceId, host, devicePort)).localPort;
  }

  /**
   * Where a browser connects for ICE-TCP through the tunnel. The forward listens on loopback only; a browser that
   * reached the console on another address (web mode on a LAN interface) gets a relay on that address instead.
   * ICE still needs the session's credentials from the answer, which only a signed-in page gets.
   */
  async iceTcpEndpoint(
    deviceId: string,
    devicePort: number,
    consoleAddress: string,
  ): Promise<{ host: string; port: number }> {
    const local = await this.iceTcpForward(deviceId, devicePort);
    if (isLoopbackHost(consoleAddress)) return { host: LOOPBACK_HOST, port: local };
    const state = this.state(deviceId);
    const key = `relay ${consoleAddress} ${local}`;
    let relay = state.forwards.get(key);
    if (!relay) {
      relay = relayTo(consoleAddress, local);
      state.forwards.set(key, relay);
      relay.catch(() => state.forwards.delete(key));
    }
    return { host: consoleAddress, port: (await relay).localPort };
  }

  /** What MediaMTX's configuration said about ICE-TCP at the last decision. */
  iceTcp(deviceId: string): IceTcpConfig | undefined {
    return this.state(deviceId).reach?.ice;
  }

  /** The proxy could not reach the device on this route: decide again on the next request. */
  routeFailed(deviceId: string, route: PreviewRoute): void {
    const state = this.devices.get(deviceId);
    if (state?.reach?.route === route) state.reach = undefined;
  }

  /** Close a device's forwards and forget its route (disconnected or removed). */
  async forget(deviceId: string): Promise<void> {
    const state = this.devices.get(deviceId);
    if (!state) return;
    this.devices.delete(deviceId);
    await Promise.all(
      [...state.forwards.values()].map((f) => f.then((x) => x.close()).catch(() => undefined)),
    );
  }

  async close(): Promise<void> {
    this.offStatus();
    await Promise.all([...this.devices.keys()].map((id) => this.forget(id)));
  }

  private reachView(deviceId: string, reach: Reach): PreviewReach {
    return {
      deviceId,
      route: reach.route,
      detail: reach.detail,
      iceTcp: reach.ice.iceTcp,
      iceTcpHint: reach.ice.hint,
    };
  }

  private forward(deviceId: string, host: string, port: number): Promise<LocalForward> {
    const state = this.state(deviceId);
    const key = `${host}:${port}`;
    let fwd = state.forwards.get(key);
    if (!fwd) {
      fwd = this.opts.connections.forwardLocal(deviceId, host, port);
      state.forwards.set(key, fwd);
      fwd.catch(() => state.forwards.delete(key));
    }
    return fwd;
  }

  /** Paths, MediaMTX's ICE-TCP setting and the device's own addresses, in one remote command. */
  private async read(deviceId: string): Promise<DeviceReading> {
    const profile = this.opts.profileOf(deviceId);
    const mtx = profile.mediamtx;
    const cmd = sh`${section('paths', curl(mtx.apiHost, mtx.apiPort, '/v3/paths/list'))}; ${section(
      'config',
      configCommand(profile),
    )}; ${section('addrs', sh`hostname -I 2>/dev/null || ip -4 -o addr show scope global`)}`;
    const result = await this.opts.connections.exec(deviceId, cmd, { timeoutMs: 15_000 });
    const parts = parseSections(result.stdout);
    const configReply = parseCurl(parts.get('config'));
    const listen = parseServerAddresses(configReply);
    const pathsReply = parseCurl(parts.get('paths'));
    const paths = pathsReply.status === 200 ? parseMediaPaths(parseJson(pathsReply.body)) : undefined;
    return {
      paths,
      pathsProblem:
        pathsReply.status === null
          ? (pathsReply.error ?? 'no answer')
          : paths
            ? null
            : `HTTP ${pathsReply.status}`,
      ice: parseIceTcpConfig(configReply),
      whep: listen.whep,
      hls: listen.hls,
      addresses: parseAddresses(parts.get('addrs')?.text ?? ''),
    };
  }

  private reach(deviceId: string, reading?: DeviceReading): Promise<Reach> {
    const state = this.state(deviceId);
    if (state.reach) return Promise.resolve(state.reach);
    if (!state.deciding) {
      const work = this.decide(deviceId, state.preferred, reading).then((reach) => {
        if (this.devices.get(deviceId) === state) state.reach = reach;
        return reach;
      });
      state.deciding = work;
      work
        .finally(() => {
          if (state.deciding === work) state.deciding = undefined;
        })
        .catch(() => undefined);
    }
    return state.deciding;
  }

  private async decide(
    deviceId: string,
    preferred: PreviewRoute | undefined,
    given: DeviceReading | undefined,
  ): Promise<Reach> {
    const reading = given ?? (await this.read(deviceId));
    const mtx = this.opts.profileOf(deviceId).mediamtx;
    const whep = reading.whep ?? { host: LOOPBACK_HOST, port: mtx.whepPort };
    const hls = reading.hls ?? { host: LOOPBACK_HOST, port: mtx.hlsPort };
    const port = whep.port;
    const timeoutMs = this.opts.probeTimeoutMs ?? 1000;
    const candidates = directCandidates(this.opts.hostOf(deviceId), reading.addresses);
    let refused = '';
    if (preferred !== 'tunnel') {
      // All at once, taken in order of preference: the first that connects wins without waiting for the others.
      const pending = candidates.map((h) => tcpProbe(h, port, timeoutMs));
      const probes: (string | null)[] = [];
      let host: string | undefined;
      for (const [i, probe] of pending.entries()) {
        probes.push(await probe);
        if (probes[i] === null) {
          host = candidates[i];
          break;
        }
      }
      if (host !== undefined)
        return {
          route: 'direct',
          directHost: host,
          detail: `Direct to ${urlHost(host)}:${port}${preferred ? ' (chosen)' : ''}: the console reaches the device's WHEP port, media goes straight to the device.`,
          ice: reading.ice,
          whep,
          hls,
        };
      refused =
        candidates.length === 0
          ? 'The device reports no address of its own to try directly'
          : `Direct to ${candidates.map((h, i) => `${urlHost(h)}:${port} (${probes[i] ?? '?'})`).join(', ')} failed`;
      if (preferred === 'direct') {
        if (candidates[0] === undefined) throw new ContractError('unavailable', `${refused}.`);
        return {
          route: 'direct',
          directHost: candidates[0],
          detail: `Direct (chosen), but it does not answer: ${refused}. Let the console choose to use the SSH tunnel.`,
          ice: reading.ice,
          whep,
          hls,
        };
      }
    }
    const signalling = await this.forward(deviceId, whep.host, whep.port);
    let media: string;
    if (reading.ice.iceTcp === true && reading.ice.address) {
      const fwd = await this.forward(deviceId, reading.ice.address.host, reading.ice.address.port);
      media = `media over ICE-TCP on 127.0.0.1:${fwd.localPort} → device ${urlHost(reading.ice.address.host)}:${reading.ice.address.port}`;
    } else if (reading.ice.iceTcp === false) {
      media = `but the device's MediaMTX offers no ICE-TCP, so no media can pass the tunnel. ${reading.ice.hint ?? ''}`;
    } else {
      media = `media over ICE-TCP on the port each answer names (${reading.ice.problem ?? 'configuration unknown'})`;
    }
    return {
      route: 'tunnel',
      directHost: null,
      detail:
        `${refused ? `${refused}; ` : ''}through SSH${preferred ? ' (chosen)' : ''}: signalling on 127.0.0.1:${signalling.localPort} → device ${urlHost(whep.host)}:${whep.port}, ${media}.`.replace(
          /^./,
          (c) => c.toUpperCase(),
        ),
      ice: reading.ice,
      whep,
      hls,
    };
  }
}

/**
 * The console's WHEP and HLS proxy, so a renderer (or a browser on another machine) needs no route to the device:
 *
 *   POST         /previews/<deviceId>/<path>/whep           → device POST /<path>/whep (Location made console-relative)
 *   PATCH/DELETE /previews/<deviceId>/<path>/whep/<secret>  → the session resource on the device
 *   GET          /previews/<deviceId>/<path>/hls/<file>      → device HLS (8888) /<path>/<file>
 *
 * Status and body come back as MediaMTX sent them (404 offline path, 401 auth, 400 codec…); a 400 for a codec gets
 * a `detail` that says why. Through the tunnel the answer's candidates are rewritten to the local ICE-TCP forward.
 */
import http from 'node:http';
import { ContractError, type PreviewRoute } from '../../contract/index.js';
import { ICE_TCP_HINT } from './mediamtx-config.js';
import type { PreviewService, Upstream } from './preview-service.js';
import { iceTcpPorts, rewriteForTunnel } from './sdp-candidates.js';

export const CODEC_DETAIL =
  'The stream’s codec does not play over WebRTC in browsers (MediaMTX sends only AV1, VP9, VP8 and H.264 over ' +
  'WHEP; H.265 is the usual case, seed 001). Play it over HLS instead, or switch the camera to H.264.';

const MAX_SDP_BYTES = 256 * 1024;
const UPSTREAM_TIMEOUT_MS = 10_000;
/** A direct address that does not accept within this long is given up for the tunnel. */
const CONNECT_TIMEOUT_MS = 2_000;

export type PreviewRequest =
  | { kind: 'whep'; deviceId: string; path: string }
  | { kind: 'session'; deviceId: string; path: string; secret: string }
  | { kind: 'hls'; deviceId: string; path: string; file: string };

const SEGMENT = /^[A-Za-z0-9_.~-]{1,200}$/;

/** `/previews/…` → what is asked for; null for anything malformed (bad encoding, `..`, odd characters). */
export function parsePreviewPath(pathname: string): PreviewRequest | null {
  const raw = pathname.split('/');
  if (raw[0] !== '' || raw[1] !== 'previews') return null;
  let parts: string[];
  try {
    parts = raw.slice(2).map((p) => decodeURIComponent(p));
  } catch {
    return null;
  }
  if (parts.some((p) => !SEGMENT.test(p) || p === '.' || p === '..')) return null;
  const [deviceId, ...rest] = parts;
  if (deviceId === undefined || rest.length < 2) return null;
  const last = rest.at(-1) ?? '';
  const before = rest.at(-2);
  if (last === 'whep') return { kind: 'whep', deviceId, path: rest.slice(0, -1).join('/') };
  if (rest.length >= 3 && before === 'whep')
    return { kind: 'session', deviceId, path: rest.slice(0, -2).join('/'), secret: last };
  if (rest.length >= 3 && before === 'hls')
    return { kind: 'hls', deviceId, path: rest.slice(0, -2).join('/'), file: last };
  return null;
}

/** The device's `Location` (relative or absolute) as a URL under this console's `/previews/<deviceId>`. */
export function consoleLocation(deviceId: string, location: string): string | null {
  let pathname: string;
  try {
    pathname = new URL(location, 'http://device.invalid').pathname;
  } catch {
    return null;
  }
  return `/previews/${encodeURIComponent(deviceId)}${pathname}`;
}

/** A 400 for the codec: MediaMTX's own words stay, `detail` says why in plain words. */
export function explainError(status: number, body: string): string {
  if (status !== 400 || !/supported codec/i.test(body)) return body;
  let original: unknown = body;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) original = parsed.error;
  } catch {
    // not JSON: keep the text as the error
  }
  return JSON.stringify({ error: original, detail: CODEC_DETAIL });
}

interface UpstreamReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .writeHead(status, {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    })
    .end(body);
}

function sendError(res: http.ServerResponse, status: number, error: string, detail?: string): void {
  send(res, status, JSON.stringify(detail ? { error, detail } : { error }), {
    'Content-Type': 'application/json; charset=utf-8',
  });
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ContractError('invalid_input', `The request body is over ${limit} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function request(
  upstream: Upstream,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | null,
): Promise<UpstreamReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: upstream.host,
        port: upstream.port,
        method,
        path,
        headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
        timeout: UPSTREAM_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
    const connectTimer = setTimeout(
      () =>
        req.destroy(
          new Error(`${upstream.host}:${upstream.port} did not accept within ${CONNECT_TIMEOUT_MS} ms`),
        ),
      CONNECT_TIMEOUT_MS,
    );
    req.once('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once('connect', () => clearTimeout(connectTimer));
    });
    req.once('close', () => clearTimeout(connectTimer));
    req.once('error', reject);
    req.end(body ?? undefined);
  });
}

/** Request headers worth passing on (auth for MediaMTX's 401, the SDP types, WHEP's If-Match). */
function passRequestHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['content-type', 'accept', 'authorization', 'if-match', 'range']) {
    const value = req.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

const REPLY_HEADERS = [
  'content-type',
  'etag',
  'id',
  'accept-patch',
  'link',
  'content-range',
  'accept-ranges',
];

function passReplyHeaders(reply: UpstreamReply, route: PreviewRoute): Record<string, string> {
  const out: Record<string, string> = { 'X-Tally-Route': route };
  for (const name of REPLY_HEADERS) {
    const value = reply.headers[name];
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(', ');
  }
  // Passed under another name: a browser seeing the real header on a fetch may pop up its own password dialog.
  const challenge = reply.headers['www-authenticate'];
  if (typeof challenge === 'string') out['X-WWW-Authenticate'] = challenge;
  return out;
}

export interface PreviewProxy {
  /** Handle one `/previews/…` request (the caller has checked who may ask). */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void>;
}

export function createPreviewProxy(service: PreviewService): PreviewProxy {
  /** Send to the device on the current route; a direct route that fails is given up and the request retried. */
  async function toDevice(
    deviceId: string,
    which: 'whep' | 'hls',
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | null,
  ): Promise<{ reply: UpstreamReply; upstream: Upstream }> {
    const pick = (): Promise<Upstream> =>
      which === 'whep' ? service.whepUpstream(deviceId) : service.hlsUpstream(deviceId);
    const upstream = await pick();
    try {
      return { reply: await request(upstream, method, path, headers, body), upstream };
    } catch (err) {
      if (upstream.route !== 'direct') throw err;
      service.routeFailed(deviceId, 'direct');
      const again = await pick();
      if (again.route === 'direct' && again.host === upstream.host) throw err;
      return { reply: await request(again, method, path, headers, body), upstream: again };
    }
  }

  async function post(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: { deviceId: string; path: string },
  ): Promise<void> {
    const body = await readBody(req, MAX_SDP_BYTES);
    const path = `/${encodePath(target.path)}/whep`;
    const { reply, upstream } = await toDevice(
      target.deviceId,
      'whep',
      'POST',
      path,
      passRequestHeaders(req),
      body,
    );
    const headers = passReplyHeaders(reply, upstream.route);
    if (reply.status !== 201) {
      send(res, reply.status, explainError(reply.status, reply.body.toString('utf8')), headers);
      return;
    }
    const location = reply.headers.location;
    const mapped = typeof location === 'string' ? consoleLocation(target.deviceId, location) : null;
    if (mapped) headers.Location = mapped;
    let sdp = reply.body.toString('utf8');
    if (upstream.route === 'tunnel') {
      // The address the browser reached us on: loopback for a local renderer, a LAN address in open web mode.
      const consoleAddress = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      const ports = new Map<number, number>();
      let host = '127.0.0.1';
      for (const port of iceTcpPorts(sdp)) {
        const endpoint = await service.iceTcpEndpoint(target.deviceId, port, consoleAddress);
        ports.set(port, endpoint.port);
        host = endpoint.host;
      }
      const rewritten = rewriteForTunnel(sdp, { host, localPortFor: (p) => ports.get(p) ?? null });
      if (rewritten.kept.length === 0) {
        // The session can never connect: end it on the device now rather than let it time out there.
        if (typeof location === 'string')
          await request(upstream, 'DELETE', new URL(location, 'http://d.invalid').pathname, {}, null).catch(
            () => undefined,
          );
        const hint = service.iceTcp(target.deviceId)?.hint ?? ICE_TCP_HINT;
        sendError(
          res,
          502,
          'The device’s MediaMTX offers no ICE-TCP candidate, so no media can pass the SSH tunnel.',
          `${hint}.`,
        );
        return;
      }
      sdp = rewritten.sdp;
    }
    send(res, 201, sdp, headers);
  }

  async function session(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: { deviceId: string; path: string; secret: string },
  ): Promise<void> {
    const body = req.method === 'PATCH' ? await readBody(req, 64 * 1024) : null;
    const { reply, upstream } = await toDevice(
      target.deviceId,
      'whep',
      req.method ?? 'DELETE',
      `/${encodePath(target.path)}/whep/${encodeURIComponent(target.secret)}`,
      passRequestHeaders(req),
      body,
    );
    send(res, reply.status, reply.body, passReplyHeaders(reply, upstream.route));
  }

  async function hls(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: { deviceId: string; path: string; file: string },
    url: URL,
  ): Promise<void> {
    const { reply, upstream } = await toDevice(
      target.deviceId,
      'hls',
      req.method ?? 'GET',
      `/${encodePath(target.path)}/${encodeURIComponent(target.file)}${url.search}`,
      passRequestHeaders(req),
      null,
    );
    send(res, reply.status, req.method === 'HEAD' ? '' : reply.body, passReplyHeaders(reply, upstream.route));
  }

  return {
    async handle(req, res, url) {
      const target = parsePreviewPath(url.pathname);
      if (!target) {
        sendError(res, 404, 'No such preview address. Use the URLs previews.list gives.');
        return;
      }
      const method = req.method ?? 'GET';
      const allowed =
        target.kind === 'whep' ? ['POST'] : target.kind === 'session' ? ['PATCH', 'DELETE'] : ['GET', 'HEAD'];
      if (!allowed.includes(method)) {
        send(res, 405, '', { Allow: allowed.join(', ') });
        return;
      }
      try {
        if (target.kind === 'whep') await post(req, res, target);
        else if (target.kind === 'session') await session(req, res, target);
        else await hls(req, res, target, url);
      } catch (err) {
        if (err instanceof ContractError) {
          const status =
            err.code === 'not_found'
              ? 404
              : err.code === 'invalid_input'
                ? 400
                : err.code === 'unavailable'
                  ? 503
                  : 502;
          sendError(res, status, err.message);
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        sendError(res, 502, `The device's media server did not answer the console: ${message}.`);
      }
    },
  };
}

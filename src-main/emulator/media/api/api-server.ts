/**
 * The control API on loopback, in MediaMTX v3's shape (internal/api, internal/defs/api_path.go):
 *   GET /v3/paths/list[?itemsPerPage=&page=]   GET /v3/paths/get/<name>
 *   GET /v3/rtspsessions/list                 GET /v3/webrtcsessions/list
 *   POST /v3/rtspsessions/kick/<id> (publishers only: the stand-in lists no RTSP reader sessions)
 *   GET /v3/config/global/get (the global settings the console looks at, under MediaMTX's key names)
 * and, for the emulated recorder only:
 *   POST /internal/forward {"path":"cam0","port":5600}   DELETE /internal/forward (same body)   GET /internal/forward
 */
import http from 'node:http';
import { z } from 'zod';
import type { MediaServerConfig } from '../config.js';
import type { InternalForwards } from '../internal-forward.js';
import type { Logger } from '../log.js';
import type { MediaPath } from '../path.js';
import type { PathManager } from '../path-manager.js';
import { BodyTooLarge, boundPort, listen, readBody, sendError, sendJson } from '../http-util.js';
import type { WhepServer } from '../webrtc/http-server.js';

export interface ApiPathReader {
  type: string;
  id: string;
}

export interface ApiPathTrack {
  codec: string;
  codecProps: { width: number; height: number; profile: string; level: string } | Record<string, never>;
}

export interface ApiPath {
  name: string;
  confName: string;
  source: { type: 'rtspSession'; id: string } | null;
  ready: boolean;
  readyTime: string | null;
  available: boolean;
  availableTime: string | null;
  online: boolean;
  onlineTime: string | null;
  tracks: string[];
  tracks2: ApiPathTrack[];
  readers: ApiPathReader[];
  inboundBytes: number;
  outboundBytes: number;
  inboundFramesInError: number;
  bytesReceived: number;
  bytesSent: number;
}

export interface ApiList<T> {
  pageCount: number;
  itemCount: number;
  items: T[];
}

const forwardBody = z.object({
  path: z.string().min(1).max(64),
  port: z.number().int().min(1).max(65535),
});

function profileLabel(profile: string): string {
  return profile
    .split('-')
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join(' ');
}

export function describePath(path: MediaPath): ApiPath {
  const since = path.publisher?.since.toISOString() ?? null;
  const online = path.online;
  const codec = path.publisher?.codec;
  const format = path.format;
  return {
    name: path.name,
    confName: path.name,
    source: path.publisher ? { type: 'rtspSession', id: path.publisher.id } : null,
    ready: online,
    readyTime: since,
    available: online,
    availableTime: since,
    online,
    onlineTime: since,
    tracks: codec ? [codec] : [],
    tracks2: codec
      ? [
          {
            codec,
            codecProps: format
              ? {
                  width: format.width,
                  height: format.height,
                  profile: profileLabel(format.profile),
                  level: format.level,
                }
              : {},
          },
        ]
      : [],
    readers: path
      .listReaders()
      .filter((r) => online || r.type === 'webRTCSession')
      .map((r) => ({ type: r.type, id: r.id })),
    inboundBytes: path.inboundBytes,
    outboundBytes: path.outboundBytes,
    inboundFramesInError: 0,
    bytesReceived: path.inboundBytes,
    bytesSent: path.outboundBytes,
  };
}

function paginate<T>(items: T[], url: URL): ApiList<T> | string {
  const perPageRaw = url.searchParams.get('itemsPerPage');
  const pageRaw = url.searchParams.get('page');
  const perPage = perPageRaw === null ? 100 : Number(perPageRaw);
  const page = pageRaw === null ? 0 : Number(pageRaw);
  if (!Number.isInteger(perPage) || perPage <= 0) return 'invalid items per page';
  if (!Number.isInteger(page) || page < 0) return 'invalid page';
  return {
    itemCount: items.length,
    pageCount: Math.ceil(items.length / perPage),
    items: items.slice(page * perPage, (page + 1) * perPage),
  };
}

export interface ApiServerOptions {
  paths: PathManager;
  forwards: InternalForwards;
  whep: WhepServer;
  config: MediaServerConfig;
  log: Logger;
  /** Closes the publishing session with this id; false when there is none. */
  kickPublisher: (id: string) => boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** MediaMTX's global settings, as far as this stand-in has them (the rest keep MediaMTX's defaults). */
export function globalConfig(config: MediaServerConfig): Record<string, unknown> {
  const seconds = (s: number): string => `${s}s`;
  return {
    logLevel: config.debug ? 'debug' : 'info',
    readTimeout: '10s',
    writeTimeout: '10s',
    api: true,
    apiAddress: `${config.apiHost}:${config.apiPort}`,
    rtsp: true,
    rtspTransports: ['udp', 'tcp'],
    rtspAddress: `:${config.rtspPort}`,
    rtmp: false,
    hls: config.hlsPort > 0,
    hlsAddress: config.hlsPort > 0 ? `:${config.hlsPort}` : '',
    hlsAllowOrigin: '*',
    hlsAlwaysRemux: false,
    hlsVariant: 'mpegts',
    hlsSegmentCount: 7,
    hlsSegmentDuration: seconds(config.hlsSegmentDuration),
    hlsMuxerCloseAfter: seconds(config.hlsCloseAfter),
    webrtc: true,
    webrtcAddress: `:${config.whepPort}`,
    webrtcAllowOrigin: '*',
    // ICE over UDP uses a fresh port per session here, as MediaMTX does with this setting empty.
    webrtcLocalUDPAddress: '',
    webrtcLocalTCPAddress: config.iceTcpPort > 0 ? `:${config.iceTcpPort}` : '',
    webrtcIPsFromInterfaces: config.iceHosts === undefined,
    webrtcAdditionalHosts: [...config.iceAdditionalHosts, ...(config.iceHosts ?? [])],
    webrtcICEServers2: [],
    webrtcHandshakeTimeout: seconds(config.handshakeTimeout),
    webrtcTrackGatherTimeout: '2s',
    srt: false,
  };
}

export class ApiServer {
  private readonly server: http.Server;

  constructor(private readonly options: ApiServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        options.log.error(`request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendError(res, 500, 'internal error');
        else res.destroy();
      });
    });
  }

  listen(port: number, host: string): Promise<void> {
    return listen(this.server, port, host);
  }

  get port(): number {
    return boundPort(this.server);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const { paths, whep } = this.options;

    if (url.pathname === '/internal/forward') {
      await this.onForward(req, res, method);
      return;
    }
    const kick = /^\/v3\/rtspsessions\/kick\/(.+)$/.exec(url.pathname);
    if (kick && method === 'POST') {
      this.onKick(res, decodeURIComponent(kick[1] ?? ''));
      return;
    }
    if (method !== 'GET') {
      sendError(res, 404, 'not found');
      return;
    }
    if (url.pathname === '/v3/config/global/get') {
      sendJson(res, 200, globalConfig(this.options.config));
      return;
    }
    if (url.pathname === '/v3/paths/list') {
      const list = paginate(paths.list().map(describePath), url);
      if (typeof list === 'string') sendError(res, 400, list);
      else sendJson(res, 200, list);
      return;
    }
    const get = /^\/v3\/paths\/get\/(.+)$/.exec(url.pathname);
    if (get) {
      const path = paths.get(decodeURIComponent(get[1] ?? ''));
      if (!path) sendError(res, 404, 'path not found');
      else sendJson(res, 200, describePath(path));
      return;
    }
    if (url.pathname === '/v3/rtspsessions/list') {
      const items = paths
        .list()
        .filter((p) => p.publisher)
        .map((p) => ({
          id: p.publisher?.id,
          created: p.publisher?.since.toISOString(),
          remoteAddr: p.publisher?.remote,
          state: 'publish',
          path: p.name,
          transport: p.publisher?.transport === 'tcp' ? 'TCP' : 'UDP',
          bytesReceived: p.inboundBytes,
          bytesSent: 0,
        }));
      const list = paginate(items, url);
      if (typeof list === 'string') sendError(res, 400, list);
      else sendJson(res, 200, list);
      return;
    }
    if (url.pathname === '/v3/webrtcsessions/list') {
      const items = [...whep.sessions.values()].map((s) => ({
        id: s.id,
        created: s.created.toISOString(),
        remoteAddr: s.remoteAddr,
        ...s.describe(),
        state: 'read',
        path: s.path.name,
        bytesReceived: s.bytesReceived,
        bytesSent: s.bytesSent,
      }));
      const list = paginate(items, url);
      if (typeof list === 'string') sendError(res, 400, list);
      else sendJson(res, 200, list);
      return;
    }
    sendError(res, 404, 'not found');
  }

  /** As MediaMTX answers it: 200 with no body, 400 for an id that is not a UUID, 404 for no such session. */
  private onKick(res: http.ServerResponse, id: string): void {
    if (!UUID.test(id)) sendError(res, 400, 'invalid UUID');
    else if (!this.options.kickPublisher(id)) sendError(res, 404, 'session not found');
    else {
      this.options.log.info(`RTSP session ${id.slice(0, 8)} kicked`);
      res.writeHead(200, { 'Content-Length': 0 });
      res.end();
    }
  }

  private async onForward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
  ): Promise<void> {
    const { forwards, paths } = this.options;
    if (method === 'GET') {
      sendJson(res, 200, { items: forwards.list() });
      return;
    }
    if (method !== 'POST' && method !== 'DELETE') {
      sendError(res, 405, 'method not allowed');
      return;
    }
    let body: z.infer<typeof forwardBody>;
    try {
      body = forwardBody.parse(JSON.parse(await readBody(req, 4096)));
    } catch (error) {
      sendError(
        res,
        400,
        error instanceof BodyTooLarge ? 'request body is too large' : 'expected {"path","port"}',
      );
      return;
    }
    const path = paths.get(body.path);
    if (!path) {
      sendError(res, 404, 'path not found');
      return;
    }
    if (method === 'POST') {
      const { id, created } = forwards.add(path, body.port);
      sendJson(res, created ? 201 : 200, { id, path: path.name, port: body.port });
    } else if (forwards.remove(path, body.port)) {
      sendJson(res, 200, { path: path.name, port: body.port });
    } else {
      sendError(res, 404, 'forward not found');
    }
  }
}

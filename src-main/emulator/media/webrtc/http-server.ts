/**
 * The WHEP endpoints, shaped like MediaMTX's internal/servers/webrtc/http_server.go:
 *   OPTIONS /<path>/whep              204, Link (ICE servers: none here)
 *   POST    /<path>/whep              201, answer SDP, Location /<path>/whep/<secret>, ETag, ID, Accept-Patch
 *   PATCH   /<path>/whep/<secret>     trickle ICE (application/trickle-ice-sdpfrag), 204
 *   DELETE  /<path>/whep/<secret>     200
 * Every answer carries Access-Control-Allow-Origin: * and Access-Control-Allow-Credentials: true; a CORS
 * preflight (OPTIONS with Access-Control-Request-Method) is answered 204 on any URL. Errors are JSON
 * `{"error": "…"}` with MediaMTX's status codes and wording.
 */
import http from 'node:http';
import type { Logger } from '../log.js';
import type { PathManager } from '../path-manager.js';
import {
  BodyTooLarge,
  boundPort,
  listen,
  mediaType,
  readBody,
  remoteAddress,
  sendError,
} from '../http-util.js';
import type { IceTcpMux } from './ice-tcp-mux.js';
import { WhepError, WhepSession } from './session.js';

/** A browser offer is a few KiB; anything past this is refused before it is parsed. */
const MAX_BODY = 256 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WhepServerOptions {
  paths: PathManager;
  log: Logger;
  hostAddresses: () => string[];
  iceTcpMux: IceTcpMux | undefined;
  iceUdpPortRange: [number, number] | undefined;
  join: 'keyframe-cache' | 'next-keyframe';
  handshakeTimeoutMs: number;
  readerTimeoutMs: number;
}

export class WhepServer {
  readonly sessions = new Map<string, WhepSession>();
  private readonly server: http.Server;

  constructor(private readonly options: WhepServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        options.log.error(`request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendError(res, 500, 'internal error');
        else res.destroy();
      });
    });
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 10_000;
  }

  listen(port: number, host: string): Promise<void> {
    return listen(this.server, port, host);
  }

  get port(): number {
    return boundPort(this.server);
  }

  async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) session.close('terminated');
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');

    if (method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'OPTIONS, GET, POST, PATCH, DELETE',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
      });
      res.end();
      return;
    }

    const noId = /^\/(.+?)\/(whip|whep)$/.exec(url.pathname);
    if (noId) {
      const pathName = decodeURIComponent(noId[1] ?? '');
      if (noId[2] === 'whip') {
        sendError(res, 400, 'publishing over WebRTC is not supported by this server');
        return;
      }
      switch (method) {
        case 'OPTIONS':
          res.writeHead(204, {
            'Access-Control-Allow-Methods': 'OPTIONS, GET, POST, PATCH, DELETE',
            'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
            'Access-Control-Expose-Headers': 'Link',
          });
          res.end();
          return;
        case 'POST':
          await this.onPost(req, res, pathName);
          return;
        case 'GET':
        case 'HEAD':
        case 'PUT':
          sendError(res, 405, 'method not allowed');
          return;
        default:
          sendError(res, 405, 'method not allowed');
          return;
      }
    }

    const withId = /^\/(.+?)\/(whip|whep)\/(.+?)$/.exec(url.pathname);
    if (withId) {
      const secret = withId[3] ?? '';
      if (method === 'PATCH') await this.onPatch(req, res, secret);
      else if (method === 'DELETE') this.onDelete(res, secret);
      else sendError(res, 405, 'method not allowed');
      return;
    }

    sendError(res, 404, 'not found');
  }

  private async onPost(req: http.IncomingMessage, res: http.ServerResponse, pathName: string): Promise<void> {
    if (mediaType(req.headers['content-type']) !== 'application/sdp') {
      sendError(res, 400, 'invalid Content-Type');
      return;
    }
    let offer: string;
    try {
      offer = await readBody(req, MAX_BODY);
    } catch (error) {
      if (error instanceof BodyTooLarge) sendError(res, 400, 'request body is too large', true);
      else res.destroy();
      return;
    }
    const path = this.options.paths.get(pathName);
    if (!path) {
      sendError(res, 400, `path '${pathName}' is not configured`);
      return;
    }
    let created: { session: WhepSession; answer: string };
    try {
      created = await WhepSession.create({
        path,
        offer,
        remoteAddr: remoteAddress(req),
        hostAddresses: this.options.hostAddresses(),
        iceTcpMux: this.options.iceTcpMux,
        iceUdpPortRange: this.options.iceUdpPortRange,
        join: this.options.join,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        readerTimeoutMs: this.options.readerTimeoutMs,
        log: this.options.log,
        onClosed: (s) => this.sessions.delete(s.secret),
      });
    } catch (error) {
      if (error instanceof WhepError) {
        this.options.log.info(`connection ${remoteAddress(req)} refused on '${pathName}': ${error.message}`);
        sendError(res, error.status, error.message);
        return;
      }
      throw error;
    }
    const { session, answer } = created;
    this.sessions.set(session.secret, session);
    res.writeHead(201, {
      'Content-Type': 'application/sdp',
      'Access-Control-Expose-Headers': 'ETag, ID, Accept-Patch, Link, Location',
      ETag: '*',
      ID: session.id,
      'Accept-Patch': 'application/trickle-ice-sdpfrag',
      Location: `/${encodeURI(pathName)}/whep/${session.secret}`,
      'Content-Length': Buffer.byteLength(answer),
    });
    res.end(answer);
  }

  private async onPatch(req: http.IncomingMessage, res: http.ServerResponse, secret: string): Promise<void> {
    if (!UUID.test(secret)) {
      sendError(res, 400, 'invalid secret');
      return;
    }
    if (mediaType(req.headers['content-type']) !== 'application/trickle-ice-sdpfrag') {
      sendError(res, 400, 'invalid Content-Type');
      return;
    }
    let body: string;
    try {
      body = await readBody(req, MAX_BODY);
    } catch (error) {
      if (error instanceof BodyTooLarge) sendError(res, 400, 'request body is too large', true);
      else res.destroy();
      return;
    }
    const session = this.sessions.get(secret);
    if (!session) {
      sendError(res, 404, 'session not found');
      return;
    }
    try {
      await session.addCandidates(body);
    } catch (error) {
      if (error instanceof WhepError) {
        sendError(res, error.status, error.message);
        return;
      }
      throw error;
    }
    res.writeHead(204);
    res.end();
  }

  private onDelete(res: http.ServerResponse, secret: string): void {
    if (!UUID.test(secret)) {
      sendError(res, 400, 'invalid secret');
      return;
    }
    const session = this.sessions.get(secret);
    if (!session) {
      sendError(res, 404, 'session not found');
      return;
    }
    session.close('terminated');
    res.writeHead(200);
    res.end();
  }
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { RequestMessage } from '../contract/index.js';
import type { Console } from '../core/console.js';
import { createPreviewProxy } from '../core/previews/whep-proxy.js';
import { readStatic } from './static-files.js';
import {
  COOKIE,
  cookieToken,
  hostAllowed,
  newToken,
  originAllowed,
  queryToken,
  tokenMatches,
} from './token-auth.js';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface WebServerOptions {
  console: Console;
  rendererDir: string;
  host: string;
  port: number;
  token?: string;
}

export interface WebServer {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/** The largest message a client may send; the renderer's requests are a few KiB. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Close codes ws uses when it refuses a client's frame, with the reason a client is told (at most 123 bytes). */
const CLOSE_REASONS: Readonly<Record<number, string>> = {
  1002: 'Protocol error: invalid WebSocket frame.',
  1007: 'Invalid message: text is not valid UTF-8.',
  1009: `Message too large: the limit is ${MAX_MESSAGE_BYTES / (1024 * 1024)} MiB.`,
};

/**
 * A server-side socket that says why whenever it is closed with a known code and no reason. ws closes a socket
 * on a bad frame (too large, not UTF-8, …) with the code alone and then emits 'error'.
 */
class ExplainingSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    super.close(code, data ?? (code === undefined ? undefined : CLOSE_REASONS[code]));
  }
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Web mode: the built renderer over HTTP and the contract over a WebSocket, behind a random token. */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const token = opts.token ?? newToken();
  const allowedHosts = new Set<string>();
  // Bound to every interface, the names people use are unknown; the token cookie (bound to the name) still guards.
  const anyHost = opts.host === '0.0.0.0' || opts.host === '::';
  const previews = createPreviewProxy(opts.console.previews);

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (!anyHost && !hostAllowed(req, allowedHosts)) {
      res
        .writeHead(421, { 'Content-Type': 'text/plain' })
        .end('Misdirected request: unexpected Host header.\n');
      return;
    }
    const fromQuery = queryToken(url);
    if (tokenMatches(token, fromQuery)) {
      // Trade the token in the URL for a cookie, and drop it from the address bar.
      url.searchParams.delete('token');
      res
        .writeHead(302, {
          'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          Location: url.pathname + (url.search || ''),
          ...SECURITY_HEADERS,
        })
        .end();
      return;
    }
    if (!tokenMatches(token, cookieToken(req))) {
      res
        .writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS })
        .end('401: open the URL that `tally web` printed; it carries the access token.\n');
      return;
    }
    if (url.pathname.startsWith('/previews/')) {
      // WHEP and HLS for the renderer; a request that changes something must come from the page we served.
      if (req.method !== 'GET' && req.method !== 'HEAD' && !originAllowed(req)) {
        res.writeHead(403, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS }).end('Forbidden origin.\n');
        return;
      }
      await previews.handle(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, SECURITY_HEADERS).end();
      return;
    }
    const file = await readStatic(opts.rendererDir, url.pathname);
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS }).end('Not found.\n');
      return;
    }
    res
      .writeHead(200, { 'Content-Type': file.type, ...SECURITY_HEADERS })
      .end(req.method === 'HEAD' ? undefined : file.body);
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    WebSocket: ExplainingSocket,
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const authed = tokenMatches(token, cookieToken(req)) || tokenMatches(token, queryToken(url));
    if (
      url.pathname !== '/ws' ||
      (!anyHost && !hostAllowed(req, allowedHosts)) ||
      !originAllowed(req) ||
      !authed
    ) {
      socket.end(
        `HTTP/1.1 ${authed ? 403 : 401} ${authed ? 'Forbidden' : 'Unauthorized'}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  const sockets = new Map<string, WebSocket>();
  const offEvents = opts.console.onEvent((name, payload, owner) => {
    const text = JSON.stringify({ event: name, payload });
    if (owner) {
      const ws = sockets.get(owner);
      if (ws?.readyState === ws?.OPEN) ws?.send(text);
      return;
    }
    for (const ws of sockets.values()) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  function serveSocket(ws: WebSocket): void {
    const owner = `web:${randomUUID()}`;
    sockets.set(owner, ws);
    // ws has already closed the socket (with a code and, through ExplainingSocket, a reason) when it emits this;
    // without a listener the error would take the whole console down.
    ws.on('error', (err) => {
      process.stderr.write(`Tally web: closed a WebSocket client: ${err.message}\n`);
    });
    ws.on('message', async (data) => {
      let msg: RequestMessage;
      try {
        msg = RequestMessage.parse(JSON.parse(String(data)));
      } catch (err) {
        // Without a valid id there is nobody to answer: end this client's session and say why.
        const detail = err instanceof SyntaxError ? 'not JSON' : 'not a request {id, name, input}';
        ws.close(1007, `Malformed request: ${detail}.`);
        return;
      }
      const reply = await opts.console.invoke(msg.name, msg.input, { owner });
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id, ...reply }));
    });
    ws.on('close', () => {
      sockets.delete(owner);
      opts.console.release(owner);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  allowedHosts.add(`${hostForUrl}:${port}`.toLowerCase());
  if (opts.host === '127.0.0.1' || opts.host === '::1' || opts.host === 'localhost') {
    allowedHosts.add(`localhost:${port}`);
    allowedHosts.add(`127.0.0.1:${port}`);
    allowedHosts.add(`[::1]:${port}`);
  }
  return {
    url: `http://${hostForUrl}:${port}/?token=${token}`,
    token,
    port,
    close: async () => {
      offEvents();
      for (const ws of sockets.values()) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The RTSP listener (8554): plays paths to RTSP readers itself, and hands publishers to the Python ingest.
 *
 * Each connection is read as RTSP. OPTIONS is answered here. A DESCRIBE makes it a reader: SETUP (TCP-interleaved
 * only, as `rtspsrc protocols=tcp` asks; UDP gets 461 so a client falls back to TCP), PLAY, then the path's RTP
 * as `$`-framed packets on channel 0, from the next keyframe on (the ingest puts SPS/PPS in front of every one).
 * The reader is listed among the path's readers as an `rtspSession`, and its connection is closed when the
 * publisher leaves, as MediaMTX does. Any other first request (ANNOUNCE) makes the connection a publisher: it is
 * piped byte for byte, from that request on, to the ingest on its loopback port.
 */
import net from 'node:net';
import type { Logger } from '../log.js';
import { newSessionId, type MediaPath, type PathPacket, type PathReader } from '../path.js';
import type { PathManager } from '../path-manager.js';

export interface RtspFrontOptions {
  paths: PathManager;
  log: Logger;
  /** Where the ingest listens now (it may restart on another port). */
  ingestPort: () => number | undefined;
}

/** A reader whose socket holds this much unsent data skips ahead to the next keyframe. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const MAX_REQUEST_BYTES = 64 * 1024;
const SESSION_TIMEOUT_S = 60;
const PUBLIC_METHODS =
  'OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';

interface Request {
  method: string;
  url: string;
  headers: Map<string, string>;
  /** The request's bytes, headers and body. */
  raw: Buffer;
}

/** The next message at the front of `buf` (a request, or an interleaved `$` frame: no request), or undefined. */
function nextMessage(buf: Buffer): { request?: Request; size: number } | undefined {
  if (buf.length > 0 && buf[0] === 0x24) {
    if (buf.length < 4) return undefined;
    const size = 4 + buf.readUInt16BE(2);
    return buf.length < size ? undefined : { size };
  }
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const [method = '', url = ''] = (lines[0] ?? '').split(' ');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const size = end + 4 + Number(headers.get('content-length') ?? 0);
  if (buf.length < size) return undefined;
  return { request: { method, url, headers, raw: buf.subarray(0, size) }, size };
}

function pathOf(url: string): string {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    pathname = url;
  }
  return pathname.replace(/^\/+|\/+$/g, '').split('/')[0] ?? '';
}

function sdpFor(path: MediaPath): string {
  const encoding = path.codec === 'H265' ? 'H265' : 'H264';
  const fmtp = encoding === 'H264' ? ['a=fmtp:96 packetization-mode=1'] : [];
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    `s=${path.name}`,
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    `a=rtpmap:96 ${encoding}/90000`,
    ...fmtp,
    'a=control:trackID=0',
    '',
  ].join('\r\n');
}

/** One RTSP reader's playing session: the path's packets, `$`-framed on channel 0. */
class RtspReader implements PathReader {
  readonly type = 'rtspSession' as const;
  readonly id = newSessionId();
  private started = false;

  constructor(
    readonly path: MediaPath,
    private readonly socket: net.Socket,
  ) {}

  onPacket(packet: PathPacket): void {
    if (this.socket.writableLength > MAX_QUEUED_BYTES) this.started = false;
    if (!this.started) {
      if (!packet.keyframeStart || this.socket.writableLength > MAX_QUEUED_BYTES) return;
      this.started = true;
      for (const data of packet.accessUnit.slice(0, -1)) this.send(data);
    }
    this.send(packet.data);
  }

  private send(data: Buffer): void {
    const header = Buffer.from([0x24, 0, (data.length >> 8) & 0xff, data.length & 0xff]);
    this.path.outboundBytes += data.length;
    this.socket.write(Buffer.concat([header, data]));
  }

  onPathClosed(): void {
    this.path.removeReader(this);
    this.socket.destroy();
  }
}

class FrontConnection {
  private buf = Buffer.alloc(0);
  private mode: 'rtsp' | 'proxy' | 'closed' = 'rtsp';
  private path: MediaPath | undefined;
  private session: string | undefined;
  private reader: RtspReader | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: RtspFrontOptions,
    private readonly onProxied: (ingestSide: net.Socket, client: net.Socket) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  private onData(chunk: Buffer): void {
    if (this.mode !== 'rtsp') return;
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const message = nextMessage(this.buf);
      if (!message) break;
      if (message.request && !this.handle(message.request)) return;
      this.buf = this.buf.subarray(message.size);
    }
    if (this.buf.length > MAX_REQUEST_BYTES) this.socket.destroy();
  }

  /** Answers one request; false when the connection left RTSP mode (piped to the ingest, or closed). */
  private handle(req: Request): boolean {
    const cseq = req.headers.get('cseq') ?? '0';
    switch (req.method) {
      case 'OPTIONS':
        this.reply(cseq, 200, 'OK', [`Public: ${PUBLIC_METHODS}`]);
        return true;
      case 'DESCRIBE':
        return this.describe(req, cseq);
      case 'SETUP':
        return this.setup(req, cseq);
      case 'PLAY':
        return this.play(cseq);
      case 'TEARDOWN':
        this.reply(cseq, 200, 'OK', this.sessionHeader());
        this.close();
        return false;
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
      case 'PAUSE':
        this.reply(cseq, 200, 'OK', this.sessionHeader());
        return true;
      default:
        if (this.path) {
          this.reply(cseq, 455, 'Method Not Valid in This State', []);
          return true;
        }
        this.proxy();
        return false;
    }
  }

  private describe(req: Request, cseq: string): boolean {
    const name = pathOf(req.url);
    const path = this.options.paths.get(name);
    if (!path) {
      this.options.log.info(`DESCRIBE of path '${name}' refused: path is not configured`);
      this.reply(cseq, 404, 'Not Found', []);
      return true;
    }
    if (!path.online) {
      this.reply(cseq, 404, 'Not Found', []);
      return true;
    }
    this.path = path;
    const base = req.url.endsWith('/') ? req.url : `${req.url}/`;
    this.reply(cseq, 200, 'OK', [`Content-Base: ${base}`, 'Content-Type: application/sdp'], sdpFor(path));
    return true;
  }

  private setup(req: Request, cseq: string): boolean {
    const transport = req.headers.get('transport') ?? '';
    const tcp = transport.split(',').find((t) => t.includes('RTP/AVP/TCP'));
    if (!this.path) {
      this.reply(cseq, 455, 'Method Not Valid in This State', []);
      return true;
    }
    if (!tcp) {
      this.reply(cseq, 461, 'Unsupported Transport', []);
      return true;
    }
    const channels = /interleaved=(\d+)-(\d+)/.exec(tcp);
    this.session ??= newSessionId().replace(/-/g, '').slice(0, 16);
    this.reply(cseq, 200, 'OK', [
      `Transport: RTP/AVP/TCP;unicast;interleaved=${channels ? `${channels[1]}-${channels[2]}` : '0-1'}`,
      ...this.sessionHeader(),
    ]);
    return true;
  }

  private play(cseq: string): boolean {
    const path = this.path;
    if (!path || !this.session) {
      this.reply(cseq, 455, 'Method Not Valid in This State', []);
      return true;
    }
    if (!path.online) {
      this.reply(cseq, 404, 'Not Found', []);
      return true;
    }
    this.reply(cseq, 200, 'OK', [...this.sessionHeader(), 'Range: npt=0.000-']);
    if (!this.reader) {
      this.reader = new RtspReader(path, this.socket);
      path.addReader(this.reader);
      this.options.log.info(`[session ${this.reader.id.slice(0, 8)}] is reading from path '${path.name}'`);
    }
    return true;
  }

  private sessionHeader(): string[] {
    return this.session ? [`Session: ${this.session};timeout=${SESSION_TIMEOUT_S}`] : [];
  }

  private reply(cseq: string, status: number, text: string, headers: string[], body = ''): void {
    const lines = [`RTSP/1.0 ${status} ${text}`, `CSeq: ${cseq}`, 'Server: gortsplib', ...headers];
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  /** A publisher: everything from its first non-OPTIONS request on goes to the ingest. */
  private proxy(): void {
    const port = this.options.ingestPort();
    if (port === undefined) {
      this.socket.destroy();
      return;
    }
    this.mode = 'proxy';
    this.socket.pause();
    const pending = this.buf;
    const upstream = net.connect({ port, host: '127.0.0.1' }, () => {
      upstream.setNoDelay(true);
      this.onProxied(upstream, this.socket);
      upstream.write(pending);
      this.socket.pipe(upstream);
      upstream.pipe(this.socket);
      this.socket.resume();
    });
    upstream.on('error', () => this.socket.destroy());
    upstream.on('close', () => this.socket.destroy());
    this.socket.on('close', () => upstream.destroy());
  }

  /** The reader leaves its path; a piped publisher's socket is left to the pipe, unless `force` (shutdown). */
  close(force = false): void {
    const wasProxy = this.mode === 'proxy';
    this.mode = 'closed';
    if (this.reader) {
      this.reader.path.removeReader(this.reader);
      this.options.log.info(`[session ${this.reader.id.slice(0, 8)}] destroyed: reader left`);
      this.reader = undefined;
    }
    if (!wasProxy || force) this.socket.destroy();
  }
}

export class RtspFront {
  private server: net.Server | undefined;
  private readonly connections = new Set<FrontConnection>();
  /** The ingest sees every publisher as coming from loopback; this gives back who it really is. */
  private readonly remotes = new Map<number, string>();
  /** Each piped publisher's own socket, by the same port. */
  private readonly publishers = new Map<number, net.Socket>();

  constructor(private readonly options: RtspFrontOptions) {}

  /** The real address of a publisher, by the port its piped connection to the ingest uses. */
  remoteOf(ingestSidePort: number): string | undefined {
    return this.remotes.get(ingestSidePort);
  }

  /** Closes a publisher's connection (the API's kick); the ingest then sees it leave. */
  kick(ingestSidePort: number): boolean {
    const socket = this.publishers.get(ingestSidePort);
    socket?.destroy();
    return socket !== undefined;
  }

  listen(port: number, host: string): Promise<number> {
    const server = net.createServer((socket) => {
      const connection = new FrontConnection(socket, this.options, (upstream, client) => {
        const local = upstream.localPort;
        if (local === undefined) return;
        this.remotes.set(local, client.remoteAddress?.replace(/^::ffff:/, '') ?? '');
        this.publishers.set(local, client);
        upstream.once('close', () => {
          this.remotes.delete(local);
          this.publishers.delete(local);
        });
      });
      this.connections.add(connection);
      socket.once('close', () => this.connections.delete(connection));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.close(true);
    this.connections.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

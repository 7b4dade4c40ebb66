/**
 * HLS on 8888, in MediaMTX's layout: `GET /<path>/index.m3u8` is a multivariant playlist naming `stream.m3u8`,
 * the media playlist, whose MPEG-TS segments `segNNNNN.ts` are next to it. A path's muxer starts on the first
 * request (which waits for the first segment) and stops when nobody has asked for anything of it for
 * `closeAfterMs` (MediaMTX's `hlsMuxerCloseAfter`), or when its publisher leaves. Unknown or offline path: 404.
 * No CORS: the console proxies it.
 */
import http from 'node:http';
import { boundPort, listen, sendError } from './http-util.js';
import { HlsMuxer, MEDIA_PLAYLIST } from './hls-muxer.js';
import type { Logger } from './log.js';
import type { MediaPath, TrackFormat } from './path.js';
import type { PathManager } from './path-manager.js';

export interface HlsServerOptions {
  paths: PathManager;
  log: Logger;
  gstLaunch: string;
  segmentDurationS: number;
  closeAfterMs: number;
  /** How long the first request waits for the first segment. */
  firstSegmentTimeoutMs?: number;
}

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';

const H264_PROFILES: Record<string, string> = {
  'constrained-baseline': '42c0',
  baseline: '4200',
  main: '4d00',
  high: '6400',
};

/** RFC 6381 codec string for the multivariant playlist; a sensible default when the format is not known yet. */
export function codecsAttribute(codec: 'H264' | 'H265', format: TrackFormat | undefined): string {
  const level = Number(format?.level ?? (codec === 'H264' ? '3.1' : '3.1'));
  if (codec === 'H265') return `hvc1.1.6.L${Math.round((Number.isFinite(level) ? level : 3.1) * 30)}.B0`;
  const profile = H264_PROFILES[format?.profile ?? ''] ?? '42c0';
  const idc = Math.round((Number.isFinite(level) ? level : 3.1) * 10);
  return `avc1.${profile}${idc.toString(16).padStart(2, '0')}`;
}

function multivariant(path: MediaPath, codec: 'H264' | 'H265'): string {
  const format = path.format;
  const resolution = format ? `,RESOLUTION=${format.width}x${format.height}` : '';
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    '',
    `#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS="${codecsAttribute(codec, format)}"${resolution}`,
    MEDIA_PLAYLIST,
    '',
  ].join('\n');
}

export class HlsServer {
  private readonly server: http.Server;
  private readonly muxers = new Map<string, { muxer: HlsMuxer; ready: Promise<boolean> }>();
  private readonly idleTimer: NodeJS.Timeout;

  constructor(private readonly options: HlsServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        options.log.error(`request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendError(res, 500, 'internal error');
        else res.destroy();
      });
    });
    this.idleTimer = setInterval(() => this.closeIdle(), 500);
    this.idleTimer.unref();
  }

  listen(port: number, host: string): Promise<void> {
    return listen(this.server, port, host);
  }

  get port(): number {
    return boundPort(this.server);
  }

  /** Muxers running now, by path name (for the API and tests). */
  activePaths(): string[] {
    return [...this.muxers.keys()];
  }

  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    for (const { muxer } of [...this.muxers.values()]) muxer.close('terminated');
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const { muxer } of [...this.muxers.values()])
      if (now - muxer.lastRequest > this.options.closeAfterMs) muxer.close('not needed by anyone');
  }

  private muxerFor(path: MediaPath, codec: 'H264' | 'H265'): { muxer: HlsMuxer; ready: Promise<boolean> } {
    const existing = this.muxers.get(path.name);
    if (existing) return existing;
    const muxer = new HlsMuxer(path, codec, {
      gstLaunch: this.options.gstLaunch,
      segmentDurationS: this.options.segmentDurationS,
      log: this.options.log,
      onClosed: (m) => {
        if (this.muxers.get(path.name)?.muxer === m) this.muxers.delete(path.name);
      },
    });
    const timeout = this.options.firstSegmentTimeoutMs ?? 15_000;
    const ready = (async (): Promise<boolean> => {
      try {
        await muxer.start();
      } catch (error) {
        this.options.log.error(`cannot start the muxer of '${path.name}': ${String(error)}`);
        muxer.close('cannot start');
        return false;
      }
      const deadline = Date.now() + timeout;
      while (Date.now() < deadline) {
        if (this.muxers.get(path.name)?.muxer !== muxer) return false;
        if ((await muxer.segmentCount()) > 0) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      muxer.close(`no segment within ${timeout} ms`);
      return false;
    })();
    const entry = { muxer, ready };
    this.muxers.set(path.name, entry);
    return entry;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'method not allowed');
      return;
    }
    const path = match ? this.options.paths.get(decodeURIComponent(match[1] ?? '')) : undefined;
    const file = match?.[2] ?? '';
    if (!path) {
      sendError(res, 404, 'not found');
      return;
    }
    const codec = path.codec;
    if (!path.online || !codec) {
      sendError(res, 404, `no stream is available on path '${path.name}'`);
      return;
    }
    if (file === 'index.m3u8') {
      const { muxer, ready } = this.muxerFor(path, codec);
      muxer.lastRequest = Date.now();
      if (!(await ready)) {
        sendError(res, 404, `no stream is available on path '${path.name}'`);
        return;
      }
      this.send(res, req, 200, PLAYLIST_TYPE, Buffer.from(multivariant(path, codec)));
      return;
    }
    const entry = this.muxers.get(path.name);
    const data = entry ? await entry.muxer.read(file) : undefined;
    if (!entry || !data) {
      sendError(res, 404, 'not found');
      return;
    }
    entry.muxer.lastRequest = Date.now();
    this.send(res, req, 200, file === MEDIA_PLAYLIST ? PLAYLIST_TYPE : 'video/mp2t', data);
  }

  private send(
    res: http.ServerResponse,
    req: http.IncomingMessage,
    status: number,
    type: string,
    data: Buffer,
  ): void {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': data.length,
      'Cache-Control': type === PLAYLIST_TYPE ? 'no-cache' : 'max-age=3600',
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  }
}

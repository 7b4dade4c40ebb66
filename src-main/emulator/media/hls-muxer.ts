/**
 * One path's HLS muxer, as MediaMTX makes one on the first request: the path's RTP (from its next keyframe, with
 * the parameter sets the ingest puts in front of every keyframe) goes over loopback UDP to a GStreamer child,
 *
 *   udpsrc ! rtpjitterbuffer ! rtph26Xdepay ! h26Xparse ! hlssink2 (MPEG-TS segments, 1 s target)
 *
 * which writes `stream.m3u8` and `segNNNNN.ts` into a temporary directory. hlssink2 cuts at keyframes, so with
 * the recorder's 1 s GOP a segment is about 1 s. The muxer is listed among the path's readers as `hlsMuxer`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VideoCodec } from './keyframes.js';
import type { Logger } from './log.js';
import { newSessionId, type MediaPath, type PathPacket, type PathReader } from './path.js';

export const MEDIA_PLAYLIST = 'stream.m3u8';
const SEGMENT = /^seg\d{5}\.ts$/;

export interface HlsMuxerOptions {
  gstLaunch: string;
  segmentDurationS: number;
  log: Logger;
  /** Called once when the muxer ends by itself (publisher left, GStreamer died). */
  onClosed: (muxer: HlsMuxer) => void;
}

async function freeUdpPort(): Promise<number> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export function gstArgs(codec: VideoCodec, port: number, dir: string, segmentDurationS: number): string[] {
  const lower = codec === 'H265' ? 'h265' : 'h264';
  return [
    '-q',
    '-e',
    'udpsrc',
    'address=127.0.0.1',
    `port=${port}`,
    'buffer-size=4194304',
    `caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=${codec},payload=96`,
    '!',
    'rtpjitterbuffer',
    'latency=100',
    '!',
    `rtp${lower}depay`,
    '!',
    `${lower}parse`,
    'config-interval=-1',
    '!',
    'hlssink2',
    `location=${path.join(dir, 'seg%05d.ts')}`,
    `playlist-location=${path.join(dir, MEDIA_PLAYLIST)}`,
    `target-duration=${segmentDurationS}`,
    'playlist-length=7',
    'max-files=10',
    // The source's GOP decides the cut; there is no encoder upstream to ask for keyframes.
    'send-keyframe-requests=false',
  ];
}

export class HlsMuxer implements PathReader {
  readonly type = 'hlsMuxer' as const;
  readonly id = newSessionId();
  readonly created = new Date();
  lastRequest = Date.now();
  private readonly socket = dgram.createSocket('udp4');
  private child: ChildProcess | undefined;
  private dir = '';
  private port = 0;
  private started = false;
  private closed = false;

  constructor(
    readonly path: MediaPath,
    readonly codec: VideoCodec,
    private readonly options: HlsMuxerOptions,
  ) {
    this.socket.on('error', (error) => options.log.debug(`muxer socket: ${error.message}`));
  }

  get directory(): string {
    return this.dir;
  }

  async start(): Promise<void> {
    this.dir = await fs.mkdtemp(path.join(os.tmpdir(), `hls-${this.path.name}-`));
    this.port = await freeUdpPort();
    const args = gstArgs(this.codec, this.port, this.dir, this.options.segmentDurationS);
    // pdeathsig: a SIGKILLed media server must not leave a pipeline waiting on its UDP port forever.
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', this.options.gstLaunch, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) this.options.log.debug(`gst: ${line.trim()}`);
    });
    child.on('error', (error) => {
      this.options.log.error(`cannot run ${this.options.gstLaunch}: ${error.message}`);
      this.close('GStreamer could not start');
    });
    child.on('exit', (code, signal) => {
      if (!this.closed) {
        this.options.log.error(`muxer pipeline exited (${code ?? signal})`);
        this.close('the muxer pipeline exited');
      }
    });
    this.path.addReader(this);
    this.options.log.info(`[muxer ${this.path.name}] created (${this.codec}, MPEG-TS segments)`);
  }

  /** Segments listed in the media playlist so far (0 until hlssink2 has finished the first one). */
  async segmentCount(): Promise<number> {
    try {
      const text = await fs.readFile(path.join(this.dir, MEDIA_PLAYLIST), 'utf8');
      return text.split('\n').filter((l) => SEGMENT.test(l.trim())).length;
    } catch {
      return 0;
    }
  }

  /** A file of this muxer (`stream.m3u8` or a segment) or undefined when there is no such file (yet). */
  async read(name: string): Promise<Buffer | undefined> {
    if (name !== MEDIA_PLAYLIST && !SEGMENT.test(name)) return undefined;
    try {
      return await fs.readFile(path.join(this.dir, name));
    } catch {
      return undefined;
    }
  }

  onPacket(packet: PathPacket): void {
    if (this.closed) return;
    if (!this.started) {
      if (!packet.keyframeStart) return;
      this.started = true;
      for (const data of packet.accessUnit.slice(0, -1)) this.send(data);
    }
    this.send(packet.data);
  }

  private send(data: Buffer): void {
    this.path.outboundBytes += data.length;
    this.socket.send(data, this.port, '127.0.0.1');
  }

  onPathClosed(reason: string): void {
    this.close(reason);
  }

  /** Stop the pipeline and remove its files. Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.path.removeReader(this);
    this.options.log.info(`[muxer ${this.path.name}] destroyed: ${reason}`);
    this.socket.close();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const dir = this.dir;
    if (dir) void fs.rm(dir, { recursive: true, force: true });
    this.options.onClosed(this);
  }
}

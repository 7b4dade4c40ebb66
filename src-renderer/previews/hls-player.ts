/**
 * The fallback when WebRTC cannot carry a path (H.265, or no ICE-TCP through the tunnel): the path's HLS through
 * hls.js. hls.js is loaded only when a tile needs it. Its worker is off because the page's CSP has no worker-src.
 * Failures retry with the same backoff as WHEP; the tile shows the latency hls.js estimates.
 */
import type Hls from 'hls.js';
import { PREVIEW_BACKOFF, backoffDelay } from '../lib/video/backoff.js';

export type HlsState =
  | { kind: 'loading' }
  | { kind: 'playing' }
  | { kind: 'retrying'; attempt: number; at: number; reason: string }
  | { kind: 'failed'; message: string }
  | { kind: 'closed' };

export interface HlsSnapshot {
  state: HlsState;
  /** Seconds behind the live edge, as hls.js estimates it. */
  latencySec: number | null;
  width: number | null;
  height: number | null;
  framesDecoded: number;
  fps: number | null;
  /** ms from start to the first decoded frame. */
  firstFrameMs: number | null;
}

/** An HEVC Main profile type, as MSE is asked about it. */
const HEVC_TYPE = 'video/mp4; codecs="hvc1.1.6.L93.B0"';

/**
 * Whether this browser can decode H.265 at all (through MSE for hls.js, or natively). Chromium without platform
 * HEVC support says no; the tile must then say that HLS cannot help either, instead of retrying forever.
 */
export function canDecodeHevc(video: HTMLVideoElement): boolean {
  const mse = typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(HEVC_TYPE);
  return mse || video.canPlayType(HEVC_TYPE) !== '';
}

export const NO_HEVC =
  'This browser cannot decode H.265 either, so the HLS fallback cannot show it. Switch this camera to an H.264 ' +
  'preset (Recorder tab) to preview it here, or open the stream in a player with H.265 support.';

/** Frames stopped this long while playing: start again. HLS segments are seconds long, so this is generous. */
const STALL_MS = 10_000;

export class HlsPlayer {
  private hls: Hls | undefined;
  private state: HlsState = { kind: 'loading' };
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private startedAt = 0;
  private firstFrameMs: number | null = null;
  private lastFrames = 0;
  private lastFramesAt = 0;
  private fps: number | null = null;
  private closed = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly url: string,
    private readonly onChange: (snapshot: HlsSnapshot) => void,
    /** The path's video codec as MediaMTX names it (`H264`, `H265`), when known. */
    private readonly codec: string | null = null,
  ) {}

  start(): void {
    if (this.closed) return;
    void this.open();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.teardown();
    this.state = { kind: 'closed' };
    this.emit();
  }

  private frames(): number {
    return this.video.getVideoPlaybackQuality?.().totalVideoFrames ?? 0;
  }

  private emit(): void {
    const width = this.video.videoWidth || null;
    const height = this.video.videoHeight || null;
    const latency = this.hls?.latency;
    this.onChange({
      state: this.state,
      latencySec: typeof latency === 'number' && Number.isFinite(latency) && latency > 0 ? latency : null,
      width,
      height,
      framesDecoded: this.frames(),
      fps: this.fps,
      firstFrameMs: this.firstFrameMs,
    });
  }

  private async open(): Promise<void> {
    this.teardown();
    this.state = { kind: 'loading' };
    this.startedAt = performance.now();
    this.lastFramesAt = this.startedAt;
    this.lastFrames = this.frames();
    this.emit();
    if (this.codec === 'H265' && !canDecodeHevc(this.video)) {
      this.state = { kind: 'failed', message: NO_HEVC };
      this.emit();
      return;
    }
    let HlsClass: typeof Hls;
    try {
      HlsClass = (await import('hls.js')).default;
    } catch (err) {
      this.fail(`could not load the HLS player: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (this.closed) return;
    if (!HlsClass.isSupported()) {
      if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
        this.video.src = this.url;
        void this.video.play().catch(() => undefined);
        this.watch();
        return;
      }
      this.state = { kind: 'failed', message: 'This browser has no Media Source Extensions for HLS.' };
      this.emit();
      return;
    }
    const hls = new HlsClass({ enableWorker: false, lowLatencyMode: true, liveSyncDurationCount: 2 });
    this.hls = hls;
    hls.on(HlsClass.Events.ERROR, (_event, data) => {
      if (this.hls !== hls || !data.fatal) return;
      const incompatible =
        data.details === HlsClass.ErrorDetails.MANIFEST_INCOMPATIBLE_CODECS_ERROR ||
        data.details === HlsClass.ErrorDetails.BUFFER_INCOMPATIBLE_CODECS_ERROR;
      if (incompatible) {
        // Recovering would only fail the same way again.
        this.teardown();
        this.state = {
          kind: 'failed',
          message: `This browser cannot decode this stream's codec (${data.details}).`,
        };
        this.emit();
        return;
      }
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
        return;
      }
      const status = data.response?.code;
      this.fail(
        status === 404
          ? 'the HLS playlist is not there (404): the path is offline or HLS is off on the device'
          : `HLS ${data.details}${status ? ` (HTTP ${status})` : ''}`,
      );
    });
    hls.loadSource(this.url);
    hls.attachMedia(this.video);
    void this.video.play().catch(() => undefined);
    this.watch();
  }

  private watch(): void {
    this.poll = setInterval(() => {
      const now = performance.now();
      const frames = this.frames();
      if (frames > this.lastFrames) {
        this.fps = ((frames - this.lastFrames) * 1000) / Math.max(1, now - this.lastFramesAt);
        this.lastFrames = frames;
        this.lastFramesAt = now;
        if (this.state.kind !== 'playing') {
          this.firstFrameMs ??= now - this.startedAt;
          this.failures = 0;
          this.state = { kind: 'playing' };
        }
      } else if (this.state.kind === 'playing' && now - this.lastFramesAt > STALL_MS) {
        this.fail(`no frames for ${Math.round(STALL_MS / 1000)} s`);
        return;
      }
      this.emit();
    }, 1000);
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.teardown();
    this.failures += 1;
    const delay = backoffDelay(this.failures, PREVIEW_BACKOFF);
    this.state = { kind: 'retrying', attempt: this.failures, at: Date.now() + delay, reason };
    this.emit();
    this.timer = setTimeout(() => void this.open(), delay);
  }

  private teardown(): void {
    clearTimeout(this.timer);
    clearInterval(this.poll);
    this.timer = undefined;
    this.poll = undefined;
    this.hls?.destroy();
    this.hls = undefined;
    this.video.removeAttribute('src');
  }
}

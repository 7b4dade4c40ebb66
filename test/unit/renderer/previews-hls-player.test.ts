/**
 * The HLS fallback player, with hls.js replaced by a stand-in and a fake video element (boundary mocks: the
 * library and the browser's media element), on vitest's fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HlsSnapshot } from '../../../src-renderer/previews/hls-player.js';

type Listener = (
  event: string,
  data: { fatal: boolean; type: string; details: string; response?: { code: number } },
) => void;

const made: FakeHls[] = [];

class FakeHls {
  static Events = { ERROR: 'hlsError' };
  static ErrorTypes = { MEDIA_ERROR: 'mediaError', NETWORK_ERROR: 'networkError' };
  static ErrorDetails = {
    MANIFEST_INCOMPATIBLE_CODECS_ERROR: 'manifestIncompatibleCodecsError',
    BUFFER_INCOMPATIBLE_CODECS_ERROR: 'bufferIncompatibleCodecsError',
  };
  static isSupported(): boolean {
    return true;
  }
  latency = 3.6;
  source = '';
  attached = false;
  destroyed = false;
  recovered = 0;
  private readonly listeners: Listener[] = [];
  constructor(readonly config: Record<string, unknown>) {
    made.push(this);
  }
  on(_event: string, listener: Listener): void {
    this.listeners.push(listener);
  }
  loadSource(url: string): void {
    this.source = url;
  }
  attachMedia(): void {
    this.attached = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  recoverMediaError(): void {
    this.recovered += 1;
  }
  error(type: string, details: string, code?: number): void {
    for (const l of this.listeners)
      l('hlsError', { fatal: true, type, details, ...(code ? { response: { code } } : {}) });
  }
}

vi.mock('hls.js', () => ({ default: FakeHls }));

const { HlsPlayer } = await import('../../../src-renderer/previews/hls-player.js');

function fakeVideo() {
  const video = {
    frames: 0,
    videoWidth: 640,
    videoHeight: 360,
    src: '',
    getVideoPlaybackQuality: () => ({ totalVideoFrames: video.frames }),
    play: () => Promise.resolve(),
    canPlayType: () => '',
    removeAttribute: () => undefined,
  };
  return video;
}

function start(codec: string | null = null) {
  const video = fakeVideo();
  const snaps: HlsSnapshot[] = [];
  const player = new HlsPlayer(
    video as unknown as HTMLVideoElement,
    '/previews/r58/cam0/hls/index.m3u8',
    (s) => snaps.push(s),
    codec,
  );
  player.start();
  return { video, snaps, player, last: (): HlsSnapshot | undefined => snaps[snaps.length - 1] };
}

beforeEach(() => {
  made.length = 0;
  vi.useFakeTimers({
    now: 1_000_000,
    toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date', 'performance'],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HLS player (boundary mocks: hls.js stand-in and a fake video element)', () => {
  it('loads the playlist with the worker off (the CSP has no worker-src) and reports playing with the latency', async () => {
    const h = start();
    await vi.advanceTimersByTimeAsync(0);
    expect(made).toHaveLength(1);
    expect(made[0]?.config).toMatchObject({ enableWorker: false });
    expect(made[0]?.source).toBe('/previews/r58/cam0/hls/index.m3u8');
    expect(made[0]?.attached).toBe(true);
    h.video.frames = 30;
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.last()).toMatchObject({
      state: { kind: 'playing' },
      latencySec: 3.6,
      width: 640,
      framesDecoded: 30,
    });
    expect(h.last()?.firstFrameMs).toBe(1000);
  });

  it('retries with a backoff on a fatal network error, saying the path is offline on 404', async () => {
    const h = start();
    await vi.advanceTimersByTimeAsync(0);
    made[0]?.error('networkError', 'manifestLoadError', 404);
    expect(h.last()?.state).toMatchObject({
      kind: 'retrying',
      attempt: 1,
      reason: expect.stringMatching(/404/) as unknown as string,
    });
    expect(made[0]?.destroyed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(made).toHaveLength(2);
  });

  it('says plainly that an H.265 path cannot be shown when the browser has no HEVC decoder, and loads nothing', async () => {
    const { last } = start('H265');
    await vi.advanceTimersByTimeAsync(0);
    expect(last()?.state).toEqual({ kind: 'failed', message: expect.stringMatching(/cannot decode H\.265/) });
    expect(made).toHaveLength(0);
  });

  it('gives up, without a recovery loop, when hls.js finds the codec incompatible', async () => {
    const { last } = start();
    await vi.advanceTimersByTimeAsync(0);
    made[0]?.error('mediaError', 'manifestIncompatibleCodecsError');
    expect(made[0]?.recovered).toBe(0);
    expect(made[0]?.destroyed).toBe(true);
    expect(last()?.state.kind).toBe('failed');
  });

  it('recovers a media error in place instead of starting over', async () => {
    start();
    await vi.advanceTimersByTimeAsync(0);
    made[0]?.error('mediaError', 'bufferStalledError');
    expect(made[0]?.recovered).toBe(1);
    expect(made).toHaveLength(1);
  });

  it('starts over when frames stop for 10 s', async () => {
    const h = start();
    await vi.advanceTimersByTimeAsync(0);
    h.video.frames = 30;
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(h.last()?.state).toMatchObject({ kind: 'retrying', reason: 'no frames for 10 s' });
  });

  it('destroys hls.js on close and stays closed', async () => {
    const h = start();
    await vi.advanceTimersByTimeAsync(0);
    h.player.close();
    expect(made[0]?.destroyed).toBe(true);
    expect(h.last()?.state.kind).toBe('closed');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(made).toHaveLength(1);
  });
});

/**
 * The WHEP reader's state machine, driven through its injected boundary: a fake fetch standing in for the media
 * server and a fake RTCPeerConnection standing in for the browser (boundary mocks), with vitest's fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  WhepSession,
  parseLinkIceServers,
  trickleFragment,
  type CandidateLike,
  type PeerLike,
  type WhepDeps,
  type WhepSnapshot,
} from '../../../src-renderer/lib/video/whep-session.js';
import type { StatEntry } from '../../../src-renderer/lib/video/stats.js';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=mid:0',
  'a=ice-ufrag:Uf1',
  'a=ice-pwd:Pw1',
  'a=recvonly',
  '',
].join('\r\n');
const ANSWER = 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n';

/** Boundary mock of the browser's RTCPeerConnection: what the reader calls, and levers for the test. */
class FakePeer implements PeerLike {
  localDescription: { sdp: string } | null = null;
  iceGatheringState: RTCIceGatheringState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  onicecandidate: ((event: { candidate: CandidateLike | null }) => void) | null = null;
  onicegatheringstatechange: (() => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  ontrack: PeerLike['ontrack'] = null;
  transceivers: string[] = [];
  remote: string | undefined;
  closed = false;
  framesDecoded = 0;

  addTransceiver(kind: 'video' | 'audio'): void {
    this.transceivers.push(kind);
  }
  createOffer(): Promise<{ type: RTCSdpType; sdp: string }> {
    return Promise.resolve({ type: 'offer', sdp: OFFER });
  }
  setLocalDescription(d: { sdp?: string }): Promise<void> {
    this.localDescription = { sdp: d.sdp ?? '' };
    this.iceGatheringState = 'gathering';
    setTimeout(() => {
      this.iceGatheringState = 'complete';
      this.onicegatheringstatechange?.();
    }, 20);
    return Promise.resolve();
  }
  setRemoteDescription(d: { sdp: string }): Promise<void> {
    this.remote = d.sdp;
    return Promise.resolve();
  }
  getStats(): Promise<{ forEach(cb: (e: StatEntry) => void): void }> {
    const entries: StatEntry[] = [
      { id: 'IV', type: 'inbound-rtp', kind: 'video', framesDecoded: this.framesDecoded, frameWidth: 640 },
    ];
    return Promise.resolve({ forEach: (cb: (e: StatEntry) => void) => entries.forEach(cb) });
  }
  close(): void {
    this.closed = true;
  }
  setConnection(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
}

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal | null;
}

type Route = (call: Call) => Response | Promise<Response>;

function created(extra: Record<string, string> = {}): Response {
  return new Response(ANSWER, {
    status: 201,
    headers: {
      'Content-Type': 'application/sdp',
      Location: '/previews/r58/cam0/whep/abc',
      'Accept-Patch': 'application/trickle-ice-sdpfrag',
      ...extra,
    },
  });
}

function harness(post: Route = () => created()) {
  const peers: FakePeer[] = [];
  const calls: Call[] = [];
  const snapshots: WhepSnapshot[] = [];
  const tracks: (MediaStream | null)[] = [];
  let onPost: Route = post;
  const deps: WhepDeps = {
    fetch: (url, init) => {
      const call: Call = {
        method: init.method ?? 'GET',
        url,
        headers: (init.headers ?? {}) as Record<string, string>,
        body: typeof init.body === 'string' ? init.body : '',
        signal: init.signal ?? null,
      };
      calls.push(call);
      if (call.method === 'POST') return Promise.resolve(onPost(call));
      return Promise.resolve(new Response(null, { status: call.method === 'PATCH' ? 204 : 200 }));
    },
    createPeer: () => {
      const peer = new FakePeer();
      peers.push(peer);
      return peer;
    },
    now: () => Date.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: () => 0,
  };
  const session = new WhepSession(
    {
      url: '/previews/r58/cam0/whep',
      base: 'http://127.0.0.1:7420/?x=1',
      onChange: (s) => snapshots.push(s),
      onTrack: (s) => tracks.push(s),
    },
    deps,
  );
  return {
    session,
    peers,
    calls,
    snapshots,
    tracks,
    peer: (): FakePeer => {
      const p = peers[peers.length - 1];
      if (!p) throw new Error('no peer yet');
      return p;
    },
    kinds: (): string[] => snapshots.map((s) => s.state.kind),
    setPost: (route: Route) => (onPost = route),
  };
}

/** Let frames flow on the current peer for `ms`, 30 a second. */
async function play(h: ReturnType<typeof harness>, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    h.peer().framesDecoded += 3;
    await vi.advanceTimersByTimeAsync(100);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WHEP session (boundary mocks: fake fetch and RTCPeerConnection)', () => {
  it('posts the offer as application/sdp to the resolved URL, applies the answer and goes live on the first frame', async () => {
    const h = harness();
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    const post = h.calls.find((c) => c.method === 'POST');
    expect(post).toMatchObject({
      url: 'http://127.0.0.1:7420/previews/r58/cam0/whep',
      headers: { 'Content-Type': 'application/sdp' },
      body: OFFER,
    });
    expect(h.peer().transceivers).toEqual(['video']);
    expect(h.peer().remote).toBe(ANSWER);
    expect(h.session.snapshot().state.kind).toBe('connecting');
    await play(h, 300);
    const snap = h.session.snapshot();
    expect(snap.state.kind).toBe('live');
    expect(snap.firstFrameMs).toBeGreaterThan(0);
    expect(snap.firstFrameMs).toBeLessThan(200);
    expect(snap.stats.framesDecoded).toBeGreaterThan(0);
    expect(h.kinds()).toEqual(expect.arrayContaining(['connecting', 'live']));
  });

  it('trickles candidates found after the offer with PATCH (trickle-ice-sdpfrag) to the Location', async () => {
    const h = harness();
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    h.peer().onicecandidate?.({
      candidate: { candidate: 'candidate:1 1 tcp 1 10.0.0.2 9 typ host tcptype active', sdpMLineIndex: 0 },
    });
    await vi.advanceTimersByTimeAsync(1);
    const patch = h.calls.find((c) => c.method === 'PATCH');
    expect(patch?.url).toBe('http://127.0.0.1:7420/previews/r58/cam0/whep/abc');
    expect(patch?.headers['Content-Type']).toBe('application/trickle-ice-sdpfrag');
    expect(patch?.body).toBe(
      'a=ice-ufrag:Uf1\r\na=ice-pwd:Pw1\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n' +
        'a=candidate:1 1 tcp 1 10.0.0.2 9 typ host tcptype active\r\n',
    );
  });

  it('does not PATCH when the server does not offer trickle (no Accept-Patch)', async () => {
    const h = harness(
      () => new Response(ANSWER, { status: 201, headers: { Location: '/previews/r58/cam0/whep/abc' } }),
    );
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    h.peer().onicecandidate?.({
      candidate: { candidate: 'candidate:2 1 udp 1 x 1 typ host', sdpMLineIndex: 0 },
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(h.calls.filter((c) => c.method === 'PATCH')).toEqual([]);
  });

  it('says offline on 404 with the server message, asks again later and plays once the camera publishes', async () => {
    const h = harness(
      () => new Response(JSON.stringify({ error: "no stream is available on path 'cam0'" }), { status: 404 }),
    );
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    const state = h.session.snapshot().state;
    expect(state).toMatchObject({ kind: 'offline', message: "no stream is available on path 'cam0'" });
    expect(h.peer().closed).toBe(true);
    h.setPost(() => created());
    await vi.advanceTimersByTimeAsync(5100);
    await play(h, 300);
    expect(h.session.snapshot().state.kind).toBe('live');
  });

  it('says unsupported on a 400 codec refusal (H.265), naming why, and does not retry', async () => {
    const h = harness(
      () =>
        new Response(
          JSON.stringify({
            error:
              "the stream doesn't contain any supported codec, which are currently AV1, VP9, VP8, H264, Opus, G722, G711",
          }),
          { status: 400 },
        ),
    );
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    const state = h.session.snapshot().state;
    expect(state.kind).toBe('unsupported');
    expect(state.kind === 'unsupported' && state.message).toMatch(
      /cannot play the stream over WebRTC.*supported codec/,
    );
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('says unauthorized on 401 and stops', async () => {
    const h = harness(() => new Response('authentication error', { status: 401 }));
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    expect(h.session.snapshot().state).toMatchObject({
      kind: 'unauthorized',
      message: expect.stringContaining('authentication error') as unknown as string,
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('retries with a countdown when frames stop, DELETEs the stalled resource, and recovers by itself', async () => {
    const h = harness();
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    await play(h, 1000);
    expect(h.session.snapshot().state.kind).toBe('live');
    // The link drops: no frames any more.
    await vi.advanceTimersByTimeAsync(5000);
    const state = h.session.snapshot().state;
    expect(state).toMatchObject({
      kind: 'retrying',
      attempt: 1,
      reason: expect.stringMatching(/no frames for \d+ s/) as unknown as string,
    });
    if (state.kind !== 'retrying') throw new Error('not retrying');
    expect(state.at - Date.now()).toBeGreaterThan(0);
    expect(state.at - Date.now()).toBeLessThanOrEqual(1000);
    expect(h.calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([
      'http://127.0.0.1:7420/previews/r58/cam0/whep/abc',
    ]);
    expect(h.peers[0]?.closed).toBe(true);
    expect(h.tracks[h.tracks.length - 1]).toBeNull();
    await vi.advanceTimersByTimeAsync(1100);
    expect(h.peers).toHaveLength(2);
    await play(h, 300);
    expect(h.session.snapshot()).toMatchObject({ state: { kind: 'live' }, failures: 0 });
  });

  it('says stalled within a second of the frames stopping, and not while they flow', async () => {
    const h = harness();
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    await play(h, 2000);
    expect(h.session.snapshot().stalledMs).toBeUndefined();
    expect(h.snapshots.some((s) => s.stalledMs !== undefined)).toBe(false);
    // The picture freezes: still live (the attempt has not failed yet), but stalled.
    await vi.advanceTimersByTimeAsync(1000);
    const frozen = h.session.snapshot();
    expect(frozen.state.kind).toBe('live');
    expect(frozen.stalledMs).toBeGreaterThanOrEqual(750);
    // Frames again: no longer stalled.
    await play(h, 500);
    expect(h.session.snapshot()).toMatchObject({ state: { kind: 'live' } });
    expect(h.session.snapshot().stalledMs).toBeUndefined();
  });

  it('works out the rates over a whole period though it counts frames more often', async () => {
    const h = harness();
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    await play(h, 3000);
    const fps = h.snapshots.map((s) => s.stats.fps).filter((f): f is number => f !== null);
    expect(fps.length).toBeGreaterThan(0);
    for (const f of fps.slice(1)) expect(f).toBeCloseTo(30, 0);
  });

  it('backs off longer each time the endpoint cannot be reached, and says why', async () => {
    const h = harness(() => {
      throw new TypeError('Failed to fetch');
    });
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    expect(h.session.snapshot().state).toMatchObject({
      kind: 'retrying',
      attempt: 1,
      reason: 'could not reach the WHEP endpoint: Failed to fetch',
    });
    await vi.advanceTimersByTimeAsync(1030);
    const second = h.session.snapshot().state;
    expect(second).toMatchObject({ kind: 'retrying', attempt: 2 });
    if (second.kind !== 'retrying') throw new Error('not retrying');
    expect(second.at - Date.now()).toBeGreaterThan(1900);
    expect(second.at - Date.now()).toBeLessThanOrEqual(2000);
  });

  it('retries when the peer connection fails', async () => {
    const h = harness();
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    await play(h, 300);
    h.peer().setConnection('failed');
    expect(h.session.snapshot().state).toMatchObject({
      kind: 'retrying',
      reason: 'the WebRTC connection failed',
    });
  });

  it('gives up an attempt whose POST gets no answer in time', async () => {
    const h = harness(
      (call) =>
        new Promise<Response>((_, reject) =>
          call.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
        ),
    );
    h.session.start();
    await vi.advanceTimersByTimeAsync(9000);
    expect(h.session.snapshot().state.kind).toBe('connecting');
    await vi.advanceTimersByTimeAsync(1100);
    expect(h.session.snapshot().state).toMatchObject({
      kind: 'retrying',
      reason: 'no answer from the WHEP endpoint within 10 s',
    });
  });

  it('on close: DELETEs the resource, closes the peer, and nothing fires afterwards', async () => {
    const h = harness();
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    await play(h, 300);
    await h.session.close();
    expect(h.session.snapshot().state.kind).toBe('closed');
    expect(h.peer().closed).toBe(true);
    expect(h.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
    const count = h.snapshots.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.snapshots).toHaveLength(count);
    h.session.start();
    expect(h.session.snapshot().state.kind).toBe('closed');
  });

  it('stops to idle while hidden (DELETE sent, no retry pending) and starts again when shown', async () => {
    const h = harness();
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    await play(h, 300);
    await h.session.stop();
    expect(h.session.snapshot().state.kind).toBe('idle');
    expect(h.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(h.peers).toHaveLength(1);
    h.session.start();
    await vi.advanceTimersByTimeAsync(30);
    await play(h, 300);
    expect(h.peers).toHaveLength(2);
    expect(h.session.snapshot().state.kind).toBe('live');
  });
});

describe('WHEP helpers', () => {
  it('reads ICE servers from Link headers, with credentials, ignoring other relations', () => {
    expect(
      parseLinkIceServers(
        '<stun:stun.example.org:3478>; rel="ice-server", ' +
          '<turn:turn.example.org:3478?transport=tcp>; rel="ice-server"; username="u"; credential="p"; credential-type="password", ' +
          '</other>; rel="next"',
      ),
    ).toEqual([
      { urls: 'stun:stun.example.org:3478' },
      { urls: 'turn:turn.example.org:3478?transport=tcp', username: 'u', credential: 'p' },
    ]);
    expect(parseLinkIceServers(null)).toEqual([]);
  });

  it('builds one fragment section per media line that has candidates', () => {
    const offer = OFFER.replace(
      'a=recvonly\r\n',
      'a=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\n',
    );
    expect(
      trickleFragment(offer, [
        { candidate: 'candidate:a', sdpMLineIndex: 1 },
        { candidate: 'candidate:b', sdpMLineIndex: 1 },
      ]),
    ).toBe(
      'a=ice-ufrag:Uf1\r\na=ice-pwd:Pw1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\na=candidate:a\r\na=candidate:b\r\n',
    );
  });
});

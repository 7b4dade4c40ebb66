/**
 * A WHEP reader for one preview, shaped like MediaMTX's browser reader (`reader.js`): a small state machine that
 * posts an offer, applies the answer, trickles late ICE candidates, and on any failure tears the attempt down and
 * starts again after a backoff. The browser parts (fetch, RTCPeerConnection, timers) come in through `WhepDeps`, so
 * the machine can be driven without a browser.
 *
 *   idle → connecting → live
 *                     → offline (404: nobody publishes; checked again later)
 *                     → unsupported (400 on a codec the browser cannot play) | unauthorized (401)   [terminal]
 *                     → retrying(n, at) → connecting …
 *   any → closed (DELETE sent for the server's resource)
 */
import { PREVIEW_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import { EMPTY_STATS, reduceStats, type StatEntry, type StatsSample, type TileStats } from './stats.js';

export type WhepState =
  | { kind: 'idle' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'live' }
  /** Nobody publishes on the path; `at` is when it is asked again. */
  | { kind: 'offline'; message: string; at: number }
  | { kind: 'unsupported'; message: string }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'retrying'; attempt: number; at: number; reason: string }
  | { kind: 'closed' };

export interface WhepSnapshot {
  state: WhepState;
  stats: TileStats;
  /** ms from the start of the attempt that went live to its first decoded frame. */
  firstFrameMs: number | null;
  /** Failed attempts in a row (reset when frames flow). */
  failures: number;
  /** While live: set once no new frame was decoded for `stallNoticeMs`, to how long (ms). The stream may recover. */
  stalledMs?: number;
}

/** The parts of RTCPeerConnection the reader uses; the browser's class fits it. */
export interface PeerLike {
  addTransceiver(kind: 'video' | 'audio', init: { direction: 'recvonly' }): unknown;
  createOffer(): Promise<{ type: RTCSdpType; sdp?: string }>;
  setLocalDescription(description: { type: RTCSdpType; sdp?: string }): Promise<void>;
  setRemoteDescription(description: { type: RTCSdpType; sdp: string }): Promise<void>;
  readonly localDescription: { sdp: string } | null;
  readonly iceGatheringState: RTCIceGatheringState;
  readonly connectionState: RTCPeerConnectionState;
  getStats(): Promise<{ forEach(cb: (entry: StatEntry) => void): void }>;
  close(): void;
  onicecandidate: ((event: { candidate: CandidateLike | null }) => void) | null;
  onicegatheringstatechange: (() => void) | null;
  onconnectionstatechange: (() => void) | null;
  ontrack: ((event: { track: MediaStreamTrack; streams: readonly MediaStream[] }) => void) | null;
}

export interface CandidateLike {
  candidate: string;
  sdpMLineIndex: number | null;
}

export interface IceServer {
  urls: string;
  username?: string;
  credential?: string;
}

export interface WhepDeps {
  fetch(url: string, init: RequestInit): Promise<Response>;
  createPeer(config: { iceServers: IceServer[] }): PeerLike;
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  random(): number;
}

export interface WhepOptions {
  /** Console-relative WHEP URL, e.g. `/previews/r58/cam0/whep`. */
  url: string;
  /** What relative URLs (the URL itself, `Location`) resolve against: the page's address. */
  base: string;
  /** Longest wait for ICE gathering before the offer goes out anyway (late candidates are trickled). */
  gatherMs?: number;
  /** The POST's time limit. */
  requestMs?: number;
  /** No first frame within this after the answer: the attempt failed. */
  firstFrameMs?: number;
  /** Frames stopped for this long while live: the attempt failed and starts again. */
  stallMs?: number;
  /** Frames stopped for this long while live: the snapshot says stalled (the picture is frozen). */
  stallNoticeMs?: number;
  /** Rates (bitrate, fps, loss) are worked out over this period while live. */
  statsMs?: number;
  /** While live, how often decoded frames are counted, so a frozen picture is told within a second. */
  frameCheckMs?: number;
  backoff?: BackoffOptions;
  /** How long an offline path waits before it is asked again. */
  offlineMs?: number;
  onChange(snapshot: WhepSnapshot): void;
  onTrack(stream: MediaStream | null): void;
}

export function browserDeps(): WhepDeps {
  return {
    fetch: (url, init) => fetch(url, init),
    createPeer: (config) => new RTCPeerConnection(config) as unknown as PeerLike,
    now: () => Date.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    random: Math.random,
  };
}

/** `Link: <stun:host:3478>; rel="ice-server"; username="u"; credential="p"` → ICE servers. */
export function parseLinkIceServers(header: string | null): IceServer[] {
  if (!header) return [];
  const servers: IceServer[] = [];
  for (const part of header.split(/,(?=\s*<)/)) {
    const url = /<([^>]+)>/.exec(part)?.[1];
    if (!url || !/;\s*rel="?ice-server"?/i.test(part)) continue;
    const server: IceServer = { urls: url };
    const username = /;\s*username="([^"]*)"/i.exec(part)?.[1];
    const credential = /;\s*credential="([^"]*)"/i.exec(part)?.[1];
    if (username !== undefined) server.username = username;
    if (credential !== undefined) server.credential = credential;
    servers.push(server);
  }
  return servers;
}

/** The offer's ICE credentials and media sections (kind and mid), which a trickle fragment must repeat. */
export function offerParts(sdp: string): {
  ufrag: string;
  pwd: string;
  media: { kind: string; mid: string }[];
} {
  let ufrag = '';
  let pwd = '';
  const media: { kind: string; mid: string }[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('a=ice-ufrag:') && !ufrag) ufrag = line.slice('a=ice-ufrag:'.length);
    else if (line.startsWith('a=ice-pwd:') && !pwd) pwd = line.slice('a=ice-pwd:'.length);
    else if (line.startsWith('m=')) media.push({ kind: line.slice(2).split(' ')[0] ?? 'video', mid: '' });
    else if (line.startsWith('a=mid:')) {
      const last = media[media.length - 1];
      if (last) last.mid = line.slice('a=mid:'.length);
    }
  }
  return { ufrag, pwd, media };
}

/** An `application/trickle-ice-sdpfrag` body (RFC 8840) for candidates gathered after the offer went out. */
export function trickleFragment(offerSdp: string, candidates: CandidateLike[]): string {
  const { ufrag, pwd, media } = offerParts(offerSdp);
  let frag = `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\n`;
  media.forEach((m, index) => {
    const mine = candidates.filter((c) => (c.sdpMLineIndex ?? 0) === index);
    if (mine.length === 0) return;
    frag += `m=${m.kind} 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${m.mid}\r\n`;
    for (const c of mine) frag += `a=${c.candidate}\r\n`;
  });
  return frag;
}

/** MediaMTX's codec refusal: "the stream doesn't contain any supported codec, which are currently …". */
const CODEC_REFUSAL = /supported codec|codec/i;

async function errorText(res: Response): Promise<string> {
  const body = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return body.trim().slice(0, 300) || `HTTP ${res.status}`;
}

export class WhepSession {
  private state: WhepState = { kind: 'idle' };
  private stats: TileStats = EMPTY_STATS;
  private firstFrameMs: number | null = null;
  private failures = 0;
  private stalledMs: number | undefined;
  private iceServers: IceServer[] = [];

  /** Everything about the attempt under way; replaced as a whole so stale callbacks can tell they are stale. */
  private attempt:
    | {
        pc: PeerLike;
        startedAt: number;
        resource: string | null;
        trickle: boolean;
        offerSdp: string;
        queued: CandidateLike[];
        posted: boolean;
        sample: StatsSample | undefined;
        lastFrames: number;
        lastProgressAt: number;
        /** When the shown rates were last worked out (deps clock). */
        statsAt: number | undefined;
        answeredAt: number | null;
        abort: AbortController;
      }
    | undefined;
  private timer: unknown;
  private statsTimer: unknown;

  private readonly opt: Required<Omit<WhepOptions, 'onChange' | 'onTrack'>> &
    Pick<WhepOptions, 'onChange' | 'onTrack'>;

  constructor(
    options: WhepOptions,
    private readonly deps: WhepDeps = browserDeps(),
  ) {
    this.opt = {
      gatherMs: 500,
      requestMs: 10_000,
      firstFrameMs: 10_000,
      stallMs: 4000,
      stallNoticeMs: 750,
      statsMs: 1000,
      frameCheckMs: 250,
      backoff: PREVIEW_BACKOFF,
      offlineMs: 5000,
      ...options,
    };
  }

  snapshot(): WhepSnapshot {
    return {
      state: this.state,
      stats: this.stats,
      firstFrameMs: this.firstFrameMs,
      failures: this.failures,
      ...(this.stalledMs !== undefined ? { stalledMs: this.stalledMs } : {}),
    };
  }

  /** Begin (or begin again after `stop`). Does nothing while an attempt is under way or after `close`. */
  start(): void {
    if (this.state.kind !== 'idle') return;
    void this.connect();
  }

  /** Back to idle: the attempt is torn down (DELETE sent), no retry pending. `start` picks up again. */
  stop(): Promise<void> {
    if (this.state.kind === 'closed') return Promise.resolve();
    const done = this.teardown();
    this.failures = 0;
    this.setState({ kind: 'idle' });
    return done;
  }

  /** For good: tears down and ignores everything after. */
  close(): Promise<void> {
    if (this.state.kind === 'closed') return Promise.resolve();
    const done = this.teardown();
    this.setState({ kind: 'closed' });
    return done;
  }

  private setState(state: WhepState): void {
    this.state = state;
    this.stalledMs = undefined;
    this.emit();
  }

  private emit(): void {
    this.opt.onChange(this.snapshot());
  }

  private async connect(): Promise<void> {
    this.clearTimers();
    this.stats = EMPTY_STATS;
    this.setState({ kind: 'connecting', attempt: this.failures + 1 });
    const url = new URL(this.opt.url, this.opt.base).href;
    const pc = this.deps.createPeer({ iceServers: this.iceServers });
    const attempt = {
      pc,
      startedAt: this.deps.now(),
      resource: null as string | null,
      trickle: false,
      offerSdp: '',
      queued: [] as CandidateLike[],
      posted: false,
      sample: undefined as StatsSample | undefined,
      lastFrames: 0,
      lastProgressAt: this.deps.now(),
      statsAt: undefined as number | undefined,
      answeredAt: null as number | null,
      abort: new AbortController(),
    };
    this.attempt = attempt;
    const current = (): boolean => this.attempt === attempt;

    pc.ontrack = (event) => {
      if (current() && event.track.kind === 'video') this.opt.onTrack(event.streams[0] ?? null);
    };
    pc.onconnectionstatechange = () => {
      if (!current()) return;
      if (pc.connectionState === 'failed') this.fail('the WebRTC connection failed');
      else if (pc.connectionState === 'closed') this.fail('the WebRTC connection closed');
    };
    pc.onicecandidate = (event) => {
      if (!current() || !event.candidate || !event.candidate.candidate) return;
      if (!attempt.posted) return; // still in the offer when it goes out
      attempt.queued.push(event.candidate);
      if (attempt.resource) this.flushCandidates();
    };

    try {
      pc.addTransceiver('video', { direction: 'recvonly' });
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await this.gathered(pc);
      if (!current()) return;
      attempt.offerSdp = pc.localDescription?.sdp ?? offer.sdp ?? '';
      attempt.posted = true;
      const timeout = this.deps.setTimer(() => attempt.abort.abort(), this.opt.requestMs);
      let res: Response;
      try {
        res = await this.deps.fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/sdp' },
          body: attempt.offerSdp,
          signal: attempt.abort.signal,
        });
      } finally {
        this.deps.clearTimer(timeout);
      }
      if (!current()) return;
      if (res.status !== 201) {
        await this.refused(res);
        return;
      }
      const location = res.headers.get('Location');
      attempt.resource = location ? new URL(location, url).href : null;
      attempt.trickle = /application\/trickle-ice-sdpfrag/i.test(res.headers.get('Accept-Patch') ?? '');
      const servers = parseLinkIceServers(res.headers.get('Link'));
      // ICE servers only reach a peer connection at creation: the next attempt uses them.
      if (servers.length) this.iceServers = servers;
      const answer = await res.text();
      if (!current()) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      if (!current()) return;
      attempt.answeredAt = this.deps.now();
      attempt.lastProgressAt = attempt.answeredAt;
      this.flushCandidates();
      this.pollStats();
    } catch (err) {
      if (!current()) return;
      const aborted = attempt.abort.signal.aborted;
      this.fail(
        aborted
          ? `no answer from the WHEP endpoint within ${Math.round(this.opt.requestMs / 1000)} s`
          : `could not reach the WHEP endpoint: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Wait until the browser has its host candidates, or `gatherMs`, whichever is first. */
  private gathered(pc: PeerLike): Promise<void> {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.deps.setTimer(resolve, this.opt.gatherMs);
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState !== 'complete') return;
        this.deps.clearTimer(timer);
        resolve();
      };
    });
  }

  private async refused(res: Response): Promise<void> {
    const message = await errorText(res);
    const attempt = this.attempt;
    if (!attempt) return;
    this.teardownAttempt(false);
    if (res.status === 404) {
      const at = this.deps.now() + this.opt.offlineMs;
      this.setState({ kind: 'offline', message, at });
      this.timer = this.deps.setTimer(() => void this.connect(), this.opt.offlineMs);
    } else if (res.status === 401) {
      this.setState({
        kind: 'unauthorized',
        message: `The media server wants credentials for this path (401): ${message}`,
      });
    } else if (res.status === 400 && CODEC_REFUSAL.test(message)) {
      this.setState({
        kind: 'unsupported',
        message: `This browser cannot play the stream over WebRTC (the media server says: ${message}).`,
      });
    } else {
      this.fail(`the WHEP endpoint answered ${res.status}: ${message}`);
    }
  }

  private flushCandidates(): void {
    const attempt = this.attempt;
    if (!attempt?.resource || attempt.queued.length === 0) return;
    const batch = attempt.queued.splice(0);
    if (!attempt.trickle) return; // the server takes no trickle: what the offer carried must do
    void this.deps
      .fetch(attempt.resource, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' },
        body: trickleFragment(attempt.offerSdp, batch),
      })
      .then((res) => {
        if (this.attempt === attempt && res.status >= 300)
          this.fail(`the WHEP endpoint refused a trickled ICE candidate (${res.status})`);
      })
      .catch(() => {
        // The POST worked; a lost PATCH shows up as no connection, which the watchdog handles.
      });
  }

  private pollStats(): void {
    const attempt = this.attempt;
    if (!attempt) return;
    const live = this.state.kind === 'live';
    this.statsTimer = this.deps.setTimer(
      () => {
        void attempt.pc
          .getStats()
          .then((report) => {
            if (this.attempt !== attempt) return;
            const entries: StatEntry[] = [];
            report.forEach((e) => entries.push(e));
            this.onStats(entries);
          })
          .catch(() => {
            if (this.attempt === attempt) this.pollStats();
          });
      },
      live ? this.opt.frameCheckMs : 50,
    );
  }

  private onStats(entries: StatEntry[]): void {
    const attempt = this.attempt;
    if (!attempt) return;
    const now = this.deps.now();
    const { stats, sample } = reduceStats(entries, attempt.sample, now);
    // Frames are counted often; the rates are worked out over a whole period, or they would jump about.
    const due =
      this.state.kind !== 'live' ||
      attempt.statsAt === undefined ||
      now - attempt.statsAt >= this.opt.statsMs - this.opt.frameCheckMs / 2;
    if (due) {
      if (sample) attempt.sample = sample;
      attempt.statsAt = now;
      this.stats = stats;
    } else this.stats = { ...this.stats, framesDecoded: stats.framesDecoded };
    const wasStalled = this.stalledMs;
    if (stats.framesDecoded > attempt.lastFrames) {
      attempt.lastFrames = stats.framesDecoded;
      attempt.lastProgressAt = now;
      if (this.state.kind !== 'live') {
        this.firstFrameMs = now - attempt.startedAt;
        this.failures = 0;
        this.setState({ kind: 'live' });
      }
    }
    if (this.state.kind === 'live' && now - attempt.lastProgressAt >= this.opt.stallMs) {
      this.fail(`no frames for ${Math.round((now - attempt.lastProgressAt) / 1000)} s`);
      return;
    }
    const still = now - attempt.lastProgressAt;
    this.stalledMs = this.state.kind === 'live' && still >= this.opt.stallNoticeMs ? still : undefined;
    if (this.state.kind !== 'live' && now - (attempt.answeredAt ?? now) >= this.opt.firstFrameMs) {
      this.fail(`no picture within ${Math.round(this.opt.firstFrameMs / 1000)} s of the answer`);
      return;
    }
    if (due || (wasStalled === undefined) !== (this.stalledMs === undefined)) this.emit();
    this.pollStats();
  }

  /** The attempt failed: tear it down and schedule the next one. */
  private fail(reason: string): void {
    if (this.state.kind === 'closed' || this.state.kind === 'idle') return;
    this.teardownAttempt(true);
    this.failures += 1;
    const delay = backoffDelay(this.failures, this.opt.backoff, this.deps.random);
    this.setState({ kind: 'retrying', attempt: this.failures, at: this.deps.now() + delay, reason });
    this.timer = this.deps.setTimer(() => void this.connect(), delay);
  }

  private clearTimers(): void {
    if (this.timer !== undefined) this.deps.clearTimer(this.timer);
    if (this.statsTimer !== undefined) this.deps.clearTimer(this.statsTimer);
    this.timer = undefined;
    this.statsTimer = undefined;
  }

  /** Close the attempt's peer connection; DELETE its resource when one was made. */
  private teardownAttempt(sendDelete: boolean): Promise<void> {
    const attempt = this.attempt;
    this.attempt = undefined;
    this.clearTimers();
    if (!attempt) return Promise.resolve();
    attempt.abort.abort();
    attempt.pc.ontrack = null;
    attempt.pc.onicecandidate = null;
    attempt.pc.onconnectionstatechange = null;
    attempt.pc.onicegatheringstatechange = null;
    attempt.pc.close();
    this.opt.onTrack(null);
    if (!sendDelete || !attempt.resource) return Promise.resolve();
    return this.deps
      .fetch(attempt.resource, { method: 'DELETE', keepalive: true })
      .then(() => undefined)
      .catch(() => undefined);
  }

  private teardown(): Promise<void> {
    return this.teardownAttempt(true);
  }
}

/**
 * One WHEP reader: a werift peer connection that sends the path's H.264 to a browser.
 *
 * Joining: packets are written only once DTLS is up. With `join: keyframe-cache` the newest keyframe access unit
 * of the path goes out first (stamped with the path's newest timestamp, so it plays now and not a GOP late), then
 * nothing until the next keyframe, then everything. With `next-keyframe` the first step is skipped. Sequence
 * numbers are renumbered once at each join point and then move with the source, so losses stay visible.
 */
import net from 'node:net';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  TcpPassiveProtocol,
  type RTCRtpTransceiver,
} from 'werift';
import type { Logger } from '../log.js';
import { newSessionId, type MediaPath, type PathPacket, type PathReader } from '../path.js';
import { rewriteRtp, seqAdd, tsAdd } from '../rtp.js';
import type { IceTcpMux } from './ice-tcp-mux.js';
import {
  checkOffer,
  iceUfrag,
  listCandidates,
  parseTrickleFragment,
  pickH264PayloadType,
  restrictVideoFormats,
  rewriteAnswerCandidates,
  SdpError,
} from './sdp.js';

export class WhepError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface WhepSessionOptions {
  path: MediaPath;
  offer: string;
  remoteAddr: string;
  hostAddresses: string[];
  iceTcpMux: IceTcpMux | undefined;
  iceUdpPortRange: [number, number] | undefined;
  join: 'keyframe-cache' | 'next-keyframe';
  handshakeTimeoutMs: number;
  readerTimeoutMs: number;
  log: Logger;
  onClosed: (session: WhepSession) => void;
}

type JoinState = 'connecting' | 'waiting-keyframe' | 'live';

const H264_FMTP = 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f';

function createPeerConnection(options: WhepSessionOptions): RTCPeerConnection {
  return new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: [
            { type: 'nack' },
            { type: 'nack', parameter: 'pli' },
            { type: 'ccm', parameter: 'fir' },
          ],
          parameters: H264_FMTP,
        }),
      ],
      // Browsers offer audio too; accepting Opus lets that section be answered (we never send on it).
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    },
    // Exactly our host list: werift's own scan is off (it skips veth* interfaces), ours comes in as "additional".
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: options.hostAddresses,
    iceUseTcp: options.iceTcpMux !== undefined,
    icePortRange: options.iceUdpPortRange,
  });
}

/** werift's passive ICE-TCP listeners of this connection (one per host address). */
function passiveTcpProtocols(pc: RTCPeerConnection): { localIp: string | undefined; server: net.Server }[] {
  const out: { localIp: string | undefined; server: net.Server }[] = [];
  for (const transport of pc.iceTransports) {
    // `protocols` and `server` are private in werift's typings; check their shape at run time.
    const protocols: unknown = Reflect.get(transport.connection, 'protocols');
    if (!Array.isArray(protocols)) continue;
    for (const protocol of protocols) {
      if (!(protocol instanceof TcpPassiveProtocol)) continue;
      const server: unknown = Reflect.get(protocol, 'server');
      if (server instanceof net.Server) out.push({ localIp: protocol.localIp, server });
    }
  }
  return out;
}

/** `candidate:f 1 udp 2130706431 10.0.0.2 5000 typ host` → `udp/10.0.0.2:5000`. */
export function candidateSummary(candidate: { candidate: string } | undefined): string {
  const m = /^(?:candidate:)?\S+ \d+ (\S+) \d+ (\S+) (\d+)/.exec(candidate?.candidate ?? '');
  return m ? `${(m[1] ?? '').toLowerCase()}/${m[2] ?? ''}:${m[3] ?? ''}` : '';
}

export class WhepSession implements PathReader {
  readonly type = 'webRTCSession' as const;
  readonly id = newSessionId();
  /** The secret in the session URL (MediaMTX keeps it apart from the id shown in the API). */
  readonly secret = newSessionId();
  readonly created = new Date();
  readonly remoteAddr: string;
  bytesSent = 0;
  bytesReceived = 0;
  closed = false;
  private state: JoinState = 'connecting';
  private seqOffset = 0;
  private tsOffset = 0;
  private nextOutSeq = Math.floor(Math.random() * 0x10000);
  private lastRtcp = Date.now();
  private localUfrag: string | undefined;
  private tcpSockets = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly track = new MediaStreamTrack({ kind: 'video' });
  private readonly pc: RTCPeerConnection;
  private readonly log: Logger;

  private constructor(private readonly options: WhepSessionOptions) {
    this.remoteAddr = options.remoteAddr;
    this.log = options.log.child(`session ${this.id.slice(0, 8)}`);
    this.pc = createPeerConnection(options);
  }

  get path(): MediaPath {
    return this.options.path;
  }

  get connected(): boolean {
    return this.pc.connectionState === 'connected';
  }

  /** Validates the offer, answers it, and registers the session as a reader of the path. Throws WhepError. */
  static async create(options: WhepSessionOptions): Promise<{ session: WhepSession; answer: string }> {
    const { path } = options;
    if (!path.online) throw new WhepError(404, `no stream is available on path '${path.name}'`);
    if (path.codec !== 'H264') {
      throw new WhepError(
        400,
        "the stream doesn't contain any supported codec, which are currently AV1, VP9, VP8, H264, Opus, G722, G711",
      );
    }
    let offer: string;
    try {
      checkOffer(options.offer);
      offer = restrictVideoFormats(options.offer, pickH264PayloadType(options.offer));
    } catch (error) {
      throw new WhepError(400, error instanceof SdpError ? error.message : 'invalid offer');
    }
    const session = new WhepSession(options);
    try {
      const answer = await session.negotiate(offer);
      path.addReader(session);
      session.log.info(`created by ${options.remoteAddr}`);
      return { session, answer };
    } catch (error) {
      await session.pc.close().catch(() => undefined);
      if (error instanceof WhepError) throw error;
      throw new WhepError(
        400,
        `cannot answer the offer: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private async negotiate(offer: string): Promise<string> {
    const transceiver: RTCRtpTransceiver = this.pc.addTransceiver(this.track, { direction: 'sendonly' });
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.waitGathered();
    const local = this.pc.localDescription?.sdp;
    if (!local) throw new WhepError(500, 'no local description');

    this.localUfrag = iceUfrag(local);
    const mux = this.options.iceTcpMux;
    const tcp = mux ? passiveTcpProtocols(this.pc) : [];
    if (mux && this.localUfrag && tcp.length > 0) {
      mux.register(this.localUfrag, (socket, head) => this.takeTcp(socket, head));
    } else if (mux) {
      this.log.warn('werift exposed no passive ICE-TCP listener; answering without TCP candidates');
    }
    const answer = rewriteAnswerCandidates(local, { iceTcpPort: mux && tcp.length > 0 ? mux.port : 0 });

    transceiver.sender.onReady.subscribe(() => this.onConnected());
    transceiver.sender.onRtcp.subscribe(() => {
      this.lastRtcp = Date.now();
    });
    transceiver.sender.onPictureLossIndication.subscribe(() => this.log.debug('picture loss indication'));
    // A DTLS close_notify (the browser closed its peer connection) ends the session at once.
    transceiver.sender.transport?.onStateChange.subscribe((state) => {
      if (state === 'closed' || state === 'failed') this.close(`DTLS ${state}`);
    });
    this.pc.connectionStateChange.subscribe((state) => {
      this.log.debug(`peer connection ${state}`);
      if (state === 'failed' || state === 'closed') this.close('peer connection closed');
    });
    this.timers.push(
      setTimeout(() => {
        if (!this.connected) this.close('deadline exceeded while waiting connection');
      }, this.options.handshakeTimeoutMs),
    );
    return answer;
  }

  private waitGathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 5000);
      const { unSubscribe } = this.pc.iceGatheringStateChange.subscribe((state) => {
        if (state !== 'complete') return;
        clearTimeout(timer);
        unSubscribe();
        resolve();
      });
    });
  }

  private takeTcp(socket: net.Socket, head: Buffer): boolean {
    const listeners = passiveTcpProtocols(this.pc);
    const local = socket.localAddress?.replace(/^::ffff:/, '');
    const target = listeners.find((l) => l.localIp === local) ?? listeners[0];
    if (!target || this.closed) return false;
    this.tcpSockets++;
    socket.once('close', () => {
      this.tcpSockets--;
      // The browser went away without closing its peer connection: its TCP connection tells us first.
      if (this.tcpSockets === 0 && this.connected && this.selectedProtocol() === 'tcp') {
        this.close('ICE-TCP connection closed');
      }
    });
    socket.unshift(head);
    target.server.emit('connection', socket);
    socket.resume();
    this.log.debug(`ICE-TCP connection from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
    return true;
  }

  private onConnected(): void {
    if (this.closed || this.state !== 'connecting') return;
    const pair = this.pc.iceTransports[0]?.getSelectedCandidatePair();
    this.log.info(
      `peer connection established, local candidate: ${this.localSummary(pair?.local)}, ` +
        `remote candidate: ${candidateSummary(pair?.remote)}`,
    );
    this.log.info(`is reading from path '${this.path.name}', 1 track (H264)`);
    this.lastRtcp = Date.now();
    this.state = 'waiting-keyframe';
    const cached = this.path.keyframeAccessUnit;
    const now = this.path.lastTimestamp;
    if (this.options.join === 'keyframe-cache' && cached && now !== undefined) {
      for (const packet of cached) this.write(rewriteRtp(packet, this.takeSeq(), now));
    }
    const timer = setInterval(() => {
      if (Date.now() - this.lastRtcp > this.options.readerTimeoutMs) this.close('no RTCP from the reader');
    }, 1000);
    this.timers.push(timer);
  }

  private takeSeq(): number {
    const seq = this.nextOutSeq;
    this.nextOutSeq = seqAdd(seq, 1);
    return seq;
  }

  onPacket(packet: PathPacket): void {
    if (this.state === 'connecting' || this.closed) return;
    if (this.state === 'waiting-keyframe') {
      if (!packet.keyframeStart) return;
      // Start at this access unit: what of it came before this packet (an AUD, say) goes out first.
      const first = packet.accessUnit[0] ?? packet.data;
      this.seqOffset = (this.nextOutSeq - first.readUInt16BE(2)) & 0xffff;
      this.tsOffset = 0;
      this.state = 'live';
      for (const data of packet.accessUnit.slice(0, -1)) this.send(data);
    }
    this.send(packet.data);
  }

  private send(data: Buffer): void {
    const seq = seqAdd(data.readUInt16BE(2), this.seqOffset);
    this.nextOutSeq = seqAdd(seq, 1);
    this.write(rewriteRtp(data, seq, tsAdd(data.readUInt32BE(4), this.tsOffset)));
  }

  private write(data: Buffer): void {
    this.bytesSent += data.length;
    this.path.outboundBytes += data.length;
    this.track.writeRtp(data);
  }

  /** Trickle ICE (PATCH). Throws WhepError. */
  async addCandidates(body: string): Promise<void> {
    let fragment;
    try {
      fragment = parseTrickleFragment(body);
    } catch (error) {
      throw new WhepError(400, error instanceof Error ? error.message : 'invalid fragment');
    }
    for (const c of fragment.candidates) {
      try {
        await this.pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.mid, sdpMLineIndex: c.mLineIndex });
      } catch (error) {
        throw new WhepError(
          400,
          `invalid candidate: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  /** What the API shows for this session. */
  describe(): {
    localCandidate: string;
    remoteCandidate: string;
    peerConnectionEstablished: boolean;
  } {
    const pair = this.connected ? this.pc.iceTransports[0]?.getSelectedCandidatePair() : null;
    return {
      localCandidate: this.localSummary(pair?.local),
      remoteCandidate: candidateSummary(pair?.remote),
      peerConnectionEstablished: this.connected,
    };
  }

  private selectedProtocol(): string | undefined {
    const pair = this.pc.iceTransports[0]?.getSelectedCandidatePair();
    return candidateSummary(pair?.local).split('/')[0];
  }

  /** werift's TCP candidates listen on private ports; what the browser connected to is the shared one. */
  private localSummary(candidate: { candidate: string } | undefined): string {
    const summary = candidateSummary(candidate);
    const mux = this.options.iceTcpMux;
    return mux && summary.startsWith('tcp/') ? summary.replace(/:\d+$/, `:${mux.port}`) : summary;
  }

  onPathClosed(reason: string): void {
    this.close(reason);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.localUfrag) this.options.iceTcpMux?.unregister(this.localUfrag);
    this.path.removeReader(this);
    this.log.info(`closed: ${reason}`);
    this.pc.close().catch(() => undefined);
    this.options.onClosed(this);
  }

  /** The answer's local candidates (for logs and tests). */
  static candidatesOf(answer: string): ReturnType<typeof listCandidates> {
    return listCandidates(answer);
  }
}

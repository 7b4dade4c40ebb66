/**
 * The MediaMTX stand-in, put together: the RTSP front on the RTSP port (readers served here, publishers piped to
 * the RTSP ingest, a Python child on a loopback port) → per-path RTP receivers → paths → WHEP readers (werift),
 * RTSP readers, HLS muxers and internal forwards; the v3 API on loopback.
 */
import type { MediaServerConfig } from './config.js';
import { HlsServer } from './hls-server.js';
import { InternalForwards } from './internal-forward.js';
import type { Logger } from './log.js';
import { PathManager } from './path-manager.js';
import { ApiServer } from './api/api-server.js';
import { IngestProcess, type IngestEvent } from './rtsp/ingest-process.js';
import { RtpReceiver } from './rtsp/rtp-receiver.js';
import { RtspFront } from './rtsp/rtsp-front.js';
import { hostAddresses } from './webrtc/host-addresses.js';
import { WhepServer } from './webrtc/http-server.js';
import { IceTcpMux } from './webrtc/ice-tcp-mux.js';

export interface BoundPorts {
  rtsp: number;
  whep: number;
  api: number;
  iceTcp: number;
  hls: number;
}

const INGEST_RESTART_MS = 1000;

export class MediaServer {
  readonly paths: PathManager;
  private readonly receivers: RtpReceiver[] = [];
  private readonly forwards: InternalForwards;
  private readonly whep: WhepServer;
  private readonly api: ApiServer;
  private readonly hls: HlsServer | undefined;
  private readonly mux: IceTcpMux | undefined;
  private ingest: IngestProcess | undefined;
  private ingestPort: number | undefined;
  private readonly front: RtspFront;
  private readonly targets = new Map<string, number>();
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: MediaServerConfig,
    private readonly log: Logger,
  ) {
    this.paths = new PathManager(config.paths, log);
    this.forwards = new InternalForwards(log.child('forward'));
    this.mux = config.iceTcpPort > 0 ? new IceTcpMux(log.child('WebRTC')) : undefined;
    this.whep = new WhepServer({
      paths: this.paths,
      log: log.child('WebRTC'),
      hostAddresses: () => hostAddresses({ only: config.iceHosts, additional: config.iceAdditionalHosts }),
      iceTcpMux: this.mux,
      iceUdpPortRange: config.iceUdpPortRange,
      join: config.join,
      handshakeTimeoutMs: config.handshakeTimeout * 1000,
      readerTimeoutMs: config.readerTimeout * 1000,
    });
    this.hls =
      config.hlsPort > 0
        ? new HlsServer({
            paths: this.paths,
            log: log.child('HLS'),
            gstLaunch: config.gstLaunch,
            segmentDurationS: config.hlsSegmentDuration,
            closeAfterMs: config.hlsCloseAfter * 1000,
          })
        : undefined;
    this.front = new RtspFront({
      paths: this.paths,
      log: log.child('RTSP'),
      ingestPort: () => this.ingestPort,
    });
    this.api = new ApiServer({
      paths: this.paths,
      forwards: this.forwards,
      whep: this.whep,
      config,
      log: log.child('API'),
      kickPublisher: (id) => this.kickPublisher(id),
    });
  }

  /** The Python ingest's pid, for CPU accounting. */
  get ingestPid(): number | undefined {
    return this.ingest?.pid;
  }

  async start(): Promise<BoundPorts> {
    const { config, log } = this;
    for (const path of this.paths.list()) {
      const receiver = new RtpReceiver(path);
      this.receivers.push(receiver);
      this.targets.set(path.name, await receiver.bind());
    }
    if (config.configFile) log.info(`configuration loaded from ${config.configFile}`);
    this.ingestPort = await this.startIngest();
    const rtsp = await this.front.listen(config.rtspPort, config.rtspHost);
    log.child('RTSP').info(`listener opened on ${config.rtspHost}:${rtsp} (TCP), RECORD and PLAY`);

    if (this.mux) {
      await this.mux.listen(config.iceTcpPort, config.whepHost);
      log.child('WebRTC').info(`ICE-TCP listener opened on ${config.whepHost}:${this.mux.port}`);
    }
    await this.whep.listen(config.whepPort, config.whepHost);
    log.child('WebRTC').info(`listener opened on ${config.whepHost}:${this.whep.port} (HTTP)`);
    const addresses = hostAddresses({ only: config.iceHosts, additional: config.iceAdditionalHosts });
    log.child('WebRTC').info(`host candidates on ${addresses.join(', ') || '(none)'}`);
    await this.api.listen(config.apiPort, config.apiHost);
    log.child('API').info(`listener opened on ${config.apiHost}:${this.api.port}`);
    if (this.hls) {
      await this.hls.listen(config.hlsPort, config.whepHost);
      log.child('HLS').info(`listener opened on ${config.whepHost}:${this.hls.port}`);
    }
    return {
      rtsp,
      whep: this.whep.port,
      api: this.api.port,
      iceTcp: this.mux?.port ?? 0,
      hls: this.hls?.port ?? 0,
    };
  }

  private async startIngest(): Promise<number> {
    // Publishers reach it through the front; any free port. UDP publishers send RTP to the ports its SETUP
    // answers name, on the address they connected to, so it listens where the front does.
    const ingest = new IngestProcess({
      python: this.config.python,
      host: this.config.rtspHost,
      port: 0,
      targets: this.targets,
      log: this.log.child('RTSP'),
    });
    this.ingest = ingest;
    ingest.on('event', (event) => this.onIngestEvent(event));
    ingest.on('exit', (code, signal) => {
      if (this.closing || this.ingest !== ingest || !ingest.ready) return;
      this.log.child('RTSP').error(`ingest exited (${code ?? signal}); restarting`);
      for (const path of this.paths.list()) path.stopPublishing('RTSP ingest exited');
      this.restartTimer = setTimeout(() => {
        this.startIngest().then(
          (port) => {
            this.ingestPort = port;
            this.log.child('RTSP').info(`ingest listening again on ${this.config.rtspHost}:${port}`);
          },
          (error: unknown) => {
            this.log.child('RTSP').error(`cannot restart ingest: ${String(error)}`);
          },
        );
      }, INGEST_RESTART_MS);
    });
    return ingest.start();
  }

  private onIngestEvent(event: IngestEvent): void {
    if (event.event === 'ready') return;
    const path = this.paths.get(event.path);
    if (!path) return;
    switch (event.event) {
      case 'publish':
        path.startPublishing({
          id: event.id,
          codec: event.codec,
          transport: event.transport,
          remote: (event.remotePort && this.front.remoteOf(event.remotePort)) || event.remote,
          ingestSidePort: event.remotePort,
        });
        break;
      case 'format':
        path.setFormat(event.id, {
          codec: event.codec,
          width: event.width,
          height: event.height,
          profile: event.profile,
          level: event.level,
        });
        break;
      case 'unpublish':
        path.stopPublishing(event.reason, event.id);
        break;
    }
  }

  /** MediaMTX's kick of a publishing session: its connection closes and the path goes offline at once. */
  private kickPublisher(id: string): boolean {
    const path = this.paths.list().find((p) => p.publisher?.id === id);
    const port = path?.publisher?.ingestSidePort;
    if (!path || port === undefined) return false;
    this.front.kick(port);
    path.stopPublishing('kicked out through the API', id);
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    for (const path of this.paths.list()) path.closeAll('terminated');
    await Promise.allSettled([
      this.front.close(),
      this.whep.close(),
      this.api.close(),
      this.hls?.close(),
      this.mux?.close(),
    ]);
    this.forwards.close();
    await this.ingest?.stop();
    for (const receiver of this.receivers) receiver.close();
  }
}

/**
 * Internal forwards for the emulated recorder's recording subscriber: a path's RTP (H.264 or H.265, pt 96, with
 * parameter sets in front of every keyframe) copied to a local UDP port, so that
 * `udpsrc port=N ! rtph264depay ! h264parse ! mp4mux` can record it. A forward starts at the next keyframe.
 * It stays across publisher restarts, and shows in the API as the RTSP reader the real recorder would be.
 */
import dgram from 'node:dgram';
import type { Logger } from './log.js';
import { newSessionId, type MediaPath, type PathPacket, type PathReader } from './path.js';

export class UdpForward implements PathReader {
  readonly type = 'rtspSession' as const;
  readonly id = newSessionId();
  private started = false;

  constructor(
    readonly path: MediaPath,
    readonly port: number,
    private readonly socket: dgram.Socket,
  ) {}

  onPacket(packet: PathPacket): void {
    if (!this.started) {
      if (!packet.keyframeStart) return;
      this.started = true;
      for (const data of packet.accessUnit.slice(0, -1)) this.sendOne(data);
    }
    this.sendOne(packet.data);
  }

  private sendOne(data: Buffer): void {
    this.path.outboundBytes += data.length;
    this.socket.send(data, this.port, '127.0.0.1');
  }

  /** A forward outlives the publisher: it waits for the next one (and its first keyframe). */
  onPathClosed(): void {
    this.started = false;
  }
}

export class InternalForwards {
  private readonly forwards = new Map<string, UdpForward>();
  private readonly socket = dgram.createSocket('udp4');

  constructor(private readonly log: Logger) {
    // Nothing listening on a forward port is not an error worth dying for.
    this.socket.on('error', (error) => this.log.debug(`forward socket: ${error.message}`));
  }

  private key(path: string, port: number): string {
    return `${path}:${port}`;
  }

  add(path: MediaPath, port: number): { id: string; created: boolean } {
    const key = this.key(path.name, port);
    const existing = this.forwards.get(key);
    if (existing) return { id: existing.id, created: false };
    const forward = new UdpForward(path, port, this.socket);
    this.forwards.set(key, forward);
    path.addReader(forward);
    this.log.info(`forwarding path '${path.name}' to udp://127.0.0.1:${port}`);
    return { id: forward.id, created: true };
  }

  remove(path: MediaPath, port: number): boolean {
    const key = this.key(path.name, port);
    const forward = this.forwards.get(key);
    if (!forward) return false;
    this.forwards.delete(key);
    path.removeReader(forward);
    this.log.info(`stopped forwarding path '${path.name}' to udp://127.0.0.1:${port}`);
    return true;
  }

  list(): { path: string; port: number; id: string }[] {
    return [...this.forwards.values()].map((f) => ({ path: f.path.name, port: f.port, id: f.id }));
  }

  close(): void {
    for (const forward of this.forwards.values()) forward.path.removeReader(forward);
    this.forwards.clear();
    this.socket.close();
  }
}

/** One loopback UDP socket per path, where the RTSP ingest sends that path's re-payloaded RTP. */
import dgram from 'node:dgram';
import type { MediaPath } from '../path.js';

export class RtpReceiver {
  private readonly socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });

  constructor(readonly path: MediaPath) {
    this.socket.on('message', (msg) => path.onRtp(msg));
  }

  /** Binds to a free loopback port and returns it. */
  bind(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(0, '127.0.0.1', () => {
        this.socket.off('error', reject);
        resolve(this.socket.address().port);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

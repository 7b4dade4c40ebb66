/**
 * ICE-TCP on one port for all sessions, like MediaMTX's `webrtcLocalTCPAddress`. werift opens a passive TCP
 * listener per session on a random port; the answer advertises this shared port instead, and this mux reads the
 * first framed STUN binding request (RFC 4571 framing, RFC 6544), takes the USERNAME (`<our ufrag>:<theirs>`),
 * and hands the socket, with the bytes already read, to the session that owns that ufrag.
 */
import net from 'node:net';
import type { Logger } from '../log.js';

/** Takes over an accepted socket; `head` holds the bytes read so far, to be processed first. */
export type TcpHandoff = (socket: net.Socket, head: Buffer) => boolean;

const STUN_MAGIC = 0x2112a442;
const STUN_USERNAME = 0x0006;
const MAX_FIRST_FRAME = 4096;
const FIRST_FRAME_TIMEOUT_MS = 10_000;

/** The USERNAME of a framed STUN binding request at the start of `buf`: null if it is not one, undefined if more
 * bytes are needed. */
export function stunUsernameFromFrame(buf: Buffer): string | null | undefined {
  if (buf.length < 2) return undefined;
  const frameLength = buf.readUInt16BE(0);
  if (frameLength < 20 || frameLength > MAX_FIRST_FRAME) return null;
  if (buf.length < 2 + frameLength) return undefined;
  const msg = buf.subarray(2, 2 + frameLength);
  if (msg.readUInt16BE(0) !== 0x0001 || msg.readUInt32BE(4) !== STUN_MAGIC) return null;
  const end = Math.min(msg.length, 20 + msg.readUInt16BE(2));
  for (let i = 20; i + 4 <= end;) {
    const type = msg.readUInt16BE(i);
    const length = msg.readUInt16BE(i + 2);
    if (i + 4 + length > end) return null;
    if (type === STUN_USERNAME) return msg.toString('utf8', i + 4, i + 4 + length);
    i += 4 + length + ((4 - (length % 4)) % 4);
  }
  return null;
}

export class IceTcpMux {
  private readonly server: net.Server;
  private readonly owners = new Map<string, TcpHandoff>();
  private readonly pending = new Set<net.Socket>();

  constructor(private readonly log: Logger) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => this.log.error(`ICE-TCP listener: ${error.message}`));
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Route connections whose binding request names `localUfrag` to `handoff`. */
  register(localUfrag: string, handoff: TcpHandoff): void {
    this.owners.set(localUfrag, handoff);
  }

  unregister(localUfrag: string): void {
    this.owners.delete(localUfrag);
  }

  close(): Promise<void> {
    for (const socket of this.pending) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.pending.add(socket);
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), FIRST_FRAME_TIMEOUT_MS);
    const done = (): void => {
      clearTimeout(timer);
      this.pending.delete(socket);
      socket.off('data', onData);
    };
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const username = stunUsernameFromFrame(head);
      if (username === undefined) return;
      done();
      const localUfrag = username?.split(':')[0];
      const owner = localUfrag !== undefined ? this.owners.get(localUfrag) : undefined;
      if (!owner) {
        this.log.debug(`ICE-TCP: no session for ${username ?? 'a non-STUN first frame'}, closing`);
        socket.destroy();
        return;
      }
      socket.pause();
      if (!owner(socket, head)) socket.destroy();
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.once('close', done);
  }
}

/**
 * One configured path (cam0…): who publishes to it, what format, who reads it, and the RTP fan-out. The packets
 * arrive re-payloaded from the RTSP ingest; each goes to every reader and every internal forward. The path keeps
 * the newest keyframe access unit so a new reader can show a picture at once.
 */
import { randomUUID } from 'node:crypto';
import { startsKeyframe, type VideoCodec } from './keyframes.js';
import type { Logger } from './log.js';
import { parseRtpHeader } from './rtp.js';

export type ReaderType = 'webRTCSession' | 'rtspSession' | 'hlsMuxer';

/** What a reader sees of each packet. */
export interface PathPacket {
  /** The raw RTP packet (do not modify; copy first). */
  data: Buffer;
  sequenceNumber: number;
  timestamp: number;
  /** This packet carries a parameter set or the start of a keyframe slice. */
  keyframeStart: boolean;
  /** Packets of the access unit this packet belongs to, up to and including it. */
  accessUnit: readonly Buffer[];
}

export interface PathReader {
  readonly type: ReaderType;
  readonly id: string;
  onPacket(packet: PathPacket): void;
  /** The path went offline or the server is closing; the reader must let go. */
  onPathClosed(reason: string): void;
}

export interface Publisher {
  id: string;
  codec: string;
  transport: string;
  remote: string;
  /** The port its piped connection to the ingest uses: how the RTSP front finds its connection to kick. */
  ingestSidePort?: number;
  since: Date;
}

export interface TrackFormat {
  codec: string;
  width: number;
  height: number;
  profile: string;
  level: string;
}

interface AccessUnit {
  timestamp: number;
  packets: Buffer[];
  key: boolean;
}

/** An access unit larger than this is not kept (a frame this big is not a normal stream). */
const MAX_AU_PACKETS = 4096;

export class MediaPath {
  readonly name: string;
  publisher: Publisher | undefined;
  format: TrackFormat | undefined;
  inboundBytes = 0;
  outboundBytes = 0;
  inboundPackets = 0;
  lastTimestamp: number | undefined;
  private readonly readers = new Map<string, PathReader>();
  private current: AccessUnit | undefined;
  private keyframe: AccessUnit | undefined;
  private readonly log: Logger;

  constructor(name: string, log: Logger) {
    this.name = name;
    this.log = log;
  }

  get online(): boolean {
    return this.publisher !== undefined;
  }

  get codec(): VideoCodec | undefined {
    const codec = this.publisher?.codec;
    return codec === 'H264' || codec === 'H265' ? codec : undefined;
  }

  /** The newest complete keyframe access unit (parameter sets first), if one has been seen. */
  get keyframeAccessUnit(): readonly Buffer[] | undefined {
    return this.keyframe?.packets;
  }

  listReaders(): PathReader[] {
    return [...this.readers.values()];
  }

  addReader(reader: PathReader): void {
    this.readers.set(reader.id, reader);
  }

  removeReader(reader: PathReader): void {
    if (this.readers.get(reader.id) === reader) this.readers.delete(reader.id);
  }

  startPublishing(p: Omit<Publisher, 'since'>): void {
    if (this.publisher) this.stopPublishing('replaced');
    this.publisher = { ...p, since: new Date() };
    this.format = undefined;
    this.log.info(`[session ${p.id.slice(0, 8)}] is publishing to path '${this.name}', 1 track (${p.codec})`);
  }

  setFormat(id: string, format: TrackFormat): void {
    if (this.publisher?.id !== id) return;
    this.format = format;
    this.log.debug(`path '${this.name}': ${format.codec} ${format.width}x${format.height} ${format.profile}`);
  }

  /** The publisher left: the stream ends, and so does every reader on it (as MediaMTX closes them). */
  stopPublishing(reason: string, id?: string): void {
    if (!this.publisher || (id !== undefined && this.publisher.id !== id)) return;
    this.log.info(`[session ${this.publisher.id.slice(0, 8)}] destroyed: ${reason}`);
    this.publisher = undefined;
    this.format = undefined;
    this.current = undefined;
    this.keyframe = undefined;
    this.lastTimestamp = undefined;
    for (const reader of [...this.readers.values()]) {
      // WebRTC readers end with the stream; internal forwards wait for the next publisher.
      if (reader.type === 'webRTCSession') this.readers.delete(reader.id);
      reader.onPathClosed('the stream is no longer available');
    }
  }

  /** Close every reader, for shutdown. */
  closeAll(reason: string): void {
    for (const reader of [...this.readers.values()]) {
      this.readers.delete(reader.id);
      reader.onPathClosed(reason);
    }
  }

  /** One RTP packet from the ingest. */
  onRtp(data: Buffer): void {
    const header = parseRtpHeader(data);
    if (!header) return;
    this.inboundBytes += data.length;
    this.inboundPackets++;
    const codec = this.codec ?? 'H264';
    const keyframeStart = startsKeyframe(codec, data.subarray(header.payloadOffset, header.payloadEnd));

    if (!this.current || this.current.timestamp !== header.timestamp) {
      this.finishAccessUnit();
      this.current = { timestamp: header.timestamp, packets: [], key: false };
    }
    const au = this.current;
    if (au.packets.length < MAX_AU_PACKETS) au.packets.push(data);
    if (keyframeStart) au.key = true;
    this.lastTimestamp = header.timestamp;

    const packet: PathPacket = {
      data,
      sequenceNumber: header.sequenceNumber,
      timestamp: header.timestamp,
      keyframeStart,
      accessUnit: au.packets,
    };
    for (const reader of this.readers.values()) {
      try {
        reader.onPacket(packet);
      } catch (error) {
        this.log.warn(`reader ${reader.id.slice(0, 8)} on '${this.name}' failed: ${String(error)}`);
      }
    }
    if (header.marker) this.finishAccessUnit();
  }

  private finishAccessUnit(): void {
    const au = this.current;
    if (!au) return;
    if (au.key && au.packets.length < MAX_AU_PACKETS) this.keyframe = au;
    this.current = undefined;
  }
}

export function newSessionId(): string {
  return randomUUID();
}

/**
 * Just enough RTP (RFC 3550) to route packets: read the fixed header, find the payload, and rewrite sequence
 * number and timestamp in a copy. Packets stay Buffers end to end.
 */
export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload in the packet (after CSRCs and any header extension). */
  payloadOffset: number;
  /** Payload end (padding removed). */
  payloadEnd: number;
}

/** The header of an RTP packet, or undefined when the bytes are not one. */
export function parseRtpHeader(packet: Buffer): RtpHeader | undefined {
  if (packet.length < 12) return undefined;
  const b0 = packet[0] ?? 0;
  const b1 = packet[1] ?? 0;
  if (b0 >> 6 !== 2) return undefined;
  let offset = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (b0 & 0x20) end -= packet[packet.length - 1] ?? 0;
  if (offset > end) return undefined;
  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payloadOffset: offset,
    payloadEnd: end,
  };
}

/** A copy of the packet with another sequence number and timestamp. */
export function rewriteRtp(packet: Buffer, sequenceNumber: number, timestamp: number): Buffer {
  const copy = Buffer.from(packet);
  copy.writeUInt16BE(sequenceNumber & 0xffff, 2);
  copy.writeUInt32BE(timestamp >>> 0, 4);
  return copy;
}

export const seqAdd = (a: number, b: number): number => (a + b) & 0xffff;
export const tsAdd = (a: number, b: number): number => (a + b) >>> 0;

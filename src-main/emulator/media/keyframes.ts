/**
 * Which RTP packets start a keyframe, for H.264 (RFC 6184) and H.265 (RFC 7798) payloads. A packet "starts a
 * keyframe" when it carries a parameter set (SPS/PPS, VPS/SPS/PPS) or the first fragment of an IDR/IRAP slice:
 * the ingest re-payloads with the parameter sets in front of every keyframe, so a reader can begin right there.
 */
export type VideoCodec = 'H264' | 'H265';

function h264NalStartsKeyframe(type: number): boolean {
  return type === 5 || type === 7 || type === 8;
}

function h265NalStartsKeyframe(type: number): boolean {
  return (type >= 16 && type <= 21) || type === 32 || type === 33 || type === 34;
}

function h264(payload: Buffer): boolean {
  const first = payload[0];
  if (first === undefined) return false;
  const type = first & 0x1f;
  if (type >= 1 && type <= 23) return h264NalStartsKeyframe(type);
  if (type === 24) {
    // STAP-A: [size(2) NAL]…
    for (let i = 1; i + 2 < payload.length;) {
      const size = payload.readUInt16BE(i);
      const nal = payload[i + 2];
      if (nal !== undefined && h264NalStartsKeyframe(nal & 0x1f)) return true;
      i += 2 + size;
    }
    return false;
  }
  if (type === 28 || type === 29) {
    // FU-A/B: start bit and the fragmented NAL's type in the FU header
    const fu = payload[1];
    return fu !== undefined && (fu & 0x80) !== 0 && h264NalStartsKeyframe(fu & 0x1f);
  }
  return false;
}

function h265(payload: Buffer): boolean {
  if (payload.length < 3) return false;
  const type = ((payload[0] ?? 0) >> 1) & 0x3f;
  if (type === 48) {
    // aggregation packet: [size(2) NAL]… after the 2-byte payload header
    for (let i = 2; i + 3 < payload.length;) {
      const size = payload.readUInt16BE(i);
      if (h265NalStartsKeyframe(((payload[i + 2] ?? 0) >> 1) & 0x3f)) return true;
      i += 2 + size;
    }
    return false;
  }
  if (type === 49) {
    const fu = payload[2] ?? 0;
    return (fu & 0x80) !== 0 && h265NalStartsKeyframe(fu & 0x3f);
  }
  return h265NalStartsKeyframe(type);
}

/** Whether this RTP payload starts (or is part of the start of) a keyframe. */
export function startsKeyframe(codec: VideoCodec, payload: Buffer): boolean {
  return codec === 'H264' ? h264(payload) : h265(payload);
}

/**
 * The MediaMTX stand-in's small parsers, without processes: SDP handling, keyframe detection in RTP payloads,
 * the ICE-TCP mux's STUN peek, and the command line.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src-main/emulator/media/config.js';
import { startsKeyframe } from '../../src-main/emulator/media/keyframes.js';
import { parseRtpHeader, rewriteRtp } from '../../src-main/emulator/media/rtp.js';
import { stunUsernameFromFrame } from '../../src-main/emulator/media/webrtc/ice-tcp-mux.js';
import {
  checkOffer,
  parseTrickleFragment,
  pickH264PayloadType,
  restrictVideoFormats,
  rewriteAnswerCandidates,
} from '../../src-main/emulator/media/webrtc/sdp.js';

const chromeLikeOffer = [
  'v=0',
  'o=- 4611 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 106 107 112',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:AbCd',
  'a=ice-pwd:0123456789abcdefghijklmn',
  'a=fingerprint:sha-256 AA:BB',
  'a=mid:0',
  'a=recvonly',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=rtcp-fb:102 nack pli',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 H264/90000',
  'a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:106 H264/90000',
  'a=rtcp-fb:106 nack',
  'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:107 rtx/90000',
  'a=fmtp:107 apt=106',
  'a=rtpmap:112 H264/90000',
  'a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f',
  '',
].join('\r\n');

describe('SDP', () => {
  it('picks packetization-mode=1 H264, preferring 42e01f, and narrows the video section to it', () => {
    checkOffer(chromeLikeOffer);
    expect(pickH264PayloadType(chromeLikeOffer)).toBe(106);
    const narrowed = restrictVideoFormats(chromeLikeOffer, 106);
    expect(narrowed).toContain('m=video 9 UDP/TLS/RTP/SAVPF 106\r\n');
    expect(narrowed).toContain('a=fmtp:106 ');
    expect(narrowed).toContain('a=rtcp-fb:106 nack');
    expect(narrowed).not.toMatch(/a=(rtpmap|fmtp):(96|97|102|103|107|112) /);
    expect(narrowed).toContain('a=ice-ufrag:AbCd');
  });

  it('refuses offers that are not SDP, lack ICE or DTLS, or cannot take H264 packetization-mode=1', () => {
    expect(() => checkOffer('hello')).toThrow();
    expect(() => checkOffer('v=0\r\nnot sdp\r\n')).toThrow();
    expect(() => checkOffer(chromeLikeOffer.replace(/a=fingerprint.*\r\n/, ''))).toThrow(/fingerprint/);
    expect(() => checkOffer(chromeLikeOffer.replace(/a=ice-pwd.*\r\n/, ''))).toThrow(/ICE/);
    expect(() =>
      pickH264PayloadType(chromeLikeOffer.replace(/packetization-mode=1/g, 'packetization-mode=0')),
    ).toThrow();
    expect(() => pickH264PayloadType('v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n')).toThrow(/video/);
  });

  it('points passive TCP candidates at the shared ICE-TCP port and drops active ones', () => {
    const answer = [
      'v=0',
      'a=candidate:1 1 udp 2116026367 10.231.7.2 40000 typ host generation 0',
      'a=candidate:2 1 tcp 1772093439 10.231.7.2 36613 typ host tcptype passive generation 0',
      'a=candidate:3 1 tcp 1772093438 10.231.7.2 9 typ host tcptype active generation 0',
      '',
    ].join('\r\n');
    const out = rewriteAnswerCandidates(answer, { iceTcpPort: 8189 });
    expect(out).toContain('a=candidate:1 1 udp 2116026367 10.231.7.2 40000 typ host');
    expect(out).toContain(
      'a=candidate:2 1 tcp 1772093439 10.231.7.2 8189 typ host tcptype passive generation 0',
    );
    expect(out).not.toContain('tcptype active');
    expect(rewriteAnswerCandidates(answer, { iceTcpPort: 0 })).not.toMatch(/ tcp /);
  });

  it('reads trickle fragments', () => {
    const frag = parseTrickleFragment(
      'a=ice-ufrag:x\r\na=ice-pwd:y\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 1 10.0.0.1 5 typ host\r\n',
    );
    expect(frag).toEqual({
      ufrag: 'x',
      pwd: 'y',
      candidates: [{ candidate: 'candidate:1 1 udp 1 10.0.0.1 5 typ host', mid: '0', mLineIndex: 0 }],
    });
    expect(() => parseTrickleFragment('garbage')).toThrow();
  });
});

describe('keyframes in RTP payloads', () => {
  it('H.264: SPS/PPS/IDR single NALs, FU-A start of an IDR, STAP-A with an SPS', () => {
    expect(startsKeyframe('H264', Buffer.from([0x67, 0x42]))).toBe(true); // SPS
    expect(startsKeyframe('H264', Buffer.from([0x68, 0xce]))).toBe(true); // PPS
    expect(startsKeyframe('H264', Buffer.from([0x65, 0x88]))).toBe(true); // IDR
    expect(startsKeyframe('H264', Buffer.from([0x41, 0x9a]))).toBe(false); // P slice
    expect(startsKeyframe('H264', Buffer.from([0x09, 0xf0]))).toBe(false); // AUD
    expect(startsKeyframe('H264', Buffer.from([0x7c, 0x85, 0x00]))).toBe(true); // FU-A start, IDR
    expect(startsKeyframe('H264', Buffer.from([0x7c, 0x05, 0x00]))).toBe(false); // FU-A middle
    expect(startsKeyframe('H264', Buffer.from([0x7c, 0x81, 0x00]))).toBe(false); // FU-A start, P
    expect(startsKeyframe('H264', Buffer.from([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce]))).toBe(
      true,
    );
  });

  it('H.265: VPS and IRAP NALs, FU start of an IDR, not trailing pictures', () => {
    expect(startsKeyframe('H265', Buffer.from([32 << 1, 0x01, 0x0c]))).toBe(true); // VPS
    expect(startsKeyframe('H265', Buffer.from([19 << 1, 0x01, 0xaf]))).toBe(true); // IDR_W_RADL
    expect(startsKeyframe('H265', Buffer.from([1 << 1, 0x01, 0xaf]))).toBe(false); // TRAIL_R
    expect(startsKeyframe('H265', Buffer.from([49 << 1, 0x01, 0x80 | 19, 0x00]))).toBe(true); // FU start IDR
    expect(startsKeyframe('H265', Buffer.from([49 << 1, 0x01, 19, 0x00]))).toBe(false); // FU middle
  });
});

describe('RTP header', () => {
  it('parses, finds the payload past CSRCs and extensions, and rewrites seq/ts in a copy', () => {
    const packet = Buffer.from([
      0x91, 0xe0, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 1, 2, 3, 4,
      0x65,
    ]);
    const header = parseRtpHeader(packet)!;
    expect(header).toMatchObject({
      marker: true,
      payloadType: 96,
      sequenceNumber: 0x1234,
      timestamp: 0x1000,
    });
    expect(packet[header.payloadOffset]).toBe(0x65);
    const copy = rewriteRtp(packet, 7, 9);
    expect(parseRtpHeader(copy)).toMatchObject({ sequenceNumber: 7, timestamp: 9 });
    expect(packet.readUInt16BE(2)).toBe(0x1234);
    expect(parseRtpHeader(Buffer.from([0x00, 1, 2]))).toBeUndefined();
  });
});

describe('ICE-TCP mux STUN peek', () => {
  function bindingRequest(username: string): Buffer {
    const value = Buffer.from(username);
    const padded = Buffer.concat([value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
    const attr = Buffer.alloc(4);
    attr.writeUInt16BE(0x0006, 0);
    attr.writeUInt16BE(value.length, 2);
    const header = Buffer.alloc(20);
    header.writeUInt16BE(0x0001, 0);
    header.writeUInt16BE(4 + padded.length, 2);
    header.writeUInt32BE(0x2112a442, 4);
    const msg = Buffer.concat([header, attr, padded]);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length, 0);
    return Buffer.concat([len, msg]);
  }

  it('finds the USERNAME of a framed binding request, waits for more bytes, rejects non-STUN', () => {
    const frame = bindingRequest('srvr:brwsr');
    expect(stunUsernameFromFrame(frame)).toBe('srvr:brwsr');
    expect(stunUsernameFromFrame(frame.subarray(0, 10))).toBeUndefined();
    expect(stunUsernameFromFrame(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeNull();
  });
});

describe('command line', () => {
  it('takes the unit flags and refuses nonsense', () => {
    const config = parseArgs([
      '--rtsp-port',
      '8554',
      '--whep-port',
      '8889',
      '--whep-host',
      '0.0.0.0',
      '--api-port',
      '9997',
      '--api-host',
      '127.0.0.1',
      '--ice-tcp-port',
      '8189',
      '--paths',
      'cam0,cam1,cam2,cam3,program',
    ]);
    expect(config).toMatchObject({ rtspPort: 8554, whepPort: 8889, apiHost: '127.0.0.1', iceTcpPort: 8189 });
    expect(config.paths).toEqual(['cam0', 'cam1', 'cam2', 'cam3', 'program']);
    expect(() => parseArgs(['--rtsp-port', '70000'])).toThrow(/port/);
    expect(() => parseArgs(['--paths', 'cam0,../x'])).toThrow(/path/);
    expect(() => parseArgs(['--bogus', '1'])).toThrow(/unknown/);
    expect(() => parseArgs(['--api-host'])).toThrow(/missing/);
  });
});

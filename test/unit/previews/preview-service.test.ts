import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  H265_REASON,
  directCandidates,
  isLoopbackHost,
  parseAddresses,
  previewSources,
  previewUrls,
  tcpProbe,
} from '../../../src-main/core/previews/preview-service.js';
import type { MediaPath } from '../../../src-main/core/device/mediamtx.js';

const path = (name: string, codec: string | null, online = true, readers = 0): MediaPath => ({
  name,
  online,
  codec,
  resolution: null,
  inboundBytes: null,
  readers,
});

describe('preview sources', () => {
  it('marks H.265 as not playable over WebRTC with the reason, and the program path', () => {
    const sources = previewSources('dev 1', [
      path('cam0', 'H264', true, 2),
      path('cam1', 'H265'),
      path('cam3', 'H264', false),
      path('program', 'H264'),
    ]);
    expect(sources[0]).toEqual({
      path: 'cam0',
      name: 'cam0',
      online: true,
      codec: 'H264',
      webrtcPlayable: true,
      reason: null,
      whepUrl: '/previews/dev%201/cam0/whep',
      hlsUrl: '/previews/dev%201/cam0/hls/index.m3u8',
      readers: 2,
      program: false,
    });
    expect(sources[1]).toMatchObject({ webrtcPlayable: false, reason: H265_REASON });
    expect(sources[2]).toMatchObject({ online: false, codec: null, webrtcPlayable: true });
    expect(sources[3]?.program).toBe(true);
    expect(previewUrls('d', 'live/cam0').whepUrl).toBe('/previews/d/live/cam0/whep');
  });
});

describe('direct reachability', () => {
  it('uses the device’s own addresses when SSH goes to a loopback proxy', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('r58.itagenten.no')).toBe(false);
    expect(parseAddresses('10.231.7.2 172.17.0.1 fe80::1 \n')).toEqual(['10.231.7.2', '172.17.0.1']);
    expect(
      parseAddresses(
        '2: eth0    inet 10.231.7.2/30 brd 10.231.7.3 scope global eth0\n3: lo inet 127.0.0.1/8 scope host lo\n',
      ),
    ).toEqual(['10.231.7.2']);
    expect(directCandidates('127.0.0.1', ['10.231.7.2'])).toEqual(['10.231.7.2']);
    expect(directCandidates('r58.local', ['10.0.0.5', 'r58.local'])).toEqual(['r58.local', '10.0.0.5']);
  });

  it('probes a TCP port: null when it connects, the reason when not', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    expect(await tcpProbe('127.0.0.1', port, 1000)).toBeNull();
    await new Promise<void>((r) => server.close(() => r()));
    expect(await tcpProbe('127.0.0.1', port, 1000)).toBe('ECONNREFUSED');
  });
});

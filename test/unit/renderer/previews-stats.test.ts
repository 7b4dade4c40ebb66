import { describe, expect, it } from 'vitest';
import { reduceStats, statLines, type StatEntry } from '../../../src-renderer/lib/video/stats.js';

/** A Chromium-shaped getStats() report: the entries the reducer reads, with realistic neighbours. */
function report(at: number, inbound: Partial<Record<string, number>>, rtt = 0.004): StatEntry[] {
  return [
    { id: 'T01', type: 'transport', selectedCandidatePairId: 'CP1', timestamp: at },
    { id: 'CP0', type: 'candidate-pair', state: 'failed', currentRoundTripTime: 9 },
    {
      id: 'CP1',
      type: 'candidate-pair',
      state: 'succeeded',
      nominated: true,
      currentRoundTripTime: rtt,
      localCandidateId: 'L1',
    },
    { id: 'L1', type: 'local-candidate', protocol: 'tcp' },
    { id: 'IA', type: 'inbound-rtp', kind: 'audio', bytesReceived: 1e9, timestamp: at },
    {
      id: 'IV',
      type: 'inbound-rtp',
      kind: 'video',
      timestamp: at,
      frameWidth: 640,
      frameHeight: 360,
      jitter: 0.012,
      ...inbound,
    },
  ];
}

describe('preview stats reducer', () => {
  it('reads the size, jitter, round trip and transport from one report; rates need a second', () => {
    const { stats, sample } = reduceStats(
      report(1000, { bytesReceived: 10_000, framesDecoded: 5, packetsReceived: 20, packetsLost: 0 }),
      undefined,
      0,
    );
    expect(stats).toMatchObject({
      width: 640,
      height: 360,
      jitterMs: 12,
      rttMs: 4,
      transport: 'tcp',
      framesDecoded: 5,
      fps: null,
      bitrateKbps: null,
      lossPercent: null,
    });
    expect(sample).toEqual({
      at: 1000,
      bytesReceived: 10_000,
      framesDecoded: 5,
      packetsReceived: 20,
      packetsLost: 0,
    });
  });

  it('turns counters into bitrate, frame rate and loss over the interval', () => {
    const first = reduceStats(
      report(1000, { bytesReceived: 10_000, framesDecoded: 5, packetsReceived: 100, packetsLost: 2 }),
      undefined,
      0,
    );
    const second = reduceStats(
      report(3000, { bytesReceived: 385_000, framesDecoded: 65, packetsReceived: 290, packetsLost: 12 }),
      first.sample,
      0,
    );
    // 375 000 bytes in 2 s = 1500 kbit/s; 60 frames in 2 s; 10 lost of 200 expected.
    expect(second.stats.bitrateKbps).toBeCloseTo(1500);
    expect(second.stats.fps).toBeCloseTo(30);
    expect(second.stats.lossPercent).toBeCloseTo(5);
    expect(second.stats.packetsLost).toBe(12);
  });

  it("prefers Chromium's own framesPerSecond over the computed rate", () => {
    const first = reduceStats(report(0, { framesDecoded: 0 }), undefined, 0);
    const second = reduceStats(report(1000, { framesDecoded: 10, framesPerSecond: 29 }), first.sample, 0);
    expect(second.stats.fps).toBe(29);
  });

  it('gives no rate when a counter goes backwards (a new session behind the same tile)', () => {
    const first = reduceStats(report(0, { bytesReceived: 900_000, framesDecoded: 900 }), undefined, 0);
    const second = reduceStats(report(1000, { bytesReceived: 1000, framesDecoded: 2 }), first.sample, 0);
    expect(second.stats.bitrateKbps).toBeNull();
    expect(second.stats.fps).toBeNull();
  });

  it('uses the caller clock when the report carries no timestamp', () => {
    const bare = (bytes: number): StatEntry[] => [
      { id: 'IV', type: 'inbound-rtp', mediaType: 'video', bytesReceived: bytes },
    ];
    const first = reduceStats(bare(0), undefined, 500);
    const second = reduceStats(bare(125_000), first.sample, 1500);
    expect(second.stats.bitrateKbps).toBeCloseTo(1000);
  });

  it('finds the nominated pair when no transport entry names one (Firefox)', () => {
    const { stats } = reduceStats(
      [
        { id: 'P', type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: 0.05 },
        { id: 'IV', type: 'inbound-rtp', kind: 'video', framesDecoded: 1 },
      ],
      undefined,
      0,
    );
    expect(stats.rttMs).toBe(50);
    expect(stats.transport).toBeNull();
  });

  it('reports no video before the track exists', () => {
    const { stats, sample } = reduceStats([{ id: 'T', type: 'transport' }], undefined, 0);
    expect(sample).toBeUndefined();
    expect(stats.framesDecoded).toBe(0);
    expect(stats.width).toBeNull();
  });

  it('writes the tile lines with units, and a dash for what is not known yet', () => {
    const first = reduceStats(
      report(0, { bytesReceived: 0, framesDecoded: 0, packetsReceived: 0 }),
      undefined,
      0,
    );
    const second = reduceStats(
      report(1000, { bytesReceived: 250_000, framesDecoded: 30, packetsReceived: 200, packetsLost: 0 }),
      first.sample,
      0,
    );
    expect(Object.fromEntries(statLines(second.stats, 212.4))).toEqual({
      Resolution: '640×360',
      'Frame rate': '30 fps',
      Bitrate: '2.00 Mbit/s',
      'Packet loss': '0.0 %',
      'Lost packets': '0',
      Jitter: '12 ms',
      'Round trip': '4 ms',
      'First frame': '212 ms',
      'Frames decoded': '30',
      Transport: 'TCP',
    });
    expect(Object.fromEntries(statLines(first.stats, null))).toMatchObject({
      'Frame rate': '—',
      Bitrate: '—',
      'Packet loss': '—',
      'First frame': '—',
    });
  });
});

/**
 * From a WebRTC `getStats()` report to the numbers a preview tile shows. Counters (bytes, frames, packets) become
 * rates by comparing with the previous sample, so every call returns the sample to keep for the next one.
 */

/** One entry of an RTCStatsReport, as loosely as the browsers fill it in. */
export type StatEntry = { readonly id?: string; readonly type?: string } & Readonly<Record<string, unknown>>;

/** The counters kept between two reports. */
export interface StatsSample {
  /** ms (the report's own timestamp when it has one). */
  at: number;
  bytesReceived: number;
  framesDecoded: number;
  packetsReceived: number;
  packetsLost: number;
}

export interface TileStats {
  width: number | null;
  height: number | null;
  /** Decoded frames per second. */
  fps: number | null;
  bitrateKbps: number | null;
  /** Lost packets over the last interval as a share of those expected, in %. */
  lossPercent: number | null;
  /** Lost packets since the session started. */
  packetsLost: number;
  jitterMs: number | null;
  rttMs: number | null;
  framesDecoded: number;
  /** `udp` or `tcp`: the transport of the selected candidate pair, when known. */
  transport: string | null;
}

export const EMPTY_STATS: TileStats = {
  width: null,
  height: null,
  fps: null,
  bitrateKbps: null,
  lossPercent: null,
  packetsLost: 0,
  jitterMs: null,
  rttMs: null,
  framesDecoded: 0,
  transport: null,
};

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function findVideoInbound(entries: StatEntry[]): StatEntry | undefined {
  return entries.find((e) => e.type === 'inbound-rtp' && (e['kind'] ?? e['mediaType']) === 'video');
}

/** The candidate pair in use: the transport's selected pair, else a nominated succeeded one (Firefox). */
function findSelectedPair(entries: StatEntry[], byId: Map<string, StatEntry>): StatEntry | undefined {
  for (const e of entries) {
    const selectedId = e.type === 'transport' ? e['selectedCandidatePairId'] : undefined;
    if (typeof selectedId === 'string') {
      const pair = byId.get(selectedId);
      if (pair) return pair;
    }
  }
  return entries.find(
    (e) =>
      e.type === 'candidate-pair' &&
      e['state'] === 'succeeded' &&
      (e['nominated'] === true || e['selected'] === true),
  );
}

export interface ReducedStats {
  stats: TileStats;
  sample: StatsSample | undefined;
}

/**
 * Reduce one report. `previous` is the sample the last call returned; `now` stands in for reports without
 * timestamps. A counter that went backwards (a new session behind the same tile) gives no rate this time.
 */
export function reduceStats(
  report: Iterable<StatEntry>,
  previous: StatsSample | undefined,
  now: number,
): ReducedStats {
  const entries = [...report];
  const byId = new Map<string, StatEntry>();
  for (const e of entries) if (typeof e.id === 'string') byId.set(e.id, e);

  const stats: TileStats = { ...EMPTY_STATS };
  const pair = findSelectedPair(entries, byId);
  if (pair) {
    const rtt = num(pair['currentRoundTripTime']);
    stats.rttMs = rtt === null ? null : rtt * 1000;
    const local =
      typeof pair['localCandidateId'] === 'string' ? byId.get(pair['localCandidateId']) : undefined;
    const protocol = local?.['protocol'];
    stats.transport = typeof protocol === 'string' ? protocol.toLowerCase() : null;
  }

  const inbound = findVideoInbound(entries);
  if (!inbound) return { stats, sample: undefined };

  stats.width = num(inbound['frameWidth']);
  stats.height = num(inbound['frameHeight']);
  const jitter = num(inbound['jitter']);
  stats.jitterMs = jitter === null ? null : jitter * 1000;
  const sample: StatsSample = {
    at: num(inbound['timestamp']) ?? now,
    bytesReceived: num(inbound['bytesReceived']) ?? 0,
    framesDecoded: num(inbound['framesDecoded']) ?? 0,
    packetsReceived: num(inbound['packetsReceived']) ?? 0,
    packetsLost: Math.max(0, num(inbound['packetsLost']) ?? 0),
  };
  stats.framesDecoded = sample.framesDecoded;
  stats.packetsLost = sample.packetsLost;

  const reported = num(inbound['framesPerSecond']);
  const dt = previous ? (sample.at - previous.at) / 1000 : 0;
  const monotonic =
    previous !== undefined &&
    sample.bytesReceived >= previous.bytesReceived &&
    sample.framesDecoded >= previous.framesDecoded &&
    sample.packetsReceived >= previous.packetsReceived &&
    sample.packetsLost >= previous.packetsLost;
  if (previous && monotonic && dt > 0) {
    stats.bitrateKbps = ((sample.bytesReceived - previous.bytesReceived) * 8) / dt / 1000;
    stats.fps = (sample.framesDecoded - previous.framesDecoded) / dt;
    const lost = sample.packetsLost - previous.packetsLost;
    const expected = lost + (sample.packetsReceived - previous.packetsReceived);
    stats.lossPercent = expected > 0 ? (lost / expected) * 100 : 0;
  }
  // Chromium's own framesPerSecond is smoothed over the last second; prefer it when present.
  if (reported !== null) stats.fps = reported;
  return { stats, sample };
}

function fixed(value: number | null, digits: number, unit: string): string {
  return value === null ? '—' : `${value.toFixed(digits)}${unit}`;
}

/** The tile's numbers as short labelled texts, in the order shown. */
export function statLines(stats: TileStats, firstFrameMs: number | null): [string, string][] {
  return [
    ['Resolution', stats.width && stats.height ? `${stats.width}×${stats.height}` : '—'],
    ['Frame rate', fixed(stats.fps, 0, ' fps')],
    [
      'Bitrate',
      stats.bitrateKbps === null
        ? '—'
        : stats.bitrateKbps >= 1000
          ? `${(stats.bitrateKbps / 1000).toFixed(2)} Mbit/s`
          : `${stats.bitrateKbps.toFixed(0)} kbit/s`,
    ],
    ['Packet loss', stats.lossPercent === null ? '—' : `${stats.lossPercent.toFixed(1)} %`],
    ['Lost packets', String(stats.packetsLost)],
    ['Jitter', fixed(stats.jitterMs, 0, ' ms')],
    ['Round trip', fixed(stats.rttMs, 0, ' ms')],
    ['First frame', firstFrameMs === null ? '—' : `${Math.round(firstFrameMs)} ms`],
    ['Frames decoded', String(stats.framesDecoded)],
    ['Transport', stats.transport ? stats.transport.toUpperCase() : '—'],
  ];
}

/** What MediaMTX's API v3 says about its paths, read on the device (`curl` + `section`, see http.ts). */

export interface MediaPath {
  name: string;
  online: boolean;
  codec: string | null;
  resolution: string | null;
  inboundBytes: number | null;
  readers: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function trackCodec(track: unknown): string | null {
  if (typeof track === 'string') return track;
  if (isRecord(track) && typeof track.codec === 'string') return track.codec;
  return null;
}

/** MediaMTX `GET /v3/paths/list` (`items[]`: name, online/ready, tracks, tracks2, inboundBytes/bytesReceived, readers). */
export function parseMediaPaths(value: unknown): MediaPath[] | undefined {
  if (!isRecord(value) || !Array.isArray(value.items)) return undefined;
  const out: MediaPath[] = [];
  for (const item of value.items) {
    if (!isRecord(item) || typeof item.name !== 'string') continue;
    const tracks2 = Array.isArray(item.tracks2) ? item.tracks2 : [];
    const tracks = Array.isArray(item.tracks) ? item.tracks : [];
    const video = tracks2.find((t) => isRecord(t) && isRecord(t.codecProps) && 'width' in t.codecProps);
    const props = isRecord(video) && isRecord(video.codecProps) ? video.codecProps : undefined;
    const width = Number(props?.width);
    const height = Number(props?.height);
    // MediaMTX 1.15 renamed bytesReceived to inboundBytes; older boxes only have the old name.
    const bytes = Number(item.inboundBytes ?? item.bytesReceived);
    const online = typeof item.online === 'boolean' ? item.online : item.ready === true;
    out.push({
      name: item.name,
      online,
      codec: trackCodec(video) ?? trackCodec(tracks2[0]) ?? trackCodec(tracks[0]),
      resolution: width > 0 && height > 0 ? `${width}x${height}` : null,
      inboundBytes: Number.isFinite(bytes) && bytes >= 0 ? bytes : null,
      readers: Array.isArray(item.readers) ? item.readers.length : Number(item.readers) || 0,
    });
  }
  return out;
}

/** The recorder's word for a camera → the contract's signal and the resolution it names. */

import { z } from 'zod';

/** How the console reaches a device's WHEP: straight to its address, or through the device's SSH connection. */
export const PreviewRoute = z.enum(['direct', 'tunnel']);
export type PreviewRoute = z.infer<typeof PreviewRoute>;

export const PreviewSource = z.object({
  /** MediaMTX path, e.g. `cam0` or `program`. */
  path: z.string(),
  /** Camera name for the tile (the path for now). */
  name: z.string(),
  online: z.boolean(),
  /** `H264`, `H265`, … as MediaMTX names the video track; null when offline. */
  codec: z.string().nullable(),
  /** Whether a browser can play it over WebRTC; when false, `reason` says why (e.g. H.265). */
  webrtcPlayable: z.boolean(),
  reason: z.string().nullable(),
  /** Console-relative URLs (same origin as the UI): the WHEP endpoint and the HLS playlist. */
  whepUrl: z.string(),
  hlsUrl: z.string(),
  readers: z.number().int().nullable(),
  /** True for the mixer's program output. */
  program: z.boolean(),
});
export type PreviewSource = z.infer<typeof PreviewSource>;

export const PreviewReach = z.object({
  deviceId: z.string(),
  route: PreviewRoute.nullable(),
  /** One sentence: which route is in use and why (direct refused, tunnel up on local ports …). */
  detail: z.string(),
  /** Whether the device's MediaMTX offers ICE-TCP (webrtcLocalTCPAddress); needed for the tunnel. */
  iceTcp: z.boolean().nullable(),
  /** When ICE-TCP is off: the exact setting that turns it on. */
  iceTcpHint: z.string().nullable(),
});
export type PreviewReach = z.infer<typeof PreviewReach>;

export const PreviewList = z.object({ reach: PreviewReach, sources: z.array(PreviewSource) });
export type PreviewList = z.infer<typeof PreviewList>;

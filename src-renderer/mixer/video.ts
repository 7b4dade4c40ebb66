/** Which live video a camera's box shows: its WHEP URL from the device's preview list, or why there is none. */
import { MixerCamera, type PreviewSource } from '../../src-main/contract/index.js';

export interface BoxVideo {
  url: string | null;
  unavailable: string;
}

export type VideoOf = (camera: string) => BoxVideo;

export function videoLookup(sources: readonly PreviewSource[] | undefined): VideoOf {
  return (camera) => {
    if (!sources) return { url: null, unavailable: 'Asking for the cameras…' };
    const source = sources.find((s) => !s.program && s.path === camera);
    if (!source) return { url: null, unavailable: 'Not on the media server' };
    if (!source.webrtcPlayable)
      return { url: null, unavailable: source.reason ?? 'Not playable in the browser' };
    return { url: source.whepUrl, unavailable: '' };
  };
}

/** The cameras a producer can place: the device's camera paths, the mixer's inputs and those already in scenes. */
export function cameraNames(
  sources: readonly PreviewSource[] | undefined,
  ...more: readonly (readonly string[])[]
): string[] {
  const names = new Set<string>();
  for (const s of sources ?? []) if (!s.program) names.add(s.path);
  for (const list of more) for (const name of list) names.add(name);
  return [...names]
    .filter((n) => MixerCamera.safeParse(n).success)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

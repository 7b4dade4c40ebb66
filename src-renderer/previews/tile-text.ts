/** The words a preview tile shows for its state: short enough for a tile, never silent about a failure. */
import { secondsUntil } from '../lib/video/backoff.js';
import { sentence, type TileStatus } from '../lib/video/whep-status.js';
import type { HlsSnapshot } from './hls-player.js';

export { sentence, whepStatus, type TileStatus, type Tone } from '../lib/video/whep-status.js';

export function hlsStatus(snap: HlsSnapshot | undefined, now: number): TileStatus {
  if (!snap) return { label: 'Paused', detail: 'Not on screen: not receiving.', tone: 'idle' };
  const state = snap.state;
  switch (state.kind) {
    case 'loading':
      return { label: 'HLS · loading', detail: '', tone: 'busy' };
    case 'playing':
      return {
        label: snap.latencySec != null ? `HLS · ~${Math.round(snap.latencySec)} s latency` : 'HLS',
        detail: '',
        tone: 'ok',
      };
    case 'retrying':
      return {
        label: `HLS · retrying in ${secondsUntil(state.at, now)} s`,
        detail: `Attempt ${state.attempt} failed: ${sentence(state.reason)}`,
        tone: 'warn',
      };
    case 'failed':
      return { label: 'HLS failed', detail: state.message, tone: 'bad' };
    case 'closed':
      return { label: 'Closed', detail: '', tone: 'idle' };
  }
}

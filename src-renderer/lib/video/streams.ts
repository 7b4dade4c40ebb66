/** The page's one pool of WHEP readers (see stream-pool.ts). */
import { StreamPool } from './stream-pool.js';
import { WhepSession } from './whep-session.js';

export const streams = new StreamPool(
  (url, onChange, onTrack) => new WhepSession({ url, base: location.href, onChange, onTrack }),
);

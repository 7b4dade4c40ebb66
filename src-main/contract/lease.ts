import { z } from 'zod';

/**
 * The device's operation lease: one operation that changes a device at a time, held on the device itself so
 * every console that looks sees the same holder.
 */
export const DeviceLease = z.object({
  deviceId: z.string(),
  /** The holder's lease id on the device. */
  id: z.string(),
  /** What runs, as an audit action: config.apply, recorder.restart, vpu.reset, … */
  kind: z.string(),
  /** What runs, in words: "Apply h264-hw to cam0-cam3". */
  what: z.string(),
  /** Who started it: `user@host (shell)`. */
  who: z.string(),
  /** The host name of the console that holds it. */
  host: z.string(),
  /** True when this console holds it. */
  mine: z.boolean(),
  /** ISO time it was taken. */
  since: z.string(),
  /** How to follow it, in words. */
  follow: z.string(),
});
export type DeviceLease = z.infer<typeof DeviceLease>;

/** "Apply … (started by this console at 10:42:03, 12 s ago). Follow it in …" — for refusals and tooltips. */
export function leaseSentence(lease: DeviceLease, nowMs: number = Date.now()): string {
  const since = Date.parse(lease.since);
  const ago = Number.isFinite(since) ? Math.max(0, Math.round((nowMs - since) / 1000)) : null;
  const by = lease.mine ? 'this console' : `another console on ${lease.host} (${lease.who})`;
  const at = Number.isFinite(since) ? new Date(since).toISOString().slice(11, 19) : lease.since;
  const agoText = ago === null ? '' : ago < 120 ? `, ${ago} s ago` : `, ${Math.round(ago / 60)} min ago`;
  return `${lease.what} is running (started by ${by} at ${at} UTC${agoText}). ${lease.follow}`;
}

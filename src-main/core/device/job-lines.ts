/** Reading the `@` lines detached device jobs print (the VPU reset's, the rollback's). */

/** A device's epoch milliseconds as an ISO time; null when missing or not a time. */
export function isoFromMs(ms: string | undefined): string | null {
  const n = Number(ms);
  return ms !== undefined && Number.isFinite(n) && n > 0 ? new Date(n).toISOString() : null;
}

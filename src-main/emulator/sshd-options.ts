/**
 * Settings of the device's sshd that a test may change. `MaxStartups` is how many connections may be unauthenticated
 * at once before sshd starts refusing new ones: `start:rate:full` (refuse rate % from `start` on, all from `full`),
 * or one number (refuse all from there). OpenSSH's default is 10:30:100.
 */
export const OPENSSH_DEFAULT_MAX_STARTUPS = '10:30:100';

const RULE =
  'MaxStartups is start:rate:full (for example 10:30:100, start ≤ full, rate 1–100) or one number, ' +
  'all whole numbers from 1 to 10000';

/** The value as sshd_config takes it, or an error that says what a valid one looks like. */
export function parseMaxStartups(value: string): string {
  const text = value.trim();
  const single = /^\d{1,5}$/.exec(text);
  if (single) {
    const n = Number(text);
    if (n >= 1 && n <= 10_000) return String(n);
    throw new Error(`${RULE}; got ${JSON.stringify(value)}.`);
  }
  const triple = /^(\d{1,5}):(\d{1,3}):(\d{1,5})$/.exec(text);
  if (!triple) throw new Error(`${RULE}; got ${JSON.stringify(value)}.`);
  const [start, rate, full] = [triple[1], triple[2], triple[3]].map(Number) as [number, number, number];
  if (start < 1 || full > 10_000 || start > full || rate < 1 || rate > 100)
    throw new Error(`${RULE}; got ${JSON.stringify(value)}.`);
  return `${start}:${rate}:${full}`;
}

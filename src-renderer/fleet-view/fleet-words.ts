/** What the fleet overview says in words: its bulk actions' outcomes and the fleet's sum. Pure. */
import type { Health } from '../lib/status-strip/glance.js';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "box-3, box-5 and 4 more". */
export function someNames(names: readonly string[], shown = 3): string {
  if (names.length <= shown) {
    if (names.length <= 1) return names.join('');
    return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  }
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/**
 * The outcome of "Connect all": what it started, by name; and the boxes it leaves to the producer (a host key to
 * look at first), which connecting all must never skip.
 */
export function connectAllText(started: readonly string[], waitingForKey: number): string {
  const waiting =
    waitingForKey > 0
      ? ` ${plural(waitingForKey, 'device')} ${waitingForKey === 1 ? 'waits' : 'wait'} for you to check a host key.`
      : '';
  if (started.length === 0) return `Nothing to connect: every device is connected or connecting.${waiting}`;
  return `Connecting ${plural(started.length, 'device')}: ${someNames(started)}.${waiting}`;
}

export function acknowledgedText(device: string, count: number): string {
  return count === 0
    ? `${device} had no open alarm left to acknowledge.`
    : `Acknowledged ${plural(count, 'alarm')} of ${device}.`;
}

/** "32 devices · 1 alarm · 2 warnings · 3 offline": the sum on the sidebar's fleet entry. */
export function fleetSum(rows: readonly { health: Health }[]): string {
  let alarm = 0;
  let warning = 0;
  let offline = 0;
  for (const r of rows) {
    if (r.health === 'alarm') alarm++;
    else if (r.health === 'warning') warning++;
    else if (r.health === 'offline') offline++;
  }
  const parts = [plural(rows.length, 'device')];
  if (alarm) parts.push(plural(alarm, 'alarm'));
  if (warning) parts.push(plural(warning, 'warning'));
  if (offline) parts.push(`${offline} offline`);
  return parts.join(' · ');
}

/**
 * Timestamps the way systemd, journalctl and dmesg print them (local time of this machine, as on the board).
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function clock(d: Date): string {
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The time zone abbreviation systemd appends (`UTC`, `CET`, or `GMT+1` where Intl has no name). */
export function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(d)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

/** `+0000`, as `-o short-iso` prints it. */
function offset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
}

/** journalctl `-o short`: `Nov 21 12:07:01`. */
export function shortTime(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getMonth()]} ${two(d.getDate())} ${clock(d)}`;
}

/** journalctl `-o short-precise`: `Nov 21 12:07:01.123456`. */
export function preciseTime(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${shortTime(ms)}.${String(Math.floor(us) % 1_000_000).padStart(6, '0')}`;
}

/** journalctl `-o short-iso`: `2026-11-21T12:07:01+0000`. */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${clock(d)}${offset(d)}`;
}

/** systemd's timestamp (`systemctl show`, `status`): `Sat 2026-11-21 12:07:01 UTC`. */
export function systemdTime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock(d)} ${zoneName(d)}`;
}

/** `dmesg -T`: `Sat Nov 21 12:07:01 2026` (ctime, day padded with a space). */
export function ctimeTime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${clock(d)} ${d.getFullYear()}`;
}

/** systemd's relative age: `5min ago`, `1h 3min ago`, `2s ago`. */
export function ago(ms: number, now = Date.now()): string {
  let s = Math.max(0, Math.floor((now - ms) / 1000));
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} day${days > 1 ? 's' : ''}`);
  if (hours) parts.push(`${hours}h`);
  if (minutes && parts.length < 2) parts.push(`${minutes}min`);
  if (parts.length === 0) parts.push(`${s}s`);
  return `${parts.join(' ')} ago`;
}

/**
 * journalctl's `--since`/`--until`: `2026-11-21 12:07:01`, `2026-11-21`, `12:07[:01]` (today), `today`,
 * `yesterday`, `now`, `-5m`/`+1h`, `5 min ago`, `@<epoch seconds>`. Returns ms, or undefined if it cannot parse.
 */
export function parseSince(text: string, now = Date.now()): number | undefined {
  const t = text.trim();
  const midnight = (daysBack: number): number => {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    d.setDate(d.getDate() - daysBack);
    return d.getTime();
  };
  if (t === 'now') return now;
  if (t === 'today') return midnight(0);
  if (t === 'yesterday') return midnight(1);
  if (t === 'tomorrow') return midnight(-1);
  const epoch = /^@(\d+(?:\.\d+)?)$/.exec(t);
  if (epoch) return Number(epoch[1]) * 1000;
  const units: Record<string, number> = {
    us: 0.001,
    usec: 0.001,
    ms: 1,
    msec: 1,
    s: 1000,
    sec: 1000,
    second: 1000,
    seconds: 1000,
    m: 60_000,
    min: 60_000,
    minute: 60_000,
    minutes: 60_000,
    h: 3_600_000,
    hr: 3_600_000,
    hour: 3_600_000,
    hours: 3_600_000,
    d: 86_400_000,
    day: 86_400_000,
    days: 86_400_000,
    w: 604_800_000,
    week: 604_800_000,
    weeks: 604_800_000,
  };
  const span = (s: string): number | undefined => {
    let total = 0;
    let matched = false;
    const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
    let rest = s.trim();
    for (let m = re.exec(s); m; m = re.exec(s)) {
      const unit = units[m[2] ?? ''];
      if (unit === undefined) return undefined;
      total += Number(m[1]) * unit;
      matched = true;
      rest = rest.replace(m[0], '').trim();
    }
    return matched && rest === '' ? total : undefined;
  };
  const rel = /^([+-])\s*(.+)$/.exec(t);
  if (rel) {
    const ms = span(rel[2] ?? '');
    return ms === undefined ? undefined : rel[1] === '-' ? now - ms : now + ms;
  }
  const agoMatch = /^(.+)\s+ago$/.exec(t);
  if (agoMatch) {
    const ms = span(agoMatch[1] ?? '');
    return ms === undefined ? undefined : now - ms;
  }
  const full = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (full) {
    const [, y, mo, d, h, mi, s] = full;
    const date = new Date(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h ?? 0),
      Number(mi ?? 0),
      Number(s ?? 0),
    );
    return Number.isNaN(date.getTime()) ? undefined : date.getTime();
  }
  const timeOnly = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (timeOnly) {
    const d = new Date(now);
    d.setHours(Number(timeOnly[1]), Number(timeOnly[2]), Number(timeOnly[3] ?? 0), 0);
    return d.getTime();
  }
  return undefined;
}

/**
 * Turning one line of `dmesg` or `journalctl -k -o json` output into a timestamped, prioritised kernel line.
 * Pure and total: any string goes in, a line or null comes out, nothing throws.
 */

export interface RawKernelLine {
  usec: number;
  priority: number;
  text: string;
  wallMs?: number;
  cursor?: string;
}

/** Cap for stored text; longer lines keep their first MAX_LINE_CHARS characters and a marker. */
export const MAX_LINE_CHARS = 4096;

/** What a journal entry's text becomes when journalctl left it out (fields over 4096 bytes need `--all`). */
export const OMITTED_MESSAGE = '[message left out by journalctl: larger than 4096 bytes, read it with --all]';

const DEFAULT_PRIORITY = 6;

/** `dmesg --decode` level names (util-linux prints `warn`, syslog says `warning`). */
const LEVEL_NAMES: Readonly<Record<string, number>> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warn: 4,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/**
 * Optional `<N>` (dmesg -r) or `kern  :info  : ` (dmesg -x) prefix, the `[seconds.micros]` stamp, and an optional
 * caller id `[    T123]` (kernels with CONFIG_PRINTK_CALLER). Anchored and every repeat is bounded, so a hostile
 * line costs no more than its first hundred characters.
 */
const DMESG_PREFIX =
  /^(?:<(\d{1,4})>|[a-z]{1,8} {0,8}:([a-z]{1,8}) {0,8}: )?\[ {0,12}(\d{1,10})\.(\d{1,9})\](?: \[ {0,10}[TC]\d{1,10}\])?/;

export function parseDmesgLine(line: string): RawKernelLine | null {
  if (typeof line !== 'string' || line.length === 0) return null;
  const m = DMESG_PREFIX.exec(line);
  if (!m) return null;
  let priority = DEFAULT_PRIORITY;
  if (m[1] !== undefined) {
    // dmesg -r prints facility*8+level; messages written to /dev/kmsg by userspace carry a facility.
    priority = Number(m[1]) & 7;
  } else if (m[2] !== undefined) {
    priority = LEVEL_NAMES[m[2]] ?? DEFAULT_PRIORITY;
  }
  const seconds = Number(m[3]);
  const micros = Number((m[4] ?? '0').padEnd(6, '0').slice(0, 6));
  let start = m[0].length;
  // One space separates the stamp from the text; anything after it (a call trace frame's indent) is the text's.
  if (line.charCodeAt(start) === 0x20) start += 1;
  let end = line.length;
  while (end > start && (line.charCodeAt(end - 1) === 0x0a || line.charCodeAt(end - 1) === 0x0d)) end -= 1;
  return { usec: seconds * 1_000_000 + micros, priority, text: capText(line.slice(start, end)) };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function parseJournalLine(line: string): RawKernelLine | null {
  if (typeof line !== 'string') return null;
  const trimmed = line.trim();
  if (trimmed.length < 2 || trimmed.charCodeAt(0) !== 0x7b /* { */) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entry = value as Record<string, unknown>;
  if (!Object.hasOwn(entry, 'MESSAGE')) return null;
  const text = messageText(entry.MESSAGE);
  if (text === null) return null;

  const usec = counter(entry._SOURCE_MONOTONIC_TIMESTAMP) ?? counter(entry.__MONOTONIC_TIMESTAMP) ?? 0;
  const priorityValue = counter(entry.PRIORITY);
  const priority = priorityValue !== undefined && priorityValue <= 7 ? priorityValue : DEFAULT_PRIORITY;
  const out: RawKernelLine = { usec, priority, text: capText(text) };
  const realtime = counter(entry.__REALTIME_TIMESTAMP);
  if (realtime !== undefined) out.wallMs = realtime / 1000;
  if (typeof entry.__CURSOR === 'string') out.cursor = entry.__CURSOR;
  return out;
}

/** Cut `text` to MAX_LINE_CHARS, saying how much went, without splitting a surrogate pair. */
export function capText(text: string): string {
  if (text.length <= MAX_LINE_CHARS) return text;
  let cut = MAX_LINE_CHARS;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)} … [${text.length - cut} characters dropped]`;
}

/**
 * journalctl prints MESSAGE as a string, as an array of byte values when it is not printable UTF-8, as null when
 * it is too large, and as an array of values when the field occurs more than once.
 */
function messageText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value === null) return OMITTED_MESSAGE;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (!Array.isArray(value)) return null;
  if (isByteArray(value)) return decodeBytes(value);
  const parts: string[] = [];
  for (const item of value) {
    if (typeof item === 'string') parts.push(item);
    else if (Array.isArray(item) && isByteArray(item)) parts.push(decodeBytes(item));
  }
  return parts.length > 0 ? parts.join(' ') : null;
}

function isByteArray(value: unknown[]): value is number[] {
  for (const item of value) if (typeof item !== 'number') return false;
  return true;
}

function decodeBytes(values: number[]): string {
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = (values[i] ?? 0) & 0xff;
  return utf8.decode(bytes);
}

/** A non-negative integer journal field (journalctl prints numbers as decimal strings). */
function counter(value: unknown): number | undefined {
  if (typeof value === 'string') {
    if (value.length === 0 || value.length > 20) return undefined;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return undefined;
    }
    return Number(value);
  }
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value);
  return undefined;
}

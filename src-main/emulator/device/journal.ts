/**
 * The device's journal: unit output (stdout/stderr lines), the service manager's own messages and the kernel log,
 * in one ring, formatted the way `journalctl` prints them.
 */
import { randomBytes } from 'node:crypto';
import { isoTime, preciseTime, shortTime } from './time-format.js';

export type Transport = 'stdout' | 'journal' | 'kernel';

export interface JournalEntry {
  /** Increasing from 1. */
  seq: number;
  realtimeUs: number;
  monotonicUs: number;
  /** Syslog priority 0 (emerg) … 7 (debug). */
  priority: number;
  identifier: string;
  message: string;
  transport: Transport;
  pid?: number;
  /** `preke-recorder.service`; for the service manager's own messages, the unit they are about. */
  unit?: string;
}

export type NewEntry = Omit<JournalEntry, 'seq' | 'realtimeUs' | 'monotonicUs'> & {
  realtimeUs?: number;
  monotonicUs?: number;
};

export interface JournalOptions {
  hostname: string;
  /** /etc/machine-id of the device (32 hex digits); a random one when not given. */
  machineId?: string;
  /** Wall-clock ms at boot: monotonic timestamps count from here. */
  bootTimeMs: number;
  capacity?: number;
  now?: () => number;
}

export class Journal {
  readonly hostname: string;
  readonly bootId = randomBytes(16).toString('hex');
  readonly machineId: string;
  readonly seqnumId = randomBytes(16).toString('hex');
  private readonly bootTimeMs: number;
  private readonly capacity: number;
  private readonly now: () => number;
  private readonly ring: JournalEntry[] = [];
  private readonly listeners = new Set<(entry: JournalEntry) => void>();
  private nextSeq = 1;

  constructor(opts: JournalOptions) {
    this.hostname = opts.hostname;
    this.machineId = opts.machineId ?? randomBytes(16).toString('hex');
    this.bootTimeMs = opts.bootTimeMs;
    this.capacity = opts.capacity ?? 50_000;
    this.now = opts.now ?? Date.now;
  }

  append(input: NewEntry): JournalEntry {
    const nowMs = this.now();
    const entry: JournalEntry = {
      ...input,
      seq: this.nextSeq++,
      realtimeUs: input.realtimeUs ?? nowMs * 1000,
      monotonicUs: input.monotonicUs ?? Math.max(0, (nowMs - this.bootTimeMs) * 1000),
    };
    this.ring.push(entry);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  entries(): readonly JournalEntry[] {
    return this.ring;
  }

  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cursor(entry: JournalEntry): string {
    return [
      `s=${this.seqnumId}`,
      `i=${entry.seq.toString(16)}`,
      `b=${this.bootId}`,
      `m=${Math.floor(entry.monotonicUs).toString(16)}`,
      `t=${Math.floor(entry.realtimeUs).toString(16)}`,
      `x=${(entry.seq * 2654435761).toString(16).slice(-16)}`,
    ].join(';');
  }
}

export const OUTPUT_MODES = [
  'short',
  'short-iso',
  'short-precise',
  'short-monotonic',
  'cat',
  'json',
  'json-pretty',
] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export function isOutputMode(value: string): value is OutputMode {
  return (OUTPUT_MODES as readonly string[]).includes(value);
}

/** The journal fields of an entry, as `-o json` prints them (every value a string). */
export function entryFields(journal: Journal, e: JournalEntry): Record<string, string> {
  const fields: Record<string, string> = {
    __CURSOR: journal.cursor(e),
    __REALTIME_TIMESTAMP: String(Math.floor(e.realtimeUs)),
    __MONOTONIC_TIMESTAMP: String(Math.floor(e.monotonicUs)),
    _BOOT_ID: journal.bootId,
    _TRANSPORT: e.transport,
    PRIORITY: String(e.priority),
    SYSLOG_FACILITY: e.transport === 'kernel' ? '0' : '3',
    SYSLOG_IDENTIFIER: e.identifier,
    _MACHINE_ID: journal.machineId,
    _HOSTNAME: journal.hostname,
  };
  if (e.transport === 'kernel') {
    fields._SOURCE_MONOTONIC_TIMESTAMP = String(Math.floor(e.monotonicUs));
  } else {
    fields._UID = '0';
    fields._GID = '0';
    if (e.pid !== undefined) fields._PID = String(e.pid);
    fields._COMM = e.identifier;
  }
  if (e.unit) {
    if (e.transport === 'stdout') {
      fields._SYSTEMD_UNIT = e.unit;
      fields._SYSTEMD_SLICE = 'system.slice';
      fields._SYSTEMD_CGROUP = `/system.slice/${e.unit}`;
    } else {
      fields.UNIT = e.unit;
    }
  }
  fields.MESSAGE = e.message;
  return fields;
}

/** One entry in the given output mode, without the trailing newline. */
export function formatEntry(journal: Journal, e: JournalEntry, mode: OutputMode): string {
  const ms = Math.floor(e.realtimeUs / 1000);
  const who =
    e.transport === 'kernel' || e.pid === undefined ? `${e.identifier}:` : `${e.identifier}[${e.pid}]:`;
  switch (mode) {
    case 'cat':
      return e.message;
    case 'json':
      return JSON.stringify(entryFields(journal, e));
    case 'json-pretty': {
      const fields = entryFields(journal, e);
      const body = Object.entries(fields)
        .map(([k, v]) => `\t${JSON.stringify(k)} : ${JSON.stringify(v)}`)
        .join(',\n');
      return `{\n${body}\n}`;
    }
    case 'short-iso':
      return `${isoTime(ms)} ${journal.hostname} ${who} ${e.message}`;
    case 'short-precise':
      return `${preciseTime(e.realtimeUs)} ${journal.hostname} ${who} ${e.message}`;
    case 'short-monotonic': {
      const s = Math.floor(e.monotonicUs / 1_000_000);
      const us = Math.floor(e.monotonicUs) % 1_000_000;
      return `[${String(s).padStart(5, ' ')}.${String(us).padStart(6, '0')}] ${journal.hostname} ${who} ${e.message}`;
    }
    case 'short':
      return `${shortTime(ms)} ${journal.hostname} ${who} ${e.message}`;
  }
}

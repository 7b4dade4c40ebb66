/**
 * The kernel log ring: what `dmesg` and `journalctl -k` read on the emulated R58.
 *
 * Lines carry a sequence number, a monotonic timestamp in microseconds since "boot" and a syslog level. The ring
 * forgets the oldest lines past its capacity, as the real printk buffer does.
 */

export const KERNEL_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type KernelLevel = (typeof KERNEL_LEVELS)[number];

export interface KernelLine {
  /** Increasing from 1; never reused, so a reader can resume with `lines(lastSeq)`. */
  seq: number;
  /** Microseconds since boot (the number inside the brackets). */
  usec: number;
  level: KernelLevel;
  /** Syslog priority 0 (emerg) … 7 (debug), as `journalctl -o json` PRIORITY. */
  priority: number;
  text: string;
  /** `[  123.456789] text`, as dmesg prints it. */
  formatted: string;
}

export type KernelLineListener = (line: KernelLine) => void;

export function levelPriority(level: KernelLevel): number {
  return KERNEL_LEVELS.indexOf(level);
}

export function isKernelLevel(value: string): value is KernelLevel {
  return (KERNEL_LEVELS as readonly string[]).includes(value);
}

/** `[    0.000000]` — seconds right-aligned in five columns, then six digits of microseconds. */
export function formatTimestamp(usec: number): string {
  const whole = Math.max(0, Math.floor(usec));
  const seconds = Math.floor(whole / 1_000_000);
  const micros = whole % 1_000_000;
  return `[${String(seconds).padStart(5, ' ')}.${String(micros).padStart(6, '0')}]`;
}

export interface KernelLogOptions {
  capacity?: number;
  /** Microseconds since boot, read for every appended line unless a line brings its own. */
  clockUsec: () => number;
}

export class KernelLog {
  private readonly capacity: number;
  private readonly clockUsec: () => number;
  private readonly ring: KernelLine[] = [];
  private readonly listeners = new Set<KernelLineListener>();
  private nextSeq = 1;
  private lastUsec = 0;

  constructor(options: KernelLogOptions) {
    this.capacity = options.capacity ?? 10_000;
    this.clockUsec = options.clockUsec;
  }

  /**
   * Append one or more lines (split on newlines). `usec` pins the timestamp (used for the boot lines); timestamps
   * never go backwards.
   */
  append(text: string, level: KernelLevel = 'info', usec?: number): KernelLine[] {
    const out: KernelLine[] = [];
    for (const raw of text.split('\n')) {
      const lineText = raw.replace(/\r$/, '');
      const wanted = Math.floor(usec ?? this.clockUsec());
      // Lines printed in one burst still differ by a few microseconds, as printk's do.
      const at =
        usec !== undefined
          ? Math.max(this.lastUsec, wanted)
          : wanted <= this.lastUsec
            ? this.lastUsec + 3 + (this.nextSeq % 29)
            : wanted;
      this.lastUsec = at;
      const line: KernelLine = {
        seq: this.nextSeq++,
        usec: at,
        level,
        priority: levelPriority(level),
        text: lineText,
        formatted: `${formatTimestamp(at)} ${lineText}`,
      };
      this.ring.push(line);
      out.push(line);
    }
    const overflow = this.ring.length - this.capacity;
    if (overflow > 0) this.ring.splice(0, overflow);
    for (const line of out) for (const listener of this.listeners) listener(line);
    return out;
  }

  /** Lines with `seq > sinceSeq` (all retained lines without it). */
  lines(sinceSeq = 0): KernelLine[] {
    if (sinceSeq <= 0) return [...this.ring];
    const first = this.ring[0];
    if (!first) return [];
    const start = Math.max(0, sinceSeq - first.seq + 1);
    return this.ring.slice(start);
  }

  /** Last sequence number handed out (0 before any line). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  subscribe(listener: KernelLineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `dmesg -C`. */
  clear(): void {
    this.ring.length = 0;
  }
}

/**
 * The emulated R58's `/proc/stat`: the launcher copied this machine's file to PROC_STAT_FILE and bind-mounted it over
 * /proc/stat inside the device (namespace.ts), and the daemon keeps its `cpu` lines counting as an 8-core RK3588 at
 * the modelled load (cpu-load.ts). Everything else in the file (btime, which `ps` needs, intr, ctxt, …) stays this
 * machine's copy. Per-process figures (`/proc/<pid>/stat`) stay real: a process's share of one core is still right,
 * since both count 100 ticks a second.
 *
 * The counters only grow, so the file is rewritten in place at offset 0 (truncated only once, before the device's
 * services start: a reader must not find it empty, and a bind mount pins the inode, so a rename would not show). A reader that races a write can see one
 * tick's mix of old and new digits; the sampler then reads one odd second.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

export const PROC_STAT_FILE = '/run/tally-emu/proc-stat';
/** The RK3588: 4 Cortex-A76 + 4 Cortex-A55 (the kernel model's boot log says 8 CPUs). */
export const RK3588_CORES = 8;
/** USER_HZ: /proc/stat counts in hundredths of a second on every Linux. */
const TICKS_PER_S = 100;

export interface ProcStatOptions {
  /** Percent of the whole board, 0–100, asked once a second. */
  load: () => number;
  file?: string;
  cores?: number;
  intervalMs?: number;
  /** Device uptime in seconds, for the counters' starting values. */
  uptimeS?: number;
  now?: () => number;
  random?: () => number;
}

interface Core {
  user: number;
  system: number;
  idle: number;
}

/** `cpu` and `cpuN` lines in /proc/stat's layout: user nice system idle iowait irq softirq steal guest guest_nice. */
export function cpuLines(cores: readonly Core[]): string {
  const line = (name: string, c: Core): string =>
    `${name} ${Math.floor(c.user)} 0 ${Math.floor(c.system)} ${Math.floor(c.idle)} 0 0 0 0 0 0\n`;
  const all = cores.reduce(
    (a, c) => ({
      user: a.user + Math.floor(c.user),
      system: a.system + Math.floor(c.system),
      idle: a.idle + Math.floor(c.idle),
    }),
    { user: 0, system: 0, idle: 0 },
  );
  return line('cpu ', all) + cores.map((c, i) => line(`cpu${i}`, c)).join('');
}

export class ProcStat {
  private readonly file: string;
  private readonly cores: Core[];
  private readonly now: () => number;
  private readonly random: () => number;
  private rest = '';
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private last: number;
  private load = 0;
  private loadAt = -Infinity;

  constructor(private readonly opts: ProcStatOptions) {
    this.file = opts.file ?? PROC_STAT_FILE;
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
    const up = (opts.uptimeS ?? 20) * TICKS_PER_S;
    // A quiet boot: about 5 % busy so far on every core.
    this.cores = Array.from({ length: opts.cores ?? RK3588_CORES }, () => ({
      user: up * 0.04,
      system: up * 0.01,
      idle: up * 0.95,
    }));
    this.last = this.now();
  }

  /** Takes over the copy the launcher made; false (and a line on stderr) when there is none. */
  init(): boolean {
    try {
      const copy = readFileSync(this.file, 'utf8');
      this.rest = copy
        .split('\n')
        .filter((l) => l !== '' && !/^cpu\d* /.test(l))
        .map((l) => `${l}\n`)
        .join('');
      this.fd = openSync(this.file, 'r+');
      // Once, before anyone reads it: this machine's counters may be longer than the board's first ones.
      ftruncateSync(this.fd, 0);
    } catch (err) {
      process.stderr.write(
        `proc-stat: no ${this.file} to keep (${(err as Error).message}): /proc/stat is this machine's\n`,
      );
      return false;
    }
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs ?? 250);
    return true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Advance every core by the time since the last tick at the current load, and write the file. */
  tick(): void {
    const now = this.now();
    if (now - this.loadAt >= 1000) {
      this.load = Math.min(100, Math.max(0, this.opts.load()));
      this.loadAt = now;
    }
    const ticks = (Math.max(0, now - this.last) / 1000) * TICKS_PER_S;
    this.last = now;
    for (const core of this.cores) {
      // Each core a little off the average, as a scheduler spreads work.
      const share = Math.min(1, Math.max(0, (this.load / 100) * (0.9 + this.random() * 0.2)));
      core.user += ticks * share * 0.85;
      core.system += ticks * share * 0.15;
      core.idle += ticks * (1 - share);
    }
    if (this.fd === undefined) return;
    const text = Buffer.from(cpuLines(this.cores) + this.rest);
    try {
      writeSync(this.fd, text, 0, text.length, 0);
    } catch (err) {
      process.stderr.write(`proc-stat: cannot write ${this.file}: ${(err as Error).message}\n`);
    }
  }
}

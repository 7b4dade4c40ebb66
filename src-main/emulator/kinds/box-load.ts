/**
 * The CPU load of one transcoder or VMS box as its own `/proc/stat` shows it: the real CPU time of the box's own
 * processes (its PID namespace: daemon, sshd, services, ffmpeg, login shells), as a percent of this machine's cores.
 * Without it the box's `/proc/stat` would be this whole shared machine's, so a box would look loaded by whatever else
 * runs here. No R58-style figures: what the processes really use, as if the box were alone on this machine.
 */
import { listProcs } from '../device/proc.js';

/** USER_HZ. */
const TICKS_PER_S = 100;

export class BoxLoad {
  private last: { at: number; ticks: Map<number, number> } | undefined;
  private percent = 0;

  constructor(private readonly cores: number) {}

  /** Percent of the whole box (all cores) since the previous call. */
  sample(now = Date.now()): number {
    const ticks = new Map(listProcs().map((p) => [p.pid, p.cpuTicks]));
    const prev = this.last;
    this.last = { at: now, ticks };
    if (!prev || now <= prev.at) return this.percent;
    let used = 0;
    // A process that started since the last sample counts from 0; one that ended loses its last interval.
    for (const [pid, t] of ticks) used += Math.max(0, t - (prev.ticks.get(pid) ?? 0));
    const available = ((now - prev.at) / 1000) * TICKS_PER_S * this.cores;
    this.percent = Math.min(100, (used / available) * 100);
    return this.percent;
  }
}

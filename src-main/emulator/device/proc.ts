/**
 * The device's process table, read from /proc (the daemon is PID 1 of the device's PID namespace, so this is
 * exactly what `ps` inside the device shows). Used for unit process trees (our stand-in for a cgroup), liveness
 * checks that treat zombies as dead, and CPU accounting.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  ppid: number;
  /** Single-letter state: R, S, D, Z, T… */
  state: string;
  comm: string;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** Parse `/proc/<pid>/stat`; the comm field may contain spaces and parentheses, so split at the last `)`. */
export function parseStat(text: string): ProcEntry | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid)) return undefined;
  return {
    pid,
    ppid,
    state: rest[0] ?? '?',
    comm: text.slice(open + 1, close),
    cpuTicks: (Number.isFinite(utime) ? utime : 0) + (Number.isFinite(stime) ? stime : 0),
  };
}

export function readProc(pid: number, procRoot = '/proc'): ProcEntry | undefined {
  try {
    return parseStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function listProcs(procRoot = '/proc'): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProc(Number(name), procRoot);
    if (entry) out.push(entry);
  }
  return out;
}

/** Alive and not a zombie (a zombie still answers `kill -0`). */
export function isAlive(pid: number): boolean {
  const entry = readProc(pid);
  return entry !== undefined && entry.state !== 'Z' && entry.state !== 'X';
}

/** Every live descendant of `root` (not `root` itself), parents before children. */
export function descendants(root: number, procs: ProcEntry[] = listProcs()): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const out: ProcEntry[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of children.get(pid) ?? []) {
      if (child.state === 'Z') continue;
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** `/proc/<pid>/cmdline` as argv (empty for kernel threads and vanished processes). */
export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

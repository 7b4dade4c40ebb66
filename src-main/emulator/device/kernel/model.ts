/**
 * The emulated R58 kernel: the kernel log, the VPU (mpp_service) sessions and the fault rules from the seeds.
 *
 * It does no I/O of its own. The daemon injects the clock, signal delivery, liveness checks and (optionally) a
 * timer and a way to find pipelines by label; everything else is state plus text.
 *
 * Fault rules:
 * - `mpph264enc` opened with `bps-max` and none of `qp-init`/`qp-min`/`qp-max` (the Dec 19 panic config
 *   `mpph264enc bps=8000000 bps-max=16000000`): shortly after the open, an arm64 Oops naming rkvenc, then the
 *   pipeline is SIGKILLed and its sessions are freed.
 * - An open past the practical limit (8 sessions): `too many sessions`, `failed to allocate encoder instance` and an
 *   RCU stall; the open is refused (the wrapper exits 1), sessions already open stay.
 * - `wedge(label)`: the pipeline is told (SIGUSR1) to ignore SIGTERM/SIGINT; its sessions stay counted until it dies.
 * - `setKeepSessions(true)`: a driver that leaks its sessions. Sessions of processes that close or exit stay
 *   (orphaned, with their dead pid) and count against the limit until `reboot()`; turning it off frees none of them.
 */
import { isKernelLevel, KernelLog, type KernelLevel, type KernelLine } from './log.js';
import {
  bootLines,
  MPP_VERSION,
  oopsLines,
  RKVDEC_CORES,
  RKVENC_CORES,
  tooManySessionsLines,
  type KernelText,
} from './text.js';
import {
  debugfsSessionText,
  procFiles,
  type VpuKind,
  type VpuPropValue,
  type VpuSession,
} from './vpu-files.js';

export type KillSignal = 'SIGKILL' | 'SIGTERM' | 'SIGINT' | 'SIGUSR1';

export interface KernelModelOptions {
  /** Wall-clock milliseconds (Date.now). */
  now: () => number;
  killPid: (pid: number, signal: KillSignal) => void;
  isAlive: (pid: number) => boolean;
  /** Every appended kernel line, formatted as dmesg prints it. */
  onLine?: (formatted: string, line: KernelLine) => void;
  /** Called after any change to the session list (to refresh the debugfs/procfs files). */
  onSessionsChanged?: () => void;
  /** Defers the Oops after a panic-config open; defaults to setTimeout. */
  schedule?: (fn: () => void, ms: number) => void;
  /** Pids of running pipelines with this label (gst-launch argv scan); sessions' own labels are always searched. */
  findPidsByLabel?: (label: string) => Promise<number[]> | number[];
  /** How long the machine has been up when the model starts; default 20 s. */
  uptimeAtStartMs?: number;
  /** Sessions allowed before an open is refused; default 8 (seed 002's practical limit). */
  maxSessions?: number;
  /** Delay between the panic-config open and its Oops; default 800 ms. */
  oopsDelayMs?: number;
  logCapacity?: number;
  /** The kernel's boot lines; default the RK3588's (text.ts). Other kinds of box boot other kernels. */
  bootLines?: () => KernelText[];
}

export interface VpuOpenRequest {
  pid: number;
  element: string;
  kind?: VpuKind;
  props?: Record<string, VpuPropValue>;
  label?: string;
  /** Process name for the kernel's reports; default `gst-launch-1.0`. */
  comm?: string;
}

export type VpuOpenResult =
  | { ok: true; session: VpuSession; fault?: 'oops' }
  | { ok: false; reason: string; error: 'too-many-sessions' | 'bad-request' };

export interface WedgeResult {
  ok: boolean;
  label: string;
  pids: number[];
}

export interface VpuSessionView {
  session: number;
  pid: number;
  element: string;
  kind: VpuKind;
  label: string;
  wedged: boolean;
  /** Kept by the keep-sessions fault after its process closed it or exited. */
  orphaned: boolean;
  device: string;
  core: string;
}

const ENCODERS = new Set(['mpph264enc', 'mpph265enc', 'mppjpegenc', 'mppvp8enc']);

export function vpuKindOf(element: string): VpuKind {
  return ENCODERS.has(element) || element.endsWith('enc') ? 'enc' : 'dec';
}

/** The Dec 19 configuration: rate control by `bps`/`bps-max` alone on the H.264 encoder. */
export function isPanicConfig(element: string, props: Record<string, VpuPropValue>): boolean {
  if (element !== 'mpph264enc') return false;
  const has = (name: string): boolean => Object.prototype.hasOwnProperty.call(props, name);
  return has('bps-max') && !has('qp-init') && !has('qp-min') && !has('qp-max');
}

export class KernelModel {
  readonly log: KernelLog;
  /** Wall-clock ms at "boot" (for journal realtime stamps: bootTimeMs + usec / 1000). */
  readonly bootTimeMs: number;
  private readonly opts: KernelModelOptions;
  private readonly maxSessions: number;
  private readonly oopsDelayMs: number;
  private readonly byId = new Map<number, VpuSession>();
  private readonly wedgedPids = new Set<number>();
  /** Session ids the keep-sessions fault held on to after their process let go. */
  private readonly orphaned = new Set<number>();
  private keep = false;
  private nextSession = 0;
  private oopsCount = 0;
  private traceSeed = 0x3f1c2a9b;

  constructor(options: KernelModelOptions) {
    this.opts = options;
    this.maxSessions = options.maxSessions ?? 8;
    this.oopsDelayMs = options.oopsDelayMs ?? 800;
    this.bootTimeMs = options.now() - (options.uptimeAtStartMs ?? 20_000);
    this.log = new KernelLog({
      capacity: options.logCapacity ?? 10_000,
      clockUsec: () => Math.max(0, (this.opts.now() - this.bootTimeMs) * 1000),
    });
    this.log.subscribe((line) => this.opts.onLine?.(line.formatted, line));
    this.emit((this.opts.bootLines ?? bootLines)());
  }

  // ---- kernel log -------------------------------------------------------------------------------------------

  /** Append lines as a driver would print them (`level` default info). */
  append(text: string, level: KernelLevel = 'info'): KernelLine[] {
    return this.log.append(text, level);
  }

  lines(sinceSeq?: number): KernelLine[] {
    return this.log.lines(sinceSeq);
  }

  subscribe(listener: (line: KernelLine) => void): () => void {
    return this.log.subscribe(listener);
  }

  /**
   * Lines from the control server (`POST /kernel`). A string is split on newlines; a leading `<N>` (kmsg style,
   * 0–7) or `level:` of a known name sets the level.
   */
  inject(lines: string | ReadonlyArray<string | { text: string; level?: string }>): KernelLine[] {
    const items = typeof lines === 'string' ? lines.split('\n') : lines;
    const out: KernelLine[] = [];
    for (const item of items) {
      const { text, level } = typeof item === 'string' ? parseInjected(item) : withLevel(item);
      if (text.length === 0 && typeof item === 'string') continue;
      out.push(...this.log.append(text, level));
    }
    return out;
  }

  // ---- VPU sessions -----------------------------------------------------------------------------------------

  sessions(): VpuSession[] {
    return [...this.byId.values()].sort((a, b) => a.session - b.session);
  }

  /** The `GET /vpu/sessions` rows. */
  sessionViews(): VpuSessionView[] {
    return this.sessions().map((s) => ({
      session: s.session,
      pid: s.pid,
      element: s.element,
      kind: s.kind,
      label: s.label,
      wedged: s.wedged,
      orphaned: this.orphaned.has(s.session),
      device: s.device,
      core: s.core,
    }));
  }

  /** The keep-sessions fault: while on, sessions outlive the processes that opened them. */
  setKeepSessions(on: boolean): void {
    this.keep = on;
  }

  get keepSessions(): boolean {
    return this.keep;
  }

  get sessionLimit(): number {
    return this.maxSessions;
  }

  /** Sessions whose process is gone but the keep-sessions fault held on to. */
  get orphanedCount(): number {
    return this.orphaned.size;
  }

  /** A pipeline asks for one VPU session per hardware element. */
  open(request: VpuOpenRequest): VpuOpenResult {
    if (!Number.isInteger(request.pid) || request.pid <= 0 || !request.element) {
      return { ok: false, error: 'bad-request', reason: 'pid and element are required' };
    }
    const kind = request.kind ?? vpuKindOf(request.element);
    const props = request.props ?? {};
    const comm = request.comm ?? 'gst-launch-1.0';
    if (this.byId.size >= this.maxSessions) {
      this.emit(
        tooManySessionsLines({
          kind,
          pid: request.pid,
          comm,
          cpu: request.pid % 8,
          sessions: this.byId.size,
          jiffies: 40_000 + Math.floor(this.log.lastSeq * 13),
        }),
      );
      return {
        ok: false,
        error: 'too-many-sessions',
        reason: `too many sessions (${this.byId.size} open, limit ${this.maxSessions})`,
      };
    }
    const id = this.nextSession++;
    const device = kind === 'enc' ? 'rkvenc' : 'rkvdec';
    const cores = kind === 'enc' ? RKVENC_CORES : RKVDEC_CORES;
    const session: VpuSession = {
      session: id,
      pid: request.pid,
      element: request.element,
      kind,
      device,
      core: cores[id % cores.length] ?? cores[0],
      label: request.label ?? '',
      props: { ...props },
      openedAtUsec: this.usecNow(),
      wedged: this.wedgedPids.has(request.pid),
    };
    this.byId.set(id, session);
    this.changed();
    if (isPanicConfig(request.element, props)) {
      this.scheduleOops(request.pid, comm);
      return { ok: true, session, fault: 'oops' };
    }
    return { ok: true, session };
  }

  /**
   * `POST /vpu/close {pid, session?}`: the process releases its sessions, or only the one given (an element of a
   * long-lived process, such as one decoder of the mixer, closes its own context). Returns how many were freed
   * (none while the keep-sessions fault is on: they stay, orphaned). A session of another pid is left alone.
   */
  close(pid: number, session?: number): number {
    let n = 0;
    let kept = 0;
    for (const [id, s] of this.byId) {
      if (s.pid !== pid || this.orphaned.has(id)) continue;
      if (session !== undefined && id !== session) continue;
      if (this.keep) {
        this.orphaned.add(id);
        kept++;
      } else {
        this.byId.delete(id);
        n++;
      }
    }
    if (n > 0 || kept > 0) this.changed();
    return n;
  }

  /** Drop the sessions of processes that are gone. Call every 200–500 ms. Returns the pids reaped. */
  reap(): number[] {
    const dead = new Set<number>();
    for (const s of this.byId.values())
      if (!this.orphaned.has(s.session) && !this.opts.isAlive(s.pid)) dead.add(s.pid);
    for (const pid of this.wedgedPids) if (!this.opts.isAlive(pid)) this.wedgedPids.delete(pid);
    for (const pid of dead) this.close(pid);
    return [...dead];
  }

  /** The pipeline(s) with that label ignore SIGTERM/SIGINT from now on (the wrapper does the ignoring). */
  async wedge(label: string): Promise<WedgeResult> {
    const pids = new Set<number>();
    for (const s of this.byId.values()) if (s.label === label) pids.add(s.pid);
    const found = this.opts.findPidsByLabel ? await this.opts.findPidsByLabel(label) : [];
    for (const pid of found) pids.add(pid);
    const live = [...pids].filter((pid) => this.opts.isAlive(pid)).sort((a, b) => a - b);
    for (const pid of live) {
      this.wedgedPids.add(pid);
      this.opts.killPid(pid, 'SIGUSR1');
    }
    let touched = false;
    for (const s of this.byId.values()) {
      if (live.includes(s.pid) && !s.wedged) {
        s.wedged = true;
        touched = true;
      }
    }
    if (touched) this.changed();
    return { ok: live.length > 0, label, pids: live };
  }

  isWedged(pid: number): boolean {
    return this.wedgedPids.has(pid);
  }

  /**
   * A reboot as the kernel sees it: `reboot: Restarting system`, then every session is gone (kept ones too), the
   * keep-sessions fault is off, and the printk buffer holds only the new boot's lines. Timestamps carry on from
   * the old boot (the emulator cannot reset /proc/uptime), so the boot lines are stamped now. The caller kills
   * the processes first.
   */
  reboot(): void {
    this.log.append('reboot: Restarting system', 'emerg');
    const had = this.byId.size > 0;
    this.byId.clear();
    this.orphaned.clear();
    this.wedgedPids.clear();
    this.keep = false;
    this.oopsCount = 0;
    this.log.clear();
    this.emit((this.opts.bootLines ?? bootLines)().map(({ text, level }) => ({ text, level })));
    if (had) this.changed();
  }

  // ---- files ------------------------------------------------------------------------------------------------

  /** `/sys/kernel/debug/mpp_service/session`. */
  debugfsSessionText(): string {
    return debugfsSessionText(this.sessions());
  }

  /** `/proc/mpp_service/*` (the `--vpu-proc` layout), keyed by path below `/proc/mpp_service/`. */
  procFiles(): Record<string, string> {
    return procFiles(this.sessions(), MPP_VERSION);
  }

  // ---- internals --------------------------------------------------------------------------------------------

  private usecNow(): number {
    return Math.max(0, (this.opts.now() - this.bootTimeMs) * 1000);
  }

  private emit(lines: readonly KernelText[]): void {
    for (const line of lines) this.log.append(line.text, line.level, line.usec);
  }

  private changed(): void {
    this.opts.onSessionsChanged?.();
  }

  private scheduleOops(pid: number, comm: string): void {
    const fire = (): void => {
      if (!this.opts.isAlive(pid)) {
        this.close(pid);
        return;
      }
      this.oopsCount++;
      this.traceSeed = (this.traceSeed * 1103515245 + 12345) >>> 0;
      const traceId = `${this.traceSeed.toString(16).padStart(8, '0')}${((this.traceSeed ^ 0x5bd1e995) >>> 0).toString(16).padStart(8, '0')}`;
      this.emit(oopsLines({ count: this.oopsCount, pid, comm, cpu: pid % 8, traceId }));
      this.opts.killPid(pid, 'SIGKILL');
      this.close(pid);
    };
    const schedule = this.opts.schedule ?? ((fn: () => void, ms: number) => void setTimeout(fn, ms));
    schedule(fire, this.oopsDelayMs);
  }
}

function parseInjected(raw: string): { text: string; level: KernelLevel } {
  const line = raw.replace(/\r$/, '');
  const kmsg = /^<([0-7])>(.*)$/.exec(line);
  if (kmsg) {
    const levels: KernelLevel[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
    return { text: kmsg[2] ?? '', level: levels[Number(kmsg[1])] ?? 'info' };
  }
  return { text: line, level: guessLevel(line) };
}

function withLevel(item: { text: string; level?: string }): { text: string; level: KernelLevel } {
  if (item.level && isKernelLevel(item.level)) return { text: item.text, level: item.level };
  return { text: item.text, level: guessLevel(item.text) };
}

/** Fault lines the console classifies get the level the kernel would print them at. */
function guessLevel(text: string): KernelLevel {
  if (/Internal error: Oops|Kernel panic/.test(text)) return 'emerg';
  if (/Unable to handle kernel/.test(text)) return 'alert';
  if (/rcu: INFO|error|failed/i.test(text)) return 'err';
  return 'info';
}

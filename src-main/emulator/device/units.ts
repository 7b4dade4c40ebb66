/**
 * A small service manager with systemd's semantics for what a console sees: ActiveState/SubState, MainPID,
 * timestamps, NRestarts (automatic restarts only, as in systemd), Restart=on-failure, stop = SIGTERM to every
 * process of the unit then SIGKILL after TimeoutStopSec, and the same journal messages systemd writes.
 *
 * Each unit's main process runs under supervise.py, a child subreaper, so the unit's processes stay one tree
 * (our stand-in for its cgroup) and orphans are reaped there rather than becoming zombies under the daemon.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { packageRoot } from '../../paths.js';
import { emulatorFile } from '../files.js';
import type { Journal } from './journal.js';
import { descendants, readProc, signal } from './proc.js';

const SUPERVISE = emulatorFile(packageRoot(), 'device', 'supervise.py');

export type ActiveState = 'active' | 'inactive' | 'failed' | 'activating' | 'deactivating';
export type UnitResult = 'success' | 'exit-code' | 'signal' | 'core-dump' | 'timeout' | 'resources';

export interface UnitSpec {
  /** Without `.service`. */
  name: string;
  description: string;
  exec: string[];
  env: Record<string, string>;
  cwd: string;
  /** SyslogIdentifier: the name journal lines of its output carry. */
  identifier: string;
  /** `control-group` signals every process of the unit; `process` only the main one (Debian's ssh.service). */
  killMode: 'control-group' | 'process';
  /** `always` restarts after any exit it did not ask for (Docker's `unless-stopped` uses it). */
  restart: 'no' | 'on-failure' | 'always';
  restartDelayMs: number;
  stopTimeoutMs: number;
  /** A Type=notify stand-in: the unit stays `activating` until this says the service is ready. */
  ready?: () => Promise<boolean>;
  startTimeoutMs?: number;
  fragmentPath: string;
  after?: string[];
}

interface MainExit {
  code?: number;
  signal?: number;
}

interface Run {
  supervisor: ChildProcess;
  mainPid: number;
  started: Promise<number>;
  mainExit: Promise<MainExit>;
  /** The supervisor is gone: every process of the unit has exited. */
  empty: Promise<void>;
  stopping: boolean;
}

export class UnitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const SIGNAL_NAMES: Record<number, string> = {
  1: 'HUP',
  2: 'INT',
  3: 'QUIT',
  4: 'ILL',
  6: 'ABRT',
  7: 'BUS',
  8: 'FPE',
  9: 'KILL',
  10: 'USR1',
  11: 'SEGV',
  12: 'USR2',
  13: 'PIPE',
  14: 'ALRM',
  15: 'TERM',
};
const EXIT_NAMES: Record<number, string> = {
  1: 'FAILURE',
  2: 'INVALIDARGUMENT',
  3: 'NOTIMPLEMENTED',
  4: 'NOPERMISSION',
  5: 'NOTINSTALLED',
  6: 'NOTCONFIGURED',
  7: 'NOTRUNNING',
  203: 'EXEC',
};
/** Signals that count as a clean exit, as systemd's default SuccessExitStatus. */
const CLEAN_SIGNALS = new Set([1, 2, 13, 15]);
const DUMP_SIGNALS = new Set([3, 4, 6, 7, 8, 11]);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export class Unit {
  activeState: ActiveState = 'inactive';
  subState = 'dead';
  result: UnitResult = 'success';
  nRestarts = 0;
  /** Wall-clock ms; 0 = never. */
  activeEnter = 0;
  activeExit = 0;
  inactiveEnter = 0;
  inactiveExit = 0;
  execMainStart = 0;
  execMainExit = 0;
  execMainPid = 0;
  execMainCode = 0;
  execMainStatus = 0;
  private run: Run | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly spec: UnitSpec,
    private readonly journal: Journal,
  ) {}

  get id(): string {
    return `${this.spec.name}.service`;
  }

  get mainPid(): number {
    return this.run && this.activeState !== 'inactive' && this.activeState !== 'failed'
      ? this.run.mainPid
      : 0;
  }

  /** The supervisor's pid while the unit has processes (for CPU accounting and `status`). */
  get groupRoot(): number | undefined {
    return this.run?.supervisor.pid;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): Promise<void> {
    this.cancelRestart();
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    this.cancelRestart();
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    this.cancelRestart();
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  /** After an emulated reboot: systemd starts again with fresh counters and no failed state. */
  newBoot(): void {
    this.nRestarts = 0;
    this.resetFailed();
  }

  /** `systemctl reset-failed`. */
  resetFailed(): void {
    if (this.activeState !== 'failed') return;
    this.set('inactive', 'dead');
    this.result = 'success';
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private set(state: ActiveState, sub: string): void {
    const now = Date.now();
    const wasActive = this.activeState === 'active' || this.activeState === 'deactivating';
    const wasInactive = this.activeState === 'inactive' || this.activeState === 'failed';
    if (state === 'active' && this.activeState !== 'active') this.activeEnter = now;
    if (wasActive && state !== 'active' && state !== 'deactivating') this.activeExit = now;
    if ((state === 'inactive' || state === 'failed') && !wasInactive) this.inactiveEnter = now;
    if (wasInactive && state !== 'inactive' && state !== 'failed') this.inactiveExit = now;
    this.activeState = state;
    this.subState = sub;
    for (const listener of this.listeners) listener();
  }

  private log(message: string, priority = 6): void {
    this.journal.append({
      identifier: 'systemd',
      pid: 1,
      priority,
      message,
      transport: 'journal',
      unit: this.id,
    });
  }

  private spawnMain(): Run {
    const supervisor = spawn('/usr/bin/python3', ['-S', SUPERVISE, '--', ...this.spec.exec], {
      cwd: this.spec.cwd,
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let resolveStarted: (pid: number) => void = () => undefined;
    let resolveExit: (exit: MainExit) => void = () => undefined;
    const started = new Promise<number>((r) => (resolveStarted = r));
    const mainExit = new Promise<MainExit>((r) => (resolveExit = r));
    const empty = new Promise<void>((resolve) => {
      supervisor.once('exit', () => resolve());
      supervisor.once('error', () => resolve());
    });
    const run: Run = { supervisor, mainPid: 0, started, mainExit, empty, stopping: false };
    const status = supervisor.stdio[3] as Readable | null;
    if (status)
      readline.createInterface({ input: status }).on('line', (line) => {
        let event: { main?: number; exit?: number; signal?: number };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return;
        }
        if (event.main !== undefined) {
          run.mainPid = event.main;
          resolveStarted(event.main);
        } else resolveExit({ code: event.exit, signal: event.signal });
      });
    void empty.then(() => {
      resolveStarted(0);
      resolveExit({ code: 203 });
    });
    for (const stream of [supervisor.stdout, supervisor.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
        this.journal.append({
          identifier: this.spec.identifier,
          pid: run.mainPid || undefined,
          priority: 6,
          message: line,
          transport: 'stdout',
          unit: this.id,
        }),
      );
    }
    return run;
  }

  private async doStart(auto = false): Promise<void> {
    const waitingToRestart = this.activeState === 'activating' && this.subState === 'auto-restart';
    if ((this.activeState === 'active' || this.activeState === 'activating') && !waitingToRestart) return;
    if (auto) {
      this.nRestarts++;
      this.log(`${this.id}: Scheduled restart job, restart counter is at ${this.nRestarts}.`);
      this.log(`Stopped ${this.id} - ${this.spec.description}.`);
    }
    const notify = this.spec.ready !== undefined;
    this.set('activating', 'start');
    if (notify) this.log(`Starting ${this.id} - ${this.spec.description}...`);
    const run = this.spawnMain();
    this.run = run;
    const pid = await run.started;
    this.execMainStart = Date.now();
    this.execMainPid = pid;
    if (pid === 0) {
      await this.settle(run, { code: 203 });
      throw new UnitError(this.jobFailed(), 1);
    }
    void run.mainExit.then((exit) => {
      if (!run.stopping && this.run === run) void this.enqueue(() => this.onCrash(run, exit));
    });
    if (notify) {
      const ok = await this.waitReady(run);
      if (!ok) {
        if (!run.stopping && this.run === run) {
          this.log(`${this.id}: start operation timed out. Terminating.`, 3);
          await this.terminate(run, 'timeout');
        }
        throw new UnitError(this.jobFailed(), 1);
      }
    }
    this.set('active', 'running');
    this.log(`Started ${this.id} - ${this.spec.description}.`);
  }

  private jobFailed(): string {
    return (
      `Job for ${this.id} failed because the control process exited with error code.\n` +
      `See "systemctl status ${this.id}" and "journalctl -xeu ${this.id}" for details.`
    );
  }

  private async waitReady(run: Run): Promise<boolean> {
    const deadline = Date.now() + (this.spec.startTimeoutMs ?? 30_000);
    let exited = false;
    void run.mainExit.then(() => (exited = true));
    while (!exited && Date.now() < deadline) {
      if (await this.spec.ready?.()) return !exited;
      await sleep(50);
    }
    return false;
  }

  private async doStop(): Promise<void> {
    const run = this.run;
    if (!run || this.activeState === 'inactive' || this.activeState === 'failed') {
      if (this.activeState === 'activating' && this.subState === 'auto-restart') this.set('inactive', 'dead');
      return;
    }
    this.log(`Stopping ${this.id} - ${this.spec.description}...`);
    await this.terminate(run, undefined);
    this.log(`Stopped ${this.id} - ${this.spec.description}.`);
  }

  /** SIGTERM the unit, SIGKILL it after the stop timeout, then record how it ended. */
  private async terminate(run: Run, forced: UnitResult | undefined): Promise<void> {
    run.stopping = true;
    this.set('deactivating', 'stop-sigterm');
    this.signalUnit(run, 'SIGTERM');
    const gone: Promise<unknown> = this.spec.killMode === 'process' ? run.mainExit : run.empty;
    let result: UnitResult | undefined = forced;
    if ((await withTimeout(gone, this.spec.stopTimeoutMs)) === 'timeout') {
      this.log(`${this.id}: State 'stop-sigterm' timed out. Killing.`, 4);
      this.set('deactivating', 'stop-sigkill');
      this.signalUnit(run, 'SIGKILL', true);
      await withTimeout(gone, 5000);
      result = 'timeout';
    }
    const exit = await run.mainExit;
    await this.settle(run, exit, result);
  }

  private signalUnit(run: Run, sig: NodeJS.Signals, announce = false): void {
    const root = run.supervisor.pid;
    if (root === undefined) return;
    const targets =
      this.spec.killMode === 'process'
        ? [readProc(run.mainPid)].filter((p) => p !== undefined)
        : descendants(root);
    for (const p of targets) {
      if (announce) this.log(`${this.id}: Killing process ${p.pid} (${p.comm}) with signal ${sig}.`, 4);
      signal(p.pid, sig);
    }
  }

  /** The main process is gone (and for control-group units, every other process too): record the result. */
  private async settle(run: Run, exit: MainExit, forced?: UnitResult): Promise<void> {
    this.execMainExit = Date.now();
    this.execMainCode = exit.signal !== undefined ? (DUMP_SIGNALS.has(exit.signal) ? 3 : 2) : 1;
    this.execMainStatus = exit.signal ?? exit.code ?? 0;
    let result: UnitResult = forced ?? 'success';
    if (!forced && !run.stopping) {
      if (exit.signal !== undefined && !CLEAN_SIGNALS.has(exit.signal))
        result = DUMP_SIGNALS.has(exit.signal) ? 'core-dump' : 'signal';
      else if (exit.code !== undefined && exit.code !== 0) result = 'exit-code';
    } else if (!forced && exit.code !== undefined && exit.code !== 0 && exit.signal === undefined) {
      result = 'exit-code';
    }
    this.result = result;
    if (result === 'success') {
      this.log(`${this.id}: Deactivated successfully.`);
      this.set('inactive', 'dead');
    } else {
      this.log(`${this.id}: Failed with result '${result}'.`, 4);
      this.set('failed', 'failed');
    }
    if (this.run === run) this.run = undefined;
  }

  private describeExit(exit: MainExit): string {
    if (exit.signal !== undefined) {
      const how = DUMP_SIGNALS.has(exit.signal) ? 'dumped' : 'killed';
      return `code=${how}, status=${exit.signal}/${SIGNAL_NAMES[exit.signal] ?? exit.signal}`;
    }
    const code = exit.code ?? 0;
    return `code=exited, status=${code}/${EXIT_NAMES[code] ?? code}`;
  }

  /** The main process ended by itself. */
  private async onCrash(run: Run, exit: MainExit): Promise<void> {
    if (this.run !== run || run.stopping) return;
    const failed =
      (exit.signal !== undefined && !CLEAN_SIGNALS.has(exit.signal)) ||
      (exit.signal === undefined && (exit.code ?? 0) !== 0);
    if (failed) this.log(`${this.id}: Main process exited, ${this.describeExit(exit)}`, 5);
    if (this.spec.killMode === 'control-group' && descendants(run.supervisor.pid ?? -1).length > 0) {
      run.stopping = true;
      this.set('deactivating', 'stop-sigterm');
      this.signalUnit(run, 'SIGTERM');
      if ((await withTimeout(run.empty, this.spec.stopTimeoutMs)) === 'timeout') {
        this.signalUnit(run, 'SIGKILL', true);
        await withTimeout(run.empty, 5000);
      }
      run.stopping = false;
    }
    await this.settle(run, exit);
    if ((failed && this.spec.restart === 'on-failure') || this.spec.restart === 'always') {
      this.set('activating', 'auto-restart');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        void this.enqueue(() => this.doStart(true)).catch(() => undefined);
      }, this.spec.restartDelayMs);
    }
  }

  private cancelRestart(): void {
    if (!this.restartTimer) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.activeState === 'activating' && this.subState === 'auto-restart') this.set('failed', 'failed');
  }

  /** Stop for shutdown: SIGTERM, a short grace, SIGKILL. */
  async shutdown(graceMs: number): Promise<void> {
    this.cancelRestart();
    const run = this.run;
    if (!run) return;
    run.stopping = true;
    this.signalUnit(run, 'SIGTERM');
    if ((await withTimeout(run.empty, graceMs)) === 'timeout') this.signalUnit(run, 'SIGKILL');
  }
}

export class ServiceManager {
  private readonly units = new Map<string, Unit>();

  constructor(private readonly journal: Journal) {}

  add(spec: UnitSpec): Unit {
    const unit = new Unit(spec, this.journal);
    this.units.set(spec.name, unit);
    return unit;
  }

  /** `preke-recorder` or `preke-recorder.service`; undefined for units this device does not have. */
  get(name: string): Unit | undefined {
    return this.units.get(name.replace(/\.service$/, ''));
  }

  all(): Unit[] {
    return [...this.units.values()];
  }

  /** Start every unit, each after the units named in its `after` are ready. */
  async startAll(): Promise<void> {
    const started = new Map<string, Promise<void>>();
    const startOne = (unit: Unit): Promise<void> => {
      let p = started.get(unit.spec.name);
      if (!p) {
        const deps = (unit.spec.after ?? []).map((n) => this.get(n)).filter((u) => u !== undefined);
        p = Promise.all(deps.map(startOne)).then(() => unit.start());
        started.set(unit.spec.name, p);
      }
      return p;
    };
    await Promise.all(this.all().map(startOne));
  }

  async shutdown(graceMs: number): Promise<void> {
    await Promise.all(this.all().map((u) => u.shutdown(graceMs)));
  }
}

/**
 * The device daemon: PID 1 of the emulated R58 (its own PID, mount, UTS and network namespaces). It hosts the
 * kernel model (kernel/), keeps the mpp_service debugfs file and the thermal zones (thermal.ts) current, runs the
 * services (units.ts: ssh, mediamtx, preke-recorder) and serves the daemon API (api.ts) on
 * /run/tally-emu/daemon.sock.
 *
 * Node cannot reap processes it did not spawn, so every service runs under supervise.py, a child subreaper that
 * reaps its orphans; the daemon itself only ever has its own children.
 *
 * `systemctl reboot` is emulated here (`reboot()`): the device keeps running, so ssh and its sessions stay up.
 */
import { execFile } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import type http from 'node:http';
import { createApiServer } from './api.js';
import { DAEMON_SOCKET, type DeviceConfig } from './config.js';
import { findPipelinePidsByLabel, HARDWARE_NAME, KernelModel } from './kernel/index.js';
import { Journal } from './journal.js';
import { MppDebugfs } from './mpp-debugfs.js';
import { cmdline, isAlive, listProcs, signal } from './proc.js';
import { ThermalZones } from './thermal.js';
import { modelledLoad } from './cpu-load.js';
import { ProcStat } from './proc-stat.js';
import { portOpen, RECORDER_API_PORT, unitSpecs } from './unit-specs.js';
import { ServiceManager, type Unit } from './units.js';
import os from 'node:os';
import { BoxLoad } from '../kinds/box-load.js';
import { KindServices } from '../kinds/services.js';
import { identityOf } from '../kinds/identity.js';

/** Units an emulated reboot stops and starts again, in start order; ssh stays up (see `reboot()`). */
const REBOOT_UNITS = ['mediamtx', 'preke-recorder'];
/** Between the kernel's new boot lines and the services starting again. */
const REBOOT_BOOT_DELAY_MS = 1000;
/** The recorder's runtime directory (its hold file); /run is a tmpfs on the board, empty after a reboot. */
const RECORDER_RUN_DIR = '/run/preke-recorder';

/** What the daemon prints on stdout, one JSON object per line, for the launcher. */
export type DaemonEvent = { event: 'ready'; bootMs: number } | { event: 'error'; message: string };

/** The device's uptime (its own time namespace gives it a fresh one), so dmesg agrees with /proc/uptime. */
function uptimeMs(): number | undefined {
  try {
    const seconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
  } catch {
    return undefined;
  }
}

export class DeviceDaemon {
  readonly kernel: KernelModel;
  readonly journal: Journal;
  readonly units: ServiceManager;
  /** The R58's VPU session file (none on the other kinds). */
  private readonly debugfs: MppDebugfs | undefined;
  private readonly thermal: ThermalZones;
  /** /proc/stat: the R58's modelled board, or an x86 box's own processes' real CPU (kinds/box-load.ts). */
  private readonly procStat: ProcStat;
  /** What the two x86 kinds add (Docker, the VMS faults, nvidia-smi); undefined on the R58. */
  private readonly kindServices: KindServices | undefined;
  private server: http.Server | undefined;
  private reaper: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private rebooting: Promise<void> | undefined;
  private reboots = 0;
  private readonly startedAt = Date.now();

  constructor(private readonly config: DeviceConfig) {
    let onSessions = (): void => undefined;
    this.kernel = new KernelModel({
      now: Date.now,
      killPid: (pid, sig) => {
        try {
          process.kill(pid, sig);
        } catch {
          // already gone
        }
      },
      isAlive,
      findPidsByLabel: (label) => findPipelinePidsByLabel(label),
      onSessionsChanged: () => onSessions(),
      uptimeAtStartMs: uptimeMs(),
      maxSessions: config.vpuMaxSessions,
      bootLines: identityOf(config.kind).bootLines,
    });
    const r58 = config.kind === 'r58';
    const debugfs = r58 ? new MppDebugfs(() => this.kernel.debugfsSessionText()) : undefined;
    this.debugfs = debugfs;
    onSessions = () => debugfs?.changed();
    const zones = identityOf(config.kind).thermalZones;
    this.thermal = new ThermalZones({
      sessions: () => this.kernel.sessions().length,
      ...(zones ? { zones } : {}),
    });
    const uptime = uptimeMs();
    const boxLoad = new BoxLoad(os.cpus().length || 1);
    this.procStat = new ProcStat(
      r58
        ? {
            load: () => this.cpuLoad(),
            // A light box (fleet tests) rewrites it once a second, as often as the console's sampler reads it.
            ...(config.light ? { intervalMs: 1000 } : {}),
            ...(uptime !== undefined ? { uptimeS: uptime / 1000 } : {}),
          }
        : {
            // The x86 boxes: this machine's cores, loaded by what the box's own processes really use.
            load: () => boxLoad.sample(),
            cores: os.cpus().length || 1,
            intervalMs: 1000,
            ...(uptime !== undefined ? { uptimeS: uptime / 1000 } : {}),
          },
    );
    this.journal = new Journal({
      hostname: config.hostname,
      bootTimeMs: this.kernel.bootTimeMs,
      ...(config.machineId ? { machineId: config.machineId } : {}),
    });
    const toJournal = (line: { usec: number; priority: number; text: string }): void => {
      this.journal.append({
        identifier: 'kernel',
        priority: line.priority,
        message: line.text,
        transport: 'kernel',
        monotonicUs: line.usec,
        realtimeUs: (this.kernel.bootTimeMs + line.usec / 1000) * 1000,
      });
    };
    for (const line of this.kernel.lines()) toJournal(line);
    this.kernel.subscribe(toJournal);
    this.units = new ServiceManager(this.journal);
    for (const spec of unitSpecs(config)) this.units.add(spec);
    this.kindServices = r58 ? undefined : new KindServices(config);
  }

  async start(): Promise<void> {
    if (this.kindServices) {
      this.procStat.init();
      await Promise.all([this.kindServices.prepare(), this.thermal.init(), this.listen()]);
      this.reaper = setInterval(() => this.kernel.reap(), 300);
      await this.units.startAll();
      await this.kindServices.start();
      this.emit({ event: 'ready', bootMs: Date.now() - this.startedAt });
      return;
    }
    this.procStat.init();
    await Promise.all([this.debugfs?.init(), this.thermal.init(), this.deviceTree(), this.listen()]);
    this.reaper = setInterval(() => this.kernel.reap(), 300);
    await this.units.startAll();
    await this.waitFor(
      () => portOpen(RECORDER_API_PORT),
      60_000,
      `the recorder API on port ${RECORDER_API_PORT}`,
    );
    this.emit({ event: 'ready', bootMs: Date.now() - this.startedAt });
    // A light box runs no mixer: no GStreamer registry scan (a second of CPU per box).
    if (!this.config.light) this.prewarmDecoderElement();
  }

  /**
   * Builds the login user's GStreamer registry with the `mppvideodec` stand-in (namespace-state.ts installs it), so
   * the mixer agent's first start does not pay the plugin scan; says in one line when the element cannot load.
   */
  private prewarmDecoderElement(): void {
    const { name, uid, gid } = this.config.user;
    const env = { PATH: '/usr/bin:/bin', HOME: `/home/${name}`, LANG: 'C.UTF-8' };
    execFile('gst-inspect-1.0', ['mppvideodec'], { uid, gid, env, timeout: 60_000 }, (err) => {
      if (err)
        process.stderr.write(
          'mixer: no mppvideodec element for programs that build their own pipelines (is ' +
            'gstreamer1.0-python3-plugin-loader installed?): the mixer agent cannot run on this device\n',
        );
    });
  }

  /** Percent of the board the device's processes take by the profile's figures, with a little noise (cpu-load.ts). */
  private cpuLoad(): number {
    const model = this.config.cpu;
    if (!model) return 6;
    let mixerState: unknown = null;
    try {
      mixerState = JSON.parse(readFileSync(`/home/${this.config.user.name}/.tally/mixer/state.json`, 'utf8'));
    } catch {
      // no mixer, or its state file is being replaced
    }
    const processes = listProcs()
      .filter((p) => p.state !== 'Z')
      .map((p) => ({ pid: p.pid, argv: cmdline(p.pid) }));
    const load = modelledLoad(model, {
      processes,
      sessions: this.kernel.sessions(),
      mixerState,
      softwareDecoder: model.softwareDecoder,
    });
    return load + (Math.random() - 0.5) * 2;
  }

  /** `/sys/firmware/devicetree/base/model`, where probes read the board model (NUL-terminated, as on the board). */
  private async deviceTree(): Promise<void> {
    const dir = '/sys/firmware/devicetree/base';
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(`${dir}/model`, `${HARDWARE_NAME.replace(/ \(DT\)$/, '')}\0`);
      await fs.writeFile(`${dir}/compatible`, 'rockchip,rk3588-r58\0rockchip,rk3588\0');
      // Rockchip boards carry the SoC's serial here; each emulated box has its own (from its machine id).
      if (this.config.machineId)
        await fs.writeFile(`${dir}/serial-number`, `${this.config.machineId.slice(0, 16)}\0`);
    } catch (err) {
      process.stderr.write(`device tree: ${(err as Error).message}\n`);
    }
  }

  private async listen(): Promise<void> {
    await fs.rm(DAEMON_SOCKET, { force: true });
    const server = createApiServer({
      units: this.units,
      journal: this.journal,
      kernel: this.kernel,
      hostname: this.config.hostname,
      kind: this.config.kind,
      commands: this.kindServices?.commands() ?? {},
      routes: (method, route, body) =>
        this.kindServices?.route(method, route, body) ?? Promise.resolve(undefined),
      state: () => ({
        kind: this.config.kind,
        ...(this.kindServices?.state() ?? {}),
        hostname: this.config.hostname,
        cameras: this.config.cameras,
        thermal: this.thermal.view(),
        reboots: this.reboots,
        rebooting: this.rebooting !== undefined,
      }),
      sync: async () => {
        this.kernel.reap();
        await this.debugfs?.flushed();
      },
      reboot: () => this.reboot(),
      shutdown: () => void this.shutdown().then(() => process.exit(0)),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(DAEMON_SOCKET, () => resolve());
    });
    // Everyone on the device may use the commands; the commands themselves enforce root where the board does.
    await fs.chmod(DAEMON_SOCKET, 0o666);
    this.server = server;
  }

  private async waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  emit(event: DaemonEvent): void {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  }

  /**
   * `systemctl reboot`, emulated without taking the device down: the recorder and the media server stop as systemd
   * stops them at shutdown (TimeoutStopSec applies), VPU pipelines still alive are killed, the kernel prints
   * `reboot: Restarting system`, forgets every session (kept ones too) and the keep fault, and prints a new boot;
   * /run/preke-recorder is emptied; about a second later mediamtx and then the recorder start again. ssh and its
   * sessions stay up (a real reboot drops them), and so do other login processes. A second call while one runs is
   * ignored.
   */
  reboot(): void {
    if (this.rebooting || this.stopping) return;
    this.reboots++;
    this.rebooting = this.runReboot()
      .catch((err: unknown) => {
        process.stderr.write(`reboot: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      })
      .finally(() => (this.rebooting = undefined));
  }

  private async runReboot(): Promise<void> {
    this.journal.append({
      identifier: 'systemd-logind',
      priority: 6,
      message: 'System is rebooting.',
      transport: 'journal',
    });
    const units = REBOOT_UNITS.map((name) => this.units.get(name)).filter((u): u is Unit => u !== undefined);
    for (const unit of [...units].reverse()) await unit.stop().catch(() => undefined);
    await this.killPipelines();
    this.kernel.reboot();
    await fs.rm(RECORDER_RUN_DIR, { recursive: true, force: true }).catch(() => undefined);
    await this.debugfs?.flushed();
    await new Promise((r) => setTimeout(r, REBOOT_BOOT_DELAY_MS));
    if (this.stopping) return;
    for (const unit of units) {
      unit.newBoot();
      await unit.start().catch(() => undefined);
    }
  }

  /** SIGKILL whatever still runs a pipeline or holds a VPU session (ad-hoc jobs outside the units). */
  private async killPipelines(): Promise<void> {
    const pids = new Set(
      listProcs()
        .filter((p) => p.comm === 'gst-launch-1.0')
        .map((p) => p.pid),
    );
    for (const s of this.kernel.sessions()) if (s.pid !== process.pid && isAlive(s.pid)) pids.add(s.pid);
    for (const pid of pids) signal(pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while ([...pids].some((pid) => isAlive(pid)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  }

  /** Stop the services (SIGTERM, a short grace, SIGKILL) and close the API. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.reaper) clearInterval(this.reaper);
      this.thermal.stop();
      this.procStat.stop();
      await Promise.all([this.units.shutdown(2000), this.kindServices?.shutdown(2000)]);
      this.server?.close();
    })();
    return this.stopping;
  }
}

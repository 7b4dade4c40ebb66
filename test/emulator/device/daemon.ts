/**
 * The device daemon: PID 1 of the emulated R58 (its own PID, mount, UTS and network namespaces). It hosts the
 * kernel model (kernel/), keeps the mpp_service debugfs file and the thermal zones (thermal.ts) current, runs the
 * services (units.ts: ssh, mediamtx, preke-recorder) and serves the daemon API (api.ts) on
 * /run/tally-emu/daemon.sock.
 *
 * Node cannot reap processes it did not spawn, so every service runs under supervise.py, a child subreaper that
 * reaps its orphans; the daemon itself only ever has its own children.
 */
import { promises as fs, readFileSync } from 'node:fs';
import type http from 'node:http';
import { createApiServer } from './api.js';
import { DAEMON_SOCKET, type DeviceConfig } from './config.js';
import { findPipelinePidsByLabel, HARDWARE_NAME, KernelModel } from './kernel/index.js';
import { Journal } from './journal.js';
import { MppDebugfs } from './mpp-debugfs.js';
import { isAlive } from './proc.js';
import { ThermalZones } from './thermal.js';
import { portOpen, RECORDER_API_PORT, unitSpecs } from './unit-specs.js';
import { ServiceManager } from './units.js';

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
  private readonly debugfs: MppDebugfs;
  private readonly thermal: ThermalZones;
  private server: http.Server | undefined;
  private reaper: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
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
    });
    this.debugfs = new MppDebugfs(() => this.kernel.debugfsSessionText());
    onSessions = () => this.debugfs.changed();
    this.thermal = new ThermalZones({ sessions: () => this.kernel.sessions().length });
    this.journal = new Journal({ hostname: config.hostname, bootTimeMs: this.kernel.bootTimeMs });
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
  }

  async start(): Promise<void> {
    await Promise.all([this.debugfs.init(), this.thermal.init(), this.deviceTree(), this.listen()]);
    this.reaper = setInterval(() => this.kernel.reap(), 300);
    await this.units.startAll();
    await this.waitFor(
      () => portOpen(RECORDER_API_PORT),
      60_000,
      `the recorder API on port ${RECORDER_API_PORT}`,
    );
    this.emit({ event: 'ready', bootMs: Date.now() - this.startedAt });
  }

  /** `/sys/firmware/devicetree/base/model`, where probes read the board model (NUL-terminated, as on the board). */
  private async deviceTree(): Promise<void> {
    const dir = '/sys/firmware/devicetree/base';
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(`${dir}/model`, `${HARDWARE_NAME.replace(/ \(DT\)$/, '')}\0`);
      await fs.writeFile(`${dir}/compatible`, 'rockchip,rk3588-r58\0rockchip,rk3588\0');
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
      state: () => ({
        hostname: this.config.hostname,
        cameras: this.config.cameras,
        thermal: this.thermal.view(),
      }),
      sync: async () => {
        this.kernel.reap();
        await this.debugfs.flushed();
      },
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

  /** Stop the services (SIGTERM, a short grace, SIGKILL) and close the API. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.reaper) clearInterval(this.reaper);
      this.thermal.stop();
      await this.units.shutdown(2000);
      this.server?.close();
    })();
    return this.stopping;
  }
}

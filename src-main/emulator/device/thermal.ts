/**
 * The RK3588's thermal zones as regular files the daemon keeps current: `/sys/class/thermal/thermal_zoneN/type`
 * and `temp` (millidegrees Celsius), N = 0…6 in the board's order. The launcher mounted a tmpfs (mode 0755) over
 * /sys/class/thermal, so everyone may read them, as on the board.
 *
 * The model: each zone idles at its own 40–45 °C, rises about 0.8 °C per open VPU session (up to +8 °C), eases
 * towards that value and wobbles a little. The fault control pins the SoC at a set temperature by writing a whole
 * number of degrees (or nothing) to THERMAL_OVERRIDE_FILE in the shared run directory (the host sees it as
 * `<state>/run/thermal-override`); the daemon watches that file.
 */
import { watch, type FSWatcher, promises as fs } from 'node:fs';
import path from 'node:path';

export const THERMAL_DIR = '/sys/class/thermal';
/** The file the fault control writes, named as it appears in the run directory on both sides. */
export const THERMAL_OVERRIDE_NAME = 'thermal-override';
export const THERMAL_OVERRIDE_FILE = `/run/tally-emu/${THERMAL_OVERRIDE_NAME}`;
export const MAX_CELSIUS = 125;

/** Zone types in the RK3588's order, each with its idle temperature (°C). */
export const RK3588_ZONES: readonly { type: string; idleC: number }[] = [
  { type: 'soc-thermal', idleC: 42.5 },
  { type: 'bigcore0-thermal', idleC: 43.4 },
  { type: 'bigcore1-thermal', idleC: 43.1 },
  { type: 'littlecore-thermal', idleC: 42.2 },
  { type: 'center-thermal', idleC: 41.8 },
  { type: 'gpu-thermal', idleC: 40.9 },
  { type: 'npu-thermal', idleC: 40.6 },
];

const PER_SESSION_C = 0.8;
const MAX_VPU_RISE_C = 8;
/** While pinned, the other zones read this much below the SoC, so the hottest zone is exactly the set value. */
const PINNED_SPREAD_C = [0, 0.4, 0.6, 0.9, 1.1, 1.7, 2.0];

export interface ThermalView {
  /** The pinned SoC temperature, or null while modelled. */
  overrideC: number | null;
  zones: { type: string; celsius: number }[];
}

export interface ThermalOptions {
  /** Open VPU sessions right now. */
  sessions: () => number;
  dir?: string;
  overrideFile?: string;
  intervalMs?: number;
  random?: () => number;
  /** Zone types and idle temperatures; default the RK3588's. */
  zones?: readonly { type: string; idleC: number }[];
}

export class ThermalZones {
  private readonly dir: string;
  private readonly overrideFile: string;
  private readonly random: () => number;
  private readonly current: number[];
  private readonly zones: readonly { type: string; idleC: number }[];
  private override: number | null = null;
  /** The override as last written to the files (what `view()` reports). */
  private applied: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ThermalOptions) {
    this.dir = opts.dir ?? THERMAL_DIR;
    this.overrideFile = opts.overrideFile ?? THERMAL_OVERRIDE_FILE;
    this.random = opts.random ?? Math.random;
    this.zones = opts.zones ?? RK3588_ZONES;
    this.current = this.zones.map((z) => z.idleC);
  }

  async init(): Promise<void> {
    try {
      await Promise.all(
        this.zones.map(async (zone, i) => {
          const dir = path.join(this.dir, `thermal_zone${i}`);
          await fs.mkdir(dir, { recursive: true, mode: 0o755 });
          await fs.writeFile(path.join(dir, 'type'), `${zone.type}\n`, { mode: 0o444 });
        }),
      );
    } catch (err) {
      process.stderr.write(`thermal: cannot create the zones in ${this.dir}: ${(err as Error).message}\n`);
      return;
    }
    await this.readOverride();
    await this.tick();
    this.timer = setInterval(
      () => void this.readOverride().then(() => this.tick()),
      this.opts.intervalMs ?? 1000,
    );
    try {
      // The control writes the override by rename; watch the directory so a change shows without waiting a tick.
      this.watcher = watch(path.dirname(this.overrideFile), (_event, name) => {
        if (name === path.basename(this.overrideFile)) void this.readOverride().then(() => this.tick());
      });
    } catch (err) {
      process.stderr.write(`thermal: cannot watch ${this.overrideFile}: ${(err as Error).message}\n`);
    }
  }

  view(): ThermalView {
    return {
      overrideC: this.applied,
      zones: this.zones.map((z, i) => ({ type: z.type, celsius: round1(this.current[i] ?? z.idleC) })),
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
  }

  private async readOverride(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.overrideFile, 'utf8');
    } catch {
      this.override = null;
      return;
    }
    const value = Number(text.trim());
    this.override =
      text.trim() !== '' && Number.isFinite(value) ? Math.min(MAX_CELSIUS, Math.max(0, value)) : null;
  }

  /** Move every zone one step and write the files (serialised, so ticks never interleave). */
  private tick(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const pinned = this.override;
      const rise = Math.min(MAX_VPU_RISE_C, this.opts.sessions() * PER_SESSION_C);
      this.zones.forEach((zone, i) => {
        const now = this.current[i] ?? zone.idleC;
        const modelled = zone.idleC + rise;
        // Back from a pinned value, jump straight to the model, so a test's alarm clears at once.
        const eased = this.applied !== null ? modelled : now + (modelled - now) * 0.3;
        this.current[i] =
          pinned !== null
            ? Math.max(0, pinned - (PINNED_SPREAD_C[i] ?? 0))
            : eased + (this.random() - 0.5) * 0.4;
      });
      await Promise.all(this.zones.map((_zone, i) => this.writeTemp(i)));
      this.applied = pinned;
    });
    return this.writing;
  }

  /** Through a temp file and a rename, so a reader never sees an empty `temp`. */
  private async writeTemp(i: number): Promise<void> {
    const target = path.join(this.dir, `thermal_zone${i}`, 'temp');
    const temp = path.join(this.dir, `.temp${i}.${process.pid}`);
    try {
      await fs.writeFile(temp, `${Math.round((this.current[i] ?? 0) * 1000)}\n`, { mode: 0o444 });
      await fs.rename(temp, target);
    } catch (err) {
      process.stderr.write(`thermal: cannot write ${target}: ${(err as Error).message}\n`);
    }
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

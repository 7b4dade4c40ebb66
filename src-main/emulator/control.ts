/**
 * Fault control for one emulated R58: the functions tests call directly, and the same operations as a small HTTP
 * server on 127.0.0.1 (control-server.ts). Every input is checked here, so both paths refuse the same things.
 */
import { promises as fs, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestHost } from './netns.js';
import type { TcpProxy } from './tcp-proxy.js';
import { MAX_CELSIUS, THERMAL_OVERRIDE_NAME } from './device/thermal.js';
import { daemonRequest } from './namespace.js';
import { setMediaBlocked } from './namespace-media.js';
import type { EmulatorKind } from './kinds/kinds.js';

const FAULTS_OF: Record<EmulatorKind, string> = {
  r58: 'wedge, camera-dead, vpu/keep, temperature',
  transcoder: 'health-fail, vaapi-off, crash',
  vms: 'camera-kill, camera-stall, output-down',
};

export const MAX_DELAY_MS = 600_000;
export const MAX_KERNEL_BYTES = 64 * 1024;

/** A request the control refuses; `status` is the HTTP status the control server answers with. */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface EmulatorState {
  link: 'up' | 'down';
  /** The device's media ports (8889, 8189, 8888, UDP) closed to this machine; SSH still open. */
  media: 'open' | 'blocked';
  lossPercent: number;
  latencyMs: number;
  slowLoginMs: number;
  /** Open SSH connections through the printed address. */
  sshConnections: number;
  /** Cameras under the camera-dead fault: they find no signal whenever the recorder (re)starts them. */
  deadCameras: string[];
  /** The device daemon's view: units, vpu {keep, maxSessions, open, orphaned, sessions}, kernel log size, reboots. */
  device: Record<string, unknown>;
}

export interface EmulatorControl {
  /** Drop every packet on the device's link, both ways (nothing is reset; peers notice by timeouts). */
  linkDown(): Promise<void>;
  linkUp(): Promise<void>;
  /** Close WHEP 8889, ICE-TCP 8189, HLS 8888 and UDP between this machine and the device; SSH stays open. */
  blockMedia(): Promise<void>;
  unblockMedia(): Promise<void>;
  /** Drop this percentage of packets at random, both ways (0–100; 0 turns it off). */
  setLoss(percent: number): Promise<void>;
  /** Delay SSH traffic by this many ms each way (0–600000). Media is not delayed: the kernel here has no netem. */
  setLatency(ms: number): Promise<void>;
  /** Hold every byte on the SSH path, both ways, without closing anything (a stuck network); `resumeSsh` lets them go. */
  stallSsh(): Promise<void>;
  resumeSsh(): Promise<void>;
  /** New SSH connections wait this long for the server's first bytes (0–600000; 0 turns it off). */
  slowLogin(ms: number): Promise<void>;
  /** Append lines to the device's kernel log, as a driver would print them (`<N>` prefix sets the level). */
  kernel(text: string): Promise<{ appended: number }>;
  /** The pipeline of this camera ignores SIGTERM/SIGINT from now on, until SIGKILLed. */
  wedge(camera: string): Promise<{ camera: string; pids: number[] }>;
  /**
   * Pin the SoC's thermal zone at this many °C (0–125; the other zones read a little below it), or `'auto'` for
   * the modelled temperatures again. Resolves once `/sys/class/thermal` on the device shows it.
   */
  setTemperature(celsius: number | 'auto'): Promise<{ celsius: number | 'auto' }>;
  /**
   * The kernel keeps the VPU sessions of processes that close them or exit (a driver that leaks them): they stay in
   * the session file with their dead pid and count against the limit until a reboot (`sudo systemctl reboot`).
   * Turning it off frees none of the kept ones.
   */
  keepSessions(on: boolean): Promise<{ keep: boolean; orphaned: number }>;
  /**
   * A camera that never comes up after a restart: while set, whenever the recorder (re)starts this camera it finds
   * no signal, so no pipeline runs, the recorder API says `no_signal` and its MediaMTX path never goes online. A
   * camera streaming now keeps streaming until the recorder restarts. `on: false` clears it (the next start works).
   */
  cameraDead(camera: string, on: boolean): Promise<{ camera: string; deadCameras: string[] }>;
  /** Clear the camera-dead fault on every camera. */
  clearDeadCameras(): Promise<{ deadCameras: string[] }>;
  /** Transcoder: `/health` answers 503 (vaapi_available still true) while on. */
  healthFail(on: boolean): Promise<{ healthFail: boolean }>;
  /** Transcoder: VAAPI gone: `/health` 503 with vaapi_available false, the metric 0, transcodes refused. */
  vaapiOff(on: boolean): Promise<{ vaapiOff: boolean }>;
  /** Transcoder: the container's process exits 1; the restart policy brings it back and RestartCount goes up. */
  crash(): Promise<{ pid: number }>;
  /**
   * VMS: SIGKILL the camera's ffmpeg; the recorder starts it again after ~2 s, or with `stay` not until
   * `cameraRevive` (the recorder then starts it within a second).
   */
  cameraKill(camera: string, stay?: boolean): Promise<{ camera: string; pids: number[]; stay: boolean }>;
  cameraRevive(camera: string): Promise<{ camera: string; held: string[] }>;
  /** VMS: SIGSTOP (on) / SIGCONT (off) the camera's ffmpeg: alive, but no new segment. */
  cameraStall(camera: string, on: boolean): Promise<{ camera: string; pids: number[]; stalled: boolean }>;
  /** VMS: the RTSP server takes `live/<camera>` offline while recording goes on. */
  outputDown(camera: string, on: boolean): Promise<{ camera: string; outputsDown: string[] }>;
  state(): Promise<EmulatorState>;
}

export interface ControlDeps {
  host: TestHost;
  proxy: TcpProxy;
  daemonSocket: string;
  cameras: readonly string[];
  /** Which box (default the R58): each kind has its own faults. */
  kind?: EmulatorKind;
}

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ControlError(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}.`,
    );
  return value;
}

/** The recorder reads it (device/recorder/service.py `DEAD_CAMERAS_FILE`) in the run directory it shares. */
export const DEAD_CAMERAS_NAME = 'dead-cameras';

export function createControl(deps: ControlDeps): EmulatorControl {
  let down = false;
  const dead = new Set<string>();
  const deadFile = path.join(path.dirname(deps.daemonSocket), DEAD_CAMERAS_NAME);
  // A state dir used before may still list cameras: start with none, as the control says.
  rmSync(deadFile, { force: true });
  const writeDead = async (): Promise<string[]> => {
    const names = deps.cameras.filter((c) => dead.has(c));
    await fs.writeFile(`${deadFile}.new`, names.map((n) => `${n}\n`).join(''), { mode: 0o644 });
    await fs.rename(`${deadFile}.new`, deadFile);
    return names;
  };
  const kind = deps.kind ?? 'r58';
  const only = (wanted: EmulatorKind, fault: string): void => {
    if (kind !== wanted)
      throw new ControlError(
        `${fault} is a fault of a ${wanted} box; this is a ${kind} box (its faults: ${FAULTS_OF[kind]}).`,
      );
  };
  const kindRoute = async (
    method: string,
    route: string,
    body: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> => {
    const reply = await daemon(method, `/kind${route}`, JSON.stringify(body));
    const json = (reply.json ?? {}) as Record<string, unknown>;
    if (reply.status !== 200)
      throw new ControlError(
        String(json.error ?? `the device answered ${reply.status}`),
        reply.status === 409 ? 409 : 503,
      );
    return json;
  };
  const knownCamera = (camera: unknown): string => {
    if (typeof camera !== 'string' || !deps.cameras.includes(camera))
      throw new ControlError(
        `Unknown camera ${JSON.stringify(camera)}; this device has ${deps.cameras.join(', ') || 'no cameras (a light box)'}.`,
      );
    return camera;
  };
  let mediaBlocked = false;
  let loss = 0;
  let latency = 0;
  let slowLogin = 0;

  const daemon = async (
    method: string,
    urlPath: string,
    body?: string,
  ): Promise<{ status: number; json: unknown }> => {
    let reply;
    try {
      reply = await daemonRequest(deps.daemonSocket, method, urlPath, body);
    } catch (err) {
      throw new ControlError(`The device daemon is not answering: ${(err as Error).message}`, 503);
    }
    let json: unknown;
    try {
      json = JSON.parse(reply.body);
    } catch {
      json = reply.body;
    }
    return { status: reply.status, json };
  };

  return {
    async linkDown() {
      down = true;
      await deps.host.linkDown();
    },
    async linkUp() {
      down = false;
      await deps.host.linkUp();
      if (loss > 0) await deps.host.setLoss(loss);
    },
    async blockMedia() {
      await setMediaBlocked(deps.host, true);
      mediaBlocked = true;
    },
    async unblockMedia() {
      await setMediaBlocked(deps.host, false);
      mediaBlocked = false;
    },
    async setLoss(percent) {
      loss = checkInteger('percent', percent, 0, 100);
      if (!down) await deps.host.setLoss(loss);
    },
    async setLatency(ms) {
      latency = checkInteger('ms', ms, 0, MAX_DELAY_MS);
      deps.proxy.setLatency(latency);
    },
    async stallSsh() {
      deps.proxy.stall();
    },
    async resumeSsh() {
      deps.proxy.resume();
    },
    async slowLogin(ms) {
      slowLogin = checkInteger('ms', ms, 0, MAX_DELAY_MS);
      deps.proxy.setConnectDelay(slowLogin);
    },
    async kernel(text) {
      if (typeof text !== 'string' || text.trim() === '')
        throw new ControlError('Send the kernel lines as the request body, one per line.');
      if (Buffer.byteLength(text) > MAX_KERNEL_BYTES)
        throw new ControlError(`At most ${MAX_KERNEL_BYTES} bytes of kernel lines at once.`);
      const reply = await daemon('POST', '/kernel/lines', text);
      const appended = (reply.json as { appended?: number }).appended ?? 0;
      return { appended };
    },
    async wedge(camera) {
      only('r58', 'wedge');
      knownCamera(camera);
      const reply = await daemon('POST', '/wedge', JSON.stringify({ label: camera }));
      const pids = (reply.json as { pids?: number[] }).pids ?? [];
      if (reply.status !== 200 || pids.length === 0)
        throw new ControlError(
          `${camera} has no running pipeline to wedge (is preke-recorder running?).`,
          409,
        );
      return { camera, pids };
    },
    async setTemperature(celsius) {
      const pinned = celsius === 'auto' ? null : checkInteger('celsius', celsius, 0, MAX_CELSIUS);
      // The daemon watches this file in the run directory it shares with this machine (device/thermal.ts).
      const file = path.join(path.dirname(deps.daemonSocket), THERMAL_OVERRIDE_NAME);
      if (pinned === null) await fs.rm(file, { force: true });
      else {
        await fs.writeFile(`${file}.new`, `${pinned}\n`);
        await fs.rename(`${file}.new`, file);
      }
      const deadline = Date.now() + 5000;
      for (;;) {
        const reply = await daemon('GET', '/state');
        const thermal = (reply.json as { thermal?: { overrideC?: number | null } }).thermal;
        if (thermal?.overrideC === pinned) return { celsius };
        if (Date.now() > deadline)
          throw new ControlError('The device did not apply the temperature within 5 s.', 503);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async keepSessions(on) {
      if (typeof on !== 'boolean') throw new ControlError('keepSessions takes true or false.');
      const reply = await daemon(on ? 'POST' : 'DELETE', '/vpu/keep');
      const json = reply.json as { keep?: boolean; orphaned?: number };
      if (reply.status !== 200 || json.keep !== on)
        throw new ControlError(`The device did not turn the keep-sessions fault ${on ? 'on' : 'off'}.`, 503);
      return { keep: on, orphaned: json.orphaned ?? 0 };
    },
    async cameraDead(camera, on) {
      only('r58', 'camera-dead');
      knownCamera(camera);
      if (typeof on !== 'boolean') throw new ControlError('cameraDead takes true or false.');
      if (on) dead.add(camera);
      else dead.delete(camera);
      return { camera, deadCameras: await writeDead() };
    },
    async clearDeadCameras() {
      dead.clear();
      return { deadCameras: await writeDead() };
    },
    async healthFail(on) {
      only('transcoder', 'health-fail');
      await kindRoute(on ? 'POST' : 'DELETE', '/transcoder/health-fail');
      return { healthFail: on };
    },
    async vaapiOff(on) {
      only('transcoder', 'vaapi-off');
      await kindRoute(on ? 'POST' : 'DELETE', '/transcoder/vaapi-off');
      return { vaapiOff: on };
    },
    async crash() {
      only('transcoder', 'crash');
      const json = await kindRoute('POST', '/transcoder/crash');
      return { pid: Number(json.pid) };
    },
    async cameraKill(camera, stay = false) {
      only('vms', 'camera-kill');
      knownCamera(camera);
      const json = await kindRoute('POST', '/vms/camera-kill', { camera, stay });
      return { camera, pids: (json.pids as number[]) ?? [], stay };
    },
    async cameraRevive(camera) {
      only('vms', 'camera-kill');
      knownCamera(camera);
      const json = await kindRoute('DELETE', '/vms/camera-kill', { camera });
      return { camera, held: (json.held as string[]) ?? [] };
    },
    async cameraStall(camera, on) {
      only('vms', 'camera-stall');
      knownCamera(camera);
      const json = await kindRoute(on ? 'POST' : 'DELETE', '/vms/camera-stall', { camera });
      return { camera, pids: (json.pids as number[]) ?? [], stalled: on };
    },
    async outputDown(camera, on) {
      only('vms', 'output-down');
      knownCamera(camera);
      const json = await kindRoute(on ? 'POST' : 'DELETE', '/vms/output-down', { camera });
      return { camera, outputsDown: (json.outputsDown as string[]) ?? [] };
    },
    async state() {
      const reply = await daemon('GET', '/state');
      return {
        link: down ? 'down' : 'up',
        media: mediaBlocked ? 'blocked' : 'open',
        lossPercent: loss,
        latencyMs: latency,
        slowLoginMs: slowLogin,
        deadCameras: deps.cameras.filter((c) => dead.has(c)),
        sshConnections: deps.proxy.connections,
        device: (reply.json ?? {}) as Record<string, unknown>,
      };
    },
  };
}

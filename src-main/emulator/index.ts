/**
 * One emulated box on this machine (src-main/emulator/README.md): an R58 recorder (default), a GPU transcoder
 * (`kind: 'transcoder'`, seed 003) or a VMS recorder host (`kind: 'vms'`, seed 004).
 *
 *     const emu = await startEmulator({ cameras: 4 });
 *     // emu.ready is the JSON line `tally emulator` prints; ssh to emu.ready.ssh, WHEP at emu.ready.whep
 *     await emu.control.linkDown();
 *     await emu.stop();
 *
 * Needs root (network namespaces, mounts). Two emulators can run side by side: each has its own network namespace,
 * /30 in 10.231.0.0/16, loopback ports and state directory.
 */
import path from 'node:path';
import { createTestHost, netnsAvailable, type TestHost } from './netns.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { packageRoot } from '../paths.js';
import { createControl, type EmulatorControl } from './control.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { cameraNames, MEDIA_PORTS } from './device/unit-specs.js';
import { spawnDevice, type DeviceProcess } from './namespace.js';
import { cleanState, prepareState, type PreparedState } from './namespace-state.js';
import { OPENSSH_DEFAULT_MAX_STARTUPS, parseMaxStartups } from './sshd-options.js';
import {
  defaultHostname,
  isEmulatorKind,
  loginUser,
  VMS,
  EMULATOR_KINDS,
  type EmulatorKind,
} from './kinds/kinds.js';

export type { EmulatorKind } from './kinds/kinds.js';

export type { EmulatorControl, EmulatorState } from './control.js';

/** The line `tally emulator` prints when the device is ready. */
export interface ReadyInfo {
  ssh: { host: string; port: number; user: string; identityFile: string; hostKeyFingerprint: string };
  /** WHEP base URL as this machine reaches it: `POST <whep>/<path>/whep`. */
  whep: string;
  /** Fault control base URL (README "Fault control"). */
  control: string;
  /** The product profile for this box, which is its kind: `r58`, `transcoder` or `vms`. */
  profile: EmulatorKind;
}

export interface EmulatorOptions {
  /**
   * Which box: `r58` (default), `transcoder` (seed 003: Docker container, HTTP API on 8081, a receiver on 17999)
   * or `vms` (seed 004: vms-recorder with one ffmpeg per camera, an RTSP server on 8554). The R58-only options
   * (cameras, light, h265Cameras, vpuProc, iceTcp, repoTemplate) are refused for the others.
   */
  kind?: EmulatorKind;
  /** VMS: seconds per recording segment (1–3600, default 180 as on the seed's box; tests use a few). */
  segmentSeconds?: number;
  /** VMS: install an `nvidia-smi` that answers the console's encoder query (the seed's box has an NVIDIA card). */
  nvidia?: boolean;
  /** Cameras cam0…camN-1 (1–8, default 4; light: 0 or 1, default 0). */
  cameras?: number;
  /**
   * A light box for fleet tests (README "Light mode"): the real sshd, the R58 paths, units, VPU session file, kernel
   * log, /proc/stat and fault control, but no video. With no cameras the recorder runs with an empty camera list
   * and `mediamtx` is an API-only stand-in with no paths; with one camera the media server stand-in and that
   * camera's pipeline run as usual. No mixer decoder warm-up.
   */
  light?: boolean;
  /** Keep keys, the recorder repo, the home directory and /var here across runs. Default: a temp dir. */
  stateDir?: string;
  /**
   * Show `/proc/mpp_service/…` instead of debugfs. Not possible here (see README "What cannot be emulated"):
   * starting with it fails with an explanation.
   */
  vpuProc?: boolean;
  /** The device's hostname (default `r58`). */
  hostname?: string;
  /** systemd's TimeoutStopSec for the device's units (default 10 s). */
  stopTimeoutMs?: number;
  /** systemd's RestartSec for units that fail (default 2 s). */
  restartDelayMs?: number;
  /**
   * MediaMTX ICE-TCP (`webrtcLocalTCPAddress: ':8189'` in the device's /etc/mediamtx/mediamtx.yml). Default true;
   * false writes `''` there, so WHEP answers carry no TCP candidates and the API says so.
   */
  iceTcp?: boolean;
  /**
   * Cameras whose recorder pipeline encodes H.265 (`mpph265enc`, x265enc underneath): config.yml gets a commit
   * switching them, so their MediaMTX path carries H.265 (WHEP refuses it, HLS plays it). Only when the recorder
   * repo is created (a --state-dir that already has one keeps its config). Default none.
   */
  h265Cameras?: readonly string[];
  /**
   * VPU sessions the emulated kernel allows before it refuses an open with `too many sessions` (1–64). Default 8,
   * seed 002's practical limit; 16 is its theoretical one.
   */
  vpuMaxSessions?: number;
  /**
   * The device sshd's `MaxStartups`: `start:rate:full` or one number (e.g. '3:100:10': while 3 connections are
   * still unauthenticated, every new one is refused). Default OpenSSH's own, 10:30:100.
   */
  sshdMaxStartups?: string;
  /**
   * A recorder repo from `makeRepoTemplate(cameras)` to copy instead of creating one (fleets share one). Only used
   * when the state dir has no repo yet; not with h265Cameras.
   */
  repoTemplate?: string;
  /** Every line the device writes to its stderr (the daemon's own errors). */
  onLog?: (line: string) => void;
}

export interface DeviceInfo {
  netns: string;
  /** The device's address on its link (sshd on :22, WHEP on :8889, RTSP on :8554). */
  address: string;
  /** This machine's address on that link. */
  hostAddress: string;
  stateDir: string;
  /** True when the state directory is removed at stop. */
  temporaryState: boolean;
  /** Host pid of the device's launcher process (its process group holds the device). */
  pid: number;
  cameras: string[];
}

export interface Emulator {
  ready: ReadyInfo;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…`: a known_hosts line for the printed SSH address. */
  hostKeyLine: string;
  control: EmulatorControl;
  device: DeviceInfo;
  /** Milliseconds from the call to the device being ready. */
  startupMs: number;
  /** Everything the device wrote on stderr so far. */
  log(): string;
  /** Stop the device and remove everything this emulator made (a --state-dir keeps its lasting parts). */
  stop(): Promise<void>;
}

export class EmulatorUnavailableError extends Error {}

/** The Tally checkout the emulator runs from (its Python scripts and device commands are used from there). */
export function repoRoot(): string {
  return packageRoot();
}

export async function emulatorAvailable(): Promise<boolean> {
  return process.getuid?.() === 0 && (await netnsAvailable());
}

/** The value of a settled step, or its error thrown. */
function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** The options that only an R58 has, named as the CLI and the options object call them. */
function checkKindOptions(kind: EmulatorKind, opts: EmulatorOptions): void {
  if (!isEmulatorKind(kind))
    throw new Error(`Unknown kind of box ${JSON.stringify(kind)}: use ${EMULATOR_KINDS.join(', ')}.`);
  if (kind !== 'vms' && (opts.segmentSeconds !== undefined || opts.nvidia))
    throw new Error(`segmentSeconds and nvidia are options of a vms box, not of a ${kind} box.`);
  if (
    opts.segmentSeconds !== undefined &&
    (!Number.isInteger(opts.segmentSeconds) || opts.segmentSeconds < 1 || opts.segmentSeconds > 3600)
  )
    throw new Error(`segmentSeconds must be a whole number from 1 to 3600, got ${opts.segmentSeconds}.`);
  if (kind === 'r58') return;
  const r58Only = [
    opts.cameras !== undefined ? 'cameras' : '',
    opts.light ? 'light' : '',
    opts.h265Cameras?.length ? 'h265Cameras' : '',
    opts.vpuProc ? 'vpuProc' : '',
    opts.iceTcp === false ? 'iceTcp' : '',
    opts.repoTemplate ? 'repoTemplate' : '',
  ].filter(Boolean);
  if (r58Only.length > 0)
    throw new Error(
      `${r58Only.join(', ')} ${r58Only.length > 1 ? 'are options' : 'is an option'} of an r58 box, not of a ${kind} box.`,
    );
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const started = Date.now();
  const kind = opts.kind ?? 'r58';
  checkKindOptions(kind, opts);
  if (kind !== 'r58') return startBox(kind, opts, started, 0);
  const light = opts.light ?? false;
  const cameras = opts.cameras ?? (light ? 0 : 4);
  if (light && cameras !== 0 && cameras !== 1)
    throw new Error(`A light box has 0 or 1 cameras, got ${cameras}; use a full box for more.`);
  if (!light && (!Number.isInteger(cameras) || cameras < 1 || cameras > 8))
    throw new Error(`cameras must be a whole number from 1 to 8, got ${cameras}.`);
  const vpuMaxSessions = opts.vpuMaxSessions ?? 8;
  if (!Number.isInteger(vpuMaxSessions) || vpuMaxSessions < 1 || vpuMaxSessions > 64)
    throw new Error(`vpuMaxSessions must be a whole number from 1 to 64, got ${vpuMaxSessions}.`);
  parseMaxStartups(opts.sshdMaxStartups ?? OPENSSH_DEFAULT_MAX_STARTUPS);
  if (opts.vpuProc)
    throw new EmulatorUnavailableError(
      '--vpu-proc cannot be emulated on this machine: /proc is procfs, which cannot get new entries ' +
        '(no mkdir there, overlayfs refuses procfs as a layer — "maximum fs stacking depth exceeded" — and a bind ' +
        'mount needs an existing /proc/mpp_service to mount on). Use the default debugfs layout ' +
        '(/sys/kernel/debug/mpp_service/session); the kernel model renders the /proc files for unit tests.',
    );
  return startBox(kind, opts, started, cameras);
}

async function startBox(
  kind: EmulatorKind,
  opts: EmulatorOptions,
  started: number,
  cameras: number,
): Promise<Emulator> {
  const light = opts.light ?? false;
  const vpuMaxSessions = opts.vpuMaxSessions ?? 8;
  const sshdMaxStartups = parseMaxStartups(opts.sshdMaxStartups ?? OPENSSH_DEFAULT_MAX_STARTUPS);
  if (!(await emulatorAvailable()))
    throw new EmulatorUnavailableError(
      'The emulator needs root with network namespaces, veth and nftables (it creates a namespace and mounts). ' +
        'Run it as root on Linux.',
    );
  const h265Cameras = [...new Set(opts.h265Cameras ?? [])];
  const known = cameraNames(cameras);
  for (const name of h265Cameras)
    if (!known.includes(name))
      throw new Error(
        `h265Cameras: unknown camera ${JSON.stringify(name)}; this device has ${known.join(', ') || 'no cameras'}.`,
      );

  const root = repoRoot();
  const hostname = opts.hostname ?? defaultHostname(kind);
  if (!/^[a-z0-9-]{1,63}$/.test(hostname))
    throw new Error(
      `hostname must be 1–63 lowercase letters, digits or dashes (for example box01), got ${JSON.stringify(hostname)}.`,
    );
  const undo: (() => Promise<void>)[] = [];
  const rollback = async (): Promise<void> => {
    for (const step of undo.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    // allSettled, not all: a step that fails must not leave the other half-registered (its undo would be missed).
    const [stateStep, hostStep] = await Promise.allSettled([
      prepareState({
        stateDir: opts.stateDir,
        cameras,
        hostname,
        repoRoot: root,
        stopTimeoutMs: opts.stopTimeoutMs ?? 10_000,
        restartDelayMs: opts.restartDelayMs ?? 2000,
        iceTcp: opts.iceTcp ?? true,
        h265Cameras,
        vpuMaxSessions,
        sshdMaxStartups,
        light,
        kind,
        ...(opts.segmentSeconds !== undefined ? { segmentSeconds: opts.segmentSeconds } : {}),
        ...(opts.nvidia ? { nvidia: true } : {}),
        ...(opts.repoTemplate && h265Cameras.length === 0 ? { repoTemplate: opts.repoTemplate } : {}),
      }).then((s: PreparedState) => (undo.push(() => cleanState(s)), s)),
      createTestHost().then((h: TestHost) => (undo.push(() => h.destroy()), h)),
    ]);
    const state = settled(stateStep);
    const host = settled(hostStep);
    const [deviceStep, proxyStep] = await Promise.allSettled([
      spawnDevice({
        stateDir: state.dir,
        repoRoot: root,
        hostname,
        netns: host.name,
        readyTimeoutMs: 120_000,
        onLog: opts.onLog,
        kind,
      }).then((d: DeviceProcess) => (undo.push(() => d.stop()), d)),
      startTcpProxy({ host: host.nsAddress, port: 22 }).then(
        (p: TcpProxy) => (undo.push(() => p.close()), p),
      ),
    ]);
    const device = settled(deviceStep);
    const proxy = settled(proxyStep);
    const names = kind === 'vms' ? [...VMS.cameras] : cameraNames(cameras);
    const control = createControl({
      kind,
      host,
      proxy,
      daemonSocket: path.join(state.dir, 'run', 'daemon.sock'),
      cameras: names,
    });
    const server: ControlServer = await startControlServer(control);
    undo.push(() => server.close());

    const ready: ReadyInfo = {
      ssh: {
        host: '127.0.0.1',
        port: proxy.port,
        user: loginUser(kind).name,
        identityFile: state.identityFile,
        hostKeyFingerprint: state.hostKeyFingerprint,
      },
      whep: `http://${host.nsAddress}:${MEDIA_PORTS.whep}`,
      control: server.url,
      profile: kind,
    };
    let stopping: Promise<void> | undefined;
    return {
      ready,
      hostKeyLine: `[127.0.0.1]:${proxy.port} ${state.hostKey}`,
      control,
      device: {
        netns: host.name,
        address: host.nsAddress,
        hostAddress: host.hostAddress,
        stateDir: state.dir,
        temporaryState: state.temporary,
        pid: device.pid,
        cameras: names,
      },
      startupMs: Date.now() - started,
      log: () => device.log(),
      stop: () => (stopping ??= rollback()),
    };
  } catch (err) {
    await rollback();
    throw err;
  }
}

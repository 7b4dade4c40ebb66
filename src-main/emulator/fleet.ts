/**
 * A fleet of light emulated R58s (README "Fleet"): box01…boxNN, each its own network namespace, sshd, host key,
 * hostname and machine id, started a few at a time so a 2-core machine is not swamped. With `kinds`, the boxes take
 * those kinds in turn (`['r58', 'transcoder', 'vms']`: box01 an R58, box02 a transcoder, box03 a VMS host, …).
 *
 *     const fleet = await startFleet({ count: 32 });
 *     fleet.boxes[26].ready;          // the single-box ready line plus "name": "box27"
 *     await fleet.boxes[26].control.kernel('Internal error: Oops: …');
 *     await fleet.control.linkDown(); // every box at once (a venue network blip)
 *     await fleet.control.linkUp();
 *     await fleet.stop();
 */
import {
  emulatorAvailable,
  EmulatorUnavailableError,
  startEmulator,
  type Emulator,
  type EmulatorControl,
  type EmulatorOptions,
  type EmulatorState,
  type ReadyInfo,
} from './index.js';
import { startRouteServer, type ControlServer } from './control-server.js';
import { promises as fs } from 'node:fs';
import { makeRepoTemplate } from './namespace-state.js';
import { parseMaxStartups } from './sshd-options.js';
import { boxName, DEFAULT_START_CONCURRENCY, MAX_FLEET } from './fleet-options.js';
import { EMULATOR_KINDS, isEmulatorKind, type EmulatorKind } from './kinds/kinds.js';

export { boxName, MAX_FLEET } from './fleet-options.js';

/** The line `tally emulator --fleet N` prints for each box: the single-box ready line plus its name. */
export interface FleetReadyInfo extends ReadyInfo {
  name: string;
}

export interface FleetBox {
  /** box01, box02, … (also the device's hostname). */
  name: string;
  ready: FleetReadyInfo;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…`: a known_hosts line for the box's SSH address. */
  hostKeyLine: string;
  /** This box's own faults (the same as its `control` URL). */
  control: EmulatorControl;
  emulator: Emulator;
}

export interface FleetOptions {
  /** How many boxes (1–64). */
  count: number;
  /** Cameras per R58 box: 0 (default, no video at all) or 1 (one camera, the media server stand-in; heavier). */
  cameras?: 0 | 1;
  /**
   * The boxes' kinds, taken in turn (default all `r58`). Transcoder and VMS boxes are always full ones (their
   * video is tiny); the R58s are light.
   */
  kinds?: readonly EmulatorKind[];
  /** Seconds per recording segment on the VMS boxes (default 180). */
  segmentSeconds?: number;
  /** Keep each box's keys, repo, home and /var in `<stateDir>/boxNN` across runs. Default: temp dirs. */
  stateDir?: string;
  /** Every box's sshd MaxStartups (sshd-options.ts). Default OpenSSH's 10:30:100. */
  sshdMaxStartups?: string;
  /** VPU sessions each box's kernel allows (1–64, default 8). */
  vpuMaxSessions?: number;
  /** Boxes starting at once (1–16, default 4). */
  concurrency?: number;
  /** Called as each box becomes ready, in the order they do. */
  onReady?: (box: FleetBox) => void;
  /** Every line a box's device writes on stderr. */
  onLog?: (box: string, line: string) => void;
  /** Aborting stops starting boxes; those already up are stopped and startFleet rejects. */
  signal?: AbortSignal;
}

export interface FleetBoxState {
  name: string;
  link: EmulatorState['link'];
  sshConnections: number;
  control: string;
}

export interface FleetControl {
  /** Drop every box's link at once (in parallel), as a venue network that goes away. */
  linkDown(): Promise<void>;
  /** Bring every box's link back at once. */
  linkUp(): Promise<void>;
  state(): Promise<{ fleet: number; boxes: FleetBoxState[] }>;
}

export interface Fleet {
  boxes: FleetBox[];
  control: FleetControl;
  /** Milliseconds from the call until the last box was ready. */
  startupMs: number;
  /** Start the fleet control server (`POST /link/down`, `POST /link/up`, `GET /state`) on 127.0.0.1. */
  serveControl(port?: number): Promise<string>;
  /** Stop every box and the control server. Idempotent. */
  stop(): Promise<void>;
}

function checkOptions(opts: FleetOptions): {
  cameras: 0 | 1;
  concurrency: number;
  kinds: readonly EmulatorKind[];
} {
  const kinds = opts.kinds ?? ['r58'];
  if (kinds.length === 0 || !kinds.every(isEmulatorKind))
    throw new Error(`kinds lists kinds of box (${EMULATOR_KINDS.join(', ')}), got ${JSON.stringify(kinds)}.`);
  const { count } = opts;
  if (!Number.isInteger(count) || count < 1 || count > MAX_FLEET)
    throw new Error(`A fleet has 1 to ${MAX_FLEET} boxes, got ${String(count)}.`);
  const cameras = opts.cameras ?? 0;
  if (cameras !== 0 && cameras !== 1)
    throw new Error(`Fleet boxes have 0 or 1 cameras, got ${String(cameras)}.`);
  const concurrency = opts.concurrency ?? DEFAULT_START_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)
    throw new Error(`concurrency must be a whole number from 1 to 16, got ${String(concurrency)}.`);
  if (opts.sshdMaxStartups !== undefined) parseMaxStartups(opts.sshdMaxStartups);
  return { cameras, concurrency, kinds };
}

/** Run `work` on every item, at most `limit` at a time; stops taking new items once `stopped()` says so. */
async function pool<T>(
  items: readonly T[],
  limit: number,
  stopped: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!stopped() && next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const started = Date.now();
  const { cameras, concurrency, kinds } = checkOptions(opts);
  const kindOf = (name: string): EmulatorKind => kinds[names.indexOf(name) % kinds.length] ?? 'r58';
  const names = Array.from({ length: opts.count }, (_, i) => boxName(i));
  const byName = new Map<string, FleetBox>();
  if (!(await emulatorAvailable()))
    throw new EmulatorUnavailableError(
      'The emulated fleet needs root with network namespaces, veth and nftables (each box is a namespace with ' +
        'mounts). Run it as root on Linux.',
    );
  // One recorder repo for all boxes, copied into each (creating one takes ~20 git commands).
  const template = kinds.includes('r58') ? await makeRepoTemplate(cameras) : undefined;
  let failure: Error | undefined;
  const aborted = (): boolean => failure !== undefined || opts.signal?.aborted === true;

  const startBox = async (name: string): Promise<void> => {
    const kind = kindOf(name);
    const options: EmulatorOptions = {
      ...(kind === 'r58'
        ? {
            light: true,
            cameras,
            ...(template ? { repoTemplate: template.repo } : {}),
            ...(opts.vpuMaxSessions !== undefined ? { vpuMaxSessions: opts.vpuMaxSessions } : {}),
          }
        : { kind }),
      ...(kind === 'vms' && opts.segmentSeconds !== undefined ? { segmentSeconds: opts.segmentSeconds } : {}),
      hostname: name,
      ...(opts.stateDir ? { stateDir: `${opts.stateDir.replace(/\/+$/, '')}/${name}` } : {}),
      ...(opts.sshdMaxStartups !== undefined ? { sshdMaxStartups: opts.sshdMaxStartups } : {}),
      ...(opts.onLog ? { onLog: (line: string) => opts.onLog?.(name, line) } : {}),
    };
    try {
      const emulator = await startEmulator(options);
      const box: FleetBox = {
        name,
        ready: { name, ...emulator.ready },
        hostKeyLine: emulator.hostKeyLine,
        control: emulator.control,
        emulator,
      };
      byName.set(name, box);
      if (!aborted()) opts.onReady?.(box);
    } catch (err) {
      failure ??= new Error(`${name} did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  try {
    await pool(names, concurrency, aborted, (name) => startBox(name));
  } finally {
    if (template) await fs.rm(template.dir, { recursive: true, force: true });
  }

  const boxes = names.map((n) => byName.get(n)).filter((b): b is FleetBox => b !== undefined);
  let server: ControlServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await server?.close();
      // A handful at a time: each stop runs a few short commands (ip netns del, kill, rm).
      await pool(
        boxes,
        8,
        () => false,
        (b) => b.emulator.stop(),
      );
    })());

  if (failure || opts.signal?.aborted) {
    await stop();
    throw failure ?? new Error('The fleet start was cancelled; every box that had started is stopped.');
  }

  const control: FleetControl = {
    async linkDown() {
      await Promise.all(boxes.map((b) => b.control.linkDown()));
    },
    async linkUp() {
      await Promise.all(boxes.map((b) => b.control.linkUp()));
    },
    async state() {
      const states = await Promise.all(boxes.map((b) => b.control.state()));
      return {
        fleet: boxes.length,
        boxes: boxes.map((b, i) => ({
          name: b.name,
          link: states[i]?.link ?? 'up',
          sshConnections: states[i]?.sshConnections ?? 0,
          control: b.ready.control,
        })),
      };
    },
  };

  return {
    boxes,
    control,
    startupMs: Date.now() - started,
    async serveControl(port = 0) {
      if (stopping) throw new Error('The fleet is stopped.');
      server ??= await startRouteServer(
        {
          '/link/down': { method: 'POST', handle: async () => (await control.linkDown(), { link: 'down' }) },
          '/link/up': { method: 'POST', handle: async () => (await control.linkUp(), { link: 'up' }) },
          '/state': { method: 'GET', handle: async () => ({ ...(await control.state()) }) },
        },
        port,
      );
      return server.url;
    },
    stop,
  };
}

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import {
  applyPresetCommand,
  budgetCommand,
  CliExit,
  devicesCommand,
  openConsole,
  qualifyOptionsFromEnv,
  presetsCommand,
  recorderCommand,
  type CliIo,
} from './cli-ops.js';
import { Console } from './core/console.js';
import { MemorySecretStore } from './core/store/secrets.js';
import { DEMO_DEVICE, seedDemoDevice, seedFleetDevices, seedMixedDevices } from './demo.js';
import { resetVpuCommand } from './cli-reset.js';
import { qualifyCommand } from './cli-qualify.js';
import { rollbackCommand } from './cli-rollback.js';
import { historyCommand } from './cli-history.js';
import { mixerCommand } from './cli-mixer.js';
import { defaultDataDir, packageRoot, rendererDir } from './paths.js';
import { parseMaxStartups } from './emulator/sshd-options.js';
import { MAX_FLEET } from './emulator/fleet-options.js';
import type { Fleet } from './emulator/fleet.js';
import { EMULATOR_KINDS, isEmulatorKind, kindTitle, type EmulatorKind } from './emulator/kinds/kinds.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Exit code for bad input on the command line (sysexits EX_USAGE), as the README documents. */
export const USAGE_EXIT = 64;

/** Digits only: `Number()` alone would take '', '0x1f40', '1e4' and ' 8 '. */
function wholeNumber(value: string, min: number, max: number, rule: string): number {
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(rule);
  return n;
}

function parsePort(value: string): number {
  return wholeNumber(value, 0, 65535, 'a port is a whole number from 0 to 65535 (0 picks a free one).');
}

function parseSeconds(value: string): number {
  const n = /^\d{1,4}(\.\d{1,3})?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 600)
    throw new InvalidArgumentError('a number of seconds from 0 to 600, for example 15.');
  return n;
}

function parseCommit(value: string): string {
  if (!/^[0-9a-f]{7,40}$/.test(value))
    throw new InvalidArgumentError('a commit id is 7 to 40 lowercase hex digits.');
  return value;
}

function parseProbation(value: string): number {
  return wholeNumber(value, 10, 1800, 'the probation window is a whole number of seconds from 10 to 1800.');
}

function parseFadeMs(value: string): number {
  return wholeNumber(
    value,
    100,
    5000,
    'a fade length in ms, a whole number from 100 to 5000 (for example 800).',
  );
}

function parseKbps(value: string): number {
  return wholeNumber(
    value,
    100,
    100_000,
    'a bitrate in kbit/s, a whole number from 100 to 100000 (for example 8000).',
  );
}

const io: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Open the store, run one scripted operation, close, and exit with its code. */
async function scripted(dataDir: string, run: (core: Console) => Promise<number>): Promise<void> {
  const core = await openConsole(path.resolve(dataDir), version());
  let code: number;
  try {
    code = await run(core);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    code = err instanceof CliExit ? err.code : 1;
  } finally {
    await core.close();
  }
  process.exit(code);
}

function parseMaxSessions(value: string): number {
  return wholeNumber(value, 1, 64, 'vpu-max-sessions is a whole number from 1 to 64.');
}

function parseSshdMaxStartups(value: string): string {
  try {
    return parseMaxStartups(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function parseCameras(value: string): number {
  return wholeNumber(value, 0, 8, 'cameras is a whole number from 1 to 8 (0 or 1 with --fleet).');
}

/** `--kind transcoder`, or with --fleet a list taken in turn: `--kind r58,transcoder,vms`. */
function parseKinds(value: string): EmulatorKind[] {
  const kinds = value.split(',').map((k) => k.trim());
  const bad = kinds.filter((k) => !isEmulatorKind(k));
  if (kinds.length === 0 || bad.length > 0)
    throw new InvalidArgumentError(
      `--kind is ${EMULATOR_KINDS.join(', ')} (or, with --fleet, a comma-separated list of them); got ${JSON.stringify(value)}.`,
    );
  return kinds as EmulatorKind[];
}

function parseSegmentSeconds(value: string): number {
  return wholeNumber(
    value,
    1,
    3600,
    '--segment-seconds is a whole number from 1 to 3600 (the VMS box default is 180).',
  );
}

function parseFleet(value: string): number {
  return wholeNumber(
    value,
    1,
    MAX_FLEET,
    `--fleet is how many boxes: a whole number from 1 to ${MAX_FLEET}.`,
  );
}

/** Cameras for one box (1–8, default 4) or for each box of a fleet (0 or 1, default 0). */
function camerasFor(cameras: number | undefined, fleet: number | undefined): number {
  if (fleet === undefined) {
    if (cameras === 0)
      throw new CliExit(USAGE_EXIT, 'A single emulated box has 1 to 8 cameras; 0 is for --fleet boxes.');
    return cameras ?? 4;
  }
  if (cameras !== undefined && cameras > 1)
    throw new CliExit(
      USAGE_EXIT,
      `Fleet boxes are light: --cameras 0 (no video, the default) or 1, not ${cameras}. Run one box without --fleet for more cameras.`,
    );
  return cameras ?? 0;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Build the renderer if it is not built yet, showing progress on stderr. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(path.join(rendererDir(), 'index.html'))) return;
  process.stderr.write('Building the console UI (first run)…\n');
  const { execa } = await import('execa');
  await execa('npx', ['electron-vite', 'build'], {
    cwd: packageRoot(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export interface WebOptions {
  host: string;
  port: number;
  dataDir: string;
}

export async function runWeb(
  opts: WebOptions,
): Promise<{ console: Console; url: string; close(): Promise<void> }> {
  if (!LOOPBACK.has(opts.host))
    process.stderr.write(
      `Warning: listening on ${opts.host}, not loopback. Anyone who can reach it and has the token can drive your devices.\n`,
    );
  await ensureBuilt();
  const core = await Console.open({
    dataDir: opts.dataDir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: version(),
    agentSocket: process.env['SSH_AUTH_SOCK'],
    ...qualifyOptionsFromEnv(process.env),
    // Tests shorten the 30 s watch after an applied change; nothing else should set it.
    ...(process.env['TALLY_APPLY_WATCH_MS']
      ? { applyWatchMs: Number(process.env['TALLY_APPLY_WATCH_MS']) }
      : {}),
  });
  for (const problem of core.store.problems) process.stderr.write(`Warning: ${problem}\n`);
  core.resumeConnections();
  // Loaded here, not at the top: the scriptable commands start faster without the web server and ws.
  const { startWebServer } = await import('./web/web-server.js');
  const server = await startWebServer({
    console: core,
    rendererDir: rendererDir(),
    host: opts.host,
    port: opts.port,
  });
  return {
    console: core,
    url: server.url,
    close: async () => {
      await server.close();
      await core.close();
    },
  };
}

function onSignals(close: () => Promise<void>): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    void close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

interface FleetRun {
  count: number;
  cameras: 0 | 1;
  kinds?: readonly EmulatorKind[];
  segmentSeconds?: number;
  stateDir?: string;
  sshdMaxStartups?: string;
  vpuMaxSessions?: number;
  verbose: boolean;
}

/**
 * Start a fleet of light boxes, printing each box's ready line as it comes and then the fleet control line. Ctrl-C
 * or SIGTERM, during the start or after, stops every box (and then `stopAlso`, e.g. the demo's console).
 */
async function startPrintedFleet(
  o: FleetRun,
  stopAlso: () => Promise<void> = async () => undefined,
): Promise<Fleet> {
  const { startFleet } = await import('./emulator/fleet.js');
  const abort = new AbortController();
  const starting = startFleet({
    count: o.count,
    cameras: o.cameras,
    ...(o.kinds ? { kinds: o.kinds } : {}),
    ...(o.segmentSeconds !== undefined ? { segmentSeconds: o.segmentSeconds } : {}),
    ...(o.stateDir ? { stateDir: o.stateDir } : {}),
    ...(o.sshdMaxStartups !== undefined ? { sshdMaxStartups: o.sshdMaxStartups } : {}),
    ...(o.vpuMaxSessions !== undefined ? { vpuMaxSessions: o.vpuMaxSessions } : {}),
    signal: abort.signal,
    onReady: (box) => process.stdout.write(`${JSON.stringify(box.ready)}\n`),
    ...(o.verbose ? { onLog: (box: string, line: string) => process.stderr.write(`${box}: ${line}\n`) } : {}),
  });
  // A cancelled start stops what it started before it settles, so waiting for it is the clean-up.
  onSignals(async () => {
    abort.abort();
    await stopAlso();
    const fleet = await starting.catch(() => undefined);
    await fleet?.stop();
  });
  let fleet;
  try {
    fleet = await starting;
  } catch (err) {
    if (abort.signal.aborted) return new Promise(() => undefined); // the signal handler exits
    throw new CliExit(1, err instanceof Error ? err.message : String(err));
  }
  const control = await fleet.serveControl();
  process.stdout.write(`${JSON.stringify({ fleet: fleet.boxes.length, control })}\n`);
  const what = o.kinds && o.kinds.some((k) => k !== 'r58') ? 'boxes' : 'light R58s';
  process.stderr.write(
    `${fleet.boxes.length} ${what} (${fleet.boxes[0]?.name}…${fleet.boxes.at(-1)?.name}) ready in ` +
      `${(fleet.startupMs / 1000).toFixed(1)} s. Link faults for all: POST ${control}/link/down, /link/up; ` +
      "each box's own faults at its control URL. Ctrl-C stops them all.\n",
  );
  return fleet;
}

/** `tally emulator --kind transcoder|vms`: one box, its ready line on stdout, Ctrl-C stops it. */
async function startPrintedBox(
  kind: EmulatorKind,
  o: {
    stateDir?: string;
    verbose?: boolean;
    segmentSeconds?: number;
    nvidia?: boolean;
    sshdMaxStartups?: string;
  },
): Promise<void> {
  const { startEmulator } = await import('./emulator/index.js');
  const starting = startEmulator({
    kind,
    ...(o.stateDir ? { stateDir: path.resolve(o.stateDir) } : {}),
    ...(o.segmentSeconds !== undefined ? { segmentSeconds: o.segmentSeconds } : {}),
    ...(o.nvidia ? { nvidia: true } : {}),
    ...(o.sshdMaxStartups !== undefined ? { sshdMaxStartups: o.sshdMaxStartups } : {}),
    onLog: o.verbose ? (line) => process.stderr.write(`device: ${line}\n`) : undefined,
  });
  onSignals(async () => {
    const emu = await starting.catch(() => undefined);
    await emu?.stop();
  });
  const emu = await starting;
  process.stdout.write(`${JSON.stringify(emu.ready)}\n`);
  process.stderr.write(
    `Emulated ${kindTitle(kind)} ready in ${emu.startupMs} ms: ssh -i ${emu.ready.ssh.identityFile} -p ${emu.ready.ssh.port} ` +
      `${emu.ready.ssh.user}@${emu.ready.ssh.host}. Faults at ${emu.ready.control}. Ctrl-C stops it.\n`,
  );
}

interface DemoRun {
  web: boolean;
  port: number;
  dataDir: string;
}

/** `tally demo`: one emulated R58 and the console with it added as demo-r58. */
async function singleDemo(o: DemoRun & { cameras: number }): Promise<void> {
  const { startEmulator } = await import('./emulator/index.js');
  const starting = startEmulator({ cameras: o.cameras });
  let stopConsole: () => Promise<void> = async () => undefined;
  onSignals(async () => {
    await stopConsole();
    const emu = await starting.catch(() => undefined);
    await emu?.stop();
  });
  const emu = await starting;
  process.stdout.write(`${JSON.stringify(emu.ready)}\n`);
  await seedDemoDevice(o.dataDir, emu);
  const web = await demoConsole(o, () => emu.stop());
  if (!web) return;
  stopConsole = web.close;
  const device = web.console.store.devices().find((d) => d.name === DEMO_DEVICE);
  if (device) await web.console.invoke('devices.connect', { id: device.id }, { owner: 'demo' });
  process.stdout.write(`Tally web console: ${web.url}\n`);
}

/**
 * The demo's console: the Electron window where this install has Electron (resolves once it is closed, after
 * `stopDevices`; nothing more to do), else web mode, whose console the caller connects and stops.
 */
async function demoConsole(
  o: DemoRun,
  stopDevices: () => Promise<void>,
): Promise<Awaited<ReturnType<typeof runWeb>> | undefined> {
  const bin = o.web ? undefined : electronBinary();
  if (bin) {
    await runElectron(bin, o.dataDir);
    await stopDevices();
    return undefined;
  }
  if (!o.web)
    process.stderr.write(
      'No Electron binary in this install (it cannot be downloaded here); using web mode.\n',
    );
  return runWeb({ host: '127.0.0.1', port: o.port, dataDir: o.dataDir });
}

/**
 * `tally demo --fleet N`: N light boxes (what `tally emulator --fleet N` prints, line for line) and the console with
 * every box added under its name, host keys trusted, all connecting.
 */
async function fleetDemo(o: DemoRun & { count: number; cameras: 0 | 1 }): Promise<void> {
  let stopConsole: () => Promise<void> = async () => undefined;
  const fleet = await startPrintedFleet({ count: o.count, cameras: o.cameras, verbose: false }, () =>
    stopConsole(),
  );
  await seedFleetDevices(o.dataDir, fleet.boxes);
  const web = await demoConsole(o, () => fleet.stop());
  if (!web) return;
  stopConsole = web.close;
  const names = new Set(fleet.boxes.map((b) => b.name));
  const boxes = web.console.store.devices().filter((d) => names.has(d.name));
  process.stdout.write(`Tally web console: ${web.url}\n`);
  // All at once: each box has its own sshd; one that fails says why in the console.
  await Promise.all(boxes.map((d) => web.console.invoke('devices.connect', { id: d.id }, { owner: 'demo' })));
}

/**
 * `tally demo --mixed`: one box of each kind (an R58 with one camera, a GPU transcoder, a VMS host with 60 s
 * segments), each added under its kind's name (demo-r58, demo-transcoder, demo-vms) with its profile, all connecting.
 */
async function mixedDemo(o: DemoRun & { cameras: 0 | 1 }): Promise<void> {
  let stopConsole: () => Promise<void> = async () => undefined;
  const fleet = await startPrintedFleet(
    { count: 3, cameras: o.cameras, kinds: EMULATOR_KINDS, segmentSeconds: 60, verbose: false },
    () => stopConsole(),
  );
  const added = await seedMixedDevices(o.dataDir, fleet.boxes);
  const web = await demoConsole(o, () => fleet.stop());
  if (!web) return;
  stopConsole = web.close;
  const devices = web.console.store.devices().filter((d) => added.includes(d.name));
  process.stdout.write(`Tally web console: ${web.url}\n`);
  await Promise.all(
    devices.map((d) => web.console.invoke('devices.connect', { id: d.id }, { owner: 'demo' })),
  );
}

/** The Electron binary, if this install has one. Never triggers electron's download-on-require. */
export function electronBinary(): string | undefined {
  const dir = path.join(packageRoot(), 'node_modules', 'electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const bin = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : undefined;
}

/** Run the desktop app until its window closes (bin/tally.mjs has built it, if it was not current). */
async function runElectron(bin: string, dataDir: string): Promise<void> {
  // Loaded here, not at the top: execa costs the scriptable commands ~0.1 s of start-up.
  const { execa } = await import('execa');
  await execa(bin, ['.', `--tally-data-dir=${dataDir}`], { cwd: packageRoot(), stdio: 'inherit' });
}

export function buildProgram(): Command {
  const program = new Command('tally')
    .description('Operator console for remote video devices.')
    .version(version())
    // Parse errors throw (see main) instead of exiting 1; every command below inherits this.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');

  program
    .command('web')
    .description(
      'Serve the console to a browser (loopback only by default; the printed URL carries the access token).',
    )
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 7420)
    .option('--data-dir <dir>', 'where devices, trusted host keys and the audit log live', defaultDataDir())
    .action(async (o: { host: string; port: number; dataDir: string }) => {
      const web = await runWeb({ host: o.host, port: o.port, dataDir: path.resolve(o.dataDir) });
      process.stdout.write(`Tally web console: ${web.url}\n`);
      onSignals(web.close);
    });

  program
    .command('start')
    .description('Start the desktop console (Electron); falls back to web mode where Electron cannot run.')
    .option('--data-dir <dir>', 'data directory', defaultDataDir())
    .action(async (o: { dataDir: string }) => {
      const bin = electronBinary();
      if (!bin) {
        process.stderr.write(
          'No Electron binary in this install (it cannot be downloaded here); starting web mode instead.\n',
        );
        const web = await runWeb({ host: '127.0.0.1', port: 7420, dataDir: path.resolve(o.dataDir) });
        process.stdout.write(`Tally web console: ${web.url}\n`);
        onSignals(web.close);
        return;
      }
      await runElectron(bin, path.resolve(o.dataDir));
    });

  program
    .command('emulator')
    .description(
      'Start one emulated R58 recorder box on this machine (needs root). Prints one JSON line when it is ready ' +
        '(ssh, whep, control, profile) and runs until Ctrl-C or SIGTERM, then removes what it made. With ' +
        '--fleet N, N light boxes (box01…, no video): one such line per box plus "name", then one line with the ' +
        'fleet control URL (POST /link/down, POST /link/up, GET /state).',
    )
    .option('--fleet <n>', `start this many light boxes (1–${MAX_FLEET}) for fleet tests`, parseFleet)
    .option(
      '--kind <kind>',
      `which box: ${EMULATOR_KINDS.join(', ')} (default r58); with --fleet a comma-separated list the boxes take in turn`,
      parseKinds,
    )
    .option(
      '--segment-seconds <s>',
      'vms: seconds per recording segment (1–3600, default 180 as on the seed box)',
      parseSegmentSeconds,
    )
    .option('--nvidia', 'vms: install an nvidia-smi that answers the encoder query')
    .option(
      '--cameras <n>',
      'cameras cam0…camN-1 (1–8, default 4; with --fleet 0 or 1, default 0)',
      parseCameras,
    )
    .option(
      '--state-dir <dir>',
      'keep the keys, the recorder repo, the home directory and /var here across runs',
    )
    .option('--vpu-proc', 'show /proc/mpp_service instead of debugfs (not possible here; it says why)')
    .option('--verbose', "copy the device's own log to stderr")
    .option(
      '--h265 <cameras>',
      'these cameras (e.g. cam3) encode H.265, which WebRTC cannot play',
      (v: string) =>
        v
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
    )
    .option('--no-ice-tcp', "MediaMTX without ICE-TCP (webrtcLocalTCPAddress: '')")
    .option(
      '--vpu-max-sessions <n>',
      'VPU sessions the kernel allows before refusing (default 8, the practical limit; 16 is the theoretical one)',
      parseMaxSessions,
    )
    .option(
      '--sshd-max-startups <spec>',
      "the device sshd's MaxStartups, start:rate:full or one number (default OpenSSH's 10:30:100)",
      parseSshdMaxStartups,
    )
    .action(
      async (o: {
        fleet?: number;
        cameras?: number;
        stateDir?: string;
        vpuProc?: boolean;
        verbose?: boolean;
        h265?: string[];
        iceTcp: boolean;
        vpuMaxSessions?: number;
        sshdMaxStartups?: string;
        kind?: EmulatorKind[];
        segmentSeconds?: number;
        nvidia?: boolean;
      }) => {
        const kinds = o.kind ?? ['r58'];
        if (o.fleet === undefined && kinds.length > 1)
          throw new CliExit(USAGE_EXIT, `One box has one kind; a list (${kinds.join(',')}) is for --fleet.`);
        if ((o.segmentSeconds !== undefined || o.nvidia) && !kinds.includes('vms'))
          throw new CliExit(
            USAGE_EXIT,
            '--segment-seconds and --nvidia are options of a vms box: add --kind vms.',
          );
        if (o.nvidia && o.fleet !== undefined)
          throw new CliExit(USAGE_EXIT, '--nvidia is for one vms box, not a fleet.');
        const kind = kinds[0] ?? 'r58';
        if (o.fleet === undefined && kind !== 'r58') {
          const r58Only = [
            o.cameras !== undefined ? '--cameras' : '',
            o.vpuProc ? '--vpu-proc' : '',
            o.h265 ? '--h265' : '',
            o.iceTcp ? '' : '--no-ice-tcp',
            o.vpuMaxSessions !== undefined ? '--vpu-max-sessions' : '',
          ].filter(Boolean);
          if (r58Only.length > 0)
            throw new CliExit(
              USAGE_EXIT,
              `${r58Only.join(', ')} ${r58Only.length > 1 ? 'are' : 'is'} for an r58 box, not a ${kind} box.`,
            );
          await startPrintedBox(kind, o);
          return;
        }
        const cameras = camerasFor(o.cameras, o.fleet);
        if (o.fleet !== undefined) {
          const light = [
            o.vpuProc ? '--vpu-proc' : '',
            o.h265 ? '--h265' : '',
            o.iceTcp ? '' : '--no-ice-tcp',
          ].filter(Boolean);
          if (light.length > 0)
            throw new CliExit(
              USAGE_EXIT,
              `${light.join(', ')} cannot be used with --fleet: fleet boxes are light (no video). Leave ${light.length > 1 ? 'them' : 'it'} out, or run one box without --fleet.`,
            );
          await startPrintedFleet({
            count: o.fleet,
            cameras: cameras === 1 ? 1 : 0,
            ...(o.kind ? { kinds } : {}),
            ...(o.segmentSeconds !== undefined ? { segmentSeconds: o.segmentSeconds } : {}),
            ...(o.stateDir ? { stateDir: path.resolve(o.stateDir) } : {}),
            ...(o.sshdMaxStartups !== undefined ? { sshdMaxStartups: o.sshdMaxStartups } : {}),
            ...(o.vpuMaxSessions !== undefined ? { vpuMaxSessions: o.vpuMaxSessions } : {}),
            verbose: !!o.verbose,
          });
          return;
        }
        const cameraNames = Array.from({ length: cameras }, (_, i) => `cam${i}`);
        const unknown = (o.h265 ?? []).filter((c) => !cameraNames.includes(c));
        if (unknown.length > 0)
          throw new CliExit(
            USAGE_EXIT,
            `--h265 names ${unknown.join(', ')}, which this device does not have: it has ${cameraNames.join(', ')}.`,
          );
        const { startEmulator } = await import('./emulator/index.js');
        const starting = startEmulator({
          cameras,
          stateDir: o.stateDir ? path.resolve(o.stateDir) : undefined,
          vpuProc: o.vpuProc,
          ...(o.h265 ? { h265Cameras: o.h265 } : {}),
          iceTcp: o.iceTcp,
          ...(o.vpuMaxSessions !== undefined ? { vpuMaxSessions: o.vpuMaxSessions } : {}),
          ...(o.sshdMaxStartups !== undefined ? { sshdMaxStartups: o.sshdMaxStartups } : {}),
          onLog: o.verbose ? (line) => process.stderr.write(`device: ${line}\n`) : undefined,
        });
        // Ctrl-C during start-up still cleans up: wait for the start to settle, then stop.
        onSignals(async () => {
          const emu = await starting.catch(() => undefined);
          if (!emu) return;
          await emu.stop();
          if (!emu.device.temporaryState)
            process.stderr.write(
              `Stopped. Kept in ${emu.device.stateDir}: keys/, opt/ (the recorder repo), home/, var/upper, etc-rw/upper.\n`,
            );
        });
        const emu = await starting;
        process.stdout.write(`${JSON.stringify(emu.ready)}\n`);
        process.stderr.write(
          `Emulated R58 ready in ${emu.startupMs} ms: ssh -i ${emu.ready.ssh.identityFile} -p ${emu.ready.ssh.port} ` +
            `${emu.ready.ssh.user}@${emu.ready.ssh.host}. Ctrl-C stops it.\n`,
        );
      },
    );

  program
    .command('demo')
    .description(
      'Start an emulated R58 and the console with it already added as demo-r58 (host key trusted): Electron ' +
        'where it can run, web mode otherwise. Prints the emulator ready line and the console URL line.',
    )
    .option('--web', 'web mode even where Electron could run')
    .option('--port <n>', 'web mode port (0 picks a free one)', parsePort, 7420)
    .option(
      '--fleet <n>',
      `N light emulated boxes (box01…, no video) instead of one, all added and connecting (1–${MAX_FLEET})`,
      parseFleet,
    )
    .option(
      '--mixed',
      'one box of each kind (an R58, a GPU transcoder, a VMS host), all added and connecting',
    )
    .option(
      '--cameras <n>',
      'cameras on the emulated device (1–8, default 4; with --fleet 0 or 1, default 0)',
      parseCameras,
    )
    .option(
      '--data-dir <dir>',
      'the demo console state (kept apart from your real devices; the fleet demo has its own by default)',
    )
    .action(
      async (o: {
        web?: boolean;
        port: number;
        fleet?: number;
        cameras?: number;
        dataDir?: string;
        mixed?: boolean;
      }) => {
        if (o.mixed) {
          if (o.fleet !== undefined)
            throw new CliExit(USAGE_EXIT, '--mixed starts its own three boxes: leave out --fleet.');
          if (o.cameras !== undefined && o.cameras > 1)
            throw new CliExit(
              USAGE_EXIT,
              `The mixed demo's R58 is light: --cameras 0 or 1 (default 1), not ${o.cameras}.`,
            );
          await mixedDemo({
            cameras: o.cameras === 0 ? 0 : 1,
            web: !!o.web,
            port: o.port,
            dataDir: path.resolve(o.dataDir ?? `${defaultDataDir()}-demo-mixed`),
          });
          return;
        }
        const cameras = camerasFor(o.cameras, o.fleet);
        if (o.fleet !== undefined) {
          await fleetDemo({
            count: o.fleet,
            cameras: cameras === 1 ? 1 : 0,
            web: !!o.web,
            port: o.port,
            dataDir: path.resolve(o.dataDir ?? `${defaultDataDir()}-demo-fleet`),
          });
          return;
        }
        await singleDemo({
          web: !!o.web,
          port: o.port,
          cameras,
          dataDir: path.resolve(o.dataDir ?? `${defaultDataDir()}-demo`),
        });
      },
    );

  const dataDirOption = ['--data-dir <dir>', 'the same data directory as the app', defaultDataDir()] as const;
  const timeoutOption = ['--timeout <s>', 'seconds to wait for a connection', parseSeconds, 15] as const;

  program
    .command('devices')
    .description('List the devices with their host and connection state (connects to each).')
    .option(...dataDirOption)
    .option(...timeoutOption)
    .option('--json', 'print JSON')
    .action((o: { dataDir: string; timeout: number; json?: boolean }) =>
      scripted(o.dataDir, (core) =>
        devicesCommand(core, io, { timeoutMs: o.timeout * 1000, json: !!o.json }),
      ),
    );

  program
    .command('presets')
    .description(
      'The encoder presets (h264-hw is the proven config) with their VPU cost, WHEP support and CPU per stream.',
    )
    .option(...dataDirOption)
    .option('--json', 'print JSON')
    .action((o: { dataDir: string; json?: boolean }) =>
      scripted(o.dataDir, (core) => presetsCommand(core, io, { json: !!o.json })),
    );

  program
    .command('apply-preset')
    .description(
      'Switch cameras to a preset: shows the config.yml diff and the VPU budget, then one job on the device writes, ' +
        'commits, restarts and watches it for 30 s, going back by itself when unhealthy. Exits 0 healthy, ' +
        '5 went back by itself, 1 failed, 2 refused (dangerous, over budget, dirty repo: nothing touched), ' +
        '6 interrupted by a VPU reset, 75 busy.',
    )
    .argument('<device>', 'device name')
    .argument('<preset>', 'preset id (tally presets)')
    .option('--cameras <list>', 'all, or names such as cam0,cam1', 'all')
    .option('--bitrate <kbps>', 'bitrate in kbit/s', parseKbps)
    .option('--encoder <text>', 'a custom encoder, e.g. "mpph264enc qp-init=26 bps=6000000"')
    .option('--override-danger', 'apply a known-dangerous setting anyway (written to the audit log)')
    .option(...dataDirOption)
    .option(...timeoutOption)
    .action(
      (
        device: string,
        preset: string,
        o: {
          cameras: string;
          bitrate?: number;
          encoder?: string;
          overrideDanger?: boolean;
          dataDir: string;
          timeout: number;
        },
      ) =>
        scripted(o.dataDir, (core) =>
          applyPresetCommand(core, io, device, preset, {
            cameras: o.cameras,
            ...(o.bitrate !== undefined ? { bitrate: o.bitrate } : {}),
            ...(o.encoder !== undefined ? { encoder: o.encoder } : {}),
            overrideDanger: !!o.overrideDanger,
            timeoutMs: o.timeout * 1000,
          }),
        ),
    );

  program
    .command('recorder')
    .description(
      'The recorder service: start, stop, restart or status. Stopping while recording needs --yes.',
    )
    .argument('<device>', 'device name')
    .argument('<action>', 'start | stop | restart | status')
    .option('--yes', 'end running recordings (they are finalised first)')
    .option(...dataDirOption)
    .option(...timeoutOption)
    .action((device: string, action: string, o: { yes?: boolean; dataDir: string; timeout: number }) =>
      scripted(o.dataDir, (core) =>
        recorderCommand(core, io, device, action, { yes: !!o.yes, timeoutMs: o.timeout * 1000 }),
      ),
    );

  program
    .command('budget')
    .description(
      "A plan's VPU sessions and CPU against the device's limits: the device's current config.yml, or --plan FILE " +
        '(YAML or JSON). Exits 0 within the safe limits, 1 when either only warns, 2 when either refuses.',
    )
    .argument('<device>', 'device name')
    .option(
      '--plan <file>',
      'a plan: {cameras: [{name, recordingEncoder, previewEncoder, mixerDecoder}], mixerOutput}',
    )
    .option(...dataDirOption)
    .option(...timeoutOption)
    .action((device: string, o: { plan?: string; dataDir: string; timeout: number }) =>
      scripted(o.dataDir, (core) =>
        budgetCommand(core, io, device, { ...(o.plan ? { plan: o.plan } : {}), timeoutMs: o.timeout * 1000 }),
      ),
    );

  program
    .command('history')
    .description(
      "The recorder checkout's commits that touch the encoder (config.yml, src/pipelines.py), newest first: " +
        'short sha, date, badges (HEAD, known-good, failed qualification, dangerous, Tally or by hand), the ' +
        'encoder it selects and its subject. Reads only.',
    )
    .argument('<device>', 'device name')
    .option('--json', 'the whole history as JSON, config.yml diffs included')
    .option(...dataDirOption)
    .option(...timeoutOption)
    .action((device: string, o: { json?: boolean; dataDir: string; timeout: number }) =>
      scripted(o.dataDir, (core) =>
        historyCommand(core, io, device, { json: !!o.json, timeoutMs: o.timeout * 1000 }),
      ),
    );

  program
    .command('reset-vpu')
    .description(
      "Seed 002's emergency VPU reset as one detached job on the device: recordings stopped with EOS, only the " +
        'processes holding VPU sessions killed, media server and recorder restarted, cameras brought up one at a ' +
        'time. Asks first unless --yes. Exits 0 only when the device ended healthy; 3 when it needs a reboot.',
    )
    .argument('<device>', 'device name')
    .option('--yes', 'do not ask (the plan is still printed)')
    .option(
      '--interrupt',
      'interrupt the operation holding the device (it stops at a safe point); else exit 75',
    )
    .option(...dataDirOption)
    .option(...timeoutOption)
    .action((device: string, o: { yes?: boolean; interrupt?: boolean; dataDir: string; timeout: number }) =>
      scripted(o.dataDir, (core) =>
        resetVpuCommand(core, io, device, {
          yes: !!o.yes,
          interrupt: !!o.interrupt,
          timeoutMs: o.timeout * 1000,
          interactive: process.stdin.isTTY === true,
        }),
      ),
    );

  program
    .command('mixer')
    .description(
      "The device's scene mixer: status (what is on Program and Preview, as the device reports it), scenes (one a " +
        'line, id first), take <scene> [--fade MS] (applied at most once, dropped if late), start [--scene ID], ' +
        'stop. Take exits 0 applied, 2 refused (budget, inputs), 3 not confirmed, 5 expired; start/stop 75 busy.',
    )
    .argument('<device>', 'device name')
    .argument('<action>', 'status | scenes | take | start | stop')
    .argument('[scene]', 'the scene id, for take')
    .option('--fade <ms>', 'fade over this many ms instead of a cut', parseFadeMs)
    .option('--scene <id>', 'for start: the scene on Program at start')
    .option(...dataDirOption)
    .option(...timeoutOption)
    .action(
      (
        device: string,
        action: string,
        scene: string | undefined,
        o: { fade?: number; scene?: string; dataDir: string; timeout: number },
      ) =>
        scripted(o.dataDir, (core) =>
          mixerCommand(core, io, device, action, {
            ...((scene ?? o.scene) ? { scene: scene ?? o.scene } : {}),
            ...(o.fade !== undefined ? { fade: o.fade } : {}),
            timeoutMs: o.timeout * 1000,
          }),
        ),
    );

  program
    .command('rollback')
    .description(
      'Roll the recorder checkout back to a commit as one detached job on the device: HEAD kept under a backup ' +
        'ref, the target committed on top, the recorder restarted and the board watched for the probation window; ' +
        'an unhealthy board goes back by itself. Exits 0 healthy, 5 reverted by itself, 1 failed, 2 refused, ' +
        '4 not confirmed, 75 busy.',
    )
    .argument('<device>', 'device name')
    .option('--to <sha>', 'the commit to roll back to (7 to 40 hex digits)', parseCommit)
    .option('--last-good', 'the newest earlier commit that passed qualification on this board')
    .option('--probation <s>', 'seconds the board must stay healthy (10 to 1800; default 60)', parseProbation)
    .option('--override-budget', 'go ahead although the target is over the VPU practical limit (audited)')
    .option('--yes', 'do not ask (the plan is still printed)')
    .option(...dataDirOption)
    .option(...timeoutOption)
    .action(
      (
        device: string,
        o: {
          to?: string;
          lastGood?: boolean;
          probation?: number;
          overrideBudget?: boolean;
          yes?: boolean;
          dataDir: string;
          timeout: number;
        },
      ) =>
        scripted(o.dataDir, (core) => {
          if ((o.to === undefined) === !o.lastGood)
            throw new CliExit(
              USAGE_EXIT,
              'Say where to roll back to: --to SHA or --last-good (one of them).',
            );
          return rollbackCommand(core, io, device, {
            to: o.to ?? 'last-good',
            ...(o.probation !== undefined ? { probationS: o.probation } : {}),
            yes: !!o.yes,
            overrideBudget: !!o.overrideBudget,
            timeoutMs: o.timeout * 1000,
            interactive: process.stdin.isTTY === true,
          });
        }),
    );

  program
    .command('qualify')
    .description(
      "Qualify an encoder with seed 000's stability Tests 1-3 (a timed encode to a file, a sustained encode, an RTSP " +
        'push to MediaMTX) as one detached job on the device, the recorder stopped and restored; the result is kept ' +
        'as a git note on the commit. The current config unless --preset or --commit. Exits 0 passed, 1 failed, ' +
        '2 refused, 4 not confirmed, 64 bad input, 75 busy.',
    )
    .argument('<device>', 'device name')
    .option('--preset <id>', 'qualify a preset (tally presets lists them)')
    .option(
      '--commit <sha>',
      "qualify the encoder a commit's config.yml selects (7 to 40 hex digits)",
      parseCommit,
    )
    .option('--quick', 'the short variant: 10 s, 60 s, 10 s instead of 30 s, 5 min, 30 s')
    .option('--yes', 'do not ask (the plan is still printed)')
    .option(...dataDirOption)
    .option(...timeoutOption)
    .action(
      (
        device: string,
        o: {
          preset?: string;
          commit?: string;
          quick?: boolean;
          yes?: boolean;
          dataDir: string;
          timeout: number;
        },
      ) =>
        scripted(o.dataDir, (core) =>
          qualifyCommand(core, io, device, {
            ...(o.preset !== undefined ? { preset: o.preset } : {}),
            ...(o.commit !== undefined ? { commit: o.commit } : {}),
            quick: !!o.quick,
            yes: !!o.yes,
            timeoutMs: o.timeout * 1000,
            interactive: process.stdin.isTTY === true,
          }),
        ),
    );

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // Commander has printed its message (bad option value, unknown option or command, missing argument).
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT);
    if (err instanceof CliExit) {
      process.stderr.write(`${err.message}\n`);
      process.exit(err.code);
    }
    throw err;
  }
}

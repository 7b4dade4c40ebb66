import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { execa } from 'execa';
import { Console } from './core/console.js';
import { MemorySecretStore } from './core/store/secrets.js';
import { DEMO_DEVICE, seedDemoDevice } from './demo.js';
import { defaultDataDir, packageRoot, rendererDir } from './paths.js';
import { startWebServer } from './web/web-server.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one).');
  return n;
}

function parseCameras(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8)
    throw new InvalidArgumentError('cameras is a whole number from 1 to 8.');
  return n;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Build the renderer if it is not built yet, showing progress on stderr. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(path.join(rendererDir(), 'index.html'))) return;
  process.stderr.write('Building the console UI (first run)…\n');
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
  });
  for (const problem of core.store.problems) process.stderr.write(`Warning: ${problem}\n`);
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

/** The Electron binary, if this install has one. Never triggers electron's download-on-require. */
export function electronBinary(): string | undefined {
  const dir = path.join(packageRoot(), 'node_modules', 'electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const bin = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : undefined;
}

/** Build, then run the desktop app until its window closes. */
async function runElectron(bin: string, dataDir: string): Promise<void> {
  await execa('npx', ['electron-vite', 'build'], { cwd: packageRoot(), stdio: 'inherit' });
  await execa(bin, ['.', `--tally-data-dir=${dataDir}`], { cwd: packageRoot(), stdio: 'inherit' });
}

export function buildProgram(): Command {
  const program = new Command('tally')
    .description('Operator console for remote video devices.')
    .version(version());

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
        '(ssh, whep, control, profile) and runs until Ctrl-C or SIGTERM, then removes what it made.',
    )
    .option('--cameras <n>', 'cameras cam0…camN-1 (1–8)', parseCameras, 4)
    .option(
      '--state-dir <dir>',
      'keep the keys, the recorder repo, the home directory and /var here across runs',
    )
    .option('--vpu-proc', 'show /proc/mpp_service instead of debugfs (not possible here; it says why)')
    .option('--verbose', "copy the device's own log to stderr")
    .action(async (o: { cameras: number; stateDir?: string; vpuProc?: boolean; verbose?: boolean }) => {
      const { startEmulator } = await import('../test/emulator/index.js');
      const starting = startEmulator({
        cameras: o.cameras,
        stateDir: o.stateDir ? path.resolve(o.stateDir) : undefined,
        vpuProc: o.vpuProc,
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
    });

  program
    .command('demo')
    .description(
      'Start an emulated R58 and the console with it already added as demo-r58 (host key trusted): Electron ' +
        'where it can run, web mode otherwise. Prints the emulator ready line and the console URL line.',
    )
    .option('--web', 'web mode even where Electron could run')
    .option('--port <n>', 'web mode port (0 picks a free one)', parsePort, 7420)
    .option('--cameras <n>', 'cameras on the emulated device (1–8)', parseCameras, 4)
    .option(
      '--data-dir <dir>',
      'the demo console state (kept apart from your real devices)',
      `${defaultDataDir()}-demo`,
    )
    .action(async (o: { web?: boolean; port: number; cameras: number; dataDir: string }) => {
      const dataDir = path.resolve(o.dataDir);
      const { startEmulator } = await import('../test/emulator/index.js');
      const starting = startEmulator({ cameras: o.cameras });
      let stopConsole: () => Promise<void> = async () => undefined;
      onSignals(async () => {
        await stopConsole();
        const emu = await starting.catch(() => undefined);
        await emu?.stop();
      });
      const emu = await starting;
      process.stdout.write(`${JSON.stringify(emu.ready)}\n`);
      await seedDemoDevice(dataDir, emu);
      const bin = o.web ? undefined : electronBinary();
      if (bin) {
        await runElectron(bin, dataDir);
        await emu.stop();
        return;
      }
      if (!o.web)
        process.stderr.write(
          'No Electron binary in this install (it cannot be downloaded here); using web mode.\n',
        );
      const web = await runWeb({ host: '127.0.0.1', port: o.port, dataDir });
      stopConsole = web.close;
      const device = web.console.store.devices().find((d) => d.name === DEMO_DEVICE);
      if (device) await web.console.invoke('devices.connect', { id: device.id }, { owner: 'demo' });
      process.stdout.write(`Tally web console: ${web.url}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}

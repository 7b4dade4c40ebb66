/**
 * Scriptable operations: `tally devices | presets | apply-preset | recorder | budget`. They open the same store as
 * the app (`--data-dir`), go through the same Console commands, and say what happened in exit codes a script can
 * test. Passwords live in the desktop app's keychain, which a terminal cannot open: devices that log in with a
 * key or the SSH agent work here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  isLive,
  BudgetPlan,
  budgetVerdict,
  ConnectionState,
  type BudgetResult,
  type CameraView,
  type ConfigPreview,
  type DeviceStatus,
  type DeviceView,
  type Operation,
  type Preset,
  type RecorderControlResult,
  type RecorderState,
} from './contract/index.js';
import { Console, type ConsoleOptions } from './core/console.js';
import { MemorySecretStore } from './core/store/secrets.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Exit code of a command refused because another operation holds the device (sysexits' EX_TEMPFAIL). */
export const EXIT_BUSY = 75;

/** A failure with the exit code a script sees. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Every connection state but the two on the way: waiting ends at any of these. */
const SETTLED: DeviceStatus['state'][] = ConnectionState.options.filter(
  (s) => s !== 'disconnected' && s !== 'connecting',
);

export async function openConsole(dataDir: string, version: string): Promise<Console> {
  const core = await Console.open({
    dataDir,
    shell: 'cli',
    secrets: new MemorySecretStore(),
    version,
    agentSocket: process.env['SSH_AUTH_SOCK'],
    ...qualifyOptionsFromEnv(process.env),
    ...(process.env['TALLY_APPLY_WATCH_MS']
      ? { applyWatchMs: Number(process.env['TALLY_APPLY_WATCH_MS']) }
      : {}),
  });
  return core;
}

/**
 * Tests and demos shorten the qualification: `TALLY_QUALIFY_DURATIONS_S=3,5,3` (Test 1, 2, 3 in seconds, both
 * variants) and `TALLY_QUALIFY_FRAME=640x360@30` (the test source). Nothing else should set them.
 */
export function qualifyOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): Pick<ConsoleOptions, 'qualifyDurationsS' | 'qualifyFrame' | 'mixerOutput'> {
  const out: Pick<ConsoleOptions, 'qualifyDurationsS' | 'qualifyFrame' | 'mixerOutput'> = {};
  const n = (env['TALLY_QUALIFY_DURATIONS_S'] ?? '').split(',').map(Number);
  if (n.length === 3 && n.every((x) => Number.isInteger(x) && x >= 1 && x <= 3600)) {
    const d = n as [number, number, number];
    out.qualifyDurationsS = { full: d, quick: d };
  }
  const f = /^([0-9]{2,4})x([0-9]{2,4})@([0-9]{1,3})$/.exec(env['TALLY_QUALIFY_FRAME'] ?? '');
  if (f) out.qualifyFrame = { width: Number(f[1]), height: Number(f[2]), framerate: Number(f[3]) };
  // A smaller mixer program than the profile's, for tests and demos on a small machine: `TALLY_MIXER_OUTPUT=640x360`.
  const m = /^([0-9]{3,4})x([0-9]{2,4})$/.exec(env['TALLY_MIXER_OUTPUT'] ?? '');
  if (m) out.mixerOutput = { width: Number(m[1]), height: Number(m[2]) };
  return out;
}

export async function call<T>(core: Console, name: string, input: unknown): Promise<T> {
  const reply = await core.invoke(name, input, { owner: 'cli' });
  if (!reply.ok)
    throw new CliExit(
      reply.error.code === 'invalid_input' ? 64 : reply.error.code === 'busy' ? EXIT_BUSY : 1,
      reply.error.message,
    );
  return reply.result as T;
}

export async function findDevice(core: Console, nameOrId: string): Promise<DeviceView> {
  const devices = core.store.devices();
  const device = devices.find((d) => d.name === nameOrId) ?? devices.find((d) => d.id === nameOrId);
  if (!device)
    throw new CliExit(
      64,
      `No device named ${JSON.stringify(nameOrId)}. Known: ${devices.map((d) => d.name).join(', ') || 'none (add one in the app)'}.`,
    );
  return core.devices.view(device);
}

/** Connect and wait for the link; any other outcome is an error that says what to do. */
export async function connect(core: Console, device: DeviceView, timeoutMs: number): Promise<void> {
  await call(core, 'devices.connect', { id: device.id });
  const status = await core.connections
    .waitFor(device.id, SETTLED, timeoutMs)
    .catch(() => core.connections.status(device.id));
  if (isLive(status.state)) return;
  throw new CliExit(
    3,
    `${device.name} is ${status.state.replace('_', ' ')}: ${status.detail}${status.state === 'hostkey_unknown' ? ' Trust its key in the app first.' : ''}`,
  );
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export async function devicesCommand(
  core: Console,
  io: CliIo,
  opts: { timeoutMs: number; json: boolean },
): Promise<number> {
  const devices = await core.devices.list();
  await Promise.all(
    devices.map(async (d) => {
      await call(core, 'devices.connect', { id: d.id });
      await core.connections.waitFor(d.id, SETTLED, opts.timeoutMs).catch(() => undefined);
    }),
  );
  const rows = devices.map((d) => ({
    name: d.name,
    host: `${d.user}@${d.host}:${d.port}`,
    state: core.connections.status(d.id).state,
  }));
  if (opts.json) io.out(`${JSON.stringify(rows)}\n`);
  else if (rows.length === 0) io.out('No devices yet. Add one in the app (npx tally start).\n');
  else io.out(table([['NAME', 'HOST', 'STATE'], ...rows.map((r) => [r.name, r.host, r.state])]));
  return 0;
}

export async function presetsCommand(core: Console, io: CliIo, opts: { json: boolean }): Promise<number> {
  const presets = await call<Preset[]>(core, 'presets.list', {});
  if (opts.json) {
    io.out(`${JSON.stringify(presets)}\n`);
    return 0;
  }
  io.out(
    table([
      ['ID', 'ENCODER', 'VPU', 'WHEP', 'CPU/STREAM', 'WHAT'],
      ...presets.map((p) => [
        p.id,
        p.encoder.element,
        String(p.vpuSessions),
        p.whepPlayable ? 'yes' : 'no',
        p.cpu ? `${p.cpu.low}-${p.cpu.high}%` : '?',
        p.label,
      ]),
    ]),
  );
  return 0;
}

function budgetLine(b: BudgetResult): string {
  const per = b.perCamera.map((c) => `${c.name} ${c.sessions}`).join(', ');
  return (
    `VPU sessions: ${b.total} (safe ${b.safe}, practical ${b.practical})${per ? ` — ${per}` : ''}` +
    `${b.mixer ? `, mixer ${b.mixer}` : ''}${b.live !== null ? `; open now: ${b.live}` : ''}\n${b.verdict.toUpperCase()}: ${b.message}\n` +
    (b.cpu
      ? `CPU: ${Math.round(b.cpu.low)}-${Math.round(b.cpu.high)} % of the board (safe ${b.cpu.safe} %, practical ${b.cpu.practical} %)` +
        `${b.cpu.now !== null ? `; now: ${Math.round(b.cpu.now)} %` : ''}\n${b.cpu.verdict.toUpperCase()}: ${b.cpu.message}\n`
      : '')
  );
}

export async function budgetCommand(
  core: Console,
  io: CliIo,
  deviceName: string,
  opts: { plan?: string; timeoutMs: number },
): Promise<number> {
  const device = await findDevice(core, deviceName);
  let plan: BudgetPlan | undefined;
  if (opts.plan) {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(path.resolve(opts.plan), 'utf8'));
    } catch (err) {
      throw new CliExit(64, `Cannot read the plan ${opts.plan}: ${(err as Error).message}`);
    }
    const parsed = BudgetPlan.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliExit(
        64,
        `The plan ${opts.plan} is not valid at ${issue?.path.join('.') || 'the top'}: ${issue?.message}`,
      );
    }
    plan = parsed.data;
  } else {
    await connect(core, device, opts.timeoutMs);
  }
  const result = await call<BudgetResult>(core, 'budget.check', {
    deviceId: device.id,
    ...(plan ? { plan } : {}),
  });
  io.out(budgetLine(result));
  const verdict = budgetVerdict(result);
  return verdict === 'ok' ? 0 : verdict === 'warn' ? 1 : 2;
}

function describeOperation(op: Operation): string {
  return op.steps
    .map(
      (s) =>
        `  ${s.state === 'done' ? '✓' : s.state === 'failed' ? '✗' : s.state === 'skipped' ? '-' : '…'} ${s.name}${s.detail ? `: ${s.detail}` : ''}`,
    )
    .join('\n');
}

export async function applyPresetCommand(
  core: Console,
  io: CliIo,
  deviceName: string,
  preset: string,
  opts: { cameras: string; bitrate?: number; encoder?: string; overrideDanger: boolean; timeoutMs: number },
): Promise<number> {
  const device = await findDevice(core, deviceName);
  const change = {
    deviceId: device.id,
    preset,
    cameras:
      opts.cameras === 'all'
        ? 'all'
        : opts.cameras
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean),
    ...(opts.bitrate !== undefined ? { bitrateKbps: opts.bitrate } : {}),
    ...(opts.encoder !== undefined ? { encoder: opts.encoder } : {}),
    overrideDanger: opts.overrideDanger,
  };
  await connect(core, device, opts.timeoutMs);
  const preview = await call<ConfigPreview>(core, 'config.preview', change);
  io.out(preview.diff.endsWith('\n') ? preview.diff : `${preview.diff}\n`);
  io.out(budgetLine(preview.budget));
  if (preview.danger) io.err(`DANGER: ${preview.danger.reason}\n`);
  if (preview.blocked)
    throw new CliExit(2, `Not applied, nothing changed on ${device.name}: ${preview.blocked}`);
  io.err(`${await feedsLine(core, device)}\n`);
  let last = '';
  const done = new Promise<Operation>((resolve) => {
    const off = core.onEvent((name, payload) => {
      if (name !== 'operation.changed') return;
      const op = (payload as { operation: Operation }).operation;
      if (op.deviceId !== device.id) return;
      const text = describeOperation(op);
      if (text !== last) io.err(`${text}\n`);
      last = text;
      if (op.state !== 'running') {
        off();
        resolve(op);
      }
    });
  });
  const started = await call<Operation>(core, 'config.apply', change);
  const op = started.state === 'running' ? await done : started;
  io.out(`${op.summary}\n`);
  if (op.state === 'succeeded') {
    io.out(
      `Applied on ${device.name}${op.commit ? ` as commit ${op.commit.slice(0, 10)}` : ''}.` +
        (op.previousCommit
          ? ` The way back: tally rollback ${device.name} --to ${op.previousCommit.slice(0, 10)}\n`
          : '\n'),
    );
    return 0;
  }
  if (op.evidence.length > 0) io.err(`${op.evidence.join('\n')}\n`);
  if (op.state === 'reverted')
    throw new CliExit(
      5,
      `The change was unhealthy on ${device.name}; the device went back to ${op.previousCommit?.slice(0, 10) ?? 'the commit before'} by itself and is healthy again.`,
    );
  if (op.state === 'interrupted') throw new CliExit(6, op.summary);
  throw new CliExit(
    1,
    `The change did not come up cleanly on ${device.name}, and going back did not help either: see the evidence, or run the emergency VPU reset.`,
  );
}

/** What the recorder's restart cuts: the cameras live now, read just before the apply. */
async function feedsLine(core: Console, device: DeviceView): Promise<string> {
  const cameras = await call<CameraView[]>(core, 'cameras.list', { deviceId: device.id }).catch(() => null);
  const live = cameras?.filter((c) => c.online || c.signal === 'streaming').map((c) => c.name);
  if (live === undefined)
    return `Applying restarts the recorder on ${device.name}: every live camera feed drops for a few seconds.`;
  if (live.length === 0)
    return `Applying restarts the recorder on ${device.name}; no camera feed is live now.`;
  return `Applying restarts the recorder on ${device.name}: the live feeds of ${live.join(', ')} drop for a few seconds.`;
}

function stateLine(s: RecorderState): string {
  return (
    `${s.unit}: ${s.activeState} (${s.subState})${s.since ? ` since ${s.since}` : ''}` +
    `${s.mainPid ? `, main PID ${s.mainPid}` : ''}, ${s.restarts} restarts` +
    `${s.recordings.length ? `; recording: ${s.recordings.map((r) => `${r.camera} → ${r.file}`).join(', ')}` : ''}\n`
  );
}

export async function recorderCommand(
  core: Console,
  io: CliIo,
  deviceName: string,
  action: string,
  opts: { yes: boolean; timeoutMs: number },
): Promise<number> {
  if (!['start', 'stop', 'restart', 'status'].includes(action))
    throw new CliExit(64, `Unknown action ${JSON.stringify(action)}: use start, stop, restart or status.`);
  const device = await findDevice(core, deviceName);
  await connect(core, device, opts.timeoutMs);
  if (action === 'status') {
    const state = await call<RecorderState>(core, 'recorder.status', { deviceId: device.id });
    io.out(stateLine(state));
    return state.activeState === 'active' ? 0 : 3;
  }
  const result = await call<RecorderControlResult>(core, 'recorder.control', {
    deviceId: device.id,
    action,
    confirmed: opts.yes,
  });
  if (result.kind === 'confirm')
    throw new CliExit(4, `${result.message} Nothing was done; pass --yes to go ahead.`);
  io.out(stateLine(result.state));
  return 0;
}

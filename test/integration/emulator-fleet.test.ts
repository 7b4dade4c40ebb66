/**
 * A small emulated fleet as the console meets it: light boxes box01…box04, each with its own sshd, host key,
 * hostname and machine id; the VPU session file, the kernel log and the recorder read on each, with nothing to
 * alarm about; link faults on one box and on all at once; a start that fails half-way and a stop that leave
 * nothing behind.
 */
import { execFile } from 'node:child_process';
import { promises as fs, existsSync, readdirSync, readlinkSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Alarm,
  ConnectionState,
  DeviceProbe,
  EventName,
  EventPayload,
  RecorderState,
} from '../../src-main/contract/index.js';
import { Console } from '../../src-main/core/console.js';
import { sh } from '../../src-main/core/device/quote.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { seedFleetDevices } from '../../src-main/demo.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startFleet, type Fleet, type FleetBox } from '../../src-main/emulator/fleet.js';
import { until } from '../fixtures/until.js';

const run = promisify(execFile);
const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const LOST: ConnectionState[] = ['disconnected', 'connecting', 'unreachable'];
const COUNT = 4;

let fleet: Fleet;
let core: Console;
let coreClosed = false;
let dataDir: string;
const ids = new Map<string, string>();
const events: { name: string; payload: unknown }[] = [];

function payloads<N extends EventName>(name: N): EventPayload<N>[] {
  return events.filter((e) => e.name === name).map((e) => e.payload as EventPayload<N>);
}

function idOf(box: FleetBox): string {
  const id = ids.get(box.name);
  if (!id) throw new Error(`${box.name} is not in the console`);
  return id;
}

async function exec(
  box: FleetBox,
  cmd: ReturnType<typeof sh>,
): Promise<{ code: number | null; out: string }> {
  const r = await core.connections.exec(idOf(box), cmd, { timeoutMs: 20_000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

function state(box: FleetBox): ConnectionState {
  return core.connections.status(idOf(box)).state;
}

async function netnsNames(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** The PID namespace of the device's PID 1 (the launcher's child), as this machine sees it. */
function pidNamespace(box: FleetBox): string {
  const pid = box.emulator.device.pid;
  const child = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
  if (!child) throw new Error(`${box.name}'s launcher has no child`);
  return readlinkSync(`/proc/${child}/ns/pid`);
}

/** Processes of this machine that live in one of these PID namespaces. */
function processesIn(namespaces: Set<string>): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (namespaces.has(readlinkSync(`/proc/${entry}/ns/pid`))) found.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** The server's first line on a fresh TCP connection to port 22, with the connection left open. */
function sshBanner(host: string, opened: net.Socket[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(22, host);
    opened.push(socket);
    let text = '';
    const done = (value: string): void => resolve(value.trim());
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\n')) done(text.split('\n')[0] ?? '');
    });
    socket.on('close', () => done(text || 'closed'));
    socket.on('error', (e) => done(`error ${e.message}`));
    socket.setTimeout(10_000, () => done('no answer'));
  });
}

beforeAll(async () => {
  if (!ok) return;
  fleet = await startFleet({ count: COUNT, sshdMaxStartups: '3:100:10' });
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-fleet-'));
  await seedFleetDevices(dataDir, fleet.boxes);
  core = await Console.open({
    dataDir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 'test',
    knownHostsFiles: [],
    reconnect: { baseMs: 200, maxMs: 1000 },
    monitorRetryMs: 500,
  });
  core.onEvent((name, payload) => events.push({ name, payload }));
  const settings = await core.invoke(
    'settings.update',
    { keepaliveIntervalMs: 1000, keepaliveCountMax: 3 },
    { owner: 'test' },
  );
  if (!settings.ok) throw new Error(settings.error.message);
  for (const device of core.store.devices()) ids.set(device.name, device.id);
  await Promise.all(
    fleet.boxes.map((b) => core.invoke('devices.connect', { id: idOf(b) }, { owner: 'test' })),
  );
  await Promise.all(fleet.boxes.map((b) => core.connections.waitFor(idOf(b), ['connected'], 60_000)));
}, 120_000);

afterAll(async () => {
  if (!coreClosed) await core?.close();
  await fleet?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(!ok)(`a fleet of light emulated R58s${why}`, () => {
  it('prints a ready line per box: the single-box line plus its name, each box its own address and key', () => {
    expect(fleet.boxes.map((b) => b.name)).toEqual(['box01', 'box02', 'box03', 'box04']);
    for (const box of fleet.boxes) {
      expect(Object.keys(box.ready).sort()).toEqual(['control', 'name', 'profile', 'ssh', 'whep']);
      expect(box.ready).toMatchObject({
        name: box.name,
        profile: 'r58',
        ssh: { host: '127.0.0.1', user: 'linaro' },
      });
    }
    const distinct = (values: unknown[]): number => new Set(values).size;
    expect(distinct(fleet.boxes.map((b) => b.ready.ssh.port))).toBe(COUNT);
    expect(distinct(fleet.boxes.map((b) => b.ready.ssh.hostKeyFingerprint))).toBe(COUNT);
    expect(distinct(fleet.boxes.map((b) => b.ready.control))).toBe(COUNT);
  });

  it('each box answers SSH with the host key it printed, its own hostname and its own machine id', async () => {
    // The console trusted exactly the key each box printed, so a connected box presented that key.
    for (const box of fleet.boxes) expect(state(box)).toBe('connected');
    const machineIds = new Set<string>();
    for (const box of fleet.boxes) {
      const { code, out } = await exec(box, sh`hostname; cat /etc/machine-id; uname -n`);
      expect(code).toBe(0);
      const [hostname, machineId, uname] = out.trim().split('\n');
      expect(hostname).toBe(box.name);
      expect(uname).toBe(box.name);
      expect(machineId).toMatch(/^[0-9a-f]{32}$/);
      machineIds.add(machineId ?? '');
    }
    expect(machineIds.size).toBe(COUNT);
  });

  it('the console reads each box as an R58 with nothing running: VPU file, recorder, probe, no alarms', async () => {
    for (const box of fleet.boxes) {
      const id = idOf(box);
      const probe = await until(`${box.name} probed`, () =>
        payloads('device.probed')
          .map((p) => p.probe as DeviceProbe)
          .find((p) => p.deviceId === id),
      );
      expect(probe.vpu).toMatchObject({ file: '/sys/kernel/debug/mpp_service/session', readable: true });
      expect(probe.features.filter((f) => !f.available)).toEqual([]);
      expect(probe.mediamtx.answers).toBe(true);
      const recorder = await until(`${box.name}'s recorder read`, () =>
        payloads('recorder.state')
          .filter((p) => p.deviceId === id)
          .map((p) => p.state as RecorderState)
          .at(-1),
      );
      expect(recorder).toMatchObject({ activeState: 'active', recordings: [] });
      expect(recorder.recordingsProblem).toBeUndefined();
      const sample = await until(`${box.name} sampled`, () =>
        payloads('monitor.sample').find((p) => p.deviceId === id && p.sample.cpuPercent !== null),
      );
      expect(sample.sample.cores).toBe(8);
      // debugfs is root-only, as on the board; through sudo it lists no session.
      const asUser = await exec(box, sh`cat /sys/kernel/debug/mpp_service/session`);
      expect(asUser.code).not.toBe(0);
      expect(await exec(box, sh`sudo -n cat /sys/kernel/debug/mpp_service/session`)).toEqual({
        code: 0,
        out: '',
      });
    }
    const alarms = await core.invoke('alarms.list', {}, { owner: 'test' });
    expect(alarms.ok && (alarms.result as Alarm[])).toEqual([]);
  });

  it("a kernel line printed on one box reaches that box's kernel log and the console's follower, no other", async () => {
    const [, box02] = fleet.boxes;
    if (!box02) throw new Error('no box02');
    const text = `rk_vcodec: fleet test line on ${box02.name}`;
    await box02.control.kernel(text);
    const seen = (box: FleetBox): boolean =>
      payloads('monitor.kernel').some(
        (p) => p.deviceId === idOf(box) && p.lines.some((l) => l.text.includes(text)),
      );
    await until(`the console follows ${text}`, () => seen(box02));
    expect(fleet.boxes.filter((b) => seen(b)).map((b) => b.name)).toEqual([box02.name]);
    expect(
      (await exec(box02, sh`journalctl -k -n 5; sudo -n dmesg | tail -n 5`)).out.split(text).length,
    ).toBe(3);
  });

  it('an sshd with MaxStartups 3:100:10 refuses a fourth connection that has not logged in yet', async () => {
    const [box01] = fleet.boxes;
    if (!box01) throw new Error('no box01');
    const opened: net.Socket[] = [];
    try {
      const banners: string[] = [];
      for (let i = 0; i < 4; i++) banners.push(await sshBanner(box01.emulator.device.address, opened));
      expect(banners.slice(0, 3).every((b) => b.startsWith('SSH-2.0-OpenSSH'))).toBe(true);
      expect(banners[3]).toBe('Exceeded MaxStartups');
    } finally {
      for (const s of opened) s.destroy();
    }
  });

  it('link down on one box loses only that box; link up brings it back', async () => {
    const box03 = fleet.boxes[2];
    if (!box03) throw new Error('no box03');
    await box03.control.linkDown();
    try {
      await until(`${box03.name} lost`, () => LOST.includes(state(box03)));
      expect(fleet.boxes.filter((b) => b !== box03).map((b) => state(b))).toEqual([
        'connected',
        'connected',
        'connected',
      ]);
    } finally {
      await box03.control.linkUp();
    }
    await until(`${box03.name} back`, () => state(box03) === 'connected', 60_000);
    expect((await exec(box03, sh`hostname`)).out.trim()).toBe(box03.name);
  });

  it('link down for all at once loses every box; link up brings every box back', async () => {
    await fleet.control.linkDown();
    try {
      expect((await fleet.control.state()).boxes.map((b) => b.link)).toEqual([
        'down',
        'down',
        'down',
        'down',
      ]);
      await until('every box lost', () => fleet.boxes.every((b) => LOST.includes(state(b))));
    } finally {
      await fleet.control.linkUp();
    }
    await until('every box back', () => fleet.boxes.every((b) => state(b) === 'connected'), 60_000);
    expect((await fleet.control.state()).boxes.map((b) => b.link)).toEqual(['up', 'up', 'up', 'up']);
  });

  it('the fleet control server does link down/up for all and tells the state', async () => {
    const url = await fleet.serveControl();
    const post = async (p: string): Promise<unknown> =>
      (await fetch(`${url}${p}`, { method: 'POST' })).json();
    expect(await post('/link/down')).toEqual({ ok: true, link: 'down' });
    const down = (await (await fetch(`${url}/state`)).json()) as { fleet: number; boxes: { link: string }[] };
    expect(down.fleet).toBe(COUNT);
    expect(down.boxes.every((b) => b.link === 'down')).toBe(true);
    expect(await post('/link/up')).toEqual({ ok: true, link: 'up' });
    const wrong = await fetch(`${url}/link/up`);
    expect(wrong.status).toBe(405);
    await until('every box back', () => fleet.boxes.every((b) => state(b) === 'connected'), 60_000);
  });

  it('a start that fails half-way stops the boxes it started and says which box failed', async () => {
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-fleet-state-'));
    try {
      // box02's state directory cannot be made: a file is in its way.
      await fs.writeFile(path.join(stateDir, 'box02'), 'not a directory\n');
      const before = new Set(await netnsNames());
      await expect(startFleet({ count: 3, stateDir, concurrency: 1 })).rejects.toThrow(
        /^box02 did not start: /,
      );
      expect((await netnsNames()).filter((n) => !before.has(n))).toEqual([]);
      // box01 started and was stopped; its kept state (keys) stays, as --state-dir promises.
      expect(existsSync(path.join(stateDir, 'box01', 'keys', 'ssh_host_ed25519_key'))).toBe(true);
      expect(existsSync(path.join(stateDir, 'box03'))).toBe(false);
    } finally {
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });

  it('stop removes every namespace, process and temporary state directory (and may be called twice)', async () => {
    const namespaces = fleet.boxes.map((b) => b.emulator.device.netns);
    const pidNamespaces = new Set(fleet.boxes.map((b) => pidNamespace(b)));
    const launchers = fleet.boxes.map((b) => b.emulator.device.pid);
    const stateDirs = fleet.boxes.map((b) => b.emulator.device.stateDir);
    expect(processesIn(pidNamespaces).length).toBeGreaterThan(COUNT * 5);
    await core.close();
    coreClosed = true;
    await Promise.all([fleet.stop(), fleet.stop()]);
    await fleet.stop();
    const left = await netnsNames();
    expect(namespaces.filter((n) => left.includes(n))).toEqual([]);
    expect(processesIn(pidNamespaces)).toEqual([]);
    expect(launchers.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    expect(stateDirs.filter((d) => existsSync(d))).toEqual([]);
    await expect(fetch(`${fleet.boxes[0]?.ready.control ?? ''}/state`)).rejects.toThrow();
  });
});

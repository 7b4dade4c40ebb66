/**
 * The device side of the recorder against the emulated R58, over real SSH: the probe on connect, the recorder
 * unit's state and control (a stop while recording asks first, then finalises the file before systemd stops the
 * unit), the cameras from the recorder and MediaMTX, and the unit's journal.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraView, JournalEntry, RecorderState } from '../../src-main/contract/index.js';
import { loadProfile } from '../../src-main/core/device/profile.js';
import { sh, sudo } from '../../src-main/core/device/quote.js';
import { CameraReader } from '../../src-main/core/recorder/cameras.js';
import { probeCommand, probeDevice, probeFrom } from '../../src-main/core/recorder/probe.js';
import { RecorderApi } from '../../src-main/core/recorder/recorder-api.js';
import { RecorderService } from '../../src-main/core/recorder/recorder-service.js';
import { parseJournalEntry } from '../../src-main/core/recorder/unit-journal.js';
import { listRecordings } from '../../src-main/core/recorder/recordings.js';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { until } from '../fixtures/emulated-console.js';
import { connectedConsole, type SshConsole } from '../fixtures/ssh-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const profile = loadProfile('r58');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ok)(`recorder, probe and cameras on the emulated R58${why}`, () => {
  let emu: Emulator;
  let con: SshConsole;
  let id: string;
  let service: RecorderService;
  let api: RecorderApi;
  const states: RecorderState[] = [];
  const batches: JournalEntry[][] = [];

  /** What the console kept is one unbroken run of the device's own journal: nothing repeated, nothing skipped. */
  const expectTheDevicesJournal = async (): Promise<void> => {
    const kept = service.journal(id);
    const all = await con.manager.exec(id, sh`journalctl -u preke-recorder -o json --no-pager -n all`, {
      timeoutMs: 30_000,
    });
    const device = all.stdout.split('\n').flatMap((l) => parseJournalEntry(l)?.entry ?? []);
    expect(kept.length).toBeGreaterThan(0);
    expect(JSON.stringify(device)).toContain(JSON.stringify(kept).slice(1, -1));
  };

  beforeAll(async () => {
    emu = await startEmulator({ cameras: 4, stopTimeoutMs: 5000 });
    ({ con, id } = await connectedConsole({ ...emu.ready.ssh, knownHostsLine: emu.hostKeyLine }));
    service = new RecorderService({
      connections: con.manager,
      profileOf: () => profile,
      deviceName: () => 'demo-r58',
      onState: (_id, state) => states.push(state),
      onJournal: (_id, entries) => batches.push(entries),
      journalRetryMs: 500,
    });
    api = new RecorderApi(con.manager, id, profile);
    // The recorder's cameras take a moment to reach PLAYING after the unit starts.
    await until('4 cameras streaming', async () =>
      (await api.status()).summary.streaming === 4 ? true : undefined,
    );
  }, 120_000);

  afterAll(async () => {
    service?.close();
    await con?.close();
    await emu?.stop();
  }, 60_000);

  it('probes model, kernel, units, a clean repo at HEAD, MediaMTX and the recorder API in one command', async () => {
    const probe = await probeDevice(con.manager, id, profile, 'demo-r58');
    expect(probe.deviceId).toBe(id);
    expect(probe.model).toBe('Rockchip RK3588 R58 Board');
    expect(probe.kernel).toBe('5.10.160-rockchip-rk3588');
    expect(probe.units).toEqual([
      { name: 'preke-recorder', present: true, activeState: 'active' },
      { name: 'mediamtx', present: true, activeState: 'active' },
      { name: 'r58-pipeline', present: false, activeState: null },
      { name: 'r58-api', present: false, activeState: null },
    ]);
    expect(probe.vpu).toEqual({
      file: '/sys/kernel/debug/mpp_service/session',
      readable: true,
      problem: null,
    });
    const head = await con.manager.exec(id, sh`git -C ${profile.repo.path} rev-parse HEAD`);
    expect(probe.repo).toEqual({
      path: '/opt/preke-r58-recorder',
      present: true,
      head: head.stdout.trim(),
      subject: 'Switch to H.264 hardware encoding (mpph264enc)',
      dirty: false,
      dirtyFiles: [],
    });
    expect(probe.mediamtx).toEqual({ answers: true, detail: 'HTTP 200' });
    expect(probe.recorderApi).toEqual({ answers: true, detail: 'HTTP 200' });
    expect(probe.features.map((f) => [f.id, f.available, f.reason])).toEqual([
      ['recorder', true, null],
      ['cameras', true, null],
      ['presets', true, null],
      ['recordings', true, null],
      ['pipelines', true, null],
      ['vpu', true, null],
    ]);
  });

  it('reports the checkout dirty, naming the changed file, and clean again after git checkout', async () => {
    const config = path.posix.join(profile.repo.path, profile.repo.config);
    await con.manager.exec(id, sh`echo x >> ${config}`);
    try {
      const dirty = await probeDevice(con.manager, id, profile);
      expect(dirty.repo.dirty).toBe(true);
      expect(dirty.repo.dirtyFiles).toEqual(['config.yml']);
      expect(dirty.features.find((f) => f.id === 'presets')?.available).toBe(true);
    } finally {
      await con.manager.exec(id, sh`git -C ${profile.repo.path} checkout -- ${profile.repo.config}`);
    }
    const clean = await probeDevice(con.manager, id, profile);
    expect(clean.repo.dirty).toBe(false);
    expect(clean.repo.dirtyFiles).toEqual([]);
  });

  it('says what to do when the login has no sudo: the VPU file is root-only', async () => {
    const run = await con.manager.exec(
      id,
      sh`cd / && sudo -n -u nobody sh -c ${probeCommand(profile).text}`,
      {
        timeoutMs: 30_000,
      },
    );
    const probe = probeFrom(run.stdout, id, profile, 'demo-r58');
    expect(probe.vpu.readable).toBe(false);
    expect(probe.vpu.problem).toBe(
      'Neither /sys/kernel/debug/mpp_service/session nor /proc/mpp_service/sessions-summary is visible to linaro, ' +
        'and sudo -n asks for a password, so Tally cannot look as root (debugfs is root-only). ' +
        'Allow linaro passwordless sudo to see VPU sessions.',
    );
    expect(probe.features.find((f) => f.id === 'vpu')).toEqual({
      id: 'vpu',
      available: false,
      reason: probe.vpu.problem,
    });
    // Everything that needs no root is still found.
    expect(probe.model).toBe('Rockchip RK3588 R58 Board');
    expect(probe.repo.head).toMatch(/^[0-9a-f]{40}$/);
    expect(probe.features.find((f) => f.id === 'recorder')?.available).toBe(true);
  });

  it('shows the recorder unit active and running with its main PID', async () => {
    const state = await service.status(id);
    expect(state).toMatchObject({
      unit: 'preke-recorder',
      activeState: 'active',
      subState: 'running',
      restarts: 0,
      recordings: [],
    });
    expect(state.mainPid).toBeGreaterThan(1);
    const ps = await con.manager.exec(id, sh`ps -o comm= -p ${state.mainPid ?? 0}`);
    expect(ps.stdout.trim()).toBe('python3');
    expect(Date.parse(state.since ?? '')).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(states.at(-1)).toEqual(state);
  });

  it('asks before stopping a recording unit, then finalises the recording before stopping it', async () => {
    await api.startRecording(['cam0']);
    const [recording] = await api.recordStatus();
    expect(recording?.camera).toBe('cam0');
    const file = recording?.file ?? '';
    expect(path.posix.dirname(file)).toBe('/var/recordings');
    await sleep(2500);

    for (const action of ['stop', 'restart'] as const) {
      const asked = await service.control(id, action, false);
      expect(asked.kind).toBe('confirm');
      if (asked.kind !== 'confirm') return;
      // With when it started, as the recorder reports it (REC's running time on every screen).
      expect(asked.recordings).toEqual([{ camera: 'cam0', file, startedAt: expect.any(String) as unknown }]);
      expect(asked.message).toContain(path.posix.basename(file));
      expect(asked.message).toMatch(action === 'stop' ? /^Stopping preke-recorder/ : /^Restarting/);
    }
    // Asking changed nothing.
    expect((await service.status(id)).activeState).toBe('active');
    expect(await api.recordStatus()).toHaveLength(1);

    const done = await service.control(id, 'stop', true);
    expect(done.kind).toBe('done');
    if (done.kind !== 'done') return;
    expect(done.state.activeState).toBe('inactive');
    expect(done.state.mainPid).toBeNull();
    expect(done.state.recordings).toEqual([]);

    const files = await listRecordings(con.manager, id, profile, []);
    const finished = files.find((f) => f.path === file);
    expect(finished).toMatchObject({ codec: 'h264', container: 'mp4', active: false, problem: null });
    expect(finished?.durationS).toBeGreaterThan(1);
    expect(finished?.sizeBytes).toBeGreaterThan(1000);
    // The recorder logged a clean stop of the recording, before systemd stopped the unit.
    const log = await con.manager.exec(id, sh`journalctl -u preke-recorder -o cat --no-pager -n 60`);
    expect(log.stdout).toContain(`cam0: recording stopped, ${file}`);
  });

  it('starts the unit again: active, 4 cameras streaming and online, a bitrate from the second reading', async () => {
    const started = await service.control(id, 'start', false);
    expect(started.kind).toBe('done');
    if (started.kind !== 'done') return;
    expect(started.state.activeState).toBe('active');
    expect(started.state.mainPid).toBeGreaterThan(1);

    const reader = new CameraReader(con.manager, () => profile);
    const first = await until('the recorder answering', async () => {
      try {
        return await reader.list(id);
      } catch {
        return undefined;
      }
    });
    expect(first.every((c) => c.bitrateKbps === null)).toBe(true);
    const ready = await until('4 cameras streaming and online', async () => {
      const cams = await reader.list(id);
      return cams.length === 4 && cams.every((c) => c.signal === 'streaming' && c.online) ? cams : undefined;
    });
    expect(ready.map((c) => c.name)).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
    await sleep(1000);
    const second = await reader.list(id);
    for (const cam of second)
      expect(cam).toMatchObject<Partial<CameraView>>({
        signal: 'streaming',
        detail: 'streaming (640x360)',
        resolution: '640x360',
        codec: 'H264',
        readers: 0,
        online: true,
      });
    expect(second.every((c) => (c.bitrateKbps ?? 0) > 10)).toBe(true);
  });

  it('follows the unit journal in batches and resumes after a pause without repeating or losing an entry', async () => {
    service.startJournal(id);
    await until('the journal backlog', () => (service.journal(id).length > 0 ? true : undefined));
    const backlog = service.journal(id);
    expect(backlog.length).toBeLessThanOrEqual(200);
    expect(backlog.some((e) => e.message.includes('Uvicorn running on'))).toBe(true);
    expect(backlog.every((e) => Number.isInteger(e.priority) && e.at > 1_600_000_000_000)).toBe(true);
    await until('the backlog settled', async () => {
      const n = service.journal(id).length;
      await sleep(400);
      return service.journal(id).length === n ? true : undefined;
    });

    service.pauseJournal(id);
    const before = service.journal(id);
    const batchesBefore = batches.length;
    // Logged by the recorder while nobody follows its journal.
    await api.status();
    await api.recordStatus();
    await sleep(300);
    expect(batches.length).toBe(batchesBefore);

    service.startJournal(id);
    const fresh = await until('the entries logged during the pause', () => {
      const got = batches.slice(batchesBefore).flat();
      return got.some((e) => e.message.includes('GET /record/status')) ? got : undefined;
    });
    expect(fresh.some((e) => e.message.includes('GET /status'))).toBe(true);
    const after = service.journal(id);
    expect(after.slice(0, before.length)).toEqual(before);
    await expectTheDevicesJournal();
  });

  it('resumes the journal from its cursor after the link drops, with what was logged meanwhile', async () => {
    // What the Console does: follow while connected, pause otherwise.
    const off = con.manager.onStatus((deviceId, status) => {
      if (deviceId !== id) return;
      if (status.state === 'connected') service.startJournal(id);
      else service.pauseJournal(id);
    });
    try {
      service.startJournal(id);
      // Logged by the recorder while the link is down.
      await con.manager.exec(
        id,
        sh`setsid -f sh -c ${'sleep 2; curl -s http://127.0.0.1:8000/health > /dev/null'} < /dev/null > /dev/null 2>&1`,
      );
      await emu.control.linkDown();
      await until('the dead link noticed', () =>
        con.manager.status(id).state !== 'connected' ? true : undefined,
      );
      await sleep(1000);
      await emu.control.linkUp();
      await con.manager.waitFor(id, ['connected'], 30_000);
      await until('the entry logged during the outage', () =>
        service.journal(id).some((e) => e.message.includes('GET /health')) ? true : undefined,
      );
      // Give a repeated backlog the chance to arrive before judging.
      await sleep(1000);
      await expectTheDevicesJournal();
    } finally {
      off();
    }
  });

  it('needs sudo without a password to drive the unit, and says so', async () => {
    // Last: from here on linaro has no passwordless sudo.
    await con.manager.exec(id, sudo(sh`echo 'linaro ALL=(ALL:ALL) ALL' > /etc/sudoers`));
    await expect(service.control(id, 'restart', false)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(
        /^Tally cannot restart preke-recorder on demo-r58: sudo asks linaro for a password/,
      ),
    });
  });
});

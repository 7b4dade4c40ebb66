/**
 * The VMS recorder host of seed 004 as a kind of box, against the emulated one over real SSH (segments of a few
 * seconds instead of 3 minutes): the console finds what it is, reads its cameras from their processes, their CPU,
 * segments and live outputs, raises each fault's own alarm naming the box and closes it when the fault clears, and
 * restarts the unit only under the device's lease.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Alarm,
  AlarmKind,
  KindFinding,
  Reply,
  ServiceControlResult,
  ServiceLogLine,
  ServiceState,
  VmsState,
} from '../../src-main/contract/index.js';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { openEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const NAME = 'Venue VMS';
const CAM1 = 'Duc_Tai_Dendo_1';
const CAM2 = 'Duc_Tai_Dendo_2';

describe.skipIf(!ok)(`the emulated VMS recorder host as a kind of box${why}`, () => {
  let emu: Emulator;
  let t: EmulatedConsole;

  const fault = async (method: 'POST' | 'DELETE', what: string): Promise<void> => {
    const res = await fetch(`${t.emu.ready.control}/${what}`, { method });
    if (!res.ok) throw new Error(`${method} /${what}: HTTP ${res.status} ${await res.text()}`);
  };
  const alarms = (): Promise<Alarm[]> => t.call<Alarm[]>('alarms.list');
  const openAlarm = (kind: AlarmKind, timeoutMs = 90_000): Promise<Alarm> =>
    t.until(
      `a ${kind} alarm`,
      async () =>
        (await alarms()).find((a) => a.kind === kind && a.deviceId === t.deviceId && !a.acknowledged),
      timeoutMs,
    );
  const resolved = (alarm: Alarm, timeoutMs = 90_000): Promise<Alarm> =>
    t.until(
      `the ${alarm.kind} alarm to be closed by Tally`,
      async () => (await alarms()).find((a) => a.id === alarm.id && a.acknowledged?.by.startsWith('Tally')),
      timeoutMs,
    );
  const latest = (): VmsState | undefined =>
    t
      .payloads('segments.state')
      .filter((p) => p.state.deviceId === t.deviceId)
      .at(-1)?.state;
  const allWell = (): Promise<VmsState> =>
    t.until(
      'both cameras running, on schedule, with their outputs up',
      () => {
        const s = latest();
        return s &&
          s.cameras.length === 2 &&
          s.cameras.every((c) => c.state === 'running' && !c.late && c.live.state === 'up')
          ? s
          : undefined;
      },
      90_000,
    );

  beforeAll(async () => {
    emu = await startEmulator({ kind: 'vms', segmentSeconds: 4 });
    t = await openEmulatedConsole(emu, {
      console: { kindTimings: { segmentGraceS: 6, liveEveryMs: 4_000, cameraDownMs: 3_000 } },
    });
    // The box is named for the alarms' words: a producer's own name, not the demo's.
    const { ssh } = emu.ready;
    await t.call('devices.update', {
      id: t.deviceId,
      name: NAME,
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      auth: { kind: 'identityFile', path: path.resolve(ssh.identityFile) },
      profile: emu.ready.profile,
    });
  });
  afterAll(async () => {
    await t?.stop();
    await emu?.stop();
  });

  it('is found to be a VMS host, as its profile says', async () => {
    const finding = await t.until('the kind finding', () =>
      t.call<KindFinding | null>('device.kind', { deviceId: t.deviceId }).then((f) => f ?? undefined),
    );
    expect(finding).toMatchObject({ kind: 'vms', detected: 'vms', match: 'confirmed' });
    expect(finding.evidence.join('\n')).toMatch(/unit vms-recorder: active/);
    expect(finding.tabs).toContain('service');
    expect(finding.tabs).not.toContain('mixer');
  });

  it('shows the unit, each camera from its process with CPU, segments and its live output', async () => {
    await t.until('a monitor sample', () =>
      t.payloads('monitor.sample').find((p) => p.deviceId === t.deviceId),
    );
    const state = await allWell();
    expect(state.cameras.map((c) => c.camera)).toEqual([CAM1, CAM2]);
    for (const cam of state.cameras) {
      expect(cam.pids).toHaveLength(1);
      expect(cam.segmentS).toBe(4);
      expect(cam.newest?.name).toMatch(new RegExp(`^${cam.camera}_\\d{8}_\\d{6}\\.mp4$`));
      expect(cam.live).toMatchObject({ url: `rtsp://127.0.0.1:8554/live/${cam.camera}`, codec: 'h264' });
    }
    const withCpu = await t.until('per-camera CPU', () => {
      const s = latest();
      return s?.cameras.every((c) => c.cpuPercent !== null) ? s : undefined;
    });
    expect(withCpu.totalCpuPercent).toBeGreaterThan(0);
    const probed = await t.until('a closed segment probed', () =>
      latest()
        ?.cameras.flatMap((c) => c.recent)
        .find((s) => s.durationS !== null),
    );
    expect(probed.codec).toBe('hevc');
    const read = await t.call<VmsState>('segments.state', { deviceId: t.deviceId });
    expect(read.cameras).toHaveLength(2);
    const unit = await t.call<ServiceState>('service.state', { deviceId: t.deviceId });
    expect(unit).toMatchObject({
      manager: 'systemd',
      name: 'vms-recorder',
      state: 'running',
      runs: '/opt/vms/vms-recorder',
    });
    expect(unit.runsId).toMatch(/^[0-9a-f]{64}$/);
    const logs = await t.until('the unit journal naming a camera', async () => {
      const lines = await t.call<ServiceLogLine[]>('service.logs', { deviceId: t.deviceId, lines: 100 });
      return lines.some((l) => l.text.includes(CAM1)) ? lines : undefined;
    });
    expect(logs.every((l) => l.at !== null)).toBe(true);
  });

  it('raises "camera down" naming the box while a camera stays dead, and closes it when it is back', async () => {
    await fault('POST', `camera-kill?camera=${CAM2}&stay=1`);
    const alarm = await openAlarm('camera_down');
    expect(alarm).toMatchObject({ severity: 'critical', device: NAME });
    expect(alarm.detail).toContain(NAME);
    expect(alarm.title).toContain(CAM2);
    await fault('DELETE', `camera-kill?camera=${CAM2}`);
    await resolved(alarm);
    const late = (await alarms()).find((a) => a.kind === 'segment_late' && !a.acknowledged);
    if (late) await resolved(late);
  });

  it('raises "segment late" for a stalled camera whose process lives on, and closes it when it writes again', async () => {
    await allWell();
    await fault('POST', `camera-stall?camera=${CAM1}`);
    const alarm = await openAlarm('segment_late');
    expect(alarm).toMatchObject({ severity: 'critical', device: NAME });
    expect(alarm.detail).toContain(NAME);
    expect(alarm.detail).toContain(CAM1);
    const stalled = latest()?.cameras.find((c) => c.camera === CAM1);
    expect(stalled?.state).toBe('stalled');
    expect(stalled?.pids.length).toBeGreaterThan(0);
    await fault('DELETE', `camera-stall?camera=${CAM1}`);
    await resolved(alarm);
  });

  it('raises "output down" while a live output is down and recording goes on, and closes it when it is back', async () => {
    await allWell();
    await fault('POST', `output-down?camera=${CAM2}`);
    const alarm = await openAlarm('output_down');
    expect(alarm).toMatchObject({ severity: 'warning', device: NAME });
    expect(alarm.detail).toContain(NAME);
    expect(alarm.title).toContain(CAM2);
    expect(latest()?.cameras.find((c) => c.camera === CAM2)?.late).toBe(false);
    await fault('DELETE', `output-down?camera=${CAM2}`);
    await resolved(alarm);
  });

  it('asks before restarting the unit, and restarts it only under the lease', async () => {
    const before = await t.call<ServiceState>('service.state', { deviceId: t.deviceId });
    const asked = await t.call<ServiceControlResult>('service.control', {
      deviceId: t.deviceId,
      action: 'restart',
    });
    expect(asked.kind).toBe('confirm');
    expect(asked.message).toContain(CAM1);

    const other = await openEmulatedConsole(t.emu);
    const held = await other.core.leases.acquire(other.deviceId, {
      kind: 'test.hold',
      what: 'Hold the box for the test',
      follow: 'the test',
    });
    try {
      const refused: Reply = await t.core.invoke(
        'service.control',
        { deviceId: t.deviceId, action: 'restart', confirmed: true },
        { owner: 'test' },
      );
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error.code).toBe('busy');
    } finally {
      await held.release();
      await other.stop();
    }
    const done = await t.call<ServiceControlResult>('service.control', {
      deviceId: t.deviceId,
      action: 'restart',
      confirmed: true,
    });
    expect(done.kind).toBe('done');
    expect(done.state).toMatchObject({ state: 'running' });
    expect(done.state.pid).not.toBe(before.pid);
    await allWell();
  });
});

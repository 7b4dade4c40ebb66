/**
 * The GPU transcoder of seed 003 as a kind of box, against the emulated one over real SSH: the console finds what it
 * is, reads its container, health, metrics and GPU, raises each fault's own alarm naming the box and closes it when
 * the fault clears, and restarts the container only under the device's lease.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Alarm,
  AlarmKind,
  AuditEntry,
  HealthHistory,
  KindFinding,
  Reply,
  ServiceControlResult,
  ServiceLogLine,
  ServiceState,
} from '../../src-main/contract/index.js';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { openEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const NAME = 'Venue transcoder';

describe.skipIf(!ok)(`the emulated GPU transcoder as a kind of box${why}`, () => {
  let emu: Emulator;
  let t: EmulatedConsole;

  const fault = async (method: 'POST' | 'DELETE', what: string): Promise<void> => {
    const res = await fetch(`${t.emu.ready.control}/${what}`, { method });
    if (!res.ok) throw new Error(`${method} /${what}: HTTP ${res.status} ${await res.text()}`);
  };
  const alarms = (): Promise<Alarm[]> => t.call<Alarm[]>('alarms.list');
  const openAlarm = (kind: AlarmKind, timeoutMs = 60_000): Promise<Alarm> =>
    t.until(
      `a ${kind} alarm`,
      async () =>
        (await alarms()).find((a) => a.kind === kind && a.deviceId === t.deviceId && !a.acknowledged),
      timeoutMs,
    );
  const resolved = (alarm: Alarm, timeoutMs = 60_000): Promise<Alarm> =>
    t.until(
      `the ${alarm.kind} alarm to be closed by Tally`,
      async () => (await alarms()).find((a) => a.id === alarm.id && a.acknowledged?.by.startsWith('Tally')),
      timeoutMs,
    );
  const audit = async (): Promise<AuditEntry[]> =>
    (await fs.readFile(path.join(t.dataDir, 'audit.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);

  beforeAll(async () => {
    emu = await startEmulator({ kind: 'transcoder' });
    t = await openEmulatedConsole(emu, { console: { kindTimings: { restartsQuietMs: 6_000 } } });
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

  it('is found to be a transcoder, as its profile says, with the service tab and no recorder', async () => {
    const finding = await t.until('the kind finding', () =>
      t.call<KindFinding | null>('device.kind', { deviceId: t.deviceId }).then((f) => f ?? undefined),
    );
    expect(finding).toMatchObject({ kind: 'transcoder', detected: 'transcoder', match: 'confirmed' });
    expect(finding.evidence.join('\n')).toMatch(/container xg2g-transcoder: running/);
    expect(finding.tabs).toContain('service');
    expect(finding.tabs).not.toContain('recorder');
  });

  it('shows its load, its container, its health with the GPU, and its log', async () => {
    await t.until('a monitor sample', () =>
      t.payloads('monitor.sample').find((p) => p.deviceId === t.deviceId),
    );
    const sample = await t.until('a healthy health sample with the GPU', () =>
      t
        .payloads('health.sample')
        .find(
          (p) => p.deviceId === t.deviceId && p.sample.healthy === true && p.sample.gpuBusyPercent !== null,
        ),
    );
    expect(sample.sample.fields.vaapi_available).toBe(true);
    expect(sample.sample.metricsProblem).toBeNull();
    expect(sample.sample.sessions).not.toBeNull();
    expect(sample.sample.metrics.map((m) => m.name)).toContain('xg2g_ffmpeg_restarts_total');

    const state = await t.call<ServiceState>('service.state', { deviceId: t.deviceId });
    expect(state).toMatchObject({
      manager: 'docker',
      name: 'xg2g-transcoder',
      state: 'running',
      restartPolicy: 'unless-stopped',
      runs: 'xg2g-gpu-transcoder:production',
    });
    expect(state.pid).not.toBeNull();
    const history = await t.call<HealthHistory>('health.history', { deviceId: t.deviceId });
    expect(history.samples.length).toBeGreaterThan(0);
    const logs = await t.until('the container log', async () => {
      const lines = await t.call<ServiceLogLine[]>('service.logs', { deviceId: t.deviceId, lines: 50 });
      return lines.length > 0 ? lines : undefined;
    });
    expect(logs.length).toBeLessThanOrEqual(50);
    expect(logs.every((l) => !l.text.includes('\r'))).toBe(true);
    // The followed log is pushed too, in batches.
    await t.until('a service.log event', () =>
      t.payloads('service.log').find((p) => p.deviceId === t.deviceId && p.lines.length > 0),
    );
  });

  it('raises "health failing" naming the box while /health fails, and closes it when it answers again', async () => {
    await fault('POST', 'health-fail');
    const alarm = await openAlarm('health_failing');
    expect(alarm).toMatchObject({ severity: 'critical', device: NAME });
    expect(alarm.detail).toContain(NAME);
    expect(alarm.title).toBe('Health failing');
    await fault('DELETE', 'health-fail');
    await resolved(alarm);
  });

  it('raises "VAAPI unavailable" when the health says so, and closes it when VAAPI is back', async () => {
    await fault('POST', 'vaapi-off');
    const alarm = await openAlarm('vaapi_unavailable');
    expect(alarm).toMatchObject({ severity: 'critical', device: NAME });
    expect(alarm.detail).toContain(NAME);
    expect(alarm.title).toMatch(/vaapi_available/);
    await fault('DELETE', 'vaapi-off');
    await resolved(alarm);
    // A 503 for VAAPI is also a failing health: that alarm goes with it.
    const failing = (await alarms()).find((a) => a.kind === 'health_failing' && !a.acknowledged);
    if (failing) await resolved(failing);
  });

  it('raises a restart alarm when the container crashes and its policy brings it back', async () => {
    const before = await t.call<ServiceState>('service.state', { deviceId: t.deviceId });
    await fault('POST', 'crash');
    const alarm = await openAlarm('service_restarts');
    expect(alarm).toMatchObject({ severity: 'warning', device: NAME });
    expect(alarm.detail).toContain(NAME);
    const after = await t.until('the container running again', async () => {
      const s = await t.call<ServiceState>('service.state', { deviceId: t.deviceId });
      return s.state === 'running' ? s : undefined;
    });
    expect(after.restarts ?? 0).toBeGreaterThan(before.restarts ?? 0);
    await resolved(alarm);
  });

  it('asks before a restart, and restarts only under the lease: refused while another holds it', async () => {
    const before = await t.call<ServiceState>('service.state', { deviceId: t.deviceId });
    const asked = await t.call<ServiceControlResult>('service.control', {
      deviceId: t.deviceId,
      action: 'restart',
    });
    expect(asked.kind).toBe('confirm');
    expect(asked.message).toMatch(/Restarting xg2g-transcoder on Venue transcoder/);
    expect((await t.call<ServiceState>('service.state', { deviceId: t.deviceId })).pid).toBe(before.pid);

    // Another console (the studio machine) holds the box: this one is told so and changes nothing.
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
      if (!refused.ok) {
        expect(refused.error.code).toBe('busy');
        expect(refused.error.message).toMatch(/Hold the box for the test/);
      }
      expect((await t.call<ServiceState>('service.state', { deviceId: t.deviceId })).pid).toBe(before.pid);
    } finally {
      await held.release();
      await other.stop();
    }

    const leases: string[] = [];
    const off = t.core.onEvent((name, payload) => {
      const p = payload as { lease?: { kind: string } | null };
      if (name === 'lease.changed' && p.lease) leases.push(p.lease.kind);
    });
    try {
      const done = await t.call<ServiceControlResult>('service.control', {
        deviceId: t.deviceId,
        action: 'restart',
        confirmed: true,
      });
      expect(done.kind).toBe('done');
      expect(done.state.state).toBe('running');
      expect(done.state.pid).not.toBe(before.pid);
    } finally {
      off();
    }
    expect(leases).toContain('service.restart');
    const entries = await audit();
    expect(entries.find((e) => e.action === 'service.restart' && e.result === 'refused')).toBeDefined();
    expect(entries.find((e) => e.action === 'service.restart' && e.result === 'ok')).toBeDefined();
  });
});

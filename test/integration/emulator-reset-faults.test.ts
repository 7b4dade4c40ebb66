/**
 * What the emergency VPU reset needs from the emulated R58, driven over SSH as linaro: the recorder held at start
 * by its hold file and started camera by camera (`/ingest/start`), a kernel that keeps the sessions of killed
 * pipelines (`/vpu/keep`), `sudo systemctl reboot`, and a session limit of 16 so that nine sessions can be open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable, type Emulator } from '../../src-main/emulator/index.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const HOLD = '/run/preke-recorder/hold-cameras';
const CAMERAS = ['cam0', 'cam1', 'cam2', 'cam3'];

interface RecorderStatus {
  summary: { total: number; streaming: number; no_signal: number; error: number };
  cameras: Record<string, string>;
}

interface SessionView {
  session: number;
  pid: number;
  label: string;
  orphaned: boolean;
}

interface DeviceState {
  units: Record<string, { ActiveState: string; NRestarts: number }>;
  vpu: { keep: boolean; maxSessions: number; open: number; orphaned: number; sessions: SessionView[] };
  reboots: number;
  rebooting: boolean;
}

describe.skipIf(!ok)(`emulated R58: emergency VPU reset faults${why}`, () => {
  let r58: EmulatorSsh | undefined;
  let emu: Emulator;
  let exec: EmulatorSsh['exec'];
  const sessions = async (): Promise<number> => {
    const r = await exec(sh`sudo -n cat /sys/kernel/debug/mpp_service/session | grep -c '^session' || true`);
    return Number(r.stdout.trim());
  };
  const nSessions = (n: number) => async () => ((await sessions()) === n ? true : undefined);
  const status = async (): Promise<RecorderStatus> => {
    const r = await exec(sh`curl -sf http://127.0.0.1:8000/status`);
    if (r.code !== 0) throw new Error(`the recorder API did not answer (${r.code})`);
    return JSON.parse(r.stdout) as RecorderStatus;
  };
  const post = async (path: string): Promise<Record<string, Record<string, string>>> => {
    const r = await exec(sh`curl -sf -X POST ${`http://127.0.0.1:8000${path}`}`);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Record<string, Record<string, string>>;
  };
  const device = async (): Promise<DeviceState> =>
    (await emu.control.state()).device as unknown as DeviceState;
  const allStreaming = async (): Promise<true | undefined> => {
    const s = await status();
    return CAMERAS.every((c) => s.cameras[c]?.startsWith('streaming')) ? true : undefined;
  };

  beforeAll(async () => {
    r58 = await startEmulatorSsh({ cameras: 4, stopTimeoutMs: 3000, vpuMaxSessions: 16 });
    ({ emu, exec } = r58);
  }, 180_000);

  afterAll(async () => {
    await r58?.stop();
  }, 60_000);

  it('hold file: the recorder starts no camera; /ingest/start and /ingest/stop run them one by one', async () => {
    await until('4 VPU sessions', nSessions(4), 60_000);
    const hold = await exec(
      sh`sudo -n mkdir -p /run/preke-recorder && sudo -n touch ${HOLD} && sudo -n systemctl restart preke-recorder`,
      60_000,
    );
    expect([hold.code, hold.stderr]).toEqual([0, '']);
    const held = await until('the recorder API after the restart', async () => {
      const s = await status();
      return Object.keys(s.cameras).length === 4 ? s : undefined;
    });
    expect(held).toEqual({
      summary: { total: 4, streaming: 0, no_signal: 0, error: 0 },
      cameras: { cam0: 'stopped', cam1: 'stopped', cam2: 'stopped', cam3: 'stopped' },
    });
    expect(await sessions()).toBe(0);
    expect((await exec(sh`test -e ${HOLD}`)).code).toBe(1);
    expect((await exec(sh`journalctl -u preke-recorder -n 20`)).stdout).toMatch(/cameras held until/);

    const started = await post('/ingest/start?camera=cam0');
    expect(started.errors).toEqual({});
    expect(Object.keys(started.started ?? {})).toEqual(['cam0']);
    await until('cam0 streaming', async () =>
      (await status()).cameras.cam0?.startsWith('streaming') ? true : undefined,
    );
    await until('1 VPU session', nSessions(1));
    const one = await status();
    expect(one.summary).toEqual({ total: 4, streaming: 1, no_signal: 0, error: 0 });
    expect(one.cameras.cam1).toBe('stopped');

    const unknown = await post('/ingest/start?camera=cam9');
    expect(unknown).toMatchObject({ started: {}, errors: { cam9: 'unknown camera' } });

    const stopped = await post('/ingest/stop?camera=cam0');
    expect(stopped).toMatchObject({ stopped: { cam0: 'stopped' }, errors: {} });
    await until('0 VPU sessions', nSessions(0));
    expect((await exec(sh`journalctl -u preke-recorder -n 30`)).stdout).toMatch(
      /cam0\[\d+\]: pipeline ended/,
    );

    // Without ?camera= it means every camera.
    const all = await post('/ingest/start');
    expect(Object.keys(all.started ?? {}).sort()).toEqual(CAMERAS);
    await until('all cameras streaming', allStreaming, 60_000);
    await until('4 VPU sessions', nSessions(4), 60_000);

    // Without the hold file a restart starts every camera again.
    expect((await exec(sh`sudo -n systemctl restart preke-recorder`, 60_000)).code).toBe(0);
    await until('all cameras streaming after a plain restart', allStreaming, 60_000);
  }, 180_000);

  it('/ingest/start reports a camera whose pipeline the VPU refuses', async () => {
    await until('4 VPU sessions', nSessions(4), 60_000);
    expect((await post('/ingest/stop?camera=cam3')).stopped).toEqual({ cam3: 'stopped' });
    await until('3 VPU sessions', nSessions(3));
    // Fill the kernel up to its limit with pipelines of our own, so the camera's open is refused.
    const extra = 16 - 3;
    for (let i = 0; i < extra; i++) {
      const r = await exec(
        sh`setsid -f gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=64,height=64,framerate=5/1 ! mpph264enc ! fakesink >/dev/null 2>&1`,
      );
      expect(r.code).toBe(0);
    }
    await until('16 VPU sessions', nSessions(16), 60_000);
    const refused = await post('/ingest/start?camera=cam3');
    expect(refused.started).toEqual({});
    expect(refused.errors?.cam3).toMatch(/mpph264enc|VPU|session|resource/i);
    expect((await status()).cameras.cam3).toBe('error');
    expect((await exec(sh`sudo -n dmesg | grep -c 'too many sessions'`)).stdout.trim()).not.toBe('0');

    const ours = (await device()).vpu.sessions.filter((s) => s.label === '').map((s) => s.pid);
    expect(ours).toHaveLength(extra);
    expect((await exec(sh`sudo -n kill ${ours}`)).code).toBe(0);
    await until('3 VPU sessions', nSessions(3), 30_000);
    expect(Object.keys((await post('/ingest/start?camera=cam3')).started ?? {})).toEqual(['cam3']);
    await until('4 VPU sessions', nSessions(4), 60_000);
  }, 180_000);

  it('vpuMaxSessions 16: a ninth session opens next to the four cameras', async () => {
    await until('4 VPU sessions', nSessions(4), 60_000);
    const before = Number(
      (await exec(sh`sudo -n dmesg | grep -c 'too many sessions' || true`)).stdout.trim(),
    );
    for (let i = 0; i < 5; i++) {
      const r = await exec(
        sh`setsid -f gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=64,height=64,framerate=5/1 ! mpph264enc ! fakesink >/dev/null 2>&1`,
      );
      expect(r.code).toBe(0);
    }
    await until('9 VPU sessions', nSessions(9), 60_000);
    const state = await device();
    expect(state.vpu).toMatchObject({ maxSessions: 16, open: 9, orphaned: 0 });
    const after = Number((await exec(sh`sudo -n dmesg | grep -c 'too many sessions' || true`)).stdout.trim());
    expect(after).toBe(before);
    const ours = state.vpu.sessions.filter((s) => s.label === '').map((s) => s.pid);
    expect(ours).toHaveLength(5);
    expect((await exec(sh`sudo -n kill ${ours}`)).code).toBe(0);
    await until('4 VPU sessions', nSessions(4), 30_000);
  }, 120_000);

  it('keep-sessions fault: a killed pipeline leaves its session behind with its dead pid', async () => {
    await until('4 VPU sessions', nSessions(4), 60_000);
    const on = await fetch(`${emu.ready.control}/vpu/keep`, { method: 'POST' });
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ ok: true, keep: true, orphaned: 0 });
    expect((await device()).vpu.keep).toBe(true);

    const cam1 = (await device()).vpu.sessions.find((s) => s.label === 'cam1');
    if (!cam1) throw new Error('no VPU session labelled cam1');
    expect((await exec(sh`sudo -n kill -9 ${cam1.pid}`)).code).toBe(0);
    await until('cam1 in error', async () => ((await status()).cameras.cam1 === 'error' ? true : undefined));
    const kept = await until('the session orphaned', async () => {
      const s = await device();
      return s.vpu.orphaned === 1 ? s : undefined;
    });
    expect(kept.vpu.sessions.find((s) => s.pid === cam1.pid)).toMatchObject({
      label: 'cam1',
      orphaned: true,
    });
    expect((await exec(sh`test -d /proc/${cam1.pid}`)).code).toBe(1);
    const file = await exec(sh`sudo -n cat /sys/kernel/debug/mpp_service/session`);
    expect(file.stdout).toMatch(new RegExp(`^session \\d+: pid=${cam1.pid} enc$`, 'm'));
    expect(await sessions()).toBe(4);

    // Stopping the recorder frees nothing either: every session stays, as with a driver that leaked them.
    expect((await exec(sh`sudo -n systemctl stop preke-recorder`, 60_000)).code).toBe(0);
    expect(await sessions()).toBe(4);
    expect((await device()).vpu.orphaned).toBe(4);

    // Off again: the kept sessions stay (only a reboot frees them).
    const off = await fetch(`${emu.ready.control}/vpu/keep`, { method: 'DELETE' });
    expect(await off.json()).toEqual({ ok: true, keep: false, orphaned: 4 });
    expect(await emu.control.keepSessions(false)).toEqual({ keep: false, orphaned: 4 });
    expect(await sessions()).toBe(4);
    expect((await exec(sh`sudo -n systemctl start preke-recorder`, 60_000)).code).toBe(0);
    await until('8 VPU sessions (4 kept, 4 new)', nSessions(8), 60_000);
    expect(await emu.control.keepSessions(true)).toEqual({ keep: true, orphaned: 4 });
  }, 180_000);

  it('systemctl reboot: root only; the kernel forgets every session, the services come back, SSH stays', async () => {
    const denied = await exec(sh`systemctl reboot`);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/Interactive authentication required/);
    expect((await device()).vpu).toMatchObject({ keep: true, orphaned: 4, open: 8 });

    const t0 = Date.now();
    const reboot = await exec(sh`sudo -n systemctl reboot`);
    expect([reboot.code, reboot.stdout, reboot.stderr]).toEqual([0, '', '']);
    expect(Date.now() - t0).toBeLessThan(5000);
    await until('0 VPU sessions during the reboot', nSessions(0), 30_000, 50);
    const back = await until(
      'the reboot over, the services active',
      async () => {
        const s = await device();
        const active =
          s.units['mediamtx']?.ActiveState === 'active' && s.units['preke-recorder']?.ActiveState;
        return !s.rebooting && s.reboots === 1 && active === 'active' ? s : undefined;
      },
      60_000,
    );
    expect(back.vpu).toMatchObject({ keep: false, orphaned: 0 });
    expect(back.units['preke-recorder']?.NRestarts).toBe(0);
    expect(back.units['ssh']?.ActiveState).toBe('active');
    await until('all cameras streaming after the reboot', allStreaming, 60_000);
    await until('4 VPU sessions after the reboot', nSessions(4), 60_000);
    expect((await device()).vpu.sessions.every((s) => !s.orphaned)).toBe(true);

    // The kernel log of this boot starts with the boot; the journal still has the restart line.
    expect((await exec(sh`sudo -n dmesg | head -1`)).stdout).toMatch(/\] Booting Linux/);
    expect((await exec(sh`sudo -n dmesg | grep -c 'Restarting system' || true`)).stdout.trim()).toBe('0');
    expect(
      (await exec(sh`journalctl -k --no-pager | grep -c 'reboot: Restarting system'`)).stdout.trim(),
    ).toBe('1');
    expect((await exec(sh`systemctl is-active mediamtx preke-recorder ssh`)).stdout).toBe(
      'active\nactive\nactive\n',
    );
    // Killed pipelines are freed again now that the fault is off.
    const cam2 = (await device()).vpu.sessions.find((s) => s.label === 'cam2');
    if (!cam2) throw new Error('no VPU session labelled cam2');
    expect((await exec(sh`sudo -n kill -9 ${cam2.pid}`)).code).toBe(0);
    await until('3 VPU sessions', nSessions(3));
  }, 180_000);
});

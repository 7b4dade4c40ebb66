/**
 * The emulated R58's camera-dead fault, the one a health check is meant to fail on: while set, a camera the recorder
 * (re)starts finds no signal, stays `no_signal` in the recorder API and its MediaMTX path never goes online; cleared,
 * the next restart brings it back. Driven through the control server's HTTP interface, as a test or a person would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable, type Emulator } from '../../src-main/emulator/index.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

interface RecorderStatus {
  summary: { total: number; streaming: number; no_signal: number; error: number };
  cameras: Record<string, string>;
}

describe.skipIf(!ok)(`emulated R58: a camera that never comes up after a restart${why}`, () => {
  let r58: EmulatorSsh | undefined;
  let emu: Emulator;
  let exec: EmulatorSsh['exec'];

  const control = async (
    method: string,
    query: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${emu.ready.control}/camera-dead${query}`, { method });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const status = async (): Promise<RecorderStatus | undefined> => {
    const r = await exec(sh`curl -sf http://127.0.0.1:8000/status`);
    return r.code === 0 ? (JSON.parse(r.stdout) as RecorderStatus) : undefined;
  };
  const online = async (): Promise<string[]> => {
    const r = await exec(sh`curl -sf http://127.0.0.1:9997/v3/paths/list`);
    const list = JSON.parse(r.stdout) as { items: { name: string; online?: boolean; ready?: boolean }[] };
    return list.items.filter((p) => p.online ?? p.ready).map((p) => p.name);
  };
  const restart = async (): Promise<void> => {
    const r = await exec(sh`sudo -n systemctl restart preke-recorder`, 60_000);
    expect([r.code, r.stderr]).toEqual([0, '']);
  };
  const both = (s: RecorderStatus | undefined): boolean =>
    ['cam0', 'cam1'].every((c) => s?.cameras[c]?.startsWith('streaming'));

  beforeAll(async () => {
    r58 = await startEmulatorSsh({ cameras: 2, stopTimeoutMs: 3000 });
    ({ emu, exec } = r58);
  }, 180_000);

  afterAll(async () => {
    await r58?.stop();
  }, 60_000);

  it('refuses bad input with 400 and a message', async () => {
    expect(await control('POST', '')).toMatchObject({
      status: 400,
      body: { ok: false, error: 'Missing ?camera=camN.' },
    });
    const unknown = await control('POST', '?camera=cam9');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('Unknown camera "cam9"; this device has cam0, cam1.');
    expect((await control('DELETE', '?camera=nope')).status).toBe(400);
    expect((await control('PUT', '?camera=cam0')).status).toBe(405);
    expect((await emu.control.state()).deadCameras).toEqual([]);
  });

  it('while set, the camera never streams after a restart; cleared, the next restart brings it back', async () => {
    await until('both cameras streaming', async () => (both(await status()) ? true : undefined), 60_000);

    expect(await control('POST', '?camera=cam1')).toEqual({
      status: 200,
      body: { ok: true, camera: 'cam1', deadCameras: ['cam1'] },
    });
    expect((await emu.control.state()).deadCameras).toEqual(['cam1']);
    // Nothing happens to a camera that streams now: the fault bites at its next start.
    expect(both(await status())).toBe(true);

    await restart();
    const after = await until(
      'cam0 streaming again after the restart',
      async () => {
        const s = await status();
        return s?.cameras.cam0?.startsWith('streaming') ? s : undefined;
      },
      60_000,
    );
    expect(after.cameras.cam1).toBe('no_signal');
    expect(after.summary).toEqual({ total: 2, streaming: 1, no_signal: 1, error: 0 });
    await until('cam0 online at the media server', async () =>
      (await online()).includes('cam0') ? true : undefined,
    );
    // It stays down: give it the time a camera takes to come up, twice over.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await status())?.cameras.cam1).toBe('no_signal');
    expect(await online()).toEqual(['cam0']);
    const journal = await exec(sh`journalctl -u preke-recorder -n 40`);
    expect(journal.stdout).toMatch(/cam1: no signal on \/dev\/video/);
    // Starting it by hand finds no signal either.
    const ingest = await exec(sh`curl -sf -X POST 'http://127.0.0.1:8000/ingest/start?camera=cam1'`);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ ok: false, errors: { cam1: 'no signal' } });

    expect(await control('DELETE', '?camera=cam1')).toEqual({
      status: 200,
      body: { ok: true, camera: 'cam1', deadCameras: [] },
    });
    await restart();
    await until(
      'both cameras streaming after clearing',
      async () => (both(await status()) ? true : undefined),
      60_000,
    );
    await until('both paths online', async () => ((await online()).length === 2 ? true : undefined), 60_000);

    // DELETE without ?camera= clears every camera.
    await control('POST', '?camera=cam0');
    await control('POST', '?camera=cam1');
    expect((await emu.control.state()).deadCameras).toEqual(['cam0', 'cam1']);
    expect(await control('DELETE', '')).toEqual({ status: 200, body: { ok: true, deadCameras: [] } });
  }, 180_000);
});

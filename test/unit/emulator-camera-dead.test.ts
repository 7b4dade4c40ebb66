/**
 * The camera-dead fault's control side, without a device: the control server's `/camera-dead` route checks its
 * input and writes the list the emulated recorder reads at each camera start (device/recorder/service.py).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControl, DEAD_CAMERAS_NAME, type ControlDeps } from '../../src-main/emulator/control.js';
import { startControlServer, type ControlServer } from '../../src-main/emulator/control-server.js';

let dir: string;
let server: ControlServer;

const call = async (
  method: string,
  query = '',
): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${server.url}/camera-dead${query}`, { method });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const listed = async (): Promise<string> => fs.readFile(path.join(dir, DEAD_CAMERAS_NAME), 'utf8');

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-dead-'));
  // A list left by an earlier run of the same state dir is dropped when the control starts.
  await fs.writeFile(path.join(dir, DEAD_CAMERAS_NAME), 'cam0\n');
  const deps = {
    host: {},
    proxy: {},
    daemonSocket: path.join(dir, 'daemon.sock'),
    cameras: ['cam0', 'cam1', 'cam2'],
  } as unknown as ControlDeps;
  server = await startControlServer(createControl(deps));
});

afterAll(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('camera-dead control', () => {
  it('starts with no camera listed', async () => {
    await expect(listed()).rejects.toThrow(/ENOENT/);
  });

  it('refuses a missing or unknown camera with 400 and a message, a wrong method with 405', async () => {
    expect(await call('POST')).toEqual({ status: 400, body: { ok: false, error: 'Missing ?camera=camN.' } });
    expect(await call('POST', '?camera=cam1;reboot')).toEqual({
      status: 400,
      body: { ok: false, error: 'Unknown camera "cam1;reboot"; this device has cam0, cam1, cam2.' },
    });
    expect((await call('DELETE', '?camera=')).status).toBe(400);
    expect((await call('GET', '?camera=cam0')).status).toBe(405);
  });

  it('lists the cameras one a line, in the device order, and clears one or all', async () => {
    expect(await call('POST', '?camera=cam2')).toEqual({
      status: 200,
      body: { ok: true, camera: 'cam2', deadCameras: ['cam2'] },
    });
    await call('POST', '?camera=cam0');
    await call('POST', '?camera=cam0');
    expect(await listed()).toBe('cam0\ncam2\n');
    expect((await call('DELETE', '?camera=cam2')).body).toEqual({
      ok: true,
      camera: 'cam2',
      deadCameras: ['cam0'],
    });
    expect(await listed()).toBe('cam0\n');
    expect((await call('DELETE')).body).toEqual({ ok: true, deadCameras: [] });
    expect(await listed()).toBe('');
  });
});

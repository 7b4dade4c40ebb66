/**
 * The emulated R58's thermal zones: the RK3588's seven zones under /sys/class/thermal, readable by the login user,
 * warmer with VPU sessions, and the fault control that pins the SoC at a temperature (`/temperature`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable, type Emulator } from '../../src-main/emulator/index.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

const TYPES = [
  'soc-thermal',
  'bigcore0-thermal',
  'bigcore1-thermal',
  'littlecore-thermal',
  'center-thermal',
  'gpu-thermal',
  'npu-thermal',
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ok)(`emulated R58 thermal zones${why}`, () => {
  let r58: EmulatorSsh | undefined;
  let emu: Emulator;
  let exec: EmulatorSsh['exec'];
  /** Every zone's temp in millidegrees, in zone order. */
  const temps = async (): Promise<number[]> => {
    const r = await exec(sh`cat /sys/class/thermal/thermal_zone[0-6]/temp`);
    expect(r.code).toBe(0);
    return r.stdout.trim().split('\n').map(Number);
  };
  const sessions = async (): Promise<number> =>
    Number((await exec(sh`sudo cat /sys/kernel/debug/mpp_service/session | grep -c session || true`)).stdout);
  /** The SoC zone's mean over a few seconds, in °C, to see past the noise. */
  const socMean = async (): Promise<number> => {
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      sum += (await temps())[0] ?? 0;
      await sleep(500);
    }
    return sum / 4 / 1000;
  };
  const control = (method: string, query: string): Promise<Response> =>
    fetch(`${emu.ready.control}/temperature${query}`, { method });

  beforeAll(async () => {
    r58 = await startEmulatorSsh({ cameras: 4, stopTimeoutMs: 3000 });
    ({ emu, exec } = r58);
  }, 180_000);

  afterAll(async () => {
    await r58?.stop();
  }, 60_000);

  it('has the RK3588 zones, readable by the login user and written by nobody else', async () => {
    expect((await exec(sh`ls /sys/class/thermal`)).stdout.trim().split('\n')).toEqual(
      TYPES.map((_t, i) => `thermal_zone${i}`),
    );
    const types = await exec(sh`for z in /sys/class/thermal/thermal_zone*; do cat "$z/type"; done`);
    expect(types.stdout.trim().split('\n')).toEqual(TYPES);
    for (const milli of await temps()) {
      expect(Number.isInteger(milli)).toBe(true);
      expect(milli).toBeGreaterThan(35_000);
      expect(milli).toBeLessThan(60_000);
    }
    const write = await exec(sh`echo 99000 > /sys/class/thermal/thermal_zone0/temp`);
    expect(write.code).not.toBe(0);
  });

  it('runs a little warmer with VPU sessions than without', async () => {
    await until('4 VPU sessions', async () => ((await sessions()) === 4 ? true : undefined), 60_000);
    await sleep(5000);
    const busy = await socMean();
    expect((await exec(sh`sudo systemctl stop preke-recorder`)).code).toBe(0);
    await until('0 VPU sessions', async () => ((await sessions()) === 0 ? true : undefined));
    await sleep(6000);
    const idle = await socMean();
    expect(idle).toBeGreaterThan(40);
    expect(idle).toBeLessThan(46);
    expect(busy - idle).toBeGreaterThan(1.5);
    expect(busy - idle).toBeLessThan(6);
    expect((await exec(sh`sudo systemctl start preke-recorder`)).code).toBe(0);
  }, 90_000);

  it('POST /temperature?celsius=92 pins the SoC at 92 °C, the hottest zone; DELETE returns to the model', async () => {
    const pinned = await control('POST', '?celsius=92');
    expect(pinned.status).toBe(200);
    expect(await pinned.json()).toEqual({ ok: true, celsius: 92 });
    const hot = await temps();
    expect(hot[0]).toBe(92_000);
    expect(Math.max(...hot)).toBe(92_000);
    expect(Math.min(...hot)).toBeGreaterThan(88_000);
    await sleep(1500);
    expect((await temps())[0]).toBe(92_000);
    const state = (await emu.control.state()).device as { thermal?: { overrideC: number | null } };
    expect(state.thermal?.overrideC).toBe(92);

    const back = await control('DELETE', '');
    expect(back.status).toBe(200);
    expect(Math.max(...(await temps()))).toBeLessThan(60_000);
  });

  it('celsius=auto and the control client do the same', async () => {
    expect(await emu.control.setTemperature(105)).toEqual({ celsius: 105 });
    expect((await temps())[0]).toBe(105_000);
    expect((await control('POST', '?celsius=auto')).status).toBe(200);
    expect(Math.max(...(await temps()))).toBeLessThan(60_000);
    await emu.control.setTemperature(0);
    expect(Math.max(...(await temps()))).toBe(0);
    await emu.control.setTemperature('auto');
    expect((await temps())[0]).toBeGreaterThan(35_000);
  });

  it('refuses bad input with 400 and a wrong method with 405', async () => {
    for (const query of ['?celsius=126', '?celsius=-1', '?celsius=abc', '?celsius=40.5', '']) {
      const r = await control('POST', query);
      expect(r.status, query).toBe(400);
      const body = (await r.json()) as { ok: boolean; error: string };
      expect(body.ok).toBe(false);
      expect(body.error).toMatch(/celsius/);
    }
    const get = await control('GET', '');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, DELETE');
    await expect(emu.control.setTemperature(126)).rejects.toThrow(
      /celsius must be a whole number from 0 to 125/,
    );
    expect((await temps())[0]).toBeLessThan(60_000);
  });
});

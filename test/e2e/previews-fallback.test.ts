/**
 * When WebRTC cannot work, the Previews tab says why and falls back to HLS, in Chromium against the web console and
 * an emulated R58 whose cam3 encodes H.265, whose MediaMTX offers no ICE-TCP, and whose media ports are closed to
 * the laptop (only SSH is open). H.264 cameras then play their HLS through the SSH tunnel; the H.265 camera says
 * that WebRTC cannot play H.265 and that this browser cannot decode it over HLS either (Debian's Chromium has no
 * HEVC decoder), instead of retrying forever.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { until } from '../fixtures/until.js';
import { screenshot } from './harness.js';
import { addEmulatedDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'closed-r58';
/** Three WHEP failures with backoff, then the first HLS segments; generous, never asserted on. */
const SLOW = { timeout: 90_000 };

let emu: Emulator | undefined;
let page: Page;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4, h265Cameras: ['cam3'], iceTcp: false }),
  (s) => ({ emu, page } = s),
);

const panel = (): Locator => page.getByRole('tabpanel', { name: 'Previews' });
const tile = (name: string): Locator => panel().getByRole('figure', { name, exact: true });

describe.skipIf(!ok)('previews when WebRTC cannot work', () => {
  it('plays H.264 cameras over HLS through SSH, and says plainly why the H.265 camera cannot be shown', async () => {
    if (!emu) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    await emu.control.blockMedia();
    await page.getByRole('tab', { name: 'Previews' }).click();

    // The route: only SSH is left, and without ICE-TCP WebRTC cannot use it; the exact setting is named.
    await panel()
      .getByText(/webrtcLocalTCPAddress/)
      .first()
      .waitFor(SLOW);

    // cam0 (H.264) ends up on HLS, with frames decoding.
    const cam0 = tile('cam0');
    await cam0.getByText(/^HLS( · ~\d+ s latency)?$/).waitFor(SLOW);
    const frames = async (): Promise<number> =>
      Number((await cam0.getAttribute('data-frames-decoded')) ?? '0');
    const first = await until(
      'cam0 decoding HLS frames',
      async () => ((await frames()) > 0 ? frames() : undefined),
      SLOW.timeout,
    );
    await until('cam0 frames rising', async () => (await frames()) > first, SLOW.timeout);

    // cam3 (H.265): the codec reason, and no endless retrying.
    const cam3 = tile('cam3');
    await cam3
      .getByText(/H\.265 does not play over WebRTC/)
      .first()
      .waitFor(SLOW);
    await cam3.getByText('HLS failed', { exact: true }).first().waitFor(SLOW);
    await cam3
      .getByText(/cannot decode H\.265/)
      .first()
      .waitFor(WAIT);
    expect(await cam3.getByText(/retrying in/i).count()).toBe(0);
    await screenshot(page, 'previews-fallback-hls');
  });
});

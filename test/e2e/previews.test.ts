/**
 * Live previews in Chromium against the web console and an emulated R58 with four cameras: the Previews tab plays
 * every camera over WHEP (through the console's proxy) with decoded frames rising, a tile enlarges and shrinks,
 * the tiles say they are retrying while the link is down and recover by themselves when it is back, and leaving
 * the view drops the device's WebRTC readers to zero. Elements are found by role and accessible name; the frame
 * counts come from each tile's `data-frames-decoded` (the same number as its "Frames decoded" stat).
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { until } from '../fixtures/until.js';
import { screenshot, type BrowserSession } from './harness.js';
import { addEmulatedDevice, runOnDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'preview-r58';
const CAMERAS = ['cam0', 'cam1', 'cam2', 'cam3'];
/** Pipelines start and the route is decided after connecting; generous, never asserted on. */
const LIVE = { timeout: 60_000 };

let emu: Emulator | undefined;
let session: BrowserSession | undefined;
let page: Page;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, session, page } = s),
);

const panel = (): Locator => page.getByRole('tabpanel', { name: 'Previews' });
const tile = (name: string): Locator => panel().getByRole('figure', { name, exact: true });

async function framesOf(name: string): Promise<number> {
  return Number((await tile(name).getAttribute('data-frames-decoded')) ?? '0');
}

/** Every camera's decoded frame count goes up past `above` (its own earlier reading). */
async function framesRise(above: Record<string, number>): Promise<Record<string, number>> {
  const now: Record<string, number> = {};
  for (const cam of CAMERAS) {
    await until(
      `${cam} decoding frames`,
      async () => (await framesOf(cam)) > (above[cam] ?? 0),
      LIVE.timeout,
    );
    now[cam] = await framesOf(cam);
  }
  return now;
}

/** The device's WebRTC readers over all paths, from MediaMTX's API on the device's loopback. */
async function webrtcReaders(): Promise<number> {
  if (!emu) throw new Error('no emulator');
  const out = await runOnDevice(emu, 'curl -s http://127.0.0.1:9997/v3/paths/list');
  const list = JSON.parse(out) as { items: { readers: { type: string }[] }[] };
  return list.items.reduce((n, item) => n + item.readers.filter((r) => r.type === 'webRTCSession').length, 0);
}

describe.skipIf(!ok)('live previews', () => {
  it('plays the four cameras over WHEP, with decoded frames rising and the stats filled in', async () => {
    if (!emu) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    await page.getByRole('tab', { name: 'Previews' }).click();
    for (const cam of CAMERAS) await tile(cam).waitFor(LIVE);
    const first = await framesRise({});
    await framesRise(first);
    for (const cam of CAMERAS) {
      await tile(cam).getByText('Live', { exact: true }).waitFor(WAIT);
      const stats = tile(cam).getByRole('definition');
      expect(await stats.count()).toBeGreaterThanOrEqual(8);
    }
    // Resolution and frame rate come from getStats(); the emulator sends 640x360 at 30 fps.
    const cam0 = tile('cam0');
    await cam0.getByText('640×360', { exact: true }).waitFor(WAIT);
    await cam0.getByText(/^\d+ fps$/).waitFor(WAIT);
    await cam0.getByText(/^\d+(\.\d+)? (kbit|Mbit)\/s$/).waitFor(WAIT);
    await cam0
      .getByText(/^\d+ ms$/)
      .first()
      .waitFor(WAIT);
    // The route in use is named.
    await panel()
      .getByRole('strong')
      .filter({ hasText: /^(Direct|Through SSH)$/ })
      .waitFor(WAIT);
    expect(await webrtcReaders()).toBeGreaterThanOrEqual(4);
    await screenshot(page, 'previews-grid');
  });

  it('makes a tile large with one click, and small again with another', async () => {
    await panel().getByRole('button', { name: 'Enlarge cam1' }).click();
    const shrink = panel().getByRole('button', { name: 'Shrink cam1' });
    await shrink.waitFor(WAIT);
    expect(await shrink.getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'previews-large');
    await shrink.click();
    await panel().getByRole('button', { name: 'Enlarge cam1' }).waitFor(WAIT);
  });

  it('says retrying while the link is down, and recovers by itself when it is back', async () => {
    if (!emu) throw new Error('no emulator');
    await emu.control.linkDown();
    try {
      for (const cam of CAMERAS)
        await tile(cam)
          .getByText(/^Retrying in \d+ s$/)
          .first()
          .waitFor(LIVE);
      await screenshot(page, 'previews-retrying');
    } finally {
      await emu.control.linkUp();
    }
    const before: Record<string, number> = {};
    for (const cam of CAMERAS) {
      await tile(cam).getByText('Live', { exact: true }).waitFor({ timeout: 90_000 });
      before[cam] = await framesOf(cam);
    }
    await framesRise(before);
    await screenshot(page, 'previews-recovered');
  });

  it('stops receiving while the page is hidden, and plays again when it is shown', async () => {
    await page.getByRole('tab', { name: 'Previews' }).click();
    await framesRise({});
    // Headless Chromium never hides its page by itself: say so the way a browser does.
    const setHidden = (hidden: boolean): string =>
      `Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} });` +
      `document.dispatchEvent(new Event('visibilitychange'))`;
    await page.evaluate(setHidden(true));
    try {
      for (const cam of CAMERAS) await tile(cam).getByText('Paused', { exact: true }).first().waitFor(WAIT);
      await until(
        'no WebRTC reader left while hidden',
        async () => (await webrtcReaders()) === 0,
        30_000,
        500,
      );
    } finally {
      await page.evaluate(setHidden(false));
    }
    for (const cam of CAMERAS) await tile(cam).getByText('Live', { exact: true }).waitFor(LIVE);
  });

  it('shows one small live tile per device in the fleet list when asked, and none by default', async () => {
    const fleet = page.getByRole('complementary', { name: 'Fleet' });
    const small = fleet.getByRole('figure', { name: `${DEVICE} cam0` });
    expect(await small.count()).toBe(0);
    await fleet.getByRole('checkbox', { name: 'Live tiles' }).check();
    await until(
      'the fleet tile decoding frames',
      async () => Number((await small.getAttribute('data-frames-decoded')) ?? '0') > 0,
      LIVE.timeout,
    );
    await screenshot(page, 'previews-fleet-tile');
    await fleet.getByRole('checkbox', { name: 'Live tiles' }).uncheck();
    await small.waitFor({ state: 'detached', ...WAIT });
  });

  it("closes every session when the view is left: the device's WebRTC readers drop to zero", async () => {
    await page.getByRole('tab', { name: 'Overview' }).click();
    await until(
      'no WebRTC reader left on the device',
      async () => (await webrtcReaders()) === 0,
      30_000,
      500,
    );
  });

  it('sits after Recorder for the arrow keys', async () => {
    await page.getByRole('tab', { name: 'Recorder' }).click();
    await page.getByRole('tab', { name: 'Recorder' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Previews', selected: true }).waitFor(WAIT);
    expect(
      await page.getByRole('tab', { name: 'Previews' }).evaluate((el) => el === document.activeElement),
    ).toBe(true);
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('tab', { name: 'Recorder', selected: true }).waitFor(WAIT);
    await page.getByRole('tab', { name: 'Overview' }).click();
  });

  // Last of the media tests: closing tunnelled sessions can still bring the console down (an EPIPE on a local
  // forward socket nobody listens to errors on, in the SSH forward), which would take the tests after it along.
  it('plays through the SSH tunnel when that route is chosen, and names it', async () => {
    await page.getByRole('tab', { name: 'Previews' }).click();
    await panel().getByRole('combobox', { name: 'Preview route' }).selectOption({ label: 'Through SSH' });
    await panel().getByRole('strong').filter({ hasText: 'Through SSH' }).waitFor(LIVE);
    const before: Record<string, number> = {};
    for (const cam of CAMERAS) {
      await tile(cam).getByText('Live', { exact: true }).waitFor(LIVE);
      before[cam] = await framesOf(cam);
    }
    await framesRise(before);
    // Media rides ICE-TCP on the forwarded port.
    await tile('cam0').getByText('TCP', { exact: true }).waitFor(WAIT);
    await screenshot(page, 'previews-tunnel');
    await panel().getByRole('combobox', { name: 'Preview route' }).selectOption({ label: 'Automatic' });
    await panel()
      .getByRole('strong')
      .filter({ hasText: /^(Direct|Through SSH)$/ })
      .waitFor(WAIT);
  });

  it('saw no script errors or CSP violations', () => {
    const real = (session?.problems ?? []).filter(
      (p) =>
        !/frame-ancestors.*ignored when delivered via a <meta>/.test(p) &&
        // Chromium logs every non-2xx fetch; the WHEP answers while the link was down are such.
        !/Failed to load resource/.test(p),
    );
    expect(real).toEqual([]);
  });
});

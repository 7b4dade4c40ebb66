/**
 * The scene mixer in Chromium against the web console and an emulated R58 with four cameras (issue 14): start the
 * mixer on "cam0 full", arrange a picture-in-picture by dragging cam1's box into the lower right, take it with a
 * cut, and see the Program video change where the box went (pixels of the decoded WHEP video); cam1's tally light
 * turns red; with "Edit live" on, dragging the box away changes Program without a take. Elements are found by role
 * and accessible name. The program is 640x360 here (TALLY_MIXER_OUTPUT).
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { until } from '../fixtures/until.js';
import { screenshot, type BrowserSession } from './harness.js';
import { addEmulatedDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'mixer-r58';
const LIVE = { timeout: 60_000 };

const sizeBefore = process.env['TALLY_MIXER_OUTPUT'];
if (ok) process.env['TALLY_MIXER_OUTPUT'] = '640x360';

afterAll(() => {
  if (sizeBefore === undefined) delete process.env['TALLY_MIXER_OUTPUT'];
  else process.env['TALLY_MIXER_OUTPUT'] = sizeBefore;
});

let emu: Emulator | undefined;
let page: Page;
let session: BrowserSession | undefined;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, page, session } = s),
);

const panel = (): Locator => page.getByRole('tabpanel', { name: 'Mixer' });
const program = (): Locator => panel().getByRole('figure', { name: /^Program / });

/**
 * The mean brightness (0–255) of a region of the Program video, in fractions of the frame: the decoded WHEP frame
 * drawn to a canvas in the page.
 */
async function brightness(region: { x: number; y: number; w: number; h: number }): Promise<number> {
  return program()
    .locator('video')
    .evaluate((video: HTMLVideoElement, r) => {
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0) return -1;
      ctx.drawImage(video, 0, 0);
      const px = ctx.getImageData(
        Math.round(r.x * canvas.width),
        Math.round(r.y * canvas.height),
        Math.max(1, Math.round(r.w * canvas.width)),
        Math.max(1, Math.round(r.h * canvas.height)),
      ).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4)
        sum += 0.299 * (px[i] ?? 0) + 0.587 * (px[i + 1] ?? 0) + 0.114 * (px[i + 2] ?? 0);
      return sum / (px.length / 4);
    }, region);
}

describe.skipIf(!ok)('the scene mixer', () => {
  it('starts on cam0 full, a PiP arranged by dragging goes to air with a cut, and cam1 turns red', async () => {
    if (!emu) throw new Error('no emulator');
    // A tile offers WHEP as soon as its path is listed; the media server answers 404 until the push is ready (the
    // program right after the start, the cameras right after the emulator starts), and the tile retries. Any
    // other 404 is a defect.
    const notFound: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 404) notFound.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    await addEmulatedDevice(page, emu, DEVICE);
    await page.getByRole('tab', { name: 'Mixer' }).click();
    const scenes = panel().getByRole('group', { name: `Scenes of ${DEVICE}` });
    await scenes.getByRole('button', { name: /^cam0 full/ }).waitFor(LIVE);
    await scenes.getByRole('button', { name: /^cam0 full/ }).click();
    await panel().getByRole('button', { name: 'Start mixer' }).click();
    await panel().locator('[data-mixer-status="running"]').waitFor(LIVE);
    await program().locator('video').waitFor(LIVE);
    // The lower-right corner of cam0 full: SMPTE bars (bright) before the PiP covers it.
    const corner = { x: 0.78, y: 0.75, w: 0.1, h: 0.1 };
    const before = await until(
      'program frames',
      async () => {
        const b = await brightness(corner);
        return b > 0 ? b : undefined;
      },
      LIVE.timeout,
    );
    await panel()
      .getByRole('list', { name: 'Mixer inputs' })
      .getByRole('listitem')
      .filter({ hasText: 'cam0' })
      .getByText(/playing · \d+ fps · VPU/)
      .waitFor(LIVE);
    await screenshot(page, 'mixer-running');

    // cam1 into the scene, then dragged by its box into the lower right.
    await panel().getByRole('button', { name: 'Add cam1' }).click();
    const canvas = panel().getByRole('group', { name: /^Scene canvas: / });
    const box = canvas.getByRole('button', { name: /^cam1 box/ });
    await box.waitFor(WAIT);
    const area = await canvas.boundingBox();
    const from = await box.boundingBox();
    if (!area || !from) throw new Error('no canvas or box on screen');
    // Shrink it first (the handle at its lower right), then drag it to the corner.
    await panel()
      .getByLabel(/^Width/)
      .fill('30');
    await panel()
      .getByLabel(/^Height/)
      .fill('30');
    const small = await box.boundingBox();
    if (!small) throw new Error('no box');
    await page.mouse.move(small.x + small.width / 2, small.y + small.height / 2);
    await page.mouse.down();
    await page.mouse.move(area.x + area.width * 0.82, area.y + area.height * 0.8, { steps: 12 });
    await page.mouse.up();
    const name = (await box.getAttribute('aria-label')) ?? (await box.innerText());
    expect(name).toMatch(/^cam1 box, x [67]\d(\.\d)? %, y [5-7]\d(\.\d)? %/);
    await screenshot(page, 'mixer-pip-arranged');
    // The boxes show their cameras' live video, not a placeholder.
    await expect.poll(() => canvas.getByText('Asking for the cameras…').count(), LIVE).toBe(0);

    // The edited scene is on Program, so the edit stays off air: put it on Preview, then cut.
    await scenes.getByRole('button', { name: /^cam0 full/ }).click();
    await panel()
      .getByRole('figure', { name: /^Preview cam0 full/ })
      .waitFor(WAIT);
    await expect.poll(() => panel().getByRole('button', { name: 'Cut' }).isEnabled(), LIVE).toBe(true);
    await panel().getByRole('button', { name: 'Cut' }).click();
    await panel()
      .getByRole('status')
      .filter({ hasText: /^Take \d+ applied/ })
      .waitFor(LIVE);
    // The corner now shows cam1's ball pattern (black background), not the bars.
    const after = await until(
      'the PiP in the program video',
      async () => {
        const b = await brightness(corner);
        return b >= 0 && b < before - 40 ? b : undefined;
      },
      LIVE.timeout,
    );
    expect(after).toBeLessThan(before);
    await panel()
      .getByRole('region', { name: 'Cameras' })
      .getByRole('listitem')
      .filter({ hasText: 'cam1' })
      .getByText('On Program')
      .waitFor(WAIT);
    await screenshot(page, 'mixer-pip-on-air');

    // Edit live: with the scene on Program, moving cam1 out of the corner goes on air without a take.
    await panel().getByRole('checkbox', { name: 'Edit live' }).check();
    await box.scrollIntoViewIfNeeded();
    const placed = await box.boundingBox();
    const frame = await canvas.boundingBox();
    if (!placed || !frame) throw new Error('no box or canvas');
    await page.mouse.move(placed.x + placed.width / 2, placed.y + placed.height / 2);
    await page.mouse.down();
    await page.mouse.move(frame.x + frame.width * 0.2, frame.y + frame.height * 0.25, { steps: 12 });
    await page.mouse.up();
    const live = await until(
      'the corner back to the bars, live',
      async () => {
        const b = await brightness(corner);
        return b > after + 40 ? b : undefined;
      },
      LIVE.timeout,
    );
    expect(live).toBeGreaterThan(after);
    await panel().getByRole('checkbox', { name: 'Edit live' }).uncheck();

    await page.getByRole('tab', { name: 'Previews' }).click();
    await page
      .getByRole('tabpanel', { name: 'Previews' })
      .getByRole('figure', { name: 'cam1', exact: true })
      .getByText('On Program')
      .waitFor(LIVE);
    await screenshot(page, 'mixer-tally-previews');
    expect(notFound.filter((r) => !/^POST \/previews\/[^/]+\/[^/]+\/whep$/.test(r))).toEqual([]);
    const real = (session?.problems ?? []).filter(
      (p) =>
        !/frame-ancestors.*ignored when delivered via a <meta>/.test(p) &&
        !(notFound.length > 0 && /status of 404/.test(p)),
    );
    expect(real).toEqual([]);
  }, 240_000);
});

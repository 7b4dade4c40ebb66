/**
 * The budget counts CPU beside VPU sessions (issue 15), in Chromium against the web console and an emulated R58 whose
 * CPU follows the r58 profile's figures: the current config's CPU with what the board runs now, each preset's CPU
 * per stream, h264-sw on all four cameras refused on CPU with the sum spelled out, and on two cameras (seed 000's
 * limit) let through with a warning. Elements are found by role and accessible name.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { screenshot, type BrowserSession } from './harness.js';
import { addEmulatedDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'cpu-r58';
/** Cameras start and the monitor's readings arrive; generous, never asserted on. */
const LIVE = { timeout: 60_000 };

let emu: Emulator | undefined;
let session: BrowserSession | undefined;
let page: Page;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, session, page } = s),
);

const encoders = (): Locator =>
  page.getByRole('tabpanel', { name: 'Recorder' }).getByRole('region', { name: 'Encoders', exact: true });
const planCpu = (): Locator => encoders().getByRole('figure', { name: 'CPU budget of this plan' });
const applyButton = (): Locator => encoders().getByRole('button', { name: 'Apply', exact: true });

describe.skipIf(!ok)('CPU budget', () => {
  it('shows the current config’s CPU as measured on the board, and each preset’s CPU per stream', async () => {
    if (!emu || !session) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    await page.getByRole('tab', { name: 'Recorder' }).click();
    const software = encoders().getByRole('article', { name: 'H.264 software' });
    await software
      .getByText('30–40 % of the board per stream (Rockchip RK3588)', { exact: true })
      .waitFor(WAIT);
    await encoders()
      .getByRole('article', { name: 'H.264 hardware (proven)' })
      .getByText('2–5 % of the board per stream (Rockchip RK3588)', { exact: true })
      .waitFor(WAIT);
    // Four mpph264enc cameras: well within the safe limit, with the board's reading beside it once the monitor
    // has one (the budget is read again every 10 s).
    const now = encoders().getByRole('figure', { name: 'CPU budget of the current config' });
    await now.getByText(/^The board now: \d+ %$/).waitFor(LIVE);
    await now.getByText(/ of the board's CPU, within the safe limit \(70 %\)$/).waitFor(WAIT);
    await page.setViewportSize({ width: 1440, height: 900 });
    await now.scrollIntoViewIfNeeded();
    await screenshot(page, 'cpu-budget-now');
  });

  it('refuses h264-sw on all four cameras on CPU, with the sum spelled out, and Apply stays off', async () => {
    await encoders().getByRole('radio', { name: 'All cameras' }).check();
    await encoders().getByLabel('Preset', { exact: true }).selectOption('h264-sw');
    await planCpu()
      .getByText(/^\d+–\d+ % of the board's CPU, over the practical limit \(85 %\)$/)
      .waitFor(LIVE);
    // The VPU side alone would let it through: x264enc takes no session.
    await encoders()
      .getByRole('figure', { name: 'VPU budget of this plan' })
      .getByText('0 of 8 VPU sessions, within the safe limit (6)', { exact: true })
      .waitFor(WAIT);
    const sum = planCpu().getByText(/^4 × x264enc at 30–40 % \+ /);
    await sum.waitFor(WAIT);
    const words = (await sum.textContent()) ?? '';
    // Four streams at 30–40 % each, plus the rest of the board: what the monitor measured, less what the recorder's
    // own four mpph264enc streams take by the same figures.
    const [, rest, low, high] =
      /^4 × x264enc at 30–40 % \+ (\d+) % for the rest of the board \(\d+ % measured over the last 30 s, less 8–20 % for the recorder's 4 streams now\) = (\d+)–(\d+) % of the board's CPU: over the practical limit of 85 % even at the low figure\./.exec(
        words,
      ) ?? [];
    expect(rest, words).toBeDefined();
    expect(Number(low)).toBe(120 + Number(rest));
    expect(Number(high)).toBe(160 + Number(rest));
    expect(words).toMatch(/keep x264enc to at most 2 cameras\.$/);
    await planCpu()
      .getByRole('row', { name: /^cam3 30–40 % recording x264enc/ })
      .waitFor(WAIT);

    await expect.poll(() => applyButton().isDisabled(), { timeout: 20_000 }).toBe(true);
    await encoders()
      .getByText(/^Cannot apply: CPU: 4 × x264enc at 30–40 %/)
      .waitFor(WAIT);
    await planCpu().scrollIntoViewIfNeeded();
    await screenshot(page, 'cpu-budget-refused-1440');
    await page.setViewportSize({ width: 1280, height: 720 });
    await planCpu().scrollIntoViewIfNeeded();
    await screenshot(page, 'cpu-budget-refused-1280');
  });

  it('lets h264-sw on two cameras through with a CPU warning (seed 000: limit to 2 cameras)', async () => {
    await encoders().getByRole('radio', { name: 'Only these:' }).check();
    for (const cam of ['cam0', 'cam1'])
      await encoders().getByRole('checkbox', { name: cam, exact: true }).check();
    await planCpu()
      .getByText(/^\d+–\d+ % of the board's CPU, past the safe limit \(70 %\) at the high figure$/)
      .waitFor(LIVE);
    await planCpu()
      .getByText(/^2 × x264enc at 30–40 % \+ 2 × mpph264enc at 2–5 % \+ /)
      .waitFor(WAIT);
    await expect.poll(() => applyButton().isEnabled(), { timeout: 20_000 }).toBe(true);
    await planCpu().scrollIntoViewIfNeeded();
    await screenshot(page, 'cpu-budget-warned');
  });
});

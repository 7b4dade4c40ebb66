/**
 * Qualifying the current config in Chromium, from the Recorder tab's History section of an emulated R58 with two
 * cameras: the plan, the live progress, the per-test report, and the known-good badge on HEAD afterwards. The web
 * console runs the tests shortened (3 s, 5 s, 3 s at 640x360) through its environment; the variant stays `quick`.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { screenshot } from './harness.js';
import { addEmulatedDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'qualify-r58';
const LIVE = { timeout: 60_000 };

// Read by the web console when it starts (cli.ts runWeb), in the beforeAll below.
const saved = { d: process.env['TALLY_QUALIFY_DURATIONS_S'], f: process.env['TALLY_QUALIFY_FRAME'] };
process.env['TALLY_QUALIFY_DURATIONS_S'] = '3,5,3';
process.env['TALLY_QUALIFY_FRAME'] = '640x360@30';
afterAll(() => {
  for (const [k, v] of [
    ['TALLY_QUALIFY_DURATIONS_S', saved.d],
    ['TALLY_QUALIFY_FRAME', saved.f],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

let emu: Emulator | undefined;
let page: Page;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 2 }),
  (s) => ({ emu, page } = s),
);

const history = (): Locator =>
  page.getByRole('tabpanel', { name: 'Recorder' }).getByRole('region', { name: 'History', exact: true });
const table = (): Locator => history().getByRole('table', { name: `Encoder history of ${DEVICE}` });

describe.skipIf(!ok)('qualification', () => {
  it('qualifies the current config (quick) from the History section: plan, live progress, report, and the known-good badge on HEAD', async () => {
    if (!emu) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    await page.getByRole('tab', { name: 'Recorder' }).click();
    await table().waitFor(LIVE);
    const headBadges = table()
      .getByRole('row')
      .nth(1)
      .getByRole('list', { name: /^Badges of / });
    await headBadges.getByRole('listitem').filter({ hasText: /^HEAD/ }).waitFor(WAIT);
    expect(
      await headBadges
        .getByRole('listitem')
        .filter({ hasText: /^known-good/ })
        .count(),
    ).toBe(0);

    await history().getByRole('button', { name: 'Qualify the current config' }).click();
    const dialog = page.getByRole('dialog', { name: `Qualify on ${DEVICE}` });
    const plan = dialog.getByRole('region', { name: 'What the qualification will do' });
    await plan.waitFor(LIVE);
    await plan.getByText(/^HEAD [0-9a-f]{7} /).waitFor(WAIT);
    await plan.getByRole('radio', { name: /^Quick/ }).check();
    await plan.getByText('Test 2: sustained encode: 5 s').waitFor(WAIT);
    await plan.getByText('stops for the tests and starts again afterwards', { exact: false }).waitFor(WAIT);
    await plan.getByText('written as a git note on', { exact: false }).waitFor(WAIT);
    console.log(`screenshot: ${await screenshot(page, 'qualify-plan')}`);
    await dialog.getByRole('button', { name: 'Qualify', exact: true }).click();

    await dialog.getByRole('heading', { name: 'Qualifying…' }).waitFor(WAIT);
    await dialog.getByRole('progressbar').waitFor(WAIT);
    await dialog
      .getByRole('list', { name: 'Tests' })
      .getByRole('listitem')
      .filter({ hasText: /running/ })
      .first()
      .waitFor(LIVE);
    console.log(`screenshot: ${await screenshot(page, 'qualify-running')}`);
    await dialog
      .getByRole('heading', { name: 'Passed: known-good on this board' })
      .waitFor({ timeout: 120_000 });
    const tests = dialog.getByRole('list', { name: 'Tests' }).getByRole('listitem');
    expect(await tests.count()).toBe(3);
    for (let i = 0; i < 3; i++) expect(await tests.nth(i).innerText()).toMatch(/\bpassed\b/);
    expect(await tests.nth(0).innerText()).toMatch(/Encode rate\s+[0-9.]+ fps \(input 30 fps\)/);
    expect(await tests.nth(2).innerText()).toMatch(/MediaMTX cam0\s+online/);
    console.log(`screenshot: ${await screenshot(page, 'qualify-report')}`);
    await dialog.getByRole('button', { name: 'Close' }).click();

    await headBadges
      .getByRole('listitem')
      .filter({ hasText: /^known-good/ })
      .waitFor(LIVE);
    await history()
      .getByRole('button', { name: /^Roll back to last known-good/ })
      .waitFor(WAIT);
    await table().scrollIntoViewIfNeeded();
    console.log(`screenshot: ${await screenshot(page, 'qualify-history')}`);
  });
});

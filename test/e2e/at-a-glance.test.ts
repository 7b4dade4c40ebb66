/**
 * At a glance (issue 15), in Chromium against the web console and an emulated R58 with four cameras: one status
 * strip per device on the sidebar card, the device header, the Overview and every preview tile. Recording shows as
 * REC with a running time everywhere; when the link drops, tiles say Stalled, the strip turns red and says the link
 * is lost while the last known REC stays, greyed, with its age; an alarm is raised; every screen says it is
 * reconnecting (never "connect first"); and on link up everything is live again. Health is read from the strip's
 * words ("Health: …") and its data-health attribute, never from pixels. Waits are generous; nothing is timed.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { until } from '../fixtures/until.js';
import { screenshot, type BrowserSession } from './harness.js';
import { PANIC_PIPELINE, addEmulatedDevice, runOnDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT, overview, screenText } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'glance-r58';
const CAMERAS = ['cam0', 'cam1', 'cam2', 'cam3'];
/** Pipelines start, samples arrive, keepalive notices, reconnects: generous, never asserted on. */
const LIVE = { timeout: 60_000 };
const REC_TIME = /^REC \d+:\d\d · 4 cams$/;

let emu: Emulator | undefined;
let session: BrowserSession | undefined;
let page: Page;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, session, page } = s),
);

const fleet = (): Locator => page.getByRole('complementary', { name: 'Fleet' });
const card = (): Locator => fleet().getByRole('button', { name: DEVICE, exact: true });
const header = (): Locator => page.getByRole('group', { name: `Status of ${DEVICE}` });
const tab = (name: string): Locator => page.getByRole('tab', { name, exact: true });
const panel = (name: string): Locator => page.getByRole('tabpanel', { name });
const tile = (name: string): Locator => panel('Previews').getByRole('figure', { name, exact: true });
const linkAlarm = (): Locator =>
  page.getByRole('alert', { name: `${DEVICE}: Link lost while recording 4 cameras` });

/** The strip's health as it says it: its data attribute, which always comes with the words "Health: …". */
async function healthOf(strip: Locator): Promise<string | null> {
  return strip.first().getAttribute('data-health');
}

async function waitHealth(strip: Locator, health: string): Promise<void> {
  await until(`health ${health}`, async () => (await healthOf(strip)) === health, LIVE.timeout, 200);
}

/** The screen at the two laptop sizes, for looking (then back to the harness's size). */
async function shootBoth(name: string): Promise<void> {
  for (const [width, height] of [
    [1440, 900],
    [1280, 720],
  ] as const) {
    await page.setViewportSize({ width, height });
    await screenshot(page, `${name}-${width}x${height}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe.skipIf(!ok)('at a glance', () => {
  it('connects the box: one strip on the card and the header, green with the readings against the limits', async () => {
    if (!emu) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    await header().getByText('VPU 4/8', { exact: true }).waitFor(LIVE);
    await card().getByText('VPU 4/8', { exact: true }).waitFor(LIVE);
    await header()
      .getByText(/^CPU \d+ %$/)
      .waitFor(LIVE);
    await header()
      .getByText(/^\d+ °C$/)
      .waitFor(LIVE);
    await waitHealth(header(), 'ok');
    await header().getByText('Health: good', { exact: true }).waitFor(WAIT);
    await card().getByText('Health: good', { exact: true }).waitFor(WAIT);
    // The Overview's headline is the same sum.
    await overview(page).getByText('Health: All well', { exact: true }).waitFor(WAIT);
    await screenshot(page, 'glance-connected');
  });

  it('shows REC with a running time on the sidebar card, the header and every preview tile once recording starts', async () => {
    await tab('Recorder').click();
    await panel('Recorder')
      .getByRole('region', { name: 'Recordings', exact: true })
      .getByRole('button', { name: 'Start recording' })
      .click();
    await header().getByText(REC_TIME).waitFor(LIVE);
    await card().getByText(REC_TIME).waitFor(WAIT);
    // The Service card says the same as the strip.
    await panel('Recorder')
      .getByRole('region', { name: 'Service', exact: true })
      .getByText('cam3', { exact: false })
      .first()
      .waitFor(WAIT);
    // The time runs.
    const first = await header().getByText(REC_TIME).innerText();
    await until(
      'the REC time moving on',
      async () => (await header().getByText(REC_TIME).innerText()) !== first,
      WAIT.timeout,
    );
    expect(await healthOf(header())).toBe('ok');

    await tab('Previews').click();
    for (const cam of CAMERAS) {
      await tile(cam).getByText('Live', { exact: true }).waitFor(LIVE);
      await tile(cam)
        .getByText(/^REC \d+:\d\d$/)
        .waitFor(WAIT);
    }
    await shootBoth('glance-recording-previews');
  });

  it('drops the link: tiles stall, the strip turns red with the last known REC greyed and aged, an alarm is raised, and every screen says reconnecting', async () => {
    if (!emu) throw new Error('no emulator');
    // Everything any screen shows from now on is checked for "connect first".
    await page.evaluate(() => {
      const said: string[] = [];
      (window as unknown as { connectFirst: string[] }).connectFirst = said;
      const check = (text: string | null): void => {
        if (text && /connect(\s+it)?\s+first/i.test(text)) said.push(text.trim().slice(0, 200));
      };
      check(document.body.innerText);
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.type === 'characterData') check(r.target.textContent);
          for (const node of r.addedNodes) check(node.textContent);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });

    const tabs = page.getByRole('tablist').first();
    const tabsBefore = await tabs.boundingBox();
    await emu.control.linkDown();
    try {
      // Frames stop at once; keepalive needs its window to call the link dead.
      // Each tile stalls for a few seconds before its session gives up and retries: watched side by side.
      await Promise.all(CAMERAS.map((cam) => tile(cam).getByText('Stalled', { exact: true }).waitFor(LIVE)));
      await screenshot(page, 'glance-stalled');

      await header()
        .getByText(/^Link lost \d+ s · reconnecting \(attempt \d+\)$/)
        .waitFor(LIVE);
      await waitHealth(header(), 'alarm');
      await header()
        .getByText('Health: alarm — Link lost while recording 4 cameras', { exact: true })
        .waitFor(WAIT);
      // What it last knew stays, greyed, with its age.
      await header().getByText(REC_TIME).waitFor(WAIT);
      await header()
        .getByText(/^last seen \d+ s ago — the box was recording 4 cameras$/)
        .waitFor(WAIT);
      // The header says all that on one line: the tabs under it stay where the pointer expects them.
      expect(await tabs.boundingBox()).toEqual(tabsBefore);
      await card().getByText(REC_TIME).waitFor(WAIT);
      await card()
        .getByText(/^last seen \d+ s ago — the box was recording 4 cameras$/)
        .waitFor(WAIT);
      expect(await healthOf(card().locator('[data-health]'))).toBe('alarm');
      for (const cam of CAMERAS) {
        await tile(cam)
          .getByText(/^REC \d+:\d\d$/)
          .waitFor(WAIT);
        await tile(cam)
          .getByText(/^Link lost \d+ s$/)
          .waitFor(WAIT);
      }
      await linkAlarm().waitFor(LIVE);
      await screenshot(page, 'glance-link-lost-previews');

      await tab('Recorder').click();
      await panel('Recorder')
        .getByRole('status')
        .getByText(new RegExp(`^Reconnecting to ${DEVICE}… \\(attempt \\d+\\)$`))
        .waitFor(WAIT);
      await screenshot(page, 'glance-link-lost-recorder');

      await tab('Monitor').click();
      await panel('Monitor')
        .getByRole('figure', { name: 'CPU' })
        .getByText(/^CPU: \d+ % · \d+ s ago$/)
        .waitFor(LIVE);
      await screenshot(page, 'glance-link-lost-monitor');

      await tab('Overview').click();
      await overview(page).getByText('Health: Alarm', { exact: true }).waitFor(WAIT);
      await overview(page).getByText('Link lost while recording 4 cameras', { exact: true }).waitFor(WAIT);
      await shootBoth('glance-link-lost-overview');

      // A terminal opened now is told the console is reconnecting, not to connect.
      await tab('Terminal').click();
      const terminal = page.getByRole('region', { name: /^Terminal / });
      await expect
        .poll(async () => (await screenText(terminal)).replace(/\n/g, ''), LIVE)
        .toMatch(/not reachable right now: Tally is reconnecting by itself \(attempt \d+\)/);
      await screenshot(page, 'glance-link-lost-terminal');
    } finally {
      await emu.control.linkUp();
    }
  });

  it('is live and green again on link up, the alarm closed by Tally, and no screen ever said "connect first"', async () => {
    await tab('Overview').click();
    await header().getByText('Connected', { exact: true }).waitFor({ timeout: 90_000 });
    await waitHealth(header(), 'ok');
    await header().getByText(REC_TIME).waitFor(LIVE);
    expect(
      await header()
        .getByText(/^last seen/)
        .count(),
    ).toBe(0);
    await linkAlarm().waitFor({ state: 'detached', ...LIVE });
    await overview(page).getByText('Health: All well', { exact: true }).waitFor(WAIT);
    await tab('Previews').click();
    for (const cam of CAMERAS)
      await tile(cam).getByText('Live', { exact: true }).waitFor({ timeout: 90_000 });
    await screenshot(page, 'glance-recovered');

    const said = await page.evaluate(() => (window as unknown as { connectFirst: string[] }).connectFirst);
    expect(said).toEqual([]);
  });

  it('never says green "All well" while a critical Oops is open: the headline and every strip turn red and name it', async () => {
    if (!emu) throw new Error('no emulator');
    await tab('Overview').click();
    await runOnDevice(emu, PANIC_PIPELINE);
    await waitHealth(header(), 'alarm');
    await header()
      .getByText(/^Health: alarm — Kernel Oops/)
      .waitFor(WAIT);
    await card().getByText('Oops', { exact: true }).waitFor(WAIT);
    expect(await healthOf(card().locator('[data-health]'))).toBe('alarm');
    await overview(page).getByText('Health: Alarm', { exact: true }).waitFor(WAIT);
    await overview(page)
      .getByText(/^Kernel Oops/)
      .waitFor(WAIT);
    expect(await overview(page).getByText('Health: All well', { exact: true }).count()).toBe(0);
    await shootBoth('glance-oops-overview');
  });

  it('saw no script errors', () => {
    // Chromium logs every non-2xx fetch; WHEP answers while the link was down are such.
    const real = (session?.problems ?? []).filter(
      (p) => !/Failed to load resource|frame-ancestors.*ignored when delivered via a <meta>/.test(p),
    );
    expect(real).toEqual([]);
  });
});

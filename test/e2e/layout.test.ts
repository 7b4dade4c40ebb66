/**
 * A steady layout and the keyboard, in Chromium against the web console and an emulated R58 with four cameras
 * (issue 15): raising an alarm (and opening its details) moves none of the Recorder tab's buttons; wheeling past
 * the end of the Recorder tab leaves the page and its header where they are; the kernel log opens at its newest
 * line with Follow pressed, and follows; at 1280×720 the four camera tiles are all in view; `?` lists the shortcuts,
 * Alt+digits switch tabs, Alt+A acknowledges, Alt+R records and Alt+S must be held. Screens of every tab at
 * 1440×900 and 1280×720 are saved as screens-<tab>-<size>. Elements are found by role and accessible name.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { screenshot } from './harness.js';
import { addEmulatedDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'layout-r58';
/** Pipelines start and the first samples arrive after connecting; generous, never asserted on. */
const LIVE = { timeout: 60_000 };
const TABS = ['Overview', 'Monitor', 'Recorder', 'Previews', 'Mixer', 'Terminal'] as const;
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
] as const;
/** An Oops like the seeds' panic config prints, complete to its end marker so it raises one alarm at once. */
const OOPS = [
  'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010',
  'Internal error: Oops: 96000005 [#1] SMP',
  'pc : rkvenc2_set_rc_cfg+0x1c8/0x4b0 [rockchip_vpu]',
  'Call trace:',
  ' rkvenc2_set_rc_cfg+0x1c8/0x4b0 [rockchip_vpu]',
  '---[ end trace 0000000000000000 ]---',
].join('\n');

let emu: Emulator | undefined;
let page: Page;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, page } = s),
);

const recorder = (): Locator => page.getByRole('tabpanel', { name: 'Recorder' });
const monitor = (): Locator => page.getByRole('tabpanel', { name: 'Monitor' });
const strip = (): Locator => page.getByRole('region', { name: 'Open alarms' });
const oops = (): Locator => page.getByRole('alert', { name: new RegExp(`^${DEVICE}: .*Oops`) });
const resetButton = (): Locator => page.getByRole('button', { name: 'Emergency VPU reset', exact: true });
const kernelLog = (): Locator => monitor().getByRole('listbox', { name: `Kernel log of ${DEVICE}` });

async function kernel(text: string): Promise<void> {
  if (!emu) throw new Error('no emulator');
  const res = await fetch(`${emu.ready.control}/kernel`, { method: 'POST', body: `${text}\n` });
  expect(res.status).toBe(200);
}

type Box = { x: number; y: number; width: number; height: number };

/** Where each button is on the page, by accessible name. */
async function buttonBoxes(scope: Locator): Promise<Record<string, Box>> {
  const out: Record<string, Box> = {};
  for (const button of await scope.getByRole('button').all()) {
    const name = (await button.getAttribute('aria-label')) ?? (await button.innerText()).trim();
    const box = await button.boundingBox();
    if (box) out[name] = box;
  }
  return out;
}

/** The Recorder tab's buttons that stay put while the device is steady: the header's, the tabs, the service's. */
async function recorderButtons(): Promise<Record<string, Box>> {
  const service = recorder().getByRole('region', { name: 'Service', exact: true });
  const tabs: Record<string, Box> = {};
  for (const tab of TABS) {
    const box = await page.getByRole('tab', { name: tab }).boundingBox();
    if (box) tabs[`tab ${tab}`] = box;
  }
  const reset = await resetButton().boundingBox();
  return { ...tabs, ...(reset ? { reset } : {}), ...(await buttonBoxes(service)) };
}

/** Whether the box lies wholly inside the viewport. */
function inViewport(box: Box | null, size: { width: number; height: number }): boolean {
  return (
    box !== null &&
    box.x >= 0 &&
    box.y >= 0 &&
    box.x + box.width <= size.width &&
    box.y + box.height <= size.height
  );
}

describe.skipIf(!ok)('a steady layout and the keyboard', () => {
  it('connects the emulated R58 at 1440×900', async () => {
    if (!emu) throw new Error('no emulator');
    await page.setViewportSize(SIZES[0]);
    await addEmulatedDevice(page, emu, DEVICE);
    await strip().getByText('No open alarms', { exact: true }).waitFor(WAIT);
  });

  it('lists the shortcuts on ?, and marks the controls with their keys', async () => {
    await page.getByRole('heading', { name: DEVICE, exact: true }).click();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor(WAIT);
    const listed: [string, string][] = [
      ['Alt+1', 'Show the Overview tab'],
      ['Alt+3', 'Show the Recorder tab'],
      ['Alt+A', 'Acknowledge the alarm shown in the alarm strip'],
      ['Alt+R', 'Start recording'],
      ['Alt+S', 'Stop recording (hold 1.5 s)'],
      ['Space', 'Take the Preview scene to air (Cut)'],
    ];
    // A row's name is its keys, what they do and where: "Alt+R Start recording Recorder tab".
    for (const [keys, action] of listed)
      await help.getByRole('row', { name: `${keys} ${action}` }).waitFor(WAIT);
    await screenshot(page, 'layout-shortcuts');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden', ...WAIT });
    expect(await page.getByRole('tab', { name: 'Recorder' }).getAttribute('aria-keyshortcuts')).toBe('Alt+3');
    expect(
      await page.getByRole('button', { name: 'Keyboard shortcuts' }).getAttribute('aria-keyshortcuts'),
    ).toBe('?');
  });

  it('switches tabs with Alt+digits, and never while typing', async () => {
    await page.keyboard.press('Alt+Digit2');
    await page.getByRole('tab', { name: 'Monitor', selected: true }).waitFor(WAIT);
    const filter = monitor().getByRole('searchbox', { name: 'Filter the kernel log by text' });
    await filter.fill('');
    await filter.press('?');
    await filter.press('Alt+Digit3');
    expect(await filter.inputValue()).toBe('?');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.getByRole('tab', { name: 'Monitor' }).getAttribute('aria-selected')).toBe('true');
    await filter.fill('');
    await page.getByRole('heading', { name: DEVICE, exact: true }).click();
    await page.keyboard.press('Alt+Digit3');
    await page.getByRole('tab', { name: 'Recorder', selected: true }).waitFor(WAIT);
  });

  it('raises an alarm, and opens its details, without moving the Recorder tab’s buttons', async () => {
    const service = recorder().getByRole('region', { name: 'Service', exact: true });
    await service.getByText('active (running)', { exact: true }).waitFor(LIVE);
    await service.getByRole('button', { name: 'Restart', exact: true }).waitFor(WAIT);
    const before = await recorderButtons();
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(8);

    await kernel(OOPS);
    await oops().waitFor(LIVE);
    expect(await recorderButtons()).toEqual(before);
    await screenshot(page, 'layout-alarm-recorder');

    await strip()
      .getByRole('button', { name: /^Details/ })
      .click();
    const details = strip().getByRole('region', { name: 'Alarm details' });
    await details.getByText(/^Internal error: Oops: \w+ \[#1\] SMP at /).waitFor(WAIT);
    expect(await recorderButtons()).toEqual(before);
    await screenshot(page, 'layout-alarm-details');
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached', ...WAIT });

    // Alt+A acknowledges the alarm in the strip; the strip stays, calm, and nothing moves.
    expect(
      await strip()
        .getByRole('button', { name: new RegExp(`^Acknowledge ${DEVICE}: .*Oops`) })
        .getAttribute('aria-keyshortcuts'),
    ).toBe('Alt+A');
    await page.keyboard.press('Alt+KeyA');
    await oops().waitFor({ state: 'detached', ...WAIT });
    await strip().getByText('No open alarms', { exact: true }).waitFor(WAIT);
    expect(await recorderButtons()).toEqual(before);
  });

  it('keeps the page and the header still when the wheel goes past the end of the Recorder tab', async () => {
    const header = await resetButton().boundingBox();
    const panel = await recorder().boundingBox();
    if (!header || !panel) throw new Error('Recorder tab not laid out');
    await page.mouse.move(panel.x + panel.width / 2, panel.y + panel.height / 2);
    for (let i = 0; i < 40; i++) await page.mouse.wheel(0, 800);
    // The tab scrolled to its end...
    await expect
      .poll(() => recorder().evaluate((el) => Math.round(el.scrollTop + el.clientHeight - el.scrollHeight)))
      .toBeGreaterThanOrEqual(-1);
    // ...and the page did not follow.
    expect(await page.evaluate(() => document.scrollingElement?.scrollTop ?? 0)).toBe(0);
    expect(await resetButton().boundingBox()).toEqual(header);
    expect(inViewport(header, SIZES[0])).toBe(true);
    await screenshot(page, 'layout-recorder-end');
    await recorder().evaluate((el) => el.scrollTo({ top: 0 }));
  });

  it('opens the kernel log at its newest line with Follow pressed, and follows', async () => {
    await page.keyboard.press('Alt+Digit2');
    const follow = monitor().getByRole('button', { name: 'Follow', exact: true });
    await follow.waitFor(WAIT);
    expect(await follow.getAttribute('aria-pressed')).toBe('true');
    expect(
      await monitor().getByRole('button', { name: 'Pause', exact: true }).getAttribute('aria-pressed'),
    ).toBe('false');
    const marker = `tally-layout-marker-${Date.now()}`;
    await kernel(`usb 1-1: ${marker}`);
    const newest = kernelLog().getByRole('option', { name: new RegExp(marker) });
    await newest.waitFor(LIVE);
    // The newest line is the last one, and it is in sight inside the log and on the screen.
    const count = await kernelLog().getByRole('option').last().getAttribute('aria-setsize');
    expect(await newest.getAttribute('aria-posinset')).toBe(count);
    const [line, log] = [await newest.boundingBox(), await kernelLog().boundingBox()];
    if (!line || !log) throw new Error('kernel log not laid out');
    expect(line.y).toBeGreaterThanOrEqual(log.y);
    expect(line.y + line.height).toBeLessThanOrEqual(log.y + log.height + 1);
    expect(inViewport(line, SIZES[0])).toBe(true);
    expect(await follow.getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'layout-kernel-log');
  });

  it('shows the four camera tiles without scrolling at 1280×720', async () => {
    await page.setViewportSize(SIZES[1]);
    await page.keyboard.press('Alt+Digit4');
    const previews = page.getByRole('tabpanel', { name: 'Previews' });
    for (let i = 0; i < 4; i++)
      await previews
        .getByRole('figure', { name: `cam${i}`, exact: true })
        .getByText('Live', { exact: true })
        .waitFor(LIVE);
    for (let i = 0; i < 4; i++) {
      const box = await previews.getByRole('figure', { name: `cam${i}`, exact: true }).boundingBox();
      expect(inViewport(box, SIZES[1]), `cam${i} at ${JSON.stringify(box)}`).toBe(true);
    }
    expect(await previews.evaluate((el) => el.scrollTop)).toBe(0);
    await screenshot(page, 'layout-previews-1280x720');
  });

  it('starts recording on Alt+R; Alt+S stops only when held', async () => {
    await page.setViewportSize(SIZES[0]);
    await page.keyboard.press('Alt+Digit3');
    const recordings = recorder().getByRole('region', { name: 'Recordings', exact: true });
    const start = recordings.getByRole('button', { name: 'Start recording' });
    const stop = recordings.getByRole('button', { name: 'Stop recording' });
    await expect.poll(() => start.isEnabled(), LIVE).toBe(true);
    expect(await start.getAttribute('aria-keyshortcuts')).toBe('Alt+R');
    expect(await stop.getAttribute('aria-keyshortcuts')).toBe('Alt+S');
    await page.getByRole('heading', { name: DEVICE, exact: true }).click();
    await page.keyboard.press('Alt+KeyR');
    await expect.poll(() => stop.isEnabled(), LIVE).toBe(true);

    // Count the presses of Stop recording, whatever the button then does.
    await stop.evaluate((el) => {
      const w = window as unknown as { stopPresses: number };
      w.stopPresses = 0;
      el.addEventListener('click', () => w.stopPresses++);
    });
    const presses = (): Promise<number> =>
      page.evaluate(() => (window as unknown as { stopPresses: number }).stopPresses);

    // A tap is not enough: it says to hold, and presses nothing.
    await page.keyboard.down('Alt');
    await page.keyboard.down('KeyS');
    await page.getByRole('status').filter({ hasText: 'Keep holding Alt+S to stop recording' }).waitFor(WAIT);
    await page.keyboard.up('KeyS');
    await page.keyboard.up('Alt');
    await page
      .getByRole('status')
      .filter({ hasText: /^Let go too soon, nothing was pressed/ })
      .waitFor(WAIT);
    expect(await presses()).toBe(0);
    expect(await stop.isEnabled()).toBe(true);

    // Held, it presses Stop recording once.
    await page.keyboard.down('Alt');
    await page.keyboard.down('KeyS');
    await expect.poll(presses, WAIT).toBe(1);
    await page.keyboard.up('KeyS');
    await page.keyboard.up('Alt');
    await screenshot(page, 'layout-stop-held');
    // The held key presses Stop recording, which still names the files and asks: the shortcut skips no guard.
    const ask = page.getByRole('dialog', { name: `Stop recording on ${DEVICE}?` });
    await ask.getByRole('button', { name: /^Stop \d+ recordings?$/ }).click();
    await expect.poll(() => stop.isEnabled(), LIVE).toBe(false);
  });

  it('saves screens of every tab at 1440×900 and 1280×720', async () => {
    for (const size of SIZES) {
      await page.setViewportSize(size);
      for (const tab of TABS) {
        await page.getByRole('tab', { name: tab }).click();
        await page.getByRole('tab', { name: tab, selected: true }).waitFor(WAIT);
        if (tab === 'Previews')
          await page
            .getByRole('tabpanel', { name: 'Previews' })
            .getByRole('figure', { name: 'cam0', exact: true })
            .getByText('Live', { exact: true })
            .waitFor(LIVE);
        if (tab === 'Monitor') await kernelLog().getByRole('option').first().waitFor(LIVE);
        await screenshot(page, `screens-${tab.toLowerCase()}-${size.width}x${size.height}`);
      }
    }
  });
});

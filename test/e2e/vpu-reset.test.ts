/**
 * The emergency VPU reset (issue 7), as a producer meets it, in Chromium against the web console and an emulated
 * R58 with four cameras: a recording runs, the seeds' panic config raises an Oops and the VPU alarm; the alarm's
 * "Emergency VPU reset" opens a dialog naming what the reset will stop; a plain click on the hold button does
 * nothing but explain; holding it starts the reset, whose four steps are watched live; the report ends healthy with
 * the four cameras back online and the sessions after; and the report can be opened again later. Elements are
 * found by role and accessible name; waits are locator waits, never fixed sleeps.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { screenshot, type BrowserSession } from './harness.js';
import { PANIC_PIPELINE, addEmulatedDevice, runOnDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'studio-r58';
/** Pipelines start and samples arrive after connecting; generous, never asserted on. */
const LIVE = { timeout: 60_000 };
/** A whole reset: recordings finalised, sessions drained, the services and four cameras back one by one. */
const RESET = { timeout: 180_000 };

let emu: Emulator | undefined;
let session: BrowserSession | undefined;
let page: Page;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, session, page } = s),
);

const fleet = (): Locator => page.getByRole('complementary', { name: 'Fleet' });
const recorderPanel = (): Locator => page.getByRole('tabpanel', { name: 'Recorder' });
const vpuAlert = (): Locator => page.getByRole('alert', { name: new RegExp(`^${DEVICE}: .*Oops`) });
const dialog = (): Locator => page.getByRole('dialog', { name: `Emergency VPU reset on ${DEVICE}` });
const holdButton = (): Locator => dialog().getByRole('button', { name: `Hold to reset ${DEVICE}` });
const steps = (): Locator => dialog().getByRole('list', { name: 'Reset steps' });
const step = (n: number, word: string): Locator =>
  steps().getByRole('listitem', { name: new RegExp(`^Step ${n}: .*, ${word}$`) });

/** Holds the reset button until the bar fills and the reset's steps replace the plan; lets go even if they do not come. */
async function holdToReset(): Promise<void> {
  await holdButton().hover();
  await page.mouse.down();
  try {
    await steps().waitFor(WAIT);
  } finally {
    await page.mouse.up();
  }
}

let recordingFile = '';

describe.skipIf(!ok)('emergency VPU reset', () => {
  it('connects the emulated R58 with its four cameras', async () => {
    if (!emu) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    await fleet().getByText('VPU 4/8', { exact: true }).waitFor(LIVE);
    // The way in on every device screen, above the tabs.
    await page.getByRole('button', { name: 'Emergency VPU reset', exact: true }).waitFor(WAIT);
  });

  it('records on a camera, so the reset has a recording to stop and finalise', async () => {
    await page.getByRole('tab', { name: 'Recorder' }).click();
    const recordings = recorderPanel().getByRole('region', { name: 'Recordings', exact: true });
    await recordings.getByRole('button', { name: 'Start recording' }).click();
    const active = recordings
      .getByRole('table', { name: `Recordings on ${DEVICE}` })
      .getByRole('row')
      .filter({ hasText: 'recording' })
      .first();
    await active.waitFor(LIVE);
    recordingFile = (await active.getByRole('rowheader').locator('code').innerText()).trim();
    expect(recordingFile).toMatch(/^cam\d_\d{8}_\d{6}\.(mp4|mkv)$/);
  });

  it('raises the VPU alarm when the panic config Oopses the kernel', async () => {
    if (!emu) throw new Error('no emulator');
    await page.getByRole('tab', { name: 'Overview' }).click();
    await runOnDevice(emu, PANIC_PIPELINE);
    await vpuAlert().waitFor(LIVE);
  });

  it('opens the reset from the alarm, with a plan naming what it will stop', async () => {
    await vpuAlert()
      .getByRole('button', { name: `Emergency VPU reset for ${DEVICE}` })
      .click();
    await dialog().waitFor(WAIT);
    const plan = dialog().getByRole('region', { name: 'What the reset will do' });
    await plan.waitFor(WAIT);
    await plan.getByText(/VPU sessions? open now/).waitFor(WAIT);
    await plan
      .getByRole('list', { name: 'Recordings stopped gracefully and finalised' })
      .getByText(recordingFile, { exact: false })
      .waitFor(WAIT);
    await plan
      .getByRole('list', { name: 'Services stopped and restarted' })
      .getByText('preke-recorder')
      .waitFor(WAIT);
    const cams = plan.getByRole('list', { name: 'Cameras brought back one at a time' });
    for (let i = 0; i < 4; i++) await cams.getByText(`cam${i}`, { exact: true }).waitFor(WAIT);
    // The hold is described to assistive technology.
    const described = await holdButton().getAttribute('aria-describedby');
    expect(described).toBeTruthy();
    await screenshot(page, 'vpu-reset-plan');
  });

  it('does not start a reset on a plain click of the hold button: it says to keep holding', async () => {
    await holdButton().click();
    await dialog().getByText('Keep holding for 1.5 s to start the reset', { exact: true }).waitFor(WAIT);
    expect(await steps().count()).toBe(0);
    expect(await holdButton().isVisible()).toBe(true);
    // A release before the time is up does not start one either.
    await holdButton().hover();
    await page.mouse.down();
    await page.mouse.up();
    expect(await steps().count()).toBe(0);
    expect(await dialog().getByRole('heading', { name: 'Reset running' }).count()).toBe(0);
  });

  it('starts the reset when held, and shows its four steps as they run', async () => {
    await holdToReset();
    await dialog()
      .getByRole('heading', { name: /^(Reset running|Healthy)/ })
      .waitFor(WAIT);
    await step(1, '(running|done)').waitFor(RESET);
    await step(1, 'done').waitFor(RESET);
    await step(2, 'done').waitFor(RESET);
    await step(3, 'done').waitFor(RESET);
    await step(4, 'done').waitFor(RESET);
  }, 300_000);

  it('reports healthy: the recording finalised, four cameras online and the sessions after', async () => {
    await dialog()
      .getByRole('heading', { name: /^Healthy/ })
      .waitFor(RESET);
    await dialog().getByRole('status').filter({ hasText: /\S/ }).first().waitFor(WAIT);
    const cameras = dialog().getByRole('table', { name: 'Cameras' });
    for (let i = 0; i < 4; i++) {
      const row = cameras.getByRole('row', { name: new RegExp(`^cam${i} `) });
      await row.getByRole('cell', { name: 'online', exact: true }).waitFor(WAIT);
    }
    expect(await cameras.getByRole('cell', { name: 'online', exact: true }).count()).toBe(4);
    const sessions = (await dialog().getByRole('definition').first().innerText()).trim();
    expect(sessions).toMatch(/^(\d+|—) → 4$/);
    await dialog()
      .getByRole('table', { name: 'Recordings' })
      .getByRole('row', { name: new RegExp(recordingFile.replace('.', '\\.')) })
      .getByText(/^finalised/)
      .waitFor(WAIT);
    // The whole report in one picture: a taller window for the shot, then back.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.screenshot({ path: '/tmp/vpu-reset-report.png' });
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'vpu-reset-report');
  });

  it('opens the report again from the device head, under Reset reports', async () => {
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().waitFor({ state: 'hidden', ...WAIT });
    await page.getByRole('button', { name: 'Emergency VPU reset', exact: true }).click();
    await dialog().waitFor(WAIT);
    const reports = dialog().getByRole('region', { name: 'Reset reports' });
    await reports
      .getByRole('button', { name: /^Report of .* \(healthy\)$/ })
      .first()
      .click();
    await dialog()
      .getByRole('heading', { name: /^Healthy/ })
      .waitFor(WAIT);
    await steps().waitFor(WAIT);
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().waitFor({ state: 'hidden', ...WAIT });
  });

  it('can also be held with the keyboard: Enter kept pressed starts another reset', async () => {
    await page.getByRole('button', { name: 'Emergency VPU reset', exact: true }).click();
    await dialog().waitFor(WAIT);
    await holdButton().focus();
    // A short press only explains.
    await page.keyboard.press('Enter');
    await dialog().getByText('Keep holding for 1.5 s to start the reset', { exact: true }).waitFor(WAIT);
    expect(await steps().count()).toBe(0);
    await page.keyboard.down('Enter');
    try {
      await steps().waitFor(WAIT);
    } finally {
      await page.keyboard.up('Enter');
    }
    await dialog()
      .getByRole('heading', { name: /^Healthy/ })
      .waitFor(RESET);
    const reports = dialog().getByRole('region', { name: 'Reset reports' });
    await reports
      .getByRole('button', { name: /^Report of / })
      .nth(1)
      .waitFor(WAIT);
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().waitFor({ state: 'hidden', ...WAIT });
  }, 300_000);

  it('says the link to the device is lost while the reset carries on there, and shows its report once back', async () => {
    if (!emu) throw new Error('no emulator');
    await emu.control.wedge('cam1');
    await page.getByRole('button', { name: 'Emergency VPU reset', exact: true }).click();
    await dialog().waitFor(WAIT);
    await holdToReset();
    await steps()
      .getByRole('listitem', { name: /^Step 2: .*, running$/ })
      .waitFor(RESET);
    await emu.control.linkDown();
    try {
      await dialog()
        .getByText(
          'Link to the device lost — the reset continues on the device; Tally reattaches when the link is back.',
        )
        .waitFor(RESET);
    } finally {
      await emu.control.linkUp();
    }
    await dialog()
      .getByRole('heading', { name: /^Healthy/ })
      .waitFor(RESET);
    const killed = dialog().getByRole('table', { name: 'Killed processes' });
    await killed.getByRole('cell', { name: 'SIGKILL' }).first().waitFor(WAIT);
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().waitFor({ state: 'hidden', ...WAIT });
  }, 300_000);

  it('says a reboot is needed when the kernel keeps the sessions, and reboots only with the name typed', async () => {
    if (!emu) throw new Error('no emulator');
    await emu.control.keepSessions(true);
    await page.getByRole('button', { name: 'Emergency VPU reset', exact: true }).click();
    await dialog().waitFor(WAIT);
    await holdToReset();
    await dialog()
      .getByRole('heading', { name: /^Reboot needed/ })
      .waitFor(RESET);
    await screenshot(page, 'vpu-reset-reboot-needed');

    await dialog()
      .getByRole('button', { name: `Reboot ${DEVICE}…` })
      .click();
    const ask = page.getByRole('dialog', { name: `Reboot ${DEVICE}?` });
    await ask.waitFor(WAIT);
    const confirm = ask.getByRole('button', { name: `Reboot ${DEVICE}`, exact: true });
    const typed = ask.getByRole('textbox', { name: `Type ${DEVICE} to confirm` });
    expect(await confirm.isDisabled()).toBe(true);
    await typed.fill(DEVICE.slice(0, 6));
    await ask.getByText('Keep typing: the whole name is needed.').waitFor(WAIT);
    expect(await confirm.isDisabled()).toBe(true);
    await typed.fill(DEVICE);
    await confirm.click();
    await ask.waitFor({ state: 'hidden', ...WAIT });
    await page.getByText(`${DEVICE} is rebooting. Tally reconnects when it is back.`).waitFor(WAIT);
    await expect
      .poll(async () => (await emu?.control.state())?.device['reboots'], { timeout: 60_000 })
      .toBeGreaterThanOrEqual(1);
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().waitFor({ state: 'hidden', ...WAIT });
  }, 300_000);

  it('saw no script errors or CSP violations', () => {
    const real = (session?.problems ?? []).filter(
      (p) => !/frame-ancestors.*ignored when delivered via a <meta>/.test(p),
    );
    expect(real).toEqual([]);
  });
});

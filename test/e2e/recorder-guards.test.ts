/**
 * Nothing live ends in one click, in Chromium against the web console and an emulated R58 with four cameras:
 * recordings started on the box (as another console would) show on the Service card and make Stop the relevant
 * action; Stop recording names every camera and file and asks, Cancel keeps them recording (the files still grow),
 * confirming stops them; applying a preset while the cameras are live names the feeds that drop and asks, Cancel
 * changes nothing; a change that stayed healthy keeps "Revert", which opens the rollback plan back to the commit
 * before it. Elements are found by role and accessible name.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { screenshot } from './harness.js';
import { addEmulatedDevice, runOnDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'guard-r58';
const CAMERAS = ['cam0', 'cam1', 'cam2', 'cam3'];
/** Pipelines start, restart and settle on the device; generous, never asserted on. */
const LIVE = { timeout: 60_000 };
/** An apply writes, commits, restarts the recorder, waits for the cameras and watches for its window. */
const APPLY = { timeout: 150_000 };

let emu: Emulator | undefined;
let page: Page;
const watchBefore = process.env['TALLY_APPLY_WATCH_MS'];
beforeAll(() => {
  if (ok) process.env['TALLY_APPLY_WATCH_MS'] = watchBefore ?? '3000';
});
afterAll(() => {
  if (watchBefore === undefined) delete process.env['TALLY_APPLY_WATCH_MS'];
  else process.env['TALLY_APPLY_WATCH_MS'] = watchBefore;
});
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, page } = s),
);

const panel = (): Locator => page.getByRole('tabpanel', { name: 'Recorder' });
const section = (name: string): Locator => panel().getByRole('region', { name, exact: true });
const service = (): Locator => section('Service');
const recordings = (): Locator => section('Recordings');
const encoders = (): Locator => section('Encoders');
const table = (): Locator => recordings().getByRole('table', { name: `Recordings on ${DEVICE}` });
const recordingRows = (): Locator => table().getByRole('row').filter({ hasText: 'recording' });
const startButton = (): Locator => recordings().getByRole('button', { name: 'Start recording' });
const stopButton = (): Locator => recordings().getByRole('button', { name: 'Stop recording' });
const applyButton = (): Locator => encoders().getByRole('button', { name: 'Apply', exact: true });
const isPrimary = (button: Locator): Promise<boolean> =>
  button.evaluate((b) => b.classList.contains('primary'));

/** The files the Service card says are being recorded. */
async function serviceFiles(): Promise<string[]> {
  return (
    await service()
      .getByText(/^\/var\/recordings\//)
      .allInnerTexts()
  ).map((t) => t.trim());
}
const serviceSaysNothing = (): Locator => service().getByText('nothing', { exact: true });

describe.skipIf(!ok)('recorder guards', () => {
  it('shows recordings started on the box itself on the Service card, and makes Stop the action that matters', async () => {
    if (!emu) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    await page.getByRole('tab', { name: 'Recorder' }).click();
    await section('Cameras').getByText('4 of 4 streaming', { exact: true }).waitFor(LIVE);
    await serviceSaysNothing().waitFor(LIVE);
    expect(await isPrimary(startButton())).toBe(true);
    expect(await stopButton().isDisabled()).toBe(true);

    // Another console, a script or the box's own API starts them: this console did not ask for it.
    const started = await runOnDevice(emu, 'curl -sS -X POST http://127.0.0.1:8000/record/start');
    expect(started).toMatch(/"started"/);
    for (const cam of CAMERAS)
      await service()
        .getByText(new RegExp(`^/var/recordings/${cam}_\\d{8}_\\d{6}\\.mp4$`))
        .waitFor(WAIT);
    await recordings()
      .getByRole('status')
      .getByText('Recording 4 cameras: cam0, cam1, cam2, cam3', { exact: true })
      .waitFor(WAIT);
    await service().scrollIntoViewIfNeeded();
    await screenshot(page, 'guards-service-recording');
    expect(await isPrimary(startButton())).toBe(false);
    // Every streaming camera records: Start has nothing left to start.
    expect(await startButton().isDisabled()).toBe(true);
    await expect.poll(() => stopButton().isEnabled(), WAIT).toBe(true);
    await recordings().scrollIntoViewIfNeeded();
    await screenshot(page, 'guards-recording');
  });

  it('asks before stopping, naming each camera and file; Cancel keeps them recording and growing', async () => {
    const files = await serviceFiles();
    expect(files).toHaveLength(4);
    await stopButton().click();
    const ask = page.getByRole('dialog', { name: `Stop recording on ${DEVICE}?` });
    await ask.waitFor(WAIT);
    const listed = ask.getByRole('list', { name: 'Recordings that will end' }).getByRole('listitem');
    expect(await listed.count()).toBe(4);
    for (const [i, cam] of CAMERAS.entries()) {
      const item = (await listed.nth(i).innerText()).replace(/\s+/g, ' ').trim();
      expect(item).toMatch(new RegExp(`^${cam} /var/recordings/${cam}_\\d{8}_\\d{6}\\.mp4$`));
      expect(files).toContain(item.slice(cam.length + 1));
    }
    await ask.getByRole('button', { name: 'Stop 4 recordings' }).waitFor(WAIT);
    await screenshot(page, 'guards-stop-confirm');

    const row = recordingRows().filter({ hasText: 'cam0_' });
    const sizeAt = async (): Promise<string> => (await row.getByRole('cell').first().innerText()).trim();
    const before = await sizeAt();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'hidden', ...WAIT });
    // Still recording, by the recorder's account and by the file: it keeps growing.
    await expect.poll(sizeAt, LIVE).not.toBe(before);
    expect(await recordingRows().count()).toBe(4);
    expect(await serviceFiles()).toEqual(files);
  });

  it('stops every named recording once confirmed, and Start is the primary action again', async () => {
    await stopButton().click();
    const ask = page.getByRole('dialog', { name: `Stop recording on ${DEVICE}?` });
    await ask.getByRole('button', { name: 'Stop 4 recordings' }).click();
    await ask.waitFor({ state: 'hidden', ...LIVE });
    await recordingRows()
      .first()
      .waitFor({ state: 'detached', ...LIVE });
    await serviceSaysNothing().waitFor(WAIT);
    expect(await isPrimary(startButton())).toBe(true);
    expect(await stopButton().isDisabled()).toBe(true);
  });

  it('asks before an apply drops the live feeds, naming them; Cancel applies nothing', async () => {
    await encoders().getByRole('radio', { name: 'All cameras' }).check();
    await encoders().getByLabel('Preset', { exact: true }).selectOption('h264-hw');
    await encoders().getByLabel('Bitrate (kbit/s)').fill('6000');
    await expect.poll(() => applyButton().isEnabled(), LIVE).toBe(true);
    await applyButton().click();
    const ask = page.getByRole('dialog', { name: 'Drop the live feeds to apply?' });
    await ask.waitFor(WAIT);
    await ask
      .getByText(
        /^Applying restarts preke-recorder on guard-r58, so the live feeds of cam0, cam1, cam2 and cam3 drop/,
      )
      .waitFor(WAIT);
    const feeds = ask.getByRole('list', { name: 'Feeds that drop' }).getByRole('listitem');
    expect(await feeds.count()).toBe(4);
    for (const [i, cam] of CAMERAS.entries())
      expect(await feeds.nth(i).innerText()).toMatch(new RegExp(`^${cam}\\b`));
    await screenshot(page, 'guards-apply-confirm');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'hidden', ...WAIT });
    // Nothing started: no operation, and the change is still there to apply.
    expect(
      await encoders()
        .getByRole('region', { name: /^Apply h264-hw to / })
        .count(),
    ).toBe(0);
    expect(await applyButton().isEnabled()).toBe(true);
    expect(await encoders().getByRole('button', { name: 'Revert', exact: true }).count()).toBe(0);
  });

  it('applies once confirmed, then keeps Revert, which opens the rollback plan back to the commit before', async () => {
    await applyButton().click();
    const ask = page.getByRole('dialog', { name: 'Drop the live feeds to apply?' });
    await ask.getByRole('button', { name: 'Restart the recorder and apply' }).click();
    const op = encoders().getByRole('region', { name: /^Apply h264-hw to cam0.cam3 on / });
    await op.getByRole('status').getByText('Healthy', { exact: true }).waitFor(APPLY);
    const commit = (await op.getByText(/^commit /).innerText()).replace('commit ', '').trim();

    const revert = encoders().getByRole('button', { name: 'Revert', exact: true });
    await revert.waitFor(WAIT);
    const note = (
      await revert.evaluate(
        (b) => document.getElementById(b.getAttribute('aria-describedby') ?? '')?.textContent ?? '',
      )
    ).replace(/\s+/g, ' ');
    expect(note).toContain(`commit ${commit}`);
    const back = /back to ([0-9a-f]{7})/.exec(note)?.[1];
    expect(back).toBeTruthy();
    await revert.scrollIntoViewIfNeeded();
    await screenshot(page, 'guards-revert');

    // It stays for the session: away to another tab and back, it is still there.
    await page.getByRole('tab', { name: 'Monitor' }).click();
    await page.getByRole('tab', { name: 'Recorder' }).click();
    await revert.waitFor(WAIT);
    await expect.poll(() => revert.isEnabled(), WAIT).toBe(true);

    await revert.click();
    const plan = page.getByRole('dialog', { name: `Roll back ${DEVICE}` });
    await plan.getByRole('region', { name: 'What the rollback will do' }).waitFor(LIVE);
    await plan.getByRole('button', { name: `Roll back to ${back}` }).waitFor(WAIT);
    await screenshot(page, 'guards-revert-plan');
    await plan.getByRole('button', { name: 'Cancel' }).click();
    await plan.waitFor({ state: 'hidden', ...WAIT });
    await revert.waitFor(WAIT);
  });
});

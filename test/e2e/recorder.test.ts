/**
 * The recorder, as a producer drives it, in Chromium against the web console and an emulated R58 with four
 * cameras: what the probe found on the Overview; the service, cameras and presets on the Recorder tab; a preset
 * change (cam0–cam3 → h264-hw at 6000 kbit/s) previewed as a diff and a VPU budget, applied with its steps
 * watched, and the cameras back; the seeds' panic config typed as a custom encoder and refused; the seed's Test 1
 * encode; a recording started, a stop that asks first naming the file, and a delete that wants the name typed.
 * Elements are found by role and accessible name.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { screenshot, type BrowserSession } from './harness.js';
import { addEmulatedDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT, overview } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'studio-r58';
/** Pipelines start, restart and settle on the device; generous, never asserted on. */
const LIVE = { timeout: 60_000 };
/** An apply writes, commits, restarts the recorder, waits for the cameras and watches the kernel. */
const APPLY = { timeout: 150_000 };
const PANIC_ENCODER = 'mpph264enc bps=8000000 bps-max=16000000';
const CONFIG = '/opt/preke-r58-recorder/config.yml';

let emu: Emulator | undefined;
let session: BrowserSession | undefined;
let page: Page;
// The core watches the kernel for 30 s after an apply; the web console takes a shorter watch from its environment.
const watchBefore = process.env['TALLY_APPLY_WATCH_MS'];
beforeAll(() => {
  // 8 s: long enough to look at the other buttons while an apply runs.
  if (ok) process.env['TALLY_APPLY_WATCH_MS'] = watchBefore ?? '8000';
});
afterAll(() => {
  if (watchBefore === undefined) delete process.env['TALLY_APPLY_WATCH_MS'];
  else process.env['TALLY_APPLY_WATCH_MS'] = watchBefore;
});
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, session, page } = s),
);

const panel = (): Locator => page.getByRole('tabpanel', { name: 'Recorder' });
const section = (name: string): Locator => panel().getByRole('region', { name, exact: true });
const cameras = (): Locator => section('Cameras').getByRole('table', { name: `Cameras of ${DEVICE}` });
const encoders = (): Locator => section('Encoders');
const recordings = (): Locator => section('Recordings');
const planBudget = (): Locator => encoders().getByRole('figure', { name: 'VPU budget of this plan' });
const applyButton = (): Locator => encoders().getByRole('button', { name: 'Apply', exact: true });

/** Apply, and say yes when it asks about the live feeds the recorder's restart drops. */
async function applyDroppingFeeds(): Promise<void> {
  await applyButton().click();
  const ask = page.getByRole('dialog', { name: 'Drop the live feeds to apply?' });
  await ask.getByRole('button', { name: 'Restart the recorder and apply' }).click();
  await ask.waitFor({ state: 'hidden', ...WAIT });
}

async function fourStreaming(): Promise<void> {
  await section('Cameras').getByText('4 of 4 streaming', { exact: true }).waitFor(LIVE);
  for (let i = 0; i < 4; i++) {
    const row = cameras().getByRole('row', { name: new RegExp(`^cam${i} `) });
    await row.getByRole('cell', { name: 'streaming', exact: true }).waitFor(LIVE);
    await row.getByRole('cell', { name: 'online', exact: true }).waitFor(LIVE);
  }
}

describe.skipIf(!ok)('recorder', () => {
  it('shows on the Overview what the probe found on the device', async () => {
    if (!emu) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    const probe = overview(page).getByRole('region', { name: 'On the device' });
    await probe.getByText('/sys/kernel/debug/mpp_service/session', { exact: true }).waitFor(LIVE);
    await probe.getByText('readable', { exact: true }).waitFor(WAIT);
    await probe.getByText('Working tree clean', { exact: true }).waitFor(WAIT);
    await probe.getByText('preke-recorder', { exact: true }).waitFor(WAIT);
    const features = probe.getByRole('list', { name: 'Features' });
    expect(await features.getByRole('listitem').count()).toBe(6);
    await screenshot(page, 'recorder-probe');
  });

  it('shows the recorder service with its journal, the four cameras streaming and the presets', async () => {
    await page.getByRole('tab', { name: 'Recorder' }).click();
    const service = section('Service');
    await service.getByText('active (running)', { exact: true }).waitFor(LIVE);
    await service
      .getByRole('log', { name: 'Journal of preke-recorder' })
      .getByRole('paragraph')
      .first()
      .waitFor(LIVE);
    await fourStreaming();
    for (const label of ['H.264 hardware (proven)', 'H.265 hardware', 'H.264 software']) {
      await encoders().getByRole('article', { name: label }).waitFor(WAIT);
    }
    await encoders()
      .getByRole('article', { name: 'H.265 hardware' })
      .getByText('cannot play over WHEP (H.265)', { exact: true })
      .waitFor(WAIT);
    await screenshot(page, 'recorder-overview');
  });

  it('says next to the field what is wrong with a bitrate', async () => {
    const bitrate = encoders().getByLabel('Bitrate (kbit/s)');
    await bitrate.fill('50');
    await encoders()
      .getByText(/^At least 100 kbit\/s/)
      .waitFor(WAIT);
    expect(await bitrate.getAttribute('aria-invalid')).toBe('true');
    expect(await applyButton().isDisabled()).toBe(true);
  });

  it('previews cam0–cam3 → h264-hw at 6000 kbit/s as a diff of config.yml and a budget of 4 of 8, within safe', async () => {
    await encoders().getByRole('radio', { name: 'All cameras' }).check();
    await encoders().getByLabel('Preset', { exact: true }).selectOption('h264-hw');
    await encoders().getByLabel('Bitrate (kbit/s)').fill('6000');
    const diff = encoders().getByRole('region', { name: `Changes to ${CONFIG}` });
    await diff.getByText('6000000', { exact: true }).first().waitFor(LIVE);
    expect(await diff.getByText('6000000', { exact: true }).count()).toBe(4);
    expect(await diff.getByText('8000000', { exact: true }).count()).toBe(4);
    await planBudget()
      .getByText('4 of 8 VPU sessions, within the safe limit (6)', { exact: true })
      .waitFor(WAIT);
    await planBudget()
      .getByText(/^Now on the device: \d+$/)
      .waitFor(WAIT);
    await applyButton().waitFor(WAIT);
    await expect.poll(() => applyButton().isEnabled(), { timeout: 20_000 }).toBe(true);
    await diff.scrollIntoViewIfNeeded();
    await screenshot(page, 'recorder-preview');
  });

  it('applies the change, shows its steps as they finish, and the cameras come back', async () => {
    await applyDroppingFeeds();
    const op = encoders().getByRole('region', { name: /^Apply h264-hw to cam0.cam3 on / });
    await op.waitFor(WAIT);
    await op.scrollIntoViewIfNeeded();
    await screenshot(page, 'recorder-apply-running');
    // While it runs it holds the device: Restart is off, and says why on hover and to a screen reader.
    const restart = section('Service').getByRole('button', { name: 'Restart', exact: true });
    await expect.poll(() => restart.isDisabled(), { timeout: 10_000 }).toBe(true);
    const why =
      /^Busy: Apply h264-hw to cam0-cam3 on studio-r58 is running \(started by this console at \d\d:\d\d:\d\d UTC/;
    expect(await restart.getAttribute('title')).toMatch(why);
    expect(
      await restart.evaluate(
        (b) => document.getElementById(b.getAttribute('aria-describedby') ?? '')?.textContent ?? '',
      ),
    ).toMatch(why);
    await panel()
      .getByRole('status')
      .filter({ hasText: /^Busy: Apply h264-hw/ })
      .first()
      .waitFor(WAIT);
    await restart.scrollIntoViewIfNeeded();
    await screenshot(page, 'recorder-busy-restart');
    await op.getByRole('status').getByText('Healthy', { exact: true }).waitFor(APPLY);
    await op.getByText(/^Applied as [0-9a-f]{7}: healthy for \d+ s\.$/).waitFor(WAIT);
    await expect.poll(() => restart.isEnabled(), { timeout: 10_000 }).toBe(true);
    const steps = op.getByRole('list', { name: /^Steps of / }).getByRole('listitem');
    const count = await steps.count();
    expect(count).toBeGreaterThan(3);
    for (let i = 0; i < count; i++) expect(await steps.nth(i).innerText()).toMatch(/\bdone\b/);
    await fourStreaming();
    // The device now says what was applied: previewing it again has nothing to change.
    await encoders()
      .getByText(/nothing to apply/)
      .waitFor(LIVE);
    await screenshot(page, 'recorder-applied');
    // The way back from a change that stayed is Revert: a rollback to the commit before it, with its plan first.
    await encoders().getByRole('button', { name: 'Revert', exact: true }).click();
    const plan = page.getByRole('dialog', { name: 'Roll back studio-r58' });
    await plan.getByRole('region', { name: 'What the rollback will do' }).waitFor(LIVE);
    await plan.getByRole('button', { name: 'Cancel' }).click();
    await plan.waitFor({ state: 'hidden', ...WAIT });
  });

  it('refuses the panic config typed as a custom encoder: Apply is disabled with the danger named', async () => {
    await encoders().getByRole('radio', { name: 'Custom' }).check();
    await encoders().getByLabel('Custom encoder').fill(PANIC_ENCODER);
    await encoders()
      .getByText(/^Cannot apply: Dangerous setting: .*kernel panic/)
      .waitFor(LIVE);
    expect(await applyButton().isDisabled()).toBe(true);
    const override = encoders().getByRole('checkbox', {
      name: 'Override: I know this config panicked the kernel (seed 000)',
    });
    await override.waitFor(WAIT);
    await override.scrollIntoViewIfNeeded();
    await screenshot(page, 'recorder-danger');
    // The override is offered, and only it would make Apply possible; the producer thinks better of it.
    await override.check();
    await expect.poll(() => applyButton().isEnabled(), { timeout: 20_000 }).toBe(true);
    await override.uncheck();
    await expect.poll(() => applyButton().isDisabled(), { timeout: 20_000 }).toBe(true);
    await encoders().getByRole('radio', { name: "The preset's" }).check();
  });

  it("runs the seed's Test 1 encode with the proven encoder and shows its output and VPU sessions", async () => {
    const pipelines = section('Pipelines');
    await pipelines.getByRole('button', { name: 'Run Test 1 encode' }).click();
    const job = pipelines.getByRole('article', { name: /^Pipeline started / }).first();
    await job.getByText('finished', { exact: true }).waitFor(LIVE);
    await job.getByText('exit code 0', { exact: true }).waitFor(WAIT);
    await job.getByText(/^VPU sessions: /).waitFor(WAIT);
    expect(await job.getByRole('log').innerText()).toMatch(/pipeline/i);
    await job.scrollIntoViewIfNeeded();
    await screenshot(page, 'recorder-pipeline');
  });

  it('stops a Test 1 encode that runs until stopped', async () => {
    const pipelines = section('Pipelines');
    await pipelines.getByLabel('Buffers').fill('0');
    await pipelines.getByRole('button', { name: 'Run Test 1 encode' }).click();
    const job = pipelines.getByRole('article', { name: /^Pipeline started / }).first();
    await job.getByText('running', { exact: true }).waitFor(LIVE);
    await job.getByRole('button', { name: /^Stop Pipeline started / }).click();
    await job.getByText('stopped', { exact: true }).waitFor(LIVE);
    await pipelines.getByLabel('Buffers').fill('300');
  });

  it('says what is wrong with a typed pipeline next to it, and shows a refusal over the VPU budget plainly', async () => {
    const pipelines = section('Pipelines');
    const text = pipelines.getByLabel('Pipeline', { exact: true });
    await text.fill('videotestsrc ! fakesinkk');
    await pipelines.getByRole('button', { name: 'Run pipeline' }).click();
    await pipelines.getByText(/Unknown element "fakesinkk"\. Did you mean fakesink\?/).waitFor(WAIT);
    expect(await text.getAttribute('aria-invalid')).toBe('true');
    const branch = 't. ! queue ! mpph264enc qp-init=26 bps=2000000 ! fakesink';
    await text.fill(
      `videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240 ! tee name=t ${Array(5).fill(branch).join(' ')}`,
    );
    await pipelines.getByRole('button', { name: 'Run pipeline' }).click();
    await pipelines
      .getByRole('alert')
      .getByText(/over the practical limit of 8/)
      .waitFor(WAIT);
    await pipelines.getByRole('alert').scrollIntoViewIfNeeded();
    await screenshot(page, 'recorder-pipeline-refused');
  });

  it('records, and asks before stopping the recorder, naming the file that would end', async () => {
    await recordings().getByRole('button', { name: 'Start recording' }).click();
    const table = recordings().getByRole('table', { name: `Recordings on ${DEVICE}` });
    const active = table.getByRole('row').filter({ hasText: 'recording' }).first();
    await active.waitFor(LIVE);
    const name = (await active.getByRole('rowheader').locator('code').innerText()).trim();
    expect(name).toMatch(/^cam\d_\d{8}_\d{6}\.(mp4|mkv)$/);

    await section('Service').getByRole('button', { name: 'Stop', exact: true }).click();
    const ask = page.getByRole('dialog', { name: 'Stop preke-recorder while it records?' });
    await ask.waitFor(WAIT);
    await ask.getByRole('listitem').filter({ hasText: name }).waitFor(WAIT);
    await screenshot(page, 'recorder-stop-confirm');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'hidden', ...WAIT });
    await section('Service').getByText('active (running)', { exact: true }).waitFor(WAIT);

    await recordings().getByRole('button', { name: 'Stop recording' }).click();
    const stop = page.getByRole('dialog', { name: `Stop recording on ${DEVICE}?` });
    await stop.getByRole('button', { name: /^Stop (the recording|\d recordings)$/ }).click();
    await table
      .getByRole('row')
      .filter({ hasText: 'recording' })
      .first()
      .waitFor({ state: 'detached', ...LIVE });
  });

  it('deletes a recording only after its name is typed', async () => {
    const table = recordings().getByRole('table', { name: `Recordings on ${DEVICE}` });
    const first = table.getByRole('row').nth(1);
    const name = (await first.getByRole('rowheader').locator('code').innerText()).trim();
    await table.getByRole('button', { name: `Delete ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${name}?` });
    const typed = dialog.getByLabel(/^Type the file name to delete it/);
    const remove = dialog.getByRole('button', { name: 'Delete', exact: true });
    expect(await remove.isDisabled()).toBe(true);
    await typed.fill(name.slice(0, 6));
    await dialog.getByText('Keep typing: the whole name is needed.').waitFor(WAIT);
    expect(await remove.isDisabled()).toBe(true);
    await typed.fill(name);
    await screenshot(page, 'recorder-delete');
    await remove.click();
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    await table.getByRole('rowheader', { name, exact: true }).waitFor({ state: 'detached', ...LIVE });
  });

  it('applies the panic config only with the override; the device catches the Oops and goes back by itself', async () => {
    await encoders().getByRole('radio', { name: 'Custom' }).check();
    await encoders().getByLabel('Custom encoder').fill(PANIC_ENCODER);
    await encoders()
      .getByRole('checkbox', { name: 'Override: I know this config panicked the kernel (seed 000)' })
      .check();
    await expect.poll(() => applyButton().isEnabled(), { timeout: 20_000 }).toBe(true);
    await applyDroppingFeeds();
    const op = encoders().getByRole('region', { name: /^Apply a typed encoder to cam0.cam3 on / });
    await op.getByRole('status').getByText('Went back by itself', { exact: true }).waitFor(APPLY);
    await op
      .getByText(
        /^The change was unhealthy \(new kernel fault: .*Oops.*\); went back to [0-9a-f]{7} by itself/,
      )
      .waitFor(WAIT);
    await op.getByRole('region', { name: 'Evidence' }).waitFor(WAIT);
    await op
      .getByText(/Every commit stays reachable: refs\/tally\/backup\/apply-.*refs\/tally\/failed\/apply-/)
      .waitFor(WAIT);
    // It went back already: there is no change left to roll back.
    expect(await op.getByRole('button', { name: /^Roll back to/ }).count()).toBe(0);
    await op.scrollIntoViewIfNeeded();
    await screenshot(page, 'recorder-apply-reverted');
    await fourStreaming();
    await encoders().getByRole('radio', { name: "The preset's" }).check();
  });

  it('moves between the four tabs with the arrow keys; Recorder sits after Monitor', async () => {
    await page.getByRole('tab', { name: 'Monitor' }).click();
    await page.getByRole('tab', { name: 'Monitor' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Recorder', selected: true }).waitFor(WAIT);
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('tab', { name: 'Monitor', selected: true }).waitFor(WAIT);
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Recorder', selected: true }).waitFor(WAIT);
    expect(
      await page.getByRole('tab', { name: 'Recorder' }).evaluate((el) => el === document.activeElement),
    ).toBe(true);
  });

  it('saw no script errors or CSP violations', () => {
    const real = (session?.problems ?? []).filter(
      (p) => !/frame-ancestors.*ignored when delivered via a <meta>/.test(p),
    );
    expect(real).toEqual([]);
  });
});

/**
 * The encoder history in Chromium, on the Recorder tab of an emulated R58 with two cameras: the seeds' commits
 * newest first with HEAD on top, badges as labelled chips (a qualification note written on the device shows as
 * known-good, the panic commit as dangerous and failed with its reason), and a commit opened to its config.yml
 * diff. Elements are found by role and accessible name.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { QUALIFY_NOTES_REF } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { screenshot } from './harness.js';
import { addEmulatedDevice, runOnDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'history-r58';
const REPO = '/opt/preke-r58-recorder';
const LIVE = { timeout: 60_000 };

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

/** A qualification result as the qualification job writes it (the note format of contract/history.ts). */
async function note(subject: string, verdict: 'pass' | 'fail', reason: string | null): Promise<void> {
  if (!emu) throw new Error('no emulator');
  const sha = (
    await runOnDevice(emu, sh`git -C ${REPO} log --format=%H --grep=${subject} -F -n 1`.text)
  ).trim();
  const encoder = (await runOnDevice(emu, sh`git -C ${REPO} show ${`${sha}:config.yml`}`.text)).includes(
    'bps-max',
  )
    ? 'mpph264enc bps=8000000 bps-max=16000000'
    : 'mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000';
  const json = JSON.stringify({
    schema: 1,
    commit: sha,
    encoder,
    kernel: '5.10.160-rockchip-rk3588',
    variant: 'quick',
    date: '2026-12-06T02:30:00.000Z',
    verdict,
    reason,
    evidence: 'Test 1 10 s, Test 2 60 s, Test 3 10 s',
  });
  await runOnDevice(
    emu,
    sh`git -C ${REPO} -c user.name=Tally -c user.email=tally@localhost notes --ref=${QUALIFY_NOTES_REF} append -m ${json} ${sha}`
      .text,
  );
}

describe.skipIf(!ok)('encoder history', () => {
  it('lists the commits newest first with HEAD on top and badges as chips; a row opens to its diff', async () => {
    if (!emu) throw new Error('no emulator');
    await note('Switch to H.264 hardware encoding (mpph264enc)', 'pass', null);
    await note(
      'Switch to mpph264enc hardware encoder to cut CPU',
      'fail',
      'Test 1: Internal error: Oops: 0000000096000005 [#1] SMP',
    );
    await addEmulatedDevice(page, emu, DEVICE);
    await page.getByRole('tab', { name: 'Recorder' }).click();
    await table().waitFor(LIVE);

    const rows = table().getByRole('row');
    await rows.nth(5).waitFor(WAIT); // header + 5 commits
    expect(await rows.count()).toBe(6);
    const top = rows.nth(1);
    const topBadges = top.getByRole('list', { name: /^Badges of / });
    await topBadges.getByRole('listitem').filter({ hasText: /^HEAD/ }).waitFor(WAIT);
    await topBadges
      .getByRole('listitem')
      .filter({ hasText: /^known-good/ })
      .waitFor(WAIT);
    await topBadges
      .getByRole('listitem')
      .filter({ hasText: /^by hand/ })
      .waitFor(WAIT);
    await top.getByText('Switch to H.264 hardware encoding (mpph264enc)').waitFor(WAIT);
    // HEAD is on the top row only.
    expect(await table().getByRole('listitem').filter({ hasText: /^HEAD/ }).count()).toBe(1);

    const panic = table().getByRole('row', { name: /Switch to mpph264enc hardware encoder to cut CPU/ });
    await panic
      .getByRole('listitem')
      .filter({ hasText: /^dangerous/ })
      .waitFor(WAIT);
    await panic
      .getByRole('listitem')
      .filter({ hasText: /^failed qualification/ })
      .waitFor(WAIT);
    await panic
      .getByText('Failed qualification: Test 1: Internal error: Oops', { exact: false })
      .waitFor(WAIT);

    const toggle = panic.getByRole('button', { name: /: (show|hide) the config\.yml diff$/ });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const diff = history().getByRole('region', { name: 'Changes to config.yml' });
    await diff.waitFor(WAIT);
    await diff.getByText('bps-max', { exact: false }).first().waitFor(WAIT);
    const shot = await screenshot(page, 'recorder-history');
    console.log(`screenshot: ${shot}`);
  });

  it('rolls back to the last known-good commit with one click, shows the probation and the report, and the history gains the rollback', async () => {
    await note('Roll back to x264enc after kernel panic', 'pass', null);
    await history().getByRole('button', { name: 'Refresh' }).click();
    const oneClick = history().getByRole('button', {
      name: /^Roll back to last known-good \([0-9a-f]{7}\)$/,
    });
    await oneClick.waitFor(LIVE);
    await oneClick.click();

    const dialog = page.getByRole('dialog', { name: `Roll back ${DEVICE}` });
    const plan = dialog.getByRole('region', { name: 'What the rollback will do' });
    await plan.waitFor(LIVE);
    await plan
      .getByRole('region', { name: 'Changes to config.yml' })
      .getByText('x264enc', { exact: false })
      .first()
      .waitFor(WAIT);
    await plan.getByLabel('Probation window (s)').fill('10');
    await screenshot(page, 'rollback-plan');
    await dialog.getByRole('button', { name: /^Roll back to [0-9a-f]{7}$/ }).click();

    const report = dialog.getByRole('region', {
      name: /^(Rolling back…|Rolled back: the board is healthy)$/,
    });
    await report.waitFor(WAIT);
    await dialog.getByRole('figure', { name: 'Probation of the target' }).waitFor(LIVE);
    await screenshot(page, 'rollback-running');
    await dialog
      .getByRole('heading', { name: 'Rolled back: the board is healthy' })
      .waitFor({ timeout: 120_000 });
    const steps = dialog.getByRole('list', { name: 'Steps of the rollback' }).getByRole('listitem');
    expect(await steps.count()).toBe(4);
    for (let i = 0; i < 4; i++) expect(await steps.nth(i).innerText()).toMatch(/\bdone\b/);
    expect(await dialog.getByRole('status').innerText()).toMatch(
      /^Rolled back to [0-9a-f]{7} as [0-9a-f]{7}: healthy for 10 s\.$/,
    );
    await screenshot(page, 'rollback-report');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The new HEAD is Tally's rollback commit; the commit before it is still in the list.
    const top = table().getByRole('row').nth(1);
    await top.getByText('Tally: roll back to', { exact: false }).waitFor(LIVE);
    expect(await top.innerText()).toMatch(
      /Tally: roll back to [0-9a-f]{7} \(Roll back to x264enc after kernel panic\)/,
    );
    await top
      .getByRole('list', { name: /^Badges of / })
      .getByRole('listitem')
      .filter({ hasText: /^Tally/ })
      .waitFor(WAIT);
    await table()
      .getByRole('row', { name: /Switch to H\.264 hardware encoding \(mpph264enc\)/ })
      .waitFor(WAIT);
  });
});

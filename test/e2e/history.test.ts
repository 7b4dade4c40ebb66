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
});

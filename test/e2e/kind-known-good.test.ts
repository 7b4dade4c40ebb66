/**
 * Known-good and qualification of a transcoder (issue 17), in Chromium against the web console and one emulated
 * seed 003 transcoder, added and trusted before the console starts. On its Service tab: "Qualify" asks first with
 * the plan and ends with every check passed; "Go back to previous" asks first with the plan (what stops, what is
 * kept), runs with its steps and probation strip, passes, and the container card then runs the previous image.
 * Selection by role and accessible name; waits are generous, nothing is timed.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Console } from '../../src-main/core/console.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { fingerprint } from '../../src-main/core/ssh/fingerprint.js';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { openBrowser, screenshot, startWebConsole, type BrowserSession, type WebConsole } from './harness.js';
import { WAIT, addDevice, shootOnFailure } from './steps.js';

const ok = await emulatorAvailable();
/** The box connects, the container comes up, a switch restarts it and watches it: generous, never asserted on. */
const LIVE = { timeout: 180_000 };
const BOX = 'xg2g-1';
const VMS = 'vms-1';
/** A short probation for a shared 2-core machine. */
const PROBATION_S = '5';

let emu: Emulator | undefined;
/** Started after the transcoder's steps: its cameras' encoders would slow the transcode the qualification times. */
let vmsEmu: Emulator | undefined;
let web: WebConsole | undefined;
let session: BrowserSession | undefined;
let page: Page;
let dataDir: string | undefined;

/** The transcoder in the console's store before it starts, with its profile and its host key trusted. */
async function seed(dir: string, box: Emulator): Promise<void> {
  const core = await Console.open({
    dataDir: dir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 'e2e',
    knownHostsFiles: [],
  });
  try {
    const { ssh } = box.ready;
    const reply = await core.invoke(
      'devices.add',
      {
        name: BOX,
        host: ssh.host,
        port: ssh.port,
        user: ssh.user,
        auth: { kind: 'identityFile', path: path.resolve(ssh.identityFile) },
        profile: 'transcoder',
      },
      { owner: 'e2e' },
    );
    if (!reply.ok) throw new Error(`Could not add ${BOX}: ${reply.error.message}`);
    const key = box.hostKeyLine.trim().split(/\s+/)[2] ?? '';
    await core.trustKnownHostKey(ssh.host, ssh.port, key);
  } finally {
    await core.close();
  }
}

beforeAll(async () => {
  if (!ok) return;
  emu = await startEmulator({ kind: 'transcoder' });
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-e2e-kind-known-good-'));
  await seed(dataDir, emu);
  web = await startWebConsole({ dataDir });
  session = await openBrowser(web.url);
  page = session.page;
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.getByRole('heading', { name: 'Tally', level: 1 }).waitFor(WAIT);
}, 300_000);

beforeEach(shootOnFailure(() => page));

afterAll(async () => {
  await session?.close();
  await web?.stop();
  await emu?.stop();
  await vmsEmu?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
}, 180_000);

const sidebar = (): Locator => page.getByRole('complementary', { name: 'Fleet' });
const service = (): Locator => page.getByRole('tabpanel', { name: 'Service' });
const knownGood = (): Locator => service().getByRole('region', { name: 'Known good' });
const qualification = (): Locator => service().getByRole('region', { name: 'Qualification' });
const container = (): Locator => service().getByRole('region', { name: 'The container' });

describe.skipIf(!ok)('known-good and qualification of a transcoder', () => {
  it('opens the Service tab with what the box could go back to', async () => {
    await sidebar().getByRole('button', { name: BOX, exact: true }).click();
    await page
      .getByRole('tabpanel', { name: 'Overview' })
      .getByRole('button', { name: 'Connect', exact: true })
      .click();
    await sidebar()
      .getByRole('button', { name: BOX, exact: true })
      .getByText('Connected', { exact: true })
      .waitFor(LIVE);
    await page.getByRole('tab', { name: 'Service', exact: true }).click();
    await container().getByText('Running', { exact: true }).waitFor(LIVE);
    await knownGood().getByText('xg2g-gpu-transcoder:production', { exact: true }).first().waitFor(LIVE);
    const images = knownGood().getByRole('list', { name: 'Images it could go back to' });
    await images.getByRole('button', { name: 'Go back to previous', exact: true }).waitFor(WAIT);
    await images.getByRole('button', { name: 'Go back to broken', exact: true }).waitFor(WAIT);
  }, 300_000);

  it("runs seed 003's qualification after showing its plan, and keeps the verdict with each check", async () => {
    await qualification()
      .getByRole('button', { name: `Qualify ${BOX}`, exact: true })
      .click();
    const ask = page.getByRole('dialog', { name: `Qualify ${BOX}` });
    const planned = ask.getByRole('list', { name: 'Checks it will make' });
    await planned.getByText('Container', { exact: true }).waitFor(WAIT);
    await planned.getByText('Video codec', { exact: true }).waitFor(WAIT);
    await ask.getByRole('button', { name: 'Start the test', exact: true }).click();
    await ask.getByRole('heading', { name: 'Qualified: every check passed' }).waitFor(LIVE);
    const checks = ask.getByRole('list', { name: 'Checks of the qualification' }).getByRole('listitem');
    expect(await checks.count()).toBe(6);
    expect(await checks.filter({ hasText: 'passed' }).count()).toBe(6);
    await ask.getByText('mpegts', { exact: true }).first().waitFor(WAIT);
    await screenshot(page, 'kind-qualify-verdict');
    await ask.getByRole('button', { name: 'Close', exact: true }).click();
    await ask.waitFor({ state: 'hidden', ...WAIT });
    // The verdict stays on the tab.
    await qualification()
      .getByRole('region', { name: 'Last qualification' })
      .getByRole('heading', { name: 'Qualified: every check passed' })
      .waitFor(WAIT);
  }, 300_000);

  it('goes back to the previous image: asks with the plan, runs, passes, and the container runs it', async () => {
    const images = knownGood().getByRole('list', { name: 'Images it could go back to' });
    // The row of the `previous` tag, before and after (its button gives way to "runs now").
    const previousRow = images
      .getByRole('listitem')
      .filter({ has: page.getByText('previous', { exact: true }) });
    const previousId = /\b[0-9a-f]{12}\b/.exec(await previousRow.innerText())?.[0];
    expect(previousId).toBeDefined();
    const runningBefore = await container().innerText();
    expect(runningBefore).not.toContain(previousId);

    await previousRow.getByRole('button', { name: 'Go back to previous', exact: true }).click();
    const ask = page.getByRole('dialog', { name: `Switch ${BOX} to previous` });
    const plan = ask.getByRole('region', { name: 'What the switch will do' });
    await plan.getByRole('heading', { name: 'What stops' }).waitFor(WAIT);
    await plan.getByText(/recreated from xg2g-gpu-transcoder:previous/).waitFor(WAIT);
    await plan
      .getByText(/xg2g-gpu-transcoder:tally-keep-/)
      .first()
      .waitFor(WAIT);
    await plan
      .getByRole('list', { name: 'What the probation watches' })
      .getByRole('listitem')
      .first()
      .waitFor(WAIT);
    await ask.getByRole('spinbutton', { name: 'Probation window (s)' }).fill(PROBATION_S);
    await ask.getByRole('button', { name: 'Switch to previous', exact: true }).click();

    const steps = ask.getByRole('list', { name: 'Steps of the switch' });
    await steps.getByRole('listitem').first().waitFor(WAIT);
    // Mid-switch: the strip fills while the probation runs.
    await ask.getByRole('img', { name: /^Probation: \d+ of \d+ readings? healthy/ }).waitFor(LIVE);
    await screenshot(page, 'kind-known-good-during');
    await ask.getByRole('heading', { name: 'Passed: healthy through its probation' }).waitFor(LIVE);
    expect(await steps.getByRole('listitem').filter({ hasText: 'done' }).count()).toBe(4);
    await ask.getByText(/image that ran before is kept as xg2g-gpu-transcoder:tally-keep-/).waitFor(WAIT);
    await screenshot(page, 'kind-known-good-passed');
    await ask.getByRole('button', { name: 'Close', exact: true }).click();
    await ask.waitFor({ state: 'hidden', ...WAIT });

    // The container card now runs the previous image, and what ran is the way forward.
    await container()
      .getByText(previousId ?? 'none', { exact: true })
      .waitFor(LIVE);
    await knownGood()
      .getByRole('region', { name: 'Last switch' })
      .getByRole('heading', { name: 'Passed: healthy through its probation' })
      .waitFor(WAIT);
    await images.getByRole('button', { name: /^Go forward to tally-keep-knowngood-/ }).waitFor(LIVE);
    await previousRow.getByText('runs now', { exact: true }).waitFor(WAIT);
    await knownGood().scrollIntoViewIfNeeded();
    await screenshot(page, 'kind-known-good-after');
  }, 300_000);

  it('goes back to vms-recorder.before-phase3 on a VMS host: asks, runs, passes with its cameras back', async () => {
    await emu?.stop();
    emu = undefined;
    vmsEmu = await startEmulator({ kind: 'vms', segmentSeconds: 4 });
    const { ssh } = vmsEmu.ready;
    await addDevice(page, {
      name: VMS,
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      identityFile: path.resolve(ssh.identityFile),
    });
    await sidebar().getByRole('button', { name: VMS, exact: true }).click();
    await page
      .getByRole('tabpanel', { name: 'Overview' })
      .getByRole('button', { name: 'Connect', exact: true })
      .click();
    const trust = page.getByRole('dialog', { name: `Trust the host key of ${VMS}?` });
    const blob = Buffer.from(vmsEmu.hostKeyLine.trim().split(/\s+/)[2] ?? '', 'base64');
    await trust.getByText(fingerprint(blob), { exact: true }).waitFor(LIVE);
    await trust.getByRole('button', { name: 'Trust' }).click();
    // Added without a profile, it is taken for an R58; the probe says what it is, and one click makes it so.
    await page
      .getByRole('tabpanel', { name: 'Overview' })
      .getByRole('button', { name: 'Use the VMS recorder host profile', exact: true })
      .click(LIVE);
    await page
      .getByRole('dialog', { name: `Use the VMS recorder host profile for ${VMS}?` })
      .getByRole('button', { name: 'Use the VMS recorder host profile', exact: true })
      .click();
    await page.getByRole('tab', { name: 'Service', exact: true }).click(LIVE);

    const backups = knownGood().getByRole('list', { name: 'Binary backups it could go back to' });
    const go = backups.getByRole('button', { name: 'Go back to vms-recorder.before-phase3', exact: true });
    await go.click(LIVE);
    const ask = page.getByRole('dialog', { name: `Switch ${VMS} to vms-recorder.before-phase3` });
    const plan = ask.getByRole('region', { name: 'What the switch will do' });
    await plan
      .getByText(/\/opt\/vms\/vms-recorder\.tally-knowngood-/)
      .first()
      .waitFor(LIVE);
    await ask.getByRole('spinbutton', { name: 'Probation window (s)' }).fill(PROBATION_S);
    await ask.getByRole('button', { name: 'Switch to vms-recorder.before-phase3', exact: true }).click();
    await ask.getByRole('heading', { name: 'Passed: healthy through its probation' }).waitFor(LIVE);
    await ask.getByText(/last at \d+ s: .*Duc_Tai_Dendo_2: up, new segment/).waitFor(WAIT);
    await ask
      .getByText(/binary that ran before is kept as \/opt\/vms\/vms-recorder\.tally-knowngood-/)
      .waitFor(WAIT);
    await screenshot(page, 'kind-known-good-vms-passed');
    await ask.getByRole('button', { name: 'Close', exact: true }).click();
    await ask.waitFor({ state: 'hidden', ...WAIT });
    await backups
      .getByRole('listitem')
      .filter({ has: page.getByText('vms-recorder.before-phase3', { exact: true }) })
      .getByText('runs now', { exact: true })
      .waitFor(LIVE);
  }, 300_000);
});

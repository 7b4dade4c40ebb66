/**
 * A mixed fleet (issue 17), in Chromium against the web console and three emulated boxes of different kinds: an R58
 * recorder (light), the seed 003 GPU transcoder and the seed 004 VMS recorder host, added and trusted before the
 * console starts (as `tally demo --mixed` does). Each box shows the tabs of its kind (no Recorder, Previews, Mixer or
 * Emergency VPU reset on the transcoder and the VMS host, a Service tab instead), the Service tab shows the
 * transcoder's container and health and the VMS host's cameras, and a transcoder health failure puts its row first
 * in the fleet view sorted worst first. Selection by role and accessible name; waits are generous, nothing is timed.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Console } from '../../src-main/core/console.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { until } from '../fixtures/until.js';
import { openBrowser, screenshot, startWebConsole, type BrowserSession, type WebConsole } from './harness.js';
import { WAIT, shootOnFailure } from './steps.js';

const ok = await emulatorAvailable();
/** Boxes start, services come up, first samples and segments arrive: generous, never asserted on. */
const LIVE = { timeout: 120_000 };
const BOXES = [
  { name: 'studio-r58', profile: 'r58' },
  { name: 'xg2g-1', profile: 'transcoder' },
  { name: 'vms-1', profile: 'vms' },
] as const;
type BoxName = (typeof BOXES)[number]['name'];
const R58_TABS = ['Overview', 'Monitor', 'Recorder', 'Previews', 'Mixer', 'Terminal'];
const SERVICE_TABS = ['Overview', 'Monitor', 'Service', 'Terminal'];

const emus = new Map<BoxName, Emulator>();
let web: WebConsole | undefined;
let session: BrowserSession | undefined;
let page: Page;
let dataDir: string | undefined;

function emu(name: BoxName): Emulator {
  const found = emus.get(name);
  if (!found) throw new Error(`no emulator for ${name}`);
  return found;
}

/** The boxes in the console's store before it starts, each with its profile and its host key trusted. */
async function seed(dir: string): Promise<void> {
  const core = await Console.open({
    dataDir: dir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 'e2e',
    knownHostsFiles: [],
  });
  try {
    for (const box of BOXES) {
      const { ssh } = emu(box.name).ready;
      const reply = await core.invoke(
        'devices.add',
        {
          name: box.name,
          host: ssh.host,
          port: ssh.port,
          user: ssh.user,
          auth: { kind: 'identityFile', path: path.resolve(ssh.identityFile) },
          profile: box.profile,
        },
        { owner: 'e2e' },
      );
      if (!reply.ok) throw new Error(`Could not add ${box.name}: ${reply.error.message}`);
      const key = emu(box.name).hostKeyLine.trim().split(/\s+/)[2] ?? '';
      await core.trustKnownHostKey(ssh.host, ssh.port, key);
    }
  } finally {
    await core.close();
  }
}

beforeAll(async () => {
  if (!ok) return;
  // One at a time: the transcoder and the VMS host start real ffmpeg, and this machine has two cores.
  emus.set('studio-r58', await startEmulator({ light: true }));
  emus.set('xg2g-1', await startEmulator({ kind: 'transcoder' }));
  emus.set('vms-1', await startEmulator({ kind: 'vms', segmentSeconds: 4, nvidia: true }));
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-e2e-mixed-'));
  await seed(dataDir);
  web = await startWebConsole({ dataDir });
  session = await openBrowser(web.url);
  page = session.page;
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole('heading', { name: 'Tally', level: 1 }).waitFor(WAIT);
}, 600_000);

beforeEach(shootOnFailure(() => page));

afterAll(async () => {
  await session?.close();
  await web?.stop();
  for (const e of emus.values()) await e.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
}, 180_000);

const sidebar = (): Locator => page.getByRole('complementary', { name: 'Fleet' });
const card = (name: BoxName): Locator => sidebar().getByRole('button', { name, exact: true });
const tabs = (name: BoxName): Locator =>
  page.getByRole('tablist', { name: `${name} views` }).getByRole('tab');
const panel = (name: string): Locator => page.getByRole('tabpanel', { name });
const fleetView = (): Locator => page.getByRole('region', { name: 'Fleet overview' });
const rows = (): Locator => fleetView().getByRole('table').locator('tbody tr');

async function open(name: BoxName): Promise<void> {
  await card(name).click();
  await page.getByRole('heading', { name, level: 2 }).waitFor(WAIT);
}

describe.skipIf(!ok)('a mixed fleet', () => {
  it('connects an R58, a transcoder and a VMS host, and shows each with the tabs of its kind', async () => {
    await page.getByRole('button', { name: 'Connect all', exact: true }).click();
    for (const box of BOXES) await card(box.name).getByText('Connected', { exact: true }).waitFor(LIVE);

    await open('studio-r58');
    await until(
      'the R58 tabs',
      async () => (await tabs('studio-r58').allInnerTexts()).length === 6,
      WAIT.timeout,
    );
    expect(await tabs('studio-r58').allInnerTexts()).toEqual(R58_TABS);
    await page.getByRole('button', { name: 'Emergency VPU reset', exact: true }).waitFor(WAIT);

    // What the console found on connect confirms the profile (the finding names the kind).
    await panel('Overview').getByRole('heading', { name: 'R58 recorder', exact: true }).waitFor(LIVE);

    for (const name of ['xg2g-1', 'vms-1'] as const) {
      await open(name);
      await until('its tabs', async () => (await tabs(name).allInnerTexts()).length === 4, WAIT.timeout);
      expect(await tabs(name).allInnerTexts()).toEqual(SERVICE_TABS);
      expect(await page.getByRole('button', { name: /^Emergency VPU reset/ }).count()).toBe(0);
    }
    await panel('Overview').getByRole('heading', { name: 'VMS recorder host', exact: true }).waitFor(LIVE);
    await open('xg2g-1');
    await panel('Overview').getByRole('heading', { name: 'GPU transcoder', exact: true }).waitFor(LIVE);
    await screenshot(page, 'mixed-vms-overview');
  }, 300_000);

  it("shows the transcoder's container and health on its Service tab", async () => {
    await open('xg2g-1');
    await page.getByRole('tab', { name: 'Service', exact: true }).click();
    const service = panel('Service');
    await service.getByRole('heading', { name: 'The container' }).waitFor(WAIT);
    await service.getByText('xg2g-transcoder', { exact: true }).first().waitFor(WAIT);
    await service.getByText('Running', { exact: true }).waitFor(LIVE);
    await service.getByText('Health: Healthy', { exact: true }).waitFor(LIVE);
    await service.getByRole('figure', { name: 'GPU busy' }).waitFor(WAIT);
    // Stopping asks first and names what stops; cancelled here.
    await service.getByRole('button', { name: 'Stop', exact: true }).click();
    const ask = page.getByRole('dialog', { name: 'Stop the container xg2g-transcoder on xg2g-1?' });
    await ask.waitFor(WAIT);
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'hidden', ...WAIT });
    await service.getByText('Running', { exact: true }).waitFor(WAIT);
    await screenshot(page, 'mixed-transcoder-service');
  });

  it("shows the VMS host's cameras as seed 004's table", async () => {
    await open('vms-1');
    await page.getByRole('tab', { name: 'Service', exact: true }).click();
    const table = panel('Service').getByRole('table', { name: 'Cameras of vms-1' });
    for (const camera of ['Duc_Tai_Dendo_1', 'Duc_Tai_Dendo_2']) {
      const row = table
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: new RegExp(camera) }) });
      await row.getByText('Recording', { exact: true }).waitFor(LIVE);
      await row.getByText(new RegExp(`^${camera}_\\d{8}_\\d{6}\\.mp4$`)).waitFor(LIVE);
      // A closed segment, probed: its size, duration and codec (H.265, as the seed records).
      await row
        .getByText(/^[\d.]+ (B|kB|MB) · \d+:\d\d · hevc$/)
        .first()
        .waitFor(LIVE);
      // The live output answers, with its codec and size.
      await row.getByText(/^Up · h264 \d+×\d+$/).waitFor(LIVE);
    }
    await panel('Service').getByRole('group', { name: 'Cameras recording' }).getByText('2/2').waitFor(LIVE);
    // Its cameras are its recordings at a glance: the device's strip says REC, as an R58's does.
    await page.getByText('REC · 2 cams', { exact: true }).first().waitFor(LIVE);
    await screenshot(page, 'mixed-vms-service');
  }, 300_000);

  it('puts the transcoder first under "Worst first" when its health fails', async () => {
    await page.keyboard.press('Alt+0');
    await fleetView().waitFor(WAIT);
    await fleetView().getByRole('radio', { name: 'Worst first' }).check();
    // Seed 003's health endpoint answers 503; nothing else on the transcoder changes.
    await emu('xg2g-1').control.healthFail(true);
    await until(
      'a row in alarm first',
      async () => (await rows().first().getAttribute('data-health')) === 'alarm',
      LIVE.timeout,
      250,
    );
    const first = rows().first();
    await first.getByRole('button', { name: 'Open xg2g-1' }).waitFor(WAIT);
    await first.getByText('Health failing', { exact: true }).waitFor(WAIT);
    await first.getByText('Kind: GPU transcoder', { exact: true }).waitFor(WAIT);
    await screenshot(page, 'mixed-fleet-worst-first');
    // Its row leads to the box; its Service tab says what fails.
    await first.getByRole('button', { name: 'Open xg2g-1' }).click();
    await page.getByRole('tab', { name: 'Service', exact: true }).click();
    await panel('Service').getByText('Health: Failing', { exact: true }).waitFor(LIVE);
    await panel('Service')
      .getByText(/HTTP 503/)
      .first()
      .waitFor(WAIT);
    await screenshot(page, 'mixed-transcoder-failing');
  }, 180_000);
});

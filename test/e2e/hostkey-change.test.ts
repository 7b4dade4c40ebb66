/**
 * The link drops, the console counts down to its next try, and the box comes back with a different host key:
 * the console refuses, explains, and lets the operator forget the old key and trust the new one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { startSshd, type SshdHandle } from '../fixtures/sshd.js';
import { openConsole, screenshot, type BrowserSession, type WebConsole } from './harness.js';
import { WAIT, addDevice, connectAndTrust, overview, trustPrompt, shootOnFailure } from './steps.js';

const DEVICE = 'studio-r58';

let first: SshdHandle;
let second: SshdHandle | undefined;
let web: WebConsole;
let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  let opened: Awaited<ReturnType<typeof openConsole>>;
  [first, opened] = await Promise.all([startSshd(), openConsole()]);
  ({ web, session, page } = opened);
});

beforeEach(shootOnFailure(() => page));

afterAll(async () => {
  await session?.close();
  await web?.stop();
  await first?.stop();
  await second?.stop();
});

describe('a device whose host key changes', () => {
  it('connects and trusts the first key', async () => {
    // The fixture deletes its directory when it stops; keep the login key where the console can still read it.
    const identityFile = path.join(web.home, 'id_first');
    await fs.copyFile(first.identityFile, identityFile);
    await fs.chmod(identityFile, 0o600);
    await addDevice(page, {
      name: DEVICE,
      host: first.host,
      port: first.port,
      user: first.user,
      identityFile,
    });
    await connectAndTrust(page, DEVICE, {
      fingerprint: first.hostKeyFingerprint,
      keyType: first.hostKeyType,
    });
  });

  it('counts down to the next reconnect when the link drops', async () => {
    await first.stop();
    const countdown = /^Reconnecting in \d+ s \(attempt \d+\)$/;
    await overview(page).getByText(countdown).waitFor(WAIT);
    const fleet = page.getByRole('complementary', { name: 'Fleet' });
    await fleet.getByText(countdown).waitFor(WAIT);
    // While it retries, the device's card offers to stop it.
    await fleet.getByRole('button', { name: `Disconnect ${DEVICE}`, exact: true }).waitFor();
    await screenshot(page, 'reconnecting');
  });

  it('refuses a changed key, shows both fingerprints, and forgets the old one on request', async () => {
    second = await startSshd({ port: first.port });
    const alert = overview(page).getByRole('alert');
    await alert.getByText(`The host key of ${DEVICE} has changed. Tally will not connect.`).waitFor({
      timeout: 60_000,
    });
    await alert.getByText(first.hostKeyFingerprint, { exact: true }).waitFor();
    await alert.getByText(second.hostKeyFingerprint, { exact: true }).waitFor();
    await alert.getByText(/man-in-the-middle attack/).waitFor();
    await page.getByRole('complementary', { name: 'Fleet' }).getByText('Host key mismatch').waitFor();
    await screenshot(page, 'host-key-mismatch');

    await alert.getByRole('button', { name: 'Forget the old key' }).click();
    const confirm = page.getByRole('dialog', { name: `Forget the old host key of ${DEVICE}?` });
    await confirm.getByRole('button', { name: 'Forget the key' }).click();
    await confirm.waitFor({ state: 'hidden', ...WAIT });
    await alert.waitFor({ state: 'detached', ...WAIT });
  });

  it('asks again on the next connection and trusts the new key', async () => {
    if (!second) throw new Error('second sshd missing');
    // The reinstalled box authorizes another login key: edit the device to use it.
    await page
      .getByRole('complementary', { name: 'Fleet' })
      .getByRole('button', { name: `Edit ${DEVICE}`, exact: true })
      .click();
    const form = page.getByRole('dialog', { name: 'Edit device' });
    const keyPath = form.getByLabel('Identity file path');
    await keyPath.fill(second.identityFile);
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'hidden', ...WAIT });

    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await trustPrompt(page, DEVICE, { fingerprint: second.hostKeyFingerprint, keyType: second.hostKeyType });
    await overview(page).getByText(second.hostKeyFingerprint, { exact: true }).waitFor(WAIT);
  });
});

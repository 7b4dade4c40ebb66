/** What an operator does, step by step, found by role and accessible name. Shared by the e2e tests. */
import type { Locator, Page } from 'playwright-core';
import { screenshot } from './harness.js';

export const WAIT = { timeout: 20_000 };
/**
 * For output from a login shell on the test sshd: it runs this machine's own ~/.bashrc, which can be slow
 * (e.g. `pyenv rehash` waiting on its lock while other shells start). An upper bound, not an expectation.
 */
export const SHELL_WAIT = { timeout: 90_000 };

export interface NewDevice {
  name: string;
  host: string;
  port: number;
  user: string;
  identityFile: string;
}

export async function addDevice(page: Page, fill: NewDevice): Promise<void> {
  await page.getByRole('button', { name: 'Add device', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Add device' });
  await dialog.getByLabel('Name', { exact: true }).fill(fill.name);
  await dialog.getByLabel('Host', { exact: true }).fill(fill.host);
  await dialog.getByLabel('Port', { exact: true }).fill(String(fill.port));
  await dialog.getByLabel('User', { exact: true }).fill(fill.user);
  await dialog.getByRole('radio', { name: 'Identity file' }).check();
  await dialog.getByLabel('Identity file path').fill(fill.identityFile);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'hidden', ...WAIT });
}

export function overview(page: Page): Locator {
  return page.getByRole('tabpanel', { name: 'Overview' });
}

/**
 * Select the device, click Connect, check the host key prompt shows `key` and answer Trust; end on "Connected".
 */
export async function connectAndTrust(
  page: Page,
  name: string,
  key: { fingerprint: string; keyType: string },
  shot?: string,
): Promise<void> {
  await page.getByRole('button', { name, exact: true }).click();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await trustPrompt(page, name, key, shot);
}

export async function trustPrompt(
  page: Page,
  name: string,
  key: { fingerprint: string; keyType: string },
  shot?: string,
): Promise<void> {
  const prompt = page.getByRole('dialog', { name: `Trust the host key of ${name}?` });
  await prompt.waitFor(WAIT);
  await prompt.getByText(`First connection to ${name}. The device presented this host key:`).waitFor();
  await prompt.getByText(key.fingerprint, { exact: true }).waitFor();
  await prompt.getByText(key.keyType, { exact: true }).waitFor();
  if (shot) await screenshot(page, shot);
  await prompt.getByRole('button', { name: 'Trust' }).click();
  await prompt.waitFor({ state: 'hidden', ...WAIT });
  await overview(page).getByText('Connected', { exact: true }).waitFor(WAIT);
}

/** The text xterm shows in a terminal region (its DOM renderer keeps each row as text). */
export async function screenText(terminal: Locator): Promise<string> {
  const text = await terminal.locator('.xterm-rows').innerText();
  return text.replace(/\u00a0/g, ' ');
}

/** A screenshot of the page as it was when a test failed, named after the test (for looking, not asserting). */
export function shootOnFailure(getPage: () => Page | undefined) {
  return ({
    task,
    onTestFailed,
  }: {
    task: { name: string };
    onTestFailed: (fn: () => Promise<void>) => void;
  }) => {
    onTestFailed(async () => {
      const page = getPage();
      const slug = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      if (page) await screenshot(page, `FAILED-${slug}`).catch(() => undefined);
    });
  };
}

/**
 * The producer's first minutes, in a real browser against the real web console and a real OpenSSH server:
 * add a device, connect, trust its host key, see it connected, and use a terminal on it.
 * Elements are found by role and accessible name, as a person using a screen reader would find them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSshd, type SshdHandle } from '../fixtures/sshd.js';
import { openConsole, screenshot, type BrowserSession, type WebConsole } from './harness.js';
import {
  SHELL_WAIT,
  WAIT,
  addDevice,
  connectAndTrust,
  overview,
  screenText,
  shootOnFailure,
} from './steps.js';

const DEVICE = 'e2e-r58';

let sshd: SshdHandle;
let web: WebConsole;
let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  let opened: Awaited<ReturnType<typeof openConsole>>;
  [sshd, opened] = await Promise.all([startSshd(), openConsole()]);
  ({ web, session, page } = opened);
});

beforeEach(shootOnFailure(() => page));

afterAll(async () => {
  await session?.close();
  await web?.stop();
  await sshd?.stop();
});

describe('web console, end to end', () => {
  it('refuses a request without the token', async () => {
    const res = await fetch(`${web.origin}/`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    const ws = await fetch(`${web.origin}/index.html`, { redirect: 'manual' });
    expect(ws.status).toBe(401);
  });

  it('shows the web mode banner', async () => {
    await page
      .getByText('Web mode: passwords are kept in memory only and asked again after a restart.')
      .waitFor(WAIT);
  });

  it('adds a device, connects, trusts the host key and shows Connected', async () => {
    await addDevice(page, {
      name: DEVICE,
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.identityFile,
    });
    const fleet = page.getByRole('complementary', { name: 'Fleet' });
    await fleet.getByRole('button', { name: DEVICE, exact: true }).waitFor();
    await fleet.getByText(`${sshd.user}@${sshd.host}:${sshd.port}`, { exact: true }).waitFor();

    await connectAndTrust(
      page,
      DEVICE,
      { fingerprint: sshd.hostKeyFingerprint, keyType: sshd.hostKeyType },
      'host-key-prompt',
    );

    // The trusted key is on record and shown.
    await overview(page).getByText(sshd.hostKeyFingerprint, { exact: true }).waitFor(WAIT);
    await fleet.getByRole('button', { name: `Disconnect ${DEVICE}` }).waitFor();
    await screenshot(page, 'fleet-connected');
  });

  it('opens a terminal on the device and runs a command', async () => {
    await page.getByRole('tab', { name: 'Terminal' }).click();
    const terminal = page.getByRole('region', { name: /^Terminal / });
    await terminal.waitFor(WAIT);
    await terminal.getByRole('textbox', { name: 'Terminal input' }).waitFor({ state: 'attached' });
    // Wait for the shell's prompt before typing.
    await expect.poll(() => screenText(terminal), SHELL_WAIT).toMatch(/[$#]\s*$/m);
    await terminal.click();
    await page.keyboard.type('echo tally-$((40+2))');
    await page.keyboard.press('Enter');
    await expect.poll(() => screenText(terminal), SHELL_WAIT).toMatch(/^tally-42\s*$/m);
    await screenshot(page, 'terminal');
  });

  it('pastes with Ctrl+Shift+V and copies the selection with Ctrl+Shift+C', async () => {
    const terminal = page.getByRole('region', { name: /^Terminal / });
    await page.evaluate(() => navigator.clipboard.writeText('echo pasted-$((2*3))'));
    await terminal.click();
    await page.keyboard.press('Control+Shift+V');
    // The clipboard is read asynchronously: let the pasted line arrive before pressing Enter.
    await expect.poll(() => screenText(terminal), WAIT).toMatch(/echo pasted-\$\(\(2\*3\)\)\s*$/m);
    await page.keyboard.press('Enter');
    await expect.poll(() => screenText(terminal), WAIT).toMatch(/^pasted-6\s*$/m);

    // Double-click selects the word on the output row; Ctrl+Shift+C puts it on the clipboard.
    const row = terminal.locator('.xterm-rows > div', { hasText: /^pasted-6\s*$/ });
    const box = await row.boundingBox();
    if (!box) throw new Error('output row not rendered');
    await page.mouse.dblclick(box.x + 12, box.y + box.height / 2);
    await page.keyboard.press('Control+Shift+C');
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), WAIT).toBe('pasted-6');
  });

  it('tells the remote shell its new size when the window shrinks', async () => {
    const terminal = page.getByRole('region', { name: /^Terminal / });
    const size = async (): Promise<{ rows: number; cols: number }> => {
      await terminal.click();
      await page.keyboard.type('echo size=$(stty size | tr " " x)');
      await page.keyboard.press('Enter');
      const all = [...(await screenText(terminal)).matchAll(/^size=(\d+)x(\d+)\s*$/gm)];
      const last = all.at(-1);
      return { rows: Number(last?.[1] ?? 0), cols: Number(last?.[2] ?? 0) };
    };
    await expect.poll(() => size().then((s) => s.cols), WAIT).toBeGreaterThan(0);
    const before = await size();
    await page.setViewportSize({ width: 900, height: 600 });
    await expect.poll(async () => (await size()).cols, { ...WAIT, interval: 500 }).toBeLessThan(before.cols);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('keeps up with a flood of output (acknowledged flow control)', async () => {
    const terminal = page.getByRole('region', { name: /^Terminal / });
    await terminal.click();
    // ~2 MB through the core; without acks from the renderer the core would pause the shell for good.
    await page.keyboard.type('head -c 1500000 /dev/zero | base64 -w 120; echo flood-$((6*7))-done');
    await page.keyboard.press('Enter');
    await expect.poll(() => screenText(terminal), { timeout: 60_000 }).toMatch(/^flood-42-done\s*$/m);
  });

  it('shows the end of the session and reopens it', async () => {
    const terminal = page.getByRole('region', { name: /^Terminal / });
    await terminal.click();
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await terminal.getByRole('button', { name: 'Reopen' }).waitFor(WAIT);
    // Said both in the terminal and in the bar that holds Reopen.
    await expect.poll(() => screenText(terminal), WAIT).toMatch(/^\[session ended: .+\]\s*$/m);
    await terminal
      .getByText(/^\[session ended: .+\]$/)
      .last()
      .waitFor();
    await terminal.getByRole('button', { name: 'Reopen' }).click();
    await terminal.getByRole('button', { name: 'Reopen' }).waitFor({ state: 'hidden', ...SHELL_WAIT });
    await terminal.click();
    await page.keyboard.type('echo again-$((1+1))');
    await page.keyboard.press('Enter');
    await expect.poll(() => screenText(terminal), SHELL_WAIT).toMatch(/^again-2\s*$/m);
    const title = (await terminal.getAttribute('aria-label'))?.replace(/^Terminal /, '') ?? '';
    await page.getByRole('button', { name: `Close terminal ${title}`, exact: true }).click();
    await terminal.waitFor({ state: 'detached', ...WAIT });
    await page.getByRole('tab', { name: 'Overview' }).click();
  });

  it('opens a local terminal on the laptop', async () => {
    await page.getByRole('button', { name: 'Local terminal', exact: true }).click();
    const terminal = page.getByRole('region', { name: /^Terminal / });
    await terminal.waitFor(WAIT);
    await expect.poll(() => screenText(terminal), WAIT).toMatch(/[$#]\s*$/m);
    await terminal.click();
    await page.keyboard.type('echo local-$((6*7))');
    await page.keyboard.press('Enter');
    await expect.poll(() => screenText(terminal), WAIT).toMatch(/^local-42\s*$/m);
    const title = (await terminal.getAttribute('aria-label'))?.replace(/^Terminal /, '') ?? '';
    await page.getByRole('button', { name: `Close terminal ${title}`, exact: true }).click();
    await terminal.waitFor({ state: 'detached', ...WAIT });
  });

  it('shows a device name that looks like shell syntax as text, and never runs it', async () => {
    const marker = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
    const name = `$(touch ${marker})`;
    await addDevice(page, {
      name,
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.identityFile,
    });
    const fleet = page.getByRole('complementary', { name: 'Fleet' });
    await fleet.getByText(name, { exact: true }).waitFor(WAIT);
    await page.getByRole('heading', { name, exact: true }).waitFor(WAIT);

    // Connect it too: the name travels through the core, the audit log and the SSH layer.
    // Trust is recorded per host and port, and this is the same server as before: no prompt this time.
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await overview(page).getByText('Connected', { exact: true }).waitFor(WAIT);
    expect(existsSync(marker)).toBe(false);

    // Remove it again, through the confirmation.
    await fleet.getByRole('button', { name: `Remove ${name}`, exact: true }).click();
    const confirm = page.getByRole('dialog', { name: `Remove ${name}?` });
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirm.waitFor({ state: 'hidden', ...WAIT });
    await fleet.getByText(name, { exact: true }).waitFor({ state: 'detached', ...WAIT });
    expect(existsSync(marker)).toBe(false);
  });

  it('puts field errors next to their field: a host with shell syntax, an empty name', async () => {
    await page.getByRole('button', { name: 'Add device', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add device' });
    const name = dialog.getByLabel('Name', { exact: true });
    const host = dialog.getByLabel('Host', { exact: true });

    await name.fill('bad-host');
    await host.fill('a;b');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('[aria-invalid="true"]').first().waitFor(WAIT);
    expect(await host.getAttribute('aria-invalid')).toBe('true');
    expect(await describedBy(host)).toMatch(/hostname or IP address/);
    expect(await name.getAttribute('aria-invalid')).toBeNull();
    await dialog.getByRole('alert').waitFor();
    await screenshot(page, 'form-errors');

    await name.fill('');
    await host.fill('r58.local');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => name.getAttribute('aria-invalid'), WAIT).toBe('true');
    expect(await describedBy(name)).toMatch(/Give the device a name/);
    expect(await host.getAttribute('aria-invalid')).toBeNull();

    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    // Nothing was added.
    await page
      .getByRole('complementary', { name: 'Fleet' })
      .getByText('bad-host')
      .waitFor({ state: 'detached' });
  });

  it('keeps secrets write-only: an edit shows a stored password as stored, never its value', async () => {
    await page.getByRole('button', { name: 'Add device', exact: true }).click();
    const add = page.getByRole('dialog', { name: 'Add device' });
    await add.getByLabel('Name', { exact: true }).fill('pw-box');
    await add.getByLabel('Host', { exact: true }).fill('pw-box.local');
    await add.getByRole('radio', { name: 'Password' }).check();
    await add
      .getByLabel('Password', { exact: true })
      .and(add.locator('input[type="password"]'))
      .fill('hunter2');
    await add.getByRole('button', { name: 'Save' }).click();
    await add.waitFor({ state: 'hidden', ...WAIT });
    await overview(page).getByText('Password (stored)', { exact: true }).waitFor(WAIT);

    await page.getByRole('button', { name: 'Edit pw-box', exact: true }).click();
    const edit = page.getByRole('dialog', { name: 'Edit device' });
    const password = edit.getByLabel('Password', { exact: true }).and(edit.locator('input[type="password"]'));
    expect(await password.inputValue()).toBe('');
    expect(await describedBy(password)).toContain('(stored — leave empty to keep)');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'hidden', ...WAIT });
    await overview(page).getByText('Password (stored)', { exact: true }).waitFor(WAIT);

    await page.getByRole('button', { name: 'Remove pw-box', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove pw-box?' });
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirm.waitFor({ state: 'hidden', ...WAIT });
  });

  it('imports hosts from ~/.ssh/config', async () => {
    const sshDir = path.join(web.home, '.ssh');
    await fs.mkdir(sshDir, { recursive: true });
    await fs.writeFile(
      path.join(sshDir, 'config'),
      [
        'Host cam-box',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        `  User ${sshd.user}`,
        `  IdentityFile ${sshd.identityFile}`,
        'Host weird',
        '  HostName a;b',
        'Host *',
        '  ServerAliveInterval 5',
        '',
      ].join('\n'),
    );
    await page.getByRole('button', { name: 'Import from SSH config', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Import from SSH config' });
    const good = dialog.getByRole('checkbox', { name: 'cam-box' });
    const bad = dialog.getByRole('checkbox', { name: 'weird' });
    await good.waitFor(WAIT);
    // Same address and user as e2e-r58: offered, but not ticked by default.
    await dialog.getByText('already in the fleet').waitFor();
    expect(await good.isChecked()).toBe(false);
    expect(await bad.isDisabled()).toBe(true);
    await good.check();
    await dialog.getByText(/hostname or IP address/).waitFor();
    await screenshot(page, 'import');
    await dialog.getByRole('button', { name: /^Import selected/ }).click();
    await dialog.waitFor({ state: 'hidden', ...WAIT });

    const fleet = page.getByRole('complementary', { name: 'Fleet' });
    await fleet.getByRole('button', { name: 'cam-box', exact: true }).click();
    await overview(page).getByText(`Identity file ${sshd.identityFile}`, { exact: true }).waitFor(WAIT);
  });

  it('saw no script errors or CSP violations', () => {
    const real = session.problems.filter(
      (p) => !/frame-ancestors.*ignored when delivered via a <meta>/.test(p),
    );
    expect(real).toEqual([]);
  });
});

/** The text of the elements an input's aria-describedby points at. */
function describedBy(input: Locator): Promise<string> {
  return input.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' '),
  );
}

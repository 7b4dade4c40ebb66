/**
 * The README's first command, as a newcomer meets it: `tally demo --web` starts an emulated R58 and the console,
 * demo-r58 appears already trusted and connects by itself, and a terminal on it reaches the board's VPU file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { openBrowser, ROOT, screenshot, type BrowserSession } from './harness.js';
import { overview, screenText, SHELL_WAIT, shootOnFailure, WAIT } from './steps.js';

const ok = await emulatorAvailable();

let child: ChildProcess | undefined;
let lines: string[] = [];
let base: string;
let session: BrowserSession;
let page: Page;

function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

beforeAll(async () => {
  if (!ok) return;
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-demo-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: base, XDG_CONFIG_HOME: path.join(base, '.config') };
  delete env['SSH_AUTH_SOCK'];
  const proc = spawn(process.execPath, ['bin/tally.mjs', 'demo', '--web', '--port', '0', '--cameras', '2'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo printed no URL in 120 s:\n${out}\n${err}`)),
      120_000,
    );
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (/Tally web console: \S+\n/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`demo exited (${code}):\n${out}\n${err}`)));
  });
  lines = out.trim().split('\n');
  session = await openBrowser(/Tally web console: (\S+)/.exec(out)?.[1] ?? '');
  page = session.page;
});

beforeEach(shootOnFailure(() => page));

afterAll(async () => {
  await session?.close();
  if (child) await stop(child);
  if (base) await fs.rm(base, { recursive: true, force: true });
});

describe.skipIf(!ok)('npm run demo', () => {
  it('prints the emulator ready line, then the console URL line', () => {
    expect(lines).toHaveLength(2);
    const ready = JSON.parse(lines[0] ?? '') as {
      ssh: { user: string };
      whep: string;
      control: string;
      profile: string;
    };
    expect(ready).toMatchObject({ ssh: { user: 'linaro' }, profile: 'r58' });
    expect(ready.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(/^Tally web console: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/);
  });

  it('shows demo-r58 connected without asking about its host key', async () => {
    await page.getByRole('button', { name: 'demo-r58', exact: true }).click();
    await overview(page).getByText('Connected', { exact: true }).waitFor(WAIT);
    expect(await page.getByRole('dialog').count()).toBe(0);
    await screenshot(page, 'demo-connected');
  });

  it('opens a terminal on the emulated board and reads its VPU sessions through sudo', async () => {
    await page.getByRole('tab', { name: 'Terminal' }).click();
    const terminal = page.getByRole('region', { name: /^Terminal / });
    await terminal.getByRole('textbox', { name: 'Terminal input' }).waitFor({ state: 'attached' });
    await expect.poll(() => screenText(terminal), SHELL_WAIT).toMatch(/[$#]\s*$/m);
    await terminal.click();
    await page.keyboard.type(
      // The recorder may still be starting its pipelines: read until both are up (or 30 tries), then print.
      'for i in $(seq 30); do n=$(sudo cat /sys/kernel/debug/mpp_service/session | grep -c session); ' +
        '[ "$n" -ge 2 ] && break; sleep 1; done; echo sessions=$n',
    );
    await page.keyboard.press('Enter');
    // Two cameras with the proven hardware preset hold one encoder session each.
    await expect.poll(() => screenText(terminal), SHELL_WAIT).toMatch(/^sessions=2\s*$/m);
    await screenshot(page, 'demo-terminal');
  });
});

/**
 * End-to-end harness: the real web console (`tally web`) as a child process, driven by Debian's Chromium through
 * playwright-core. Everything runs in throwaway directories: the data dir, HOME (so no real ~/.ssh leaks in) and
 * the browser profile (Playwright's `launch` makes a fresh one and deletes it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { launchChromium } from '../fixtures/chromium.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS = path.join(ROOT, 'test-results', 'e2e');

export interface WebConsole {
  /** The URL `tally web` printed, with its token. */
  url: string;
  /** `http://127.0.0.1:PORT`, without the token. */
  origin: string;
  dataDir: string;
  home: string;
  /** The console's main process (the Node process `tally web` runs in). */
  pid: number;
  /** Everything the console wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Start `node bin/tally.mjs web --port 0` and read the one line it prints. */
export async function startWebConsole(opts: { dataDir?: string } = {}): Promise<WebConsole> {
  // bin/tally.mjs builds first when out/ is missing or older than the sources.
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-e2e-'));
  const dataDir = opts.dataDir ?? path.join(base, 'data');
  const home = path.join(base, 'home');
  await fs.mkdir(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  delete env['SSH_AUTH_SOCK'];
  const child = spawn(process.execPath, ['bin/tally.mjs', 'web', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (err += chunk));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`tally web printed no URL within 90 s.\n${out}\n${err}`)),
      90_000,
    );
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const match = /Tally web console: (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`tally web exited early (code ${code}, signal ${signal}).\n${out}\n${err}`));
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    origin: new URL(url).origin,
    dataDir,
    home,
    pid: child.pid ?? 0,
    stderr: () => err,
    stop: () =>
      (stopping ??= (async () => {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 5000))) {
          child.kill('SIGKILL');
          await waitForExit(child, 5000);
        }
        await fs.rm(base, { recursive: true, force: true });
      })()),
  };
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Page errors, console errors and CSP violations seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function openBrowser(url: string): Promise<BrowserSession> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const origin = new URL(url).origin;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  return {
    browser,
    context,
    page,
    problems,
    close: async () => {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await fs.mkdir(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** `tally web` and a browser on it, past the first paint: where every e2e test starts. */
export async function openConsole(): Promise<{ web: WebConsole; session: BrowserSession; page: Page }> {
  const web = await startWebConsole();
  const session = await openBrowser(web.url);
  await session.page.getByRole('heading', { name: 'Tally', level: 1 }).waitFor({ timeout: 20_000 });
  return { web, session, page: session.page };
}

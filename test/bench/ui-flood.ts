/**
 * The live monitor under a kernel-log flood, end to end: an emulated R58 with four cameras, the web console, and
 * Chromium with the device's Monitor tab open. 5,000 lines a second for 10 s go in through the emulator's fault
 * control (`POST /kernel`, 500 lines every 100 ms), with one Oops halfway. Measured in the page: long tasks
 * (PerformanceObserver 'longtask'), the longest gap between animation frames, the time from the Oops being sent
 * to its alert being on screen, and whether every line arrived.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { oopsLines } from '../../src-main/emulator/device/kernel/text.js';
import { KERNEL_LEVELS } from '../../src-main/emulator/device/kernel/log.js';
import { ROOT, openBrowser, startWebConsole, type BrowserSession, type WebConsole } from '../e2e/harness.js';
import { addEmulatedDevice } from '../e2e/monitor-steps.js';
import { ms, table, type BenchReport } from './stats.js';

const DEVICE = 'flood-r58';
/** A screenshot after the flood, to look at (not to assert on). */
const RESULTS = path.join(ROOT, 'test-results', 'bench');
const RATE = 5000;
const SECONDS = 10;
const BATCH = 500;
const TICK_MS = (BATCH / RATE) * 1000;
const TOTAL = RATE * SECONDS;

/** What the page records about itself while the flood runs. */
interface PageFigures {
  longTasks: { start: number; duration: number }[];
  maxFrameGapMs: number;
  alertAt: number | undefined;
  badgeAt: number | undefined;
  heapBytes: number | undefined;
}

/**
 * Long tasks, frame gaps, and the wall clock when an Oops alert and the fleet badge first appear. Plain JavaScript
 * in a string: the bench runs under tsx, whose name-keeping helpers do not exist in the page.
 */
function instrumentScript(device: string): string {
  return `(() => {
    const name = ${JSON.stringify(device)};
    const figures = { longTasks: [], maxFrameGapMs: 0, alertAt: undefined, badgeAt: undefined, heapBytes: undefined };
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) figures.longTasks.push({ start: e.startTime, duration: e.duration });
    });
    observer.observe({ type: 'longtask' });
    let last = performance.now();
    let running = true;
    function frame(now) {
      figures.maxFrameGapMs = Math.max(figures.maxFrameGapMs, now - last);
      last = now;
      if (running) requestAnimationFrame(frame);
    }
    requestAnimationFrame(frame);
    function check() {
      if (figures.alertAt === undefined)
        for (const el of document.querySelectorAll('[role="alert"]'))
          if (el.textContent.includes(name + ':') && el.textContent.includes('Oops')) figures.alertAt = Date.now();
      if (figures.badgeAt === undefined)
        for (const el of document.querySelectorAll('aside .alarm-badge'))
          if (el.textContent.includes('Oops')) figures.badgeAt = Date.now();
    }
    const mutations = new MutationObserver(check);
    mutations.observe(document.body, { childList: true, subtree: true, characterData: true });
    window.__tallyBench = {
      figures,
      stop() {
        running = false;
        observer.disconnect();
        mutations.disconnect();
        figures.heapBytes = performance.memory ? performance.memory.usedJSHeapSize : undefined;
      },
    };
  })()`;
}

async function received(page: Page): Promise<number> {
  const text = await page
    .getByRole('tabpanel', { name: 'Monitor' })
    .getByText(/^Kernel lines received: [\d,]+$/)
    .innerText();
  return Number(text.replace(/\D/g, ''));
}

async function missing(page: Page): Promise<number> {
  const note = page.getByRole('tabpanel', { name: 'Monitor' }).getByText(/never arrived$/);
  if ((await note.count()) === 0) return 0;
  return Number((await note.innerText()).replace(/\D/g, ''));
}

function floodText(from: number, count: number): string {
  const lines: string[] = [];
  for (let i = from; i < from + count; i++) {
    const n = String(i).padStart(6, '0');
    lines.push(
      i % 50 === 0
        ? `<4>tally-flood ${n} usb 1-1: device descriptor read/64, error -71`
        : `<6>tally-flood ${n} rkcif-mipi-lvds2: frame ${i} seq ${i * 2} dropped 0`,
    );
  }
  return lines.join('\n');
}

function oopsText(): string {
  return oopsLines({ count: 1, pid: 4242, comm: 'gst-launch-1.0', cpu: 3, traceId: '0000000000000000' })
    .map((l) => `<${KERNEL_LEVELS.indexOf(l.level)}>${l.text}`)
    .join('\n');
}

async function post(control: string, text: string): Promise<void> {
  const res = await fetch(`${control}/kernel`, { method: 'POST', body: text });
  if (!res.ok) throw new Error(`POST /kernel: ${res.status} ${await res.text()}`);
}

export async function uiFlood(): Promise<BenchReport> {
  if (!(await emulatorAvailable())) throw new Error('needs root with network namespaces (the emulated R58)');
  let emu: Emulator | undefined;
  let web: WebConsole | undefined;
  let session: BrowserSession | undefined;
  try {
    [emu, web] = await Promise.all([startEmulator({ cameras: 4 }), startWebConsole()]);
    session = await openBrowser(web.url);
    const { page } = session;
    await page.getByRole('heading', { name: 'Tally', level: 1 }).waitFor({ timeout: 20_000 });
    await addEmulatedDevice(page, emu, DEVICE);
    await page.getByRole('tab', { name: 'Monitor' }).click();
    const log = page.getByRole('listbox', { name: `Kernel log of ${DEVICE}` });
    await log.getByRole('option').first().waitFor({ timeout: 60_000 });
    // Let the first samples and pipelines settle before measuring.
    await new Promise((r) => setTimeout(r, 3000));

    const before = await received(page);
    await page.evaluate(instrumentScript(DEVICE));
    const oopsCount = oopsText().split('\n').length;
    const control = emu.ready.control;

    const started = Date.now();
    let sent = 0;
    let oopsSentAt: number | undefined;
    for (let tick = 0; sent < TOTAL; tick++) {
      const due = started + tick * TICK_MS;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await post(control, floodText(sent, BATCH));
      sent += BATCH;
      if (oopsSentAt === undefined && sent >= TOTAL / 2) {
        oopsSentAt = Date.now();
        await post(control, oopsText());
      }
    }
    const floodMs = Date.now() - started;

    const expected = TOTAL + oopsCount;
    const deadline = Date.now() + 120_000;
    let got = (await received(page)) - before;
    while (got < expected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      got = (await received(page)) - before;
    }
    const drainMs = Date.now() - started - floodMs;
    const lost = await missing(page);
    // After the flood the ring holds only the last 20,000 lines, so the Oops (halfway) has left the log; its
    // report must still be listed, and the page must answer a click.
    await page.getByRole('checkbox', { name: 'Oops' }).check();
    const oopsShown = await page
      .getByRole('button', { name: /^Show Oops report Internal error: Oops/ })
      .waitFor({ timeout: 20_000 })
      .then(() => true)
      .catch(() => false);

    await page.evaluate('window.__tallyBench.stop()');
    await fs.mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'ui-flood-after.png') });
    const figures = (await page.evaluate('window.__tallyBench.figures')) as PageFigures | undefined;
    if (!figures) throw new Error('page instrumentation missing');
    const tasks = figures.longTasks;
    const longest = tasks.reduce((m, t) => Math.max(m, t.duration), 0);
    const totalLong = tasks.reduce((s, t) => s + t.duration, 0);
    const alertMs =
      figures.alertAt !== undefined && oopsSentAt !== undefined ? figures.alertAt - oopsSentAt : NaN;
    const badgeMs =
      figures.badgeAt !== undefined && oopsSentAt !== undefined ? figures.badgeAt - oopsSentAt : NaN;
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    const span = floodMs + drainMs;

    return {
      title: `UI under a kernel flood: ${RATE.toLocaleString('en-US')} lines/s for ${SECONDS} s, Monitor open (Chromium, web console, emulated R58)`,
      lines: [
        table(
          ['figure', 'value', 'target', ''],
          [
            [
              'lines sent (flood + Oops)',
              `${(TOTAL + oopsCount).toLocaleString('en-US')} in ${ms(floodMs)}`,
              `${SECONDS} s`,
              '',
            ],
            [
              'lines received by the page',
              `${got.toLocaleString('en-US')} (${lost} never arrived)`,
              `all ${expected.toLocaleString('en-US')}`,
              verdict(got >= expected && lost === 0),
            ],
            ['last line on screen after the flood ended', ms(drainMs), '', ''],
            [
              'Oops sent → alert on screen',
              Number.isFinite(alertMs) ? ms(alertMs) : 'never',
              '< 2 s',
              verdict(alertMs < 2000),
            ],
            [
              'Oops sent → badge in the fleet list',
              Number.isFinite(badgeMs) ? ms(badgeMs) : 'never',
              '< 2 s',
              verdict(badgeMs < 2000),
            ],
            [
              'long tasks (> 50 ms)',
              `${tasks.length}, longest ${ms(longest)}, total ${ms(totalLong)}`,
              'longest < 200 ms',
              verdict(longest < 200),
            ],
            [
              'share of the flood spent in long tasks',
              `${((totalLong / span) * 100).toFixed(1)} %`,
              '< 10 %',
              verdict(totalLong / span < 0.1),
            ],
            [
              'longest gap between frames',
              ms(figures.maxFrameGapMs),
              '< 250 ms',
              verdict(figures.maxFrameGapMs < 250),
            ],
            ['Oops report still listed after the flood', oopsShown ? 'yes' : 'no', 'yes', verdict(oopsShown)],
            [
              'JS heap after the flood',
              figures.heapBytes === undefined ? 'n/a' : `${(figures.heapBytes / 1024 / 1024).toFixed(1)} MiB`,
              '',
              '',
            ],
          ],
        ),
      ],
    };
  } finally {
    await session?.close();
    await web?.stop();
    await emu?.stop();
  }
}

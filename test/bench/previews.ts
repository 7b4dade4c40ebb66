/**
 * Live previews, end to end: an emulated R58 with four cameras (its recorder encodes with a 1 s GOP: gop=30 at
 * 30 fps; the MediaMTX stand-in joins readers on its keyframe cache), the web console, and Chromium.
 *
 * - Time from clicking the Previews tab to the first decoded frame (the first tile, and all four cameras), median
 *   over several openings, for each route: direct to the device's WHEP, and through SSH (`previews.list` with
 *   `route: 'tunnel'`, chosen in the view's route menu). Each tile also records its own start → first frame.
 * - The cost of four previews playing for 10 s against the same page with the view closed: CPU time of the
 *   renderer, GPU and browser processes (CDP SystemInfo.getProcessInfo), the renderer main thread's task time
 *   (CDP Performance.getMetrics), and the JS heap (performance.memory / JSHeapUsedSize).
 */
import path from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { ROOT, openBrowser, startWebConsole, type BrowserSession, type WebConsole } from '../e2e/harness.js';
import { addEmulatedDevice } from '../e2e/monitor-steps.js';
import { ms, summarize, table, type BenchReport } from './stats.js';

const DEVICE = 'bench-r58';
const CAMERAS = ['cam0', 'cam1', 'cam2', 'cam3'];
const RESULTS = path.join(ROOT, 'test-results', 'bench');
const OPENINGS = process.env.BENCH_COUNT ? Number(process.env.BENCH_COUNT) : 10;
const PLAY_SECONDS = 10;

interface Opening {
  firstMs: number;
  allMs: number;
  /** Each tile's own start → first frame (data-first-frame-ms). */
  tileMs: number[];
}

/**
 * Click the tab and watch the tiles in the page itself, so the browser's clock times it. Plain JavaScript in a
 * string: the bench runs under tsx, whose helpers do not exist in the page.
 */
function openScript(cameras: string[]): string {
  return `new Promise((resolve, reject) => {
    const cams = ${JSON.stringify(cameras)};
    const tab = [...document.querySelectorAll('[role="tab"]')].find((t) => t.textContent.trim() === 'Previews');
    if (!tab) return reject(new Error('no Previews tab'));
    const start = performance.now();
    let first;
    tab.click();
    const frames = (cam) => Number(document.querySelector('figure[aria-label="' + cam + '"]')?.dataset.framesDecoded ?? 0);
    const tick = () => {
      const now = performance.now();
      const playing = cams.filter((c) => frames(c) > 0).length;
      if (playing > 0 && first === undefined) first = now - start;
      if (playing === cams.length) {
        const tileMs = cams.map((c) => Number(document.querySelector('figure[aria-label="' + c + '"]').dataset.firstFrameMs));
        return resolve({ firstMs: first, allMs: now - start, tileMs });
      }
      if (now - start > 30000) return reject(new Error('no frames within 30 s: ' + playing + ' playing'));
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })`;
}

async function closeView(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'Overview' }).click();
  await page.getByRole('tabpanel', { name: 'Overview' }).waitFor({ timeout: 10_000 });
  // Let the DELETEs go out and the server drop the readers before the next opening.
  await new Promise((r) => setTimeout(r, 700));
}

async function chooseRoute(page: Page, label: 'Direct' | 'Through SSH'): Promise<void> {
  await page.getByRole('tab', { name: 'Previews' }).click();
  const panel = page.getByRole('tabpanel', { name: 'Previews' });
  await panel.getByRole('combobox', { name: 'Preview route' }).selectOption({ label });
  await panel.getByRole('strong').filter({ hasText: label }).waitFor({ timeout: 30_000 });
  // One warm opening: the tunnel's forwards are made on first use.
  const deadline = Date.now() + 30_000;
  const frames = `Number(document.querySelector('figure[aria-label="cam0"]')?.dataset.framesDecoded ?? 0)`;
  while (((await page.evaluate(frames)) as number) === 0) {
    if (Date.now() > deadline) throw new Error(`cam0 shows no frame on the route ${label}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await closeView(page);
}

async function openings(page: Page): Promise<Opening[]> {
  const out: Opening[] = [];
  for (let i = 0; i < OPENINGS; i++) {
    try {
      out.push((await page.evaluate(openScript(CAMERAS))) as Opening);
    } catch (err) {
      await page.screenshot({ path: path.join(RESULTS, 'previews-no-frames.png') }).catch(() => undefined);
      throw err;
    }
    await closeView(page);
  }
  return out;
}

interface Cost {
  cpuSec: Record<string, number>;
  mainThreadTaskSec: number;
  heapBytes: number;
}

async function processCpu(browserCdp: CDPSession): Promise<Record<string, number>> {
  const info = (await browserCdp.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; id: number; cpuTime: number }[];
  };
  const byType: Record<string, number> = {};
  for (const p of info.processInfo) byType[p.type] = (byType[p.type] ?? 0) + p.cpuTime;
  return byType;
}

async function metric(pageCdp: CDPSession, name: string): Promise<number> {
  const { metrics } = (await pageCdp.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[];
  };
  return metrics.find((m) => m.name === name)?.value ?? Number.NaN;
}

async function cost(page: Page, browserCdp: CDPSession, pageCdp: CDPSession): Promise<Cost> {
  const cpu0 = await processCpu(browserCdp);
  const task0 = await metric(pageCdp, 'TaskDuration');
  await new Promise((r) => setTimeout(r, PLAY_SECONDS * 1000));
  const cpu1 = await processCpu(browserCdp);
  const task1 = await metric(pageCdp, 'TaskDuration');
  const cpuSec: Record<string, number> = {};
  for (const [type, v] of Object.entries(cpu1)) cpuSec[type] = v - (cpu0[type] ?? 0);
  const heap = (await page.evaluate(
    'performance.memory ? performance.memory.usedJSHeapSize : NaN',
  )) as number;
  return {
    cpuSec,
    mainThreadTaskSec: task1 - task0,
    heapBytes: Number.isFinite(heap) ? heap : await metric(pageCdp, 'JSHeapUsedSize'),
  };
}

const pct = (sec: number): string => `${((sec / PLAY_SECONDS) * 100).toFixed(1)} % of a core`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export async function previewsBench(): Promise<BenchReport> {
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
    await page.getByRole('button', { name: DEVICE, exact: true }).click();

    await chooseRoute(page, 'Direct');
    const direct = await openings(page);
    await chooseRoute(page, 'Through SSH');
    const tunnel = await openings(page);

    // Cost: the page idle on the Overview, then four cameras playing (direct).
    await chooseRoute(page, 'Direct');
    const browserCdp = await session.browser.newBrowserCDPSession();
    const pageCdp = await session.context.newCDPSession(page);
    await pageCdp.send('Performance.enable');
    const idle = await cost(page, browserCdp, pageCdp);
    await page.evaluate(openScript(CAMERAS));
    const playing = await cost(page, browserCdp, pageCdp);
    await page.screenshot({ path: path.join(RESULTS, 'previews-playing.png') }).catch(() => undefined);

    const first = (o: Opening[]) => summarize(o.map((x) => x.firstMs));
    const all = (o: Opening[]) => summarize(o.map((x) => x.allMs));
    const tile = (o: Opening[]) => summarize(o.flatMap((x) => x.tileMs));
    const dFirst = first(direct);
    const tFirst = first(tunnel);
    const ratio = tFirst.medianMs / dFirst.medianMs;
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    const types = [...new Set([...Object.keys(idle.cpuSec), ...Object.keys(playing.cpuSec)])].sort();

    return {
      title: `Live previews: Previews tab → first decoded frame, ${OPENINGS} openings per route; emulator GOP 1 s; cost of 4 previews (Chromium, web console, emulated R58)`,
      lines: [
        table(
          ['figure', 'median', 'p90', 'target', ''],
          [
            [
              'direct: tab → first frame (first tile)',
              ms(dFirst.medianMs),
              ms(dFirst.p90Ms),
              '< 1 s',
              verdict(dFirst.medianMs < 1000),
            ],
            ['direct: tab → all four playing', ms(all(direct).medianMs), ms(all(direct).p90Ms), '', ''],
            ['direct: tile start → first frame', ms(tile(direct).medianMs), ms(tile(direct).p90Ms), '', ''],
            [
              'through SSH: tab → first frame (first tile)',
              ms(tFirst.medianMs),
              ms(tFirst.p90Ms),
              '< 1.5 × direct',
              `${ratio.toFixed(2)} × ${verdict(ratio <= 1.5)}`,
            ],
            ['through SSH: tab → all four playing', ms(all(tunnel).medianMs), ms(all(tunnel).p90Ms), '', ''],
            [
              'through SSH: tile start → first frame',
              ms(tile(tunnel).medianMs),
              ms(tile(tunnel).p90Ms),
              '',
              '',
            ],
          ],
        ),
        '',
        table(
          [`over ${PLAY_SECONDS} s`, 'view closed', '4 previews playing'],
          [
            ...types.map((t) => [
              `CPU, ${t} processes`,
              pct(idle.cpuSec[t] ?? 0),
              pct(playing.cpuSec[t] ?? 0),
            ]),
            ['renderer main thread tasks', pct(idle.mainThreadTaskSec), pct(playing.mainThreadTaskSec)],
            ['JS heap used', mb(idle.heapBytes), mb(playing.heapBytes)],
          ],
        ),
      ],
    };
  } catch (err) {
    // The console's own words help when it fell over (a crash shows as "Lost the connection to the Tally core").
    const tail = web?.stderr().trim().split('\n').slice(-15).join('\n');
    if (tail) console.error(`--- tally web stderr (last lines) ---\n${tail}`);
    throw err;
  } finally {
    await session?.close();
    await web?.stop();
    await emu?.stop();
  }
}

/**
 * A fleet on one laptop (issue 16): N light emulated boxes (32 unless FLEET_COUNT says), the web console with all of
 * them connected, Chromium on the Fleet view, for FLEET_MINUTES (10). Printed:
 * - the console's main process: CPU (mean and p95 of 5 s intervals, % of one core) and RSS over time, and whether
 *   RSS grew after the first minute;
 * - the page's long tasks;
 * - a network blip: one box's link down for 12 s and up (the baseline, same run), then every box's link at once:
 *   time from link-up to all connected again, and the spread of the logins (first to last, most in one second).
 * Nothing here fails on a figure: the targets are printed beside them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Console } from '../../src-main/core/console.js';
import { seedFleetDevices } from '../../src-main/demo.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { startFleet, type Fleet } from '../../src-main/emulator/fleet.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { openBrowser, startWebConsole, type BrowserSession, type WebConsole } from '../e2e/harness.js';
import { busiestWindow, watchProcess, watchStatuses } from './fleet-watch.js';
import { percentile, table, type BenchReport } from './stats.js';

const COUNT = Number(process.env.FLEET_COUNT ?? 32);
const MINUTES = Number(process.env.FLEET_MINUTES ?? 10);
const BLIP_MS = 12_000;
const MiB = 1024 * 1024;

/** Long tasks seen by the page (plain JavaScript: the page has no tsx helpers). */
const LONG_TASKS = `(() => {
  const seen = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) seen.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask' });
  window.__fleetLongTasks = seen;
})()`;

/** Every box in a data dir as the demo adds them (host keys trusted, tagged), then left connected. */
async function seed(dataDir: string, fleet: Fleet): Promise<string[]> {
  await seedFleetDevices(dataDir, fleet.boxes);
  const core = await Console.open({
    dataDir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 'bench',
    knownHostsFiles: [],
  });
  try {
    const reply = await core.invoke('devices.connectAll', {}, { owner: 'bench' });
    if (!reply.ok) throw new Error(`Connect all: ${reply.error.message}`);
    return (reply.result as { started: string[] }).started;
  } finally {
    await core.close();
  }
}

const mib = (b: number) => `${(b / MiB).toFixed(0)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function fleetBench(): Promise<BenchReport> {
  if (!(await emulatorAvailable()))
    throw new Error('needs root with network namespaces (the emulated boxes)');
  let fleet: Fleet | undefined;
  let web: WebConsole | undefined;
  let session: BrowserSession | undefined;
  let statuses: Awaited<ReturnType<typeof watchStatuses>> | undefined;
  const base = await mkdtemp(path.join(os.tmpdir(), 'tally-bench-fleet-'));
  try {
    const startedFleet = performance.now();
    fleet = await startFleet({ count: COUNT });
    const fleetStartMs = performance.now() - startedFleet;
    const dataDir = path.join(base, 'data');
    const ids = await seed(dataDir, fleet);

    const consoleStart = Date.now();
    web = await startWebConsole({ dataDir });
    statuses = await watchStatuses(web.url);
    const firstUp = await statuses.allLive(ids, consoleStart, 120_000);
    const firstMs = Math.max(...firstUp.values()) - consoleStart;

    session = await openBrowser(web.url);
    const { page } = session;
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole('heading', { name: 'Tally', level: 1 }).waitFor({ timeout: 30_000 });
    await page
      .getByRole('button', { name: /^Fleet/ })
      .first()
      .click();
    await page.evaluate(LONG_TASKS);

    // Steady state: everything watched, nothing happening.
    const proc = watchProcess(web.pid, 5000);
    await new Promise((r) => setTimeout(r, MINUTES * 60_000));
    proc.stop();
    const steadyEnd = (await page.evaluate('performance.now()')) as number;

    // The baseline: one box's link drops and returns.
    const one = fleet.boxes[0];
    if (!one) throw new Error('no box');
    await one.control.linkDown();
    await new Promise((r) => setTimeout(r, BLIP_MS));
    const oneUpAt = Date.now();
    await one.control.linkUp();
    const oneBack = await statuses.allLive([ids[0] ?? ''], oneUpAt, 120_000);
    const oneMs = (oneBack.get(ids[0] ?? '') ?? NaN) - oneUpAt;
    await new Promise((r) => setTimeout(r, 5000));

    // The venue's network: every link at once.
    await fleet.control.linkDown();
    await new Promise((r) => setTimeout(r, BLIP_MS));
    const allUpAt = Date.now();
    await fleet.control.linkUp();
    const back = await statuses.allLive(ids, allUpAt, 180_000);
    const backTimes = [...back.values()];
    const allMs = Math.max(...backTimes) - allUpAt;
    const spreadMs = Math.max(...backTimes) - Math.min(...backTimes);
    const busiest = busiestWindow(backTimes, 1000);

    const tasks = ((await page.evaluate('window.__fleetLongTasks')) ?? []) as {
      start: number;
      duration: number;
    }[];
    // Apart: the steady watch, and the blips, when 32 logins at once keep both cores of this machine busy.
    const steadyTasks = tasks.filter((t) => t.start < steadyEnd);
    const blipTasks = tasks.filter((t) => t.start >= steadyEnd);
    const longestOf = (list: { duration: number }[]) => list.reduce((m, t) => Math.max(m, t.duration), 0);
    const longest = longestOf(steadyTasks);
    await page.screenshot({ path: path.join(base, 'fleet.png') });

    const readings = proc.readings;
    const cpu = readings.map((r) => r.cpuPercent);
    const mean = cpu.reduce((a, b) => a + b, 0) / Math.max(1, cpu.length);
    const p95 = percentile(cpu, 95);
    const afterFirstMinute = readings.filter((r) => r.t >= 60);
    const rssAt1 = afterFirstMinute[0]?.rssBytes ?? NaN;
    const rssEnd = readings.at(-1)?.rssBytes ?? NaN;
    const rssMax = Math.max(...readings.map((r) => r.rssBytes));
    const perMinute: string[][] = [];
    for (let m = 0; m < MINUTES; m++) {
      const inMinute = readings.filter((r) => r.t > m * 60 && r.t <= (m + 1) * 60);
      if (inMinute.length === 0) continue;
      const c = inMinute.map((r) => r.cpuPercent);
      perMinute.push([
        `${m + 1}`,
        `${(c.reduce((a, b) => a + b, 0) / c.length).toFixed(1)} %`,
        mib(inMinute.at(-1)?.rssBytes ?? NaN),
      ]);
    }
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

    return {
      title: `Fleet: ${COUNT} light emulated boxes, web console on the Fleet view, ${MINUTES} min`,
      lines: [
        `fleet started in ${secs(fleetStartMs)}; console start → all ${COUNT} connected: ${secs(firstMs)}`,
        '',
        table(
          ['figure', 'value', 'target', ''],
          [
            ['main process CPU, mean (% of one core)', `${mean.toFixed(1)} %`, '< 15 %', verdict(mean < 15)],
            ['main process CPU, p95 of 5 s intervals', `${p95.toFixed(1)} %`, '', ''],
            ['main process RSS, max', mib(rssMax), '< 300 MiB', verdict(rssMax < 300 * MiB)],
            [
              'RSS after the first minute → end',
              `${mib(rssAt1)} → ${mib(rssEnd)}`,
              'no growth',
              verdict(rssEnd <= rssAt1 * 1.05),
            ],
            [
              `page long tasks over the ${MINUTES} min (count, longest)`,
              `${steadyTasks.length}, ${longest.toFixed(0)} ms`,
              'none over 100 ms',
              verdict(longest <= 100),
            ],
            [
              'page long tasks during the blips (count, longest)',
              `${blipTasks.length}, ${longestOf(blipTasks).toFixed(0)} ms`,
              '',
              '',
            ],
            ['one box back after its link returns (baseline)', secs(oneMs), '', ''],
            [
              `all ${COUNT} back after the network returns`,
              `${secs(allMs)} (${(allMs / oneMs).toFixed(1)}× baseline)`,
              '< 10 s',
              verdict(allMs < 10_000),
            ],
            ['spread of the logins (first → last)', secs(spreadMs), '', ''],
            ['most logins in one second', `${busiest}`, `< ${COUNT}`, verdict(busiest < COUNT)],
          ],
        ),
        '',
        table(['minute', 'CPU mean', 'RSS'], perMinute),
      ],
    };
  } finally {
    statuses?.close();
    await session?.close();
    await web?.stop();
    await fleet?.stop();
    await rm(base, { recursive: true, force: true });
  }
}

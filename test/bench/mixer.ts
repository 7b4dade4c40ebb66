/**
 * The scene mixer, end to end (issue 14): an emulated R58 with four cameras, the web console and Chromium, the
 * program at 640x360.
 *
 * - Take → first Program frame with the new layout, seen through WHEP in the page: the Cut button is clicked in
 *   the page and the Program video's frames (requestVideoFrameCallback) are sampled where the picture-in-picture
 *   box goes, until its brightness changes. The same click → the take's answer ("Take N applied") is the take's
 *   own cost (console, SSH, the device applying it); the rest is the WHEP path's own latency (encode, push,
 *   WebRTC, decode), the baseline the target is measured above.
 * - The mixer agent's CPU on the emulated device for 4 inputs at 640x360 (2×2), over 10 s, from /proc.
 */
import type { Page } from 'playwright-core';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { openBrowser, startWebConsole, type BrowserSession, type WebConsole } from '../e2e/harness.js';
import { addEmulatedDevice, runOnDevice } from '../e2e/monitor-steps.js';
import { ms, summarize, table, type BenchReport } from './stats.js';

const DEVICE = 'bench-r58';
const TAKES = process.env.BENCH_COUNT ? Number(process.env.BENCH_COUNT) : 10;
const CPU_SECONDS = 10;

interface Take {
  replyMs: number;
  frameMs: number;
}

/** Click Cut and time, in the page, the take's answer and the first Program frame whose box region changed. */
function takeScript(): string {
  return `new Promise((resolve, reject) => {
    const fig = [...document.querySelectorAll('figure')].find((f) => (f.querySelector('figcaption')?.textContent || '').trim().startsWith('Program'));
    const video = fig && fig.querySelector('video');
    const cut = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Cut');
    if (!video || !cut) return reject(new Error('no Program video or Cut button'));
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const level = () => {
      ctx.drawImage(video, 0, 0);
      const w = canvas.width, h = canvas.height;
      const d = ctx.getImageData(Math.round(w * 0.78), Math.round(h * 0.75), Math.round(w * 0.1), Math.round(h * 0.1)).data;
      let s = 0; for (let i = 0; i < d.length; i += 4) s += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      return s / (d.length / 4);
    };
    if (cut.disabled) {
      // Cut waits for the Preview cameras' pictures; try again shortly.
      return setTimeout(() => reject(new Error('retry')), 200);
    }
    const before = level();
    const seen = () => [...document.querySelectorAll('[role="status"]')].map((e) => e.textContent || '').join(' ');
    const numberOf = () => (seen().match(/Take (\\d+) applied/) || [])[1];
    const previous = numberOf();
    let replyMs;
    const start = performance.now();
    const observer = new MutationObserver(() => {
      const n = numberOf();
      if (replyMs === undefined && n !== undefined && n !== previous) replyMs = performance.now() - start;
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    const onFrame = () => {
      const now = performance.now();
      if (Math.abs(level() - before) > 40) {
        const frameMs = now - start;
        const wait = () => replyMs !== undefined ? (observer.disconnect(), resolve({ replyMs, frameMs })) : (performance.now() - start > 10000 ? reject(new Error('no answer')) : setTimeout(wait, 10));
        return wait();
      }
      if (now - start > 10000) { observer.disconnect(); return reject(new Error('the Program video did not change within 10 s')); }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    cut.click();
  })`;
}

async function scene(page: Page, name: RegExp): Promise<void> {
  const panel = page.getByRole('tabpanel', { name: 'Mixer' });
  await panel
    .getByRole('group', { name: `Scenes of ${DEVICE}` })
    .getByRole('button', { name })
    .click();
  await panel.getByRole('figure', { name: /^Preview / }).waitFor({ timeout: 20_000 });
  // Let the device put it on Preview (its inputs are already decoding for Program).
  await new Promise((r) => setTimeout(r, 1500));
}

async function agentCpu(emu: Emulator): Promise<number> {
  const pid = (await runOnDevice(emu, "pgrep -f 'tally/mixer/agent-.*run' | head -n 1")).trim();
  const ticks = async (): Promise<number> => {
    const stat = (await runOnDevice(emu, `cat /proc/${pid}/stat`)).trim();
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const t0 = await ticks();
  await new Promise((r) => setTimeout(r, CPU_SECONDS * 1000));
  const t1 = await ticks();
  const hz = Number((await runOnDevice(emu, 'getconf CLK_TCK')).trim()) || 100;
  return (t1 - t0) / hz / CPU_SECONDS;
}

export async function mixerBench(): Promise<BenchReport> {
  if (!(await emulatorAvailable())) throw new Error('needs root with network namespaces (the emulated R58)');
  process.env['TALLY_MIXER_OUTPUT'] = '640x360';
  let emu: Emulator | undefined;
  let web: WebConsole | undefined;
  let session: BrowserSession | undefined;
  try {
    [emu, web] = await Promise.all([startEmulator({ cameras: 4 }), startWebConsole()]);
    session = await openBrowser(web.url);
    const { page } = session;
    await page.getByRole('heading', { name: 'Tally', level: 1 }).waitFor({ timeout: 20_000 });
    await addEmulatedDevice(page, emu, DEVICE);
    await page.getByRole('tab', { name: 'Mixer' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Mixer' });
    await scene(page, /^2×2/);
    await panel.getByRole('button', { name: 'Start mixer' }).click();
    await panel.locator('[data-mixer-status="running"]').waitFor({ timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 3000));
    const cpu = await agentCpu(emu);

    /** One take once Cut is enabled (it waits for the Preview cameras' pictures). */
    const timedTake = async (): Promise<Take> => {
      for (let i = 0; ; i++) {
        try {
          return (await page.evaluate(takeScript())) as Take;
        } catch (err) {
          if (!String(err).includes('retry') || i > 100) throw err;
        }
      }
    };
    // Warm-up: 2×2 → cam0 full (the corner changes little between those two, so it is not timed).
    await scene(page, /^cam0 full/);
    await timedTake().catch(() => undefined);
    const takes: Take[] = [];
    for (let i = 0; i < TAKES; i++) {
      await scene(page, i % 2 === 0 ? /^Picture-in-picture/ : /^cam0 full/);
      takes.push(await timedTake());
    }
    const reply = summarize(takes.map((t) => t.replyMs));
    const frame = summarize(takes.map((t) => t.frameMs));
    const path = summarize(takes.map((t) => t.frameMs - t.replyMs));
    return {
      title: `Scene mixer: Cut → first Program frame with the new layout through WHEP, ${TAKES} takes; agent CPU for 4 inputs at 640x360 (emulated R58, web console, Chromium)`,
      lines: [
        table(
          ['figure', 'median', 'p90', 'target', ''],
          [
            ['click Cut → first changed Program frame', ms(frame.medianMs), ms(frame.p90Ms), '', ''],
            [
              'click Cut → take applied (its own cost)',
              ms(reply.medianMs),
              ms(reply.p90Ms),
              '< 300 ms above the path',
              reply.medianMs < 300 ? 'met' : 'NOT met',
            ],
            ['the WHEP path itself (frame − answer)', ms(path.medianMs), ms(path.p90Ms), 'baseline', ''],
          ],
        ),
        '',
        `mixer agent CPU over ${CPU_SECONDS} s, 2×2 at 640x360@30: ${(cpu * 100).toFixed(1)} % of one core`,
      ],
    };
  } catch (err) {
    const tail = web?.stderr().trim().split('\n').slice(-15).join('\n');
    if (tail) console.error(`--- tally web stderr (last lines) ---\n${tail}`);
    throw err;
  } finally {
    await session?.close();
    await web?.stop();
    await emu?.stop();
  }
}

/**
 * One-click rollback on the emulated R58 with 4 cameras: click (rollback.start) → the report saying the board stayed
 * healthy, split into the device's work (keep HEAD, commit the target's tree, restart), the wait for the cameras to
 * stream, the probation window itself, and what is left (the console following the job). Target: no more than the
 * window plus what the device needs, plus 10 %. Baseline, measured in the same run: the same restart done by hand
 * (`systemctl restart preke-recorder` until all 4 cameras stream) plus the window.
 */
import type { Rollback } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';
import { summarize, type BenchReport } from './stats.js';
import { restartBaseline } from './vpu-reset.js';

const RUNS = 3;
const PROBATION_S = 10;
const REPO = '/opt/preke-r58-recorder';

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function git(t: EmulatedConsole, command: string): Promise<string> {
  const r = await t.core.connections.exec(t.deviceId, sh`cd ${REPO} && sh -c ${command}`, {
    timeoutMs: 20_000,
  });
  if (r.code !== 0) throw new Error(`${command}: ${r.stderr}`);
  return r.stdout.trim();
}

async function oneRollback(t: EmulatedConsole, to: string): Promise<{ totalMs: number; report: Rollback }> {
  const start = performance.now();
  const started = await t.call<Rollback>('rollback.start', {
    deviceId: t.deviceId,
    to,
    probationS: PROBATION_S,
    confirmed: true,
  });
  const report = await t.core.rollback.waitForEnd(started.id);
  const totalMs = performance.now() - start;
  if (report.outcome !== 'healthy') throw new Error(`rollback ended ${report.outcome}: ${report.summary}`);
  return { totalMs, report };
}

export async function rollbackBench(): Promise<BenchReport> {
  const t = await startEmulatedConsole({ cameras: 4 });
  const lines: string[] = [];
  try {
    const proven = await git(t, 'git rev-parse HEAD');
    const x264 = await git(
      t,
      'for c in $(git log --format=%H -- config.yml); do git show "$c:config.yml" | grep -q x264enc && { echo "$c"; break; }; done',
    );
    const baseline: number[] = [];
    for (let i = 0; i < RUNS; i++) baseline.push(await restartBaseline(t));
    const base = summarize(baseline).medianMs;
    const window = PROBATION_S * 1000;
    const runs: { totalMs: number; report: Rollback }[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await oneRollback(t, i % 2 === 0 ? x264 : proven));
    const step = (n: number): number =>
      summarize(runs.map((r) => r.report.steps[n - 1]?.durationMs ?? 0)).medianMs;
    const total = summarize(runs.map((r) => r.totalMs)).medianMs;
    const device = step(1) + step(2) + step(3);
    const camerasWait = Math.max(0, step(4) - window);
    const console = Math.max(0, total - step(1) - step(2) - step(3) - step(4));
    const target = (window + device + camerasWait) * 1.1;
    lines.push(
      `baseline by hand (systemctl restart → 4 cameras streaming): median ${s(base)}; + the ${PROBATION_S} s window = ${s(base + window)}`,
      `click → healthy, median of ${RUNS} (x264 ⇄ proven h264-hw): ${s(total)} (${(total / (base + window)).toFixed(2)}× the baseline + window)`,
      `  device work (keep HEAD ${s(step(1))}, commit the target ${s(step(2))}, restart ${s(step(3))}): ${s(device)}`,
      `  waiting for the 4 cameras to stream before the window: ${s(camerasWait)}`,
      `  probation window: ${s(window)}`,
      `  the console (start the job, follow it, the report): ${s(console)}`,
      `target ≤ window + device + 10 % = ${s(target)}: ${total <= target ? 'met' : 'NOT met'} (${(total / target).toFixed(2)}×)`,
    );
    return { title: 'Rollback, 4 cameras on the emulated R58 (probation 10 s)', lines };
  } finally {
    await t.stop();
  }
}

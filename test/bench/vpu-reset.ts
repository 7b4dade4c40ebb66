/**
 * The emergency VPU reset on the emulated R58 with 4 cameras: time from the press (vpuReset.start) to the report
 * saying every camera is back online, per step, and how much of each step was spent polling the device until it
 * was ready. Two boards: a healthy one, and one with a wedged camera pipeline (SIGTERM ignored, so the holder has
 * to be killed). Baseline, measured in the same run: `systemctl restart preke-recorder` and the wait until the
 * recorder says all 4 cameras stream — what the device itself needs to bring the cameras back.
 */
import type { VpuReset } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';
import { summarize, type BenchReport } from './stats.js';

const RUNS = 3;

async function oneReset(t: EmulatedConsole): Promise<{ totalMs: number; report: VpuReset }> {
  const start = performance.now();
  const started = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
  const report = await t.core.vpuReset.waitForEnd(started.id);
  const totalMs = performance.now() - start;
  if (report.outcome !== 'healthy') throw new Error(`reset ended ${report.outcome}: ${report.summary}`);
  return { totalMs, report };
}

/** What the device needs to bring its cameras back: a restart by hand until the recorder says all 4 stream. */
export async function restartBaseline(t: EmulatedConsole): Promise<number> {
  const start = performance.now();
  const r = await t.core.connections.exec(
    t.deviceId,
    sh`sudo -n systemctl restart preke-recorder && until [ "$(curl -s --max-time 2 http://127.0.0.1:8000/status | grep -o '"streaming' | wc -l)" -ge 4 ]; do sleep 0.1; done`,
    { timeoutMs: 120_000 },
  );
  if (r.code !== 0) throw new Error(`restart baseline failed: ${r.stderr}`);
  return performance.now() - start;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export async function vpuResetBench(): Promise<BenchReport> {
  const t = await startEmulatedConsole({ cameras: 4 });
  const lines: string[] = [];
  try {
    const sessions = (): number | null => t.core.monitor.currentSample(t.deviceId)?.vpu.total ?? null;
    const fourSessions = (): Promise<true> =>
      t.until('4 sessions', () => (sessions() === 4 ? true : undefined), 60_000);
    await fourSessions();
    const baseline: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      baseline.push(await restartBaseline(t));
      await fourSessions();
    }
    const base = summarize(baseline).medianMs;
    lines.push(`baseline (systemctl restart preke-recorder → 4 cameras streaming): median ${s(base)}`);
    for (const wedged of [false, true]) {
      const runs: { totalMs: number; report: VpuReset }[] = [];
      for (let i = 0; i < RUNS; i++) {
        await fourSessions();
        if (wedged) await t.emu.control.wedge('cam0');
        runs.push(await oneReset(t));
      }
      const total = summarize(runs.map((r) => r.totalMs)).medianMs;
      const waited = summarize(
        runs.map((r) => r.report.steps.reduce((n, step) => n + (step.waitedMs ?? 0), 0)),
      ).medianMs;
      lines.push(
        '',
        `${wedged ? 'wedged cam0 (holder killed)' : 'healthy board'}: press → 4 cameras online, median of ${RUNS}: ${s(total)} ` +
          `(${(total / base).toFixed(2)}× the baseline); polling the device until it was ready: ${s(waited)} of it`,
      );
      for (let n = 0; n < 4; n++) {
        const d = summarize(runs.map((r) => r.report.steps[n]?.durationMs ?? 0)).medianMs;
        const w = summarize(runs.map((r) => r.report.steps[n]?.waitedMs ?? 0)).medianMs;
        lines.push(
          `  step ${n + 1} ${runs[0]?.report.steps[n]?.id.padEnd(5)}  ${s(d).padStart(7)}   waiting ${s(w).padStart(7)}`,
        );
      }
      const kills = runs[0]?.report.killed.map((k) => `${k.pid} SIG${k.signal}`).join(', ');
      if (kills) lines.push(`  signals (first run): ${kills}`);
    }
    lines.push(
      '',
      'The stop waits for systemd and the recorder to end the cameras with EOS; it moves on as soon as the VPU session',
      'count has not changed for 1.5 s (the holders are then signalled: SIGTERM, SIGKILL after 2 s). Step 4 waits on the',
      'media server and the recorder API answering, then each camera streaming, one at a time, and watches the',
      'kernel log for 1 s after each camera streams (a bad encoder setting Oopses shortly after its open).',
    );
    return { title: 'Emergency VPU reset, 4 cameras on the emulated R58', lines };
  } finally {
    await t.stop();
  }
}

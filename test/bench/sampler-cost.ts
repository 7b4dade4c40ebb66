/**
 * What the 1 Hz sampler costs the device: the emulated R58 with 4 cameras, the sampler run through the console's
 * ConnectionManager for ~30 s, and the CPU time of its whole remote process tree (sudo, the shell it reports, the
 * loop and its `sleep`s, the awk) from /proc/<pid>/stat utime+stime+cutime+cstime, before and after.
 *
 * The emulated device's PID namespace holds only a few dozen processes, while a real board lists a few hundred
 * (kernel threads included) and the awk reads every one each tick, so the same loop is also measured on this
 * machine's own /proc.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { MonitorSample } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { SampleParser } from '../../src-main/core/monitor/sampler-parse.js';
import {
  DEFAULT_VPU_FILES,
  SAMPLER_AWK,
  SAMPLER_LOOP,
  samplerCommand,
} from '../../src-main/core/monitor/sampler-script.js';
import { startEmulatorSsh } from '../fixtures/emulator-ssh.js';
import type { SshConsole } from '../fixtures/ssh-console.js';
import type { BenchReport } from './stats.js';

const TARGET_PERCENT = 2;

interface TreeCpu {
  /** Clock ticks of every process in the sampler's process group, children it has reaped included. */
  ticks: number;
  processes: number;
  /** Processes on the whole device (the /proc/<pid>/stat files the sampler reads each tick). */
  deviceProcesses: number;
}

/** Sum utime+stime+cutime+cstime over the `/proc/<pid>/stat` lines of one process group. */
function groupTicks(statLines: readonly string[], pgid: number): TreeCpu {
  let ticks = 0;
  let processes = 0;
  let deviceProcesses = 0;
  for (const line of statLines) {
    const close = line.lastIndexOf(')');
    if (close < 0) continue;
    deviceProcesses++;
    // After the comm: state(3) ppid(4) pgrp(5) … utime(14) stime(15) cutime(16) cstime(17).
    const f = line.slice(close + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    processes++;
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return { ticks, processes, deviceProcesses };
}

async function treeCpu(con: SshConsole, id: string, pgid: number): Promise<TreeCpu> {
  const r = await con.manager.exec(id, sh`cat /proc/[0-9]*/stat 2>/dev/null`, { timeoutMs: 10_000 });
  return groupTicks(r.stdout.split('\n'), pgid);
}

function localStats(): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        return [readFileSync(`/proc/${name}/stat`, 'utf8')];
      } catch {
        return [];
      }
    });
}

/** The device-side loop run here, as root, against this machine's /proc; percent of one core. */
async function localLoopCost(
  seconds: number,
  hz: number,
): Promise<{ percent: number; processes: number; msPerTick: number }> {
  const child = spawn(
    'sh',
    ['-c', SAMPLER_LOOP, 'tally-sampler', SAMPLER_AWK, 'root', '', '1', '5', ...DEFAULT_VPU_FILES],
    { detached: true, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const pgid = child.pid ?? 0;
  let ends = 0;
  child.stdout.on('data', (d: Buffer) => (ends += (d.toString().match(/^end$/gm) ?? []).length));
  try {
    await new Promise((r) => setTimeout(r, 2500));
    const before = groupTicks(localStats(), pgid);
    const endsBefore = ends;
    const started = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = groupTicks(localStats(), pgid);
    const elapsed = (performance.now() - started) / 1000;
    const cpu = (after.ticks - before.ticks) / hz;
    return {
      percent: (cpu / elapsed) * 100,
      processes: after.deviceProcesses,
      msPerTick: (cpu * 1000) / Math.max(1, ends - endsBefore),
    };
  } finally {
    process.kill(-pgid, 'SIGTERM');
  }
}

export async function samplerCost(
  opts: { seconds?: number; intervalMs?: number } = {},
): Promise<BenchReport> {
  const seconds = opts.seconds ?? 30;
  const intervalMs = opts.intervalMs ?? 1000;
  const r58 = await startEmulatorSsh({ cameras: 4 }, { name: 'bench' });
  const { con, id } = r58;
  const abort = new AbortController();
  try {
    const hz = Number((await con.manager.exec(id, sh`getconf CLK_TCK`)).stdout.trim()) || 100;

    const parser = new SampleParser({ vpuFiles: DEFAULT_VPU_FILES });
    const samples: MonitorSample[] = [];
    let bytes = 0;
    const running = con.manager
      .exec(id, samplerCommand({ intervalMs, vpuFiles: DEFAULT_VPU_FILES }), {
        signal: abort.signal,
        maxBufferBytes: 0,
        onStdout: (chunk) => {
          bytes += chunk.length;
          samples.push(...parser.push(chunk.toString('utf8')));
        },
      })
      .catch(() => undefined);
    // Warm up: the first ticks pay for sudo and for starting the shell and awk.
    const warm = Date.now() + 30_000;
    while (samples.length < 3) {
      if (Date.now() > warm) throw new Error('the sampler produced fewer than 3 samples in 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const { pgid, privileged } = parser.info;
    if (pgid === null) throw new Error('the sampler did not report its process group');

    const before = await treeCpu(con, id, pgid);
    const started = performance.now();
    const [samplesBefore, bytesBefore] = [samples.length, bytes];
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = await treeCpu(con, id, pgid);
    const elapsed = (performance.now() - started) / 1000;
    const ticks = samples.length - samplesBefore;

    const cpuSeconds = (after.ticks - before.ticks) / hz;
    const percent = (cpuSeconds / elapsed) * 100;
    const last = samples.at(-1);
    abort.abort();
    await running;
    const local = await localLoopCost(Math.min(seconds, 20), hz);
    return {
      title: `Sampler cost on the device: every ${intervalMs / 1000} s for ${Math.round(elapsed)} s (emulated R58, 4 cameras)`,
      lines: [
        `ticks sampled:          ${ticks} (${privileged ? 'root through sudo -n' : 'unprivileged'}); ` +
          `VPU sessions ${last?.vpu.total ?? '?'}, ${after.deviceProcesses} processes on the device read each tick`,
        `sampler process tree:   ${after.processes} processes (sudo, sh, the loop and its sleep, awk)`,
        `device CPU used:        ${(cpuSeconds * 1000).toFixed(0)} ms in ${elapsed.toFixed(1)} s ` +
          `= ${((cpuSeconds * 1000) / Math.max(1, ticks)).toFixed(2)} ms per tick`,
        `percent of one core:    ${percent.toFixed(2)} %   (target < ${TARGET_PERCENT} % of one core at 1 Hz: ` +
          `${percent < TARGET_PERCENT ? 'met' : 'NOT met'})`,
        `stream to the console:  ${((bytes - bytesBefore) / Math.max(1, ticks)).toFixed(0)} bytes per tick`,
        `same loop on this machine's /proc (${local.processes} processes): ${local.percent.toFixed(2)} % of one core, ` +
          `${local.msPerTick.toFixed(2)} ms per tick`,
        `(clock ticks at ${hz} Hz, so the figure is good to about ${((2 / hz / elapsed) * 100).toFixed(2)} %; ` +
          'this machine is x86, not the RK3588)',
      ],
    };
  } finally {
    abort.abort();
    await r58.stop();
  }
}

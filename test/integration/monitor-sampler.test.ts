/**
 * The 1 Hz sampler against the emulated R58, run the way the console runs it: one long-lived command through
 * ConnectionManager.exec, its stdout fed to SampleParser. VPU sessions of the recorder and of hand-started encoders,
 * the SoC temperature from the fault control, and the wording when sudo needs a password.
 *
 * TALLY_SAMPLER_CAPTURE=<dir> also writes each run's raw stdout there (how the unit fixtures were captured).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorSample } from '../../src-main/contract/index.js';
import { argv, sh, unitName, type ShellCommand } from '../../src-main/core/device/quote.js';
import { SampleParser, type SamplerInfo } from '../../src-main/core/monitor/sampler-parse.js';
import { DEFAULT_VPU_FILES, samplerCommand } from '../../src-main/core/monitor/sampler-script.js';
import { emulatorAvailable, type Emulator } from '../../src-main/emulator/index.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import type { SshConsole } from '../fixtures/ssh-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const CAPTURE = process.env.TALLY_SAMPLER_CAPTURE;

const ENCODER = argv(
  'gst-launch-1.0',
  'videotestsrc',
  'is-live=true',
  '!',
  'video/x-raw,width=320,height=240',
  '!',
  'mpph264enc',
  '!',
  'fakesink',
);

interface Run {
  samples: MonitorSample[];
  info: () => Readonly<SamplerInfo>;
  raw: () => string;
  /** Resolves with the first sample from now on that passes. */
  until(what: string, check: (s: MonitorSample) => boolean, timeoutMs?: number): Promise<MonitorSample>;
  stop(): Promise<void>;
}

describe.skipIf(!ok)(`sampler on the emulated R58${why}`, () => {
  let emu: Emulator;
  let con: SshConsole;
  let id: string;
  let exec: EmulatorSsh['exec'];
  let r58: EmulatorSsh | undefined;
  let sampler: Run;
  /** `pid comm` of every device process in this process group. */
  const group = async (pgid: number | null): Promise<string[]> => {
    const r = await exec(sh`ps -e -o pid=,pgid=,comm=`);
    return r.stdout
      .trim()
      .split('\n')
      .map((row) => row.trim().split(/\s+/))
      .filter((f) => f[1] === String(pgid))
      .map((f) => `${f[0]} ${f[2]}`);
  };

  function start(name: string, cmd: ShellCommand): Run {
    const parser = new SampleParser({ vpuFiles: DEFAULT_VPU_FILES });
    const samples: MonitorSample[] = [];
    const waiters = new Set<() => void>();
    let raw = '';
    const abort = new AbortController();
    const done = con.manager
      .exec(id, cmd, {
        signal: abort.signal,
        maxBufferBytes: 16 * 1024,
        onStdout: (chunk) => {
          raw += chunk.toString('utf8');
          samples.push(...parser.push(chunk.toString('utf8')));
          for (const wake of waiters) wake();
        },
      })
      .then(
        (r) => `exited ${r.code ?? r.signal}: ${r.stderr}`,
        (err: Error) => err.message,
      );
    return {
      samples,
      info: () => parser.info,
      raw: () => raw,
      until: (what, check, timeoutMs = 30_000) =>
        new Promise((resolve, reject) => {
          const from = samples.length;
          const look = (): void => {
            const hit = samples.slice(from).find(check);
            if (!hit) return;
            cleanup();
            resolve(hit);
          };
          const timer = setTimeout(() => {
            cleanup();
            reject(
              new Error(
                `${what} was not sampled within ${timeoutMs} ms; last: ${JSON.stringify(samples.at(-1))}`,
              ),
            );
          }, timeoutMs);
          const cleanup = (): void => {
            clearTimeout(timer);
            waiters.delete(look);
          };
          waiters.add(look);
        }),
      async stop() {
        abort.abort();
        const ended = await done;
        expect(ended).toMatch(/Cancelled/);
        if (CAPTURE) {
          await fs.mkdir(CAPTURE, { recursive: true });
          await fs.writeFile(path.join(CAPTURE, `${name}.txt`), raw);
        }
      },
    };
  }

  beforeAll(async () => {
    r58 = await startEmulatorSsh({ cameras: 4, stopTimeoutMs: 3000 });
    ({ emu, con, id, exec } = r58);
    sampler = start('emulator-root', samplerCommand({ intervalMs: 1000, vpuFiles: DEFAULT_VPU_FILES }));
  }, 180_000);

  afterAll(async () => {
    await r58?.stop();
  }, 60_000);

  it('streams a sample a second from one long-lived root process, with every vital sign', async () => {
    await sampler.until('a third sample', () => sampler.samples.length >= 3);
    const info = sampler.info();
    expect(info.format).toBe(1);
    expect(info.privileged).toBe(true);
    const rows = await group(info.pgid);
    expect(rows).toContain(`${info.pid} sh`);
    expect(rows.filter((r) => / awk$/.test(r))).toHaveLength(1);

    const [first, second, third] = sampler.samples as [MonitorSample, MonitorSample, MonitorSample];
    expect(first.cpuPercent).toBeNull();
    expect(first.topProcesses).toEqual([]);
    expect(third.at - second.at).toBeGreaterThan(700);
    expect(third.at - second.at).toBeLessThan(1600);
    for (const s of [second, third]) {
      expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(s.cpuPercent).toBeLessThanOrEqual(100);
      expect(s.cores).toBeGreaterThanOrEqual(1);
      expect(s.memory?.totalBytes).toBeGreaterThan(s.memory?.availableBytes ?? Infinity);
      expect(s.load).toHaveLength(3);
      expect(s.zones.map((z) => z.name)).toEqual([
        'soc-thermal',
        'bigcore0-thermal',
        'bigcore1-thermal',
        'littlecore-thermal',
        'center-thermal',
        'gpu-thermal',
        'npu-thermal',
      ]);
      expect(s.temperatureC).toBe(Math.max(...s.zones.map((z) => z.celsius)));
      expect(s.vpu.source).toBe('/sys/kernel/debug/mpp_service/session');
    }
  });

  it('reads the board as the R58 profile models it: 8 cores, the recorder’s four mpph264enc at about 20 %', async () => {
    // resources/profiles/r58.yaml: the rest of the board 4–8 %, mpph264enc 2–5 % a stream; midpoints 6 + 4 × 3.5.
    const board = await sampler.until(
      '8 cores at about 20 %',
      (s) => s.cores === 8 && s.vpu.total === 4 && s.cpuPercent !== null && Math.abs(s.cpuPercent - 20) < 5,
      60_000,
    );
    expect(board.topProcesses.length).toBeGreaterThan(0);
  });

  it('reads the recorder’s 4 sessions, then 0 after `sudo systemctl stop preke-recorder`', async () => {
    const busy = await sampler.until('4 sessions', (s) => s.vpu.total === 4, 60_000);
    expect(busy.vpu).toMatchObject({ encoders: 4, decoders: 0 });
    expect(busy.vpu.byProcess).toHaveLength(4);
    expect(new Set(busy.vpu.byProcess.map((p) => p.name))).toEqual(new Set(['gst-launch-1.0']));

    const stopped = await exec(sh`sudo systemctl stop ${unitName('preke-recorder')}`);
    expect(stopped.code).toBe(0);
    const idle = await sampler.until('0 sessions', (s) => s.vpu.total === 0);
    expect(idle.vpu).toEqual({
      source: '/sys/kernel/debug/mpp_service/session',
      total: 0,
      encoders: 0,
      decoders: 0,
      byProcess: [],
    });
  }, 90_000);

  it('counts 4 encoders started by hand: 4 gst-launch-1.0 pids, and they top the CPU list', async () => {
    const launch = await exec(sh`for i in 1 2 3 4; do setsid -f ${ENCODER} >/dev/null 2>&1 </dev/null; done`);
    expect(launch.code).toBe(0);
    let pids: number[] = [];
    try {
      const four = await sampler.until(
        '4 hand-started encoders',
        (s) => s.vpu.total === 4 && s.vpu.byProcess.length === 4,
      );
      pids = four.vpu.byProcess.map((p) => p.pid);
      expect(four.vpu.encoders).toBe(4);
      expect(four.vpu.decoders).toBe(0);
      expect(new Set(pids).size).toBe(4);
      for (const p of four.vpu.byProcess)
        expect(p).toMatchObject({ name: 'gst-launch-1.0', sessions: 1, kind: 'enc' });
      const top = await sampler.until('gst-launch at the top', (s) =>
        s.topProcesses.slice(0, 2).every((p) => p.name === 'gst-launch-1.0'),
      );
      expect(top.topProcesses.filter((p) => pids.includes(p.pid)).length).toBeGreaterThanOrEqual(2);
      expect(top.topProcesses[0]?.percent).toBeGreaterThan(0);
    } finally {
      if (pids.length > 0) await exec(sh`kill ${pids}`);
    }
    await sampler.until('the hand-started encoders gone', (s) => s.vpu.total === 0);
  }, 90_000);

  it('reports the SoC at 92 °C after POST /temperature?celsius=92', async () => {
    const pinned = await fetch(`${emu.ready.control}/temperature?celsius=92`, { method: 'POST' });
    expect(pinned.status).toBe(200);
    const hot = await sampler.until('92 °C', (s) => s.temperatureC === 92);
    expect(hot.zones[0]).toEqual({ name: 'soc-thermal', celsius: 92 });
    await fetch(`${emu.ready.control}/temperature`, { method: 'DELETE' });
    const back = await sampler.until('the modelled temperature', (s) => (s.temperatureC ?? 99) < 60);
    expect(back.temperatureC).toBeGreaterThan(35);
  });

  it('says why there is no VPU count when sudo needs a password (a user without sudo)', async () => {
    const cmd = samplerCommand({ intervalMs: 500, vpuFiles: DEFAULT_VPU_FILES });
    const plain = start('emulator-nosudo', sh`sudo -n -u nobody sh -c ${cmd.text}`);
    try {
      const s = await plain.until('an unprivileged sample with CPU figures', (x) => x.cpuPercent !== null);
      expect(plain.info().privileged).toBe(false);
      expect(plain.info().sudoMessage).toMatch(/password is required/);
      expect(s.vpu).toEqual({
        source: null,
        total: null,
        encoders: null,
        decoders: null,
        byProcess: [],
        problem:
          'Cannot read /sys/kernel/debug/mpp_service/session: it is root-only and `sudo -n` needs a password on ' +
          'this device. Allow passwordless sudo for the login user (as on the R58 image) to see VPU sessions.',
      });
      expect(s.zones).toHaveLength(7);
    } finally {
      await plain.stop();
    }
  });

  it('leaves nothing running on the device once the console cancels it', async () => {
    const { pgid } = sampler.info();
    await sampler.stop();
    const deadline = Date.now() + 5000;
    let left: string[] = [];
    do {
      await new Promise((r) => setTimeout(r, 250));
      left = await group(pgid);
    } while (left.length > 0 && Date.now() < deadline);
    expect(left).toEqual([]);
  });
});

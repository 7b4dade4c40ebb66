/**
 * The device's gst-launch-1.0 wrapper on its own, against the kernel mini-daemon on a temp unix socket: what it
 * prints, its exit codes, and the VPU sessions it holds and releases.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMiniDaemon, type MiniDaemon } from '../../src-main/emulator/device/kernel/mini-daemon.js';
import { until } from '../fixtures/until.js';

const run = promisify(execFile);
const WRAPPER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../src-main/emulator/device/gst/gst-launch.py',
);
const PROVEN = 'qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000'.split(' ');
const LIVE_SOURCE = [
  'videotestsrc',
  'is-live=true',
  '!',
  'video/x-raw,width=160,height=120,framerate=30/1',
  '!',
];

let tmp: string;
let daemon: MiniDaemon;
const running = new Set<ChildProcess>();

interface Launched {
  child: ChildProcess;
  out: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(args: string[], socketPath = daemon.socketPath): Launched {
  const child = spawn('/usr/bin/python3', [WRAPPER, ...args], {
    env: { ...process.env, TALLY_EMU_SOCK: socketPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, out: () => text, done };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-wrapper-'));
  daemon = await startMiniDaemon(path.join(tmp, 'daemon.sock'));
});

// A pipeline left running by a failed check would hold its session into the next test.
afterEach(async () => {
  for (const child of running) child.kill('SIGKILL');
  await until('launched pipelines gone', () => running.size === 0);
});

afterAll(async () => {
  await daemon.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('gst-launch-1.0 wrapper', () => {
  it('runs a finite pipeline to EOS like gst-launch, holding a session meanwhile', async () => {
    const file = path.join(tmp, 'finite.mp4');
    const p = launch([
      '-e',
      'videotestsrc',
      'num-buffers=90',
      '!',
      'video/x-raw,width=160,height=120,framerate=30/1',
      '!',
      'mpph264enc',
      ...PROVEN,
      '!',
      'video/x-h264,stream-format=byte-stream',
      '!',
      'h264parse',
      '!',
      'mp4mux',
      '!',
      'filesink',
      `location=${file}`,
    ]);
    const { code } = await p.done;
    expect(code).toBe(0);
    const lines = p.out().split('\n');
    expect(lines).toContain('Setting pipeline to PAUSED ...');
    expect(lines).toContain('Setting pipeline to PLAYING ...');
    expect(lines).toContain('Got EOS from element "pipeline0".');
    expect(lines.some((l) => /^Execution ended after \d+:\d{2}:\d{2}\.\d{9}$/.test(l))).toBe(true);
    expect(lines.at(-2)).toBe('Freeing pipeline ...');
    await run('gst-launch-1.0', ['-q', 'filesrc', `location=${file}`, '!', 'qtdemux', '!', 'fakesink']);
    expect(daemon.model.sessions()).toHaveLength(0);
  });

  it('-e turns SIGINT into EOS and exits 0; the session is held while it runs', async () => {
    const p = launch(['-e', ...LIVE_SOURCE, 'mpph265enc', 'bps=2000000', '!', 'h265parse', '!', 'fakesink']);
    await until('PLAYING', () => p.out().includes('Setting pipeline to PLAYING'));
    expect(daemon.model.sessionViews()).toEqual([
      expect.objectContaining({ pid: p.child.pid, element: 'mpph265enc', kind: 'enc' }),
    ]);
    p.child.kill('SIGINT');
    expect(await p.done).toEqual({ code: 0, signal: null });
    for (const line of [
      'handling interrupt.',
      'Interrupt: Stopping pipeline ...',
      'EOS on shutdown enabled -- Forcing EOS on the pipeline',
      'Waiting for EOS...',
      'EOS received - stopping pipeline...',
    ]) {
      expect(p.out()).toContain(line);
    }
    expect(daemon.model.sessions()).toHaveLength(0);
  });

  it('SIGTERM kills it at once (as gst-launch has no handler) and releases its sessions', async () => {
    const p = launch(['-q', ...LIVE_SOURCE, 'mpph264enc', ...PROVEN, '!', 'fakesink']);
    await until('session', () => daemon.model.sessions().length === 1);
    p.child.kill('SIGTERM');
    expect(await p.done).toEqual({ code: null, signal: 'SIGTERM' });
    expect(daemon.model.sessions()).toHaveLength(0);
    expect(p.out()).toBe('');
  });

  it('a decoder holds one dec session while it runs and releases it; -q prints nothing', async () => {
    const decode = ['x264enc', 'tune=zerolatency', '!', 'h264parse', '!', 'mppvideodec', '!'];
    const sink = ['video/x-raw,format=NV12', '!', 'fakesink'];
    // A live source keeps the pipeline running until told to stop, so the session is there to be seen.
    const live = launch(['-e', ...LIVE_SOURCE, ...decode, ...sink]);
    await until('PLAYING', () => live.out().includes('Setting pipeline to PLAYING'));
    expect(daemon.model.sessionViews()).toEqual([
      expect.objectContaining({ pid: live.child.pid, element: 'mppvideodec', kind: 'dec' }),
    ]);
    live.child.kill('SIGINT');
    expect(await live.done).toEqual({ code: 0, signal: null });
    expect(daemon.model.sessions()).toHaveLength(0);

    const quiet = launch(['-q', 'videotestsrc', 'num-buffers=20', '!', ...decode, ...sink]);
    expect(await quiet.done).toEqual({ code: 0, signal: null });
    expect(quiet.out()).toBe('');
    expect(daemon.model.sessions()).toHaveLength(0);
  });

  it('without the daemon the hardware element cannot open and it exits 1', async () => {
    const p = launch(
      ['videotestsrc', 'num-buffers=1', '!', 'mpph264enc', '!', 'fakesink'],
      path.join(tmp, 'none'),
    );
    expect(await p.done).toEqual({ code: 1, signal: null });
    expect(p.out()).toContain(
      'ERROR: from element /GstPipeline:pipeline0/GstMppH264Enc:mpph264enc0: Could not initialize supporting library.',
    );
    expect(p.out()).toContain('cannot open /dev/mpp_service');
  });

  it('a bad description fails like gst-launch', async () => {
    const p = launch(['videotestsrc', '!', 'nosuchelement', '!', 'fakesink']);
    expect(await p.done).toEqual({ code: 1, signal: null });
    expect(p.out()).toMatch(/^ERROR: pipeline could not be constructed: no element "nosuchelement"\.$/m);
  });
});

/**
 * The emulated R58's CPU: the load its processes take by the product profile's figures, and the /proc/stat that
 * carries it to the sampler as an 8-core board.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src-main/core/device/profile.js';
import { SampleParser } from '../../src-main/core/monitor/sampler-parse.js';
import { modelledLoad, type LoadProcess } from '../../src-main/emulator/device/cpu-load.js';
import { cpuLines, ProcStat } from '../../src-main/emulator/device/proc-stat.js';

const model =
  loadProfile('r58').cpu ??
  (() => {
    throw new Error('no CPU figures in r58');
  })();
const GST = ['/usr/bin/python3', '/usr/local/bin/gst-launch-1.0', '-e', 'videotestsrc', '!'];
const camera = (pid: number, encoder: string): LoadProcess => ({
  pid,
  argv: [...GST, encoder, 'bitrate=4000', '!', 'h264parse', '!', 'rtspclientsink', 'location=rtsp://x/cam0'],
});
const load = (processes: LoadProcess[], extra: Partial<Parameters<typeof modelledLoad>[1]> = {}): number =>
  modelledLoad(model, { processes, sessions: [], mixerState: null, softwareDecoder: 'avdec_h264', ...extra });

describe('the emulated R58’s CPU load follows the profile', () => {
  it('counts each camera pipeline’s encoder at its figure’s midpoint, over the base figure', () => {
    expect(load([])).toBe(6);
    expect(load([1, 2, 3, 4].map((p) => camera(p, 'mpph264enc')))).toBe(6 + 4 * 3.5);
    expect(load([1, 2, 3, 4].map((p) => camera(p, 'x264enc')))).toBe(6 + 4 * 35);
    // Recording subscribers, sshd and the recorder itself have no figure.
    const others: LoadProcess[] = [
      { pid: 9, argv: [...GST, 'udpsrc', 'port=5000', '!', 'rtph264depay', '!', 'mp4mux', '!', 'filesink'] },
      { pid: 10, argv: ['/usr/bin/python3', 'recorder.py', '--config', 'x264enc.yml'] },
      { pid: 11, argv: ['sshd:', 'linaro'] },
    ];
    expect(load(others)).toBe(6);
  });

  it('counts the mixer agent: its output, its hardware decoders by session, its software inputs by its state', () => {
    const agent = { pid: 50, argv: ['/usr/bin/python3', '/home/linaro/.tally/mixer/tally_mixer.py', 'run'] };
    const relay = {
      pid: 51,
      argv: ['/usr/bin/python3', '/home/linaro/.tally/mixer/tally_mixer.py', 'attach'],
    };
    const sessions = [
      { pid: 50, element: 'mppvideodec' },
      { pid: 50, element: 'mppvideodec' },
      { pid: 7, element: 'mpph264enc' },
    ];
    const mixerState = {
      pid: 50,
      inputs: { cam0: { decoder: 'hw' }, cam1: { decoder: 'hw' }, cam2: { decoder: 'sw' } },
    };
    // 6 base + x264enc output 20 + 2 × mppvideodec 3.5 + 1 × avdec_h264 9.
    expect(load([agent, relay], { sessions, mixerState })).toBe(6 + 20 + 7 + 9);
    // A state file left by an agent that is gone says nothing about this one.
    expect(load([agent], { sessions, mixerState: { ...mixerState, pid: 49 } })).toBe(6 + 20 + 7);
  });
});

describe('the emulated /proc/stat', () => {
  it('writes a cpu line and one per core in /proc/stat’s layout', () => {
    const text = cpuLines([
      { user: 10.6, system: 2, idle: 88 },
      { user: 5, system: 1.2, idle: 94 },
    ]);
    expect(text).toBe('cpu  15 0 3 182 0 0 0 0 0 0\ncpu0 10 0 2 88 0 0 0 0 0 0\ncpu1 5 0 1 94 0 0 0 0 0 0\n');
  });

  it('counts 8 cores at the modelled load, keeps the rest of the copy, and the sampler reads the load back', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tally-procstat-')), 'stat');
    writeFileSync(
      file,
      'cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 5 1\nbtime 1700000000\nprocesses 9\n',
    );
    let now = 0;
    const stat = new ProcStat({
      file,
      load: () => 30,
      now: () => now,
      random: () => 0.5,
      intervalMs: 3_600_000,
    });
    expect(stat.init()).toBe(true);
    try {
      const sample = (): string => {
        const lines = readFileSync(file, 'utf8').split('\n');
        const cores = lines.filter((l) => /^cpu\d+ /.test(l)).length;
        const [, ...f] = (lines[0] ?? '').split(/\s+/).map(Number);
        const total = f.slice(0, 8).reduce((a, b) => a + (b ?? 0), 0);
        return `cpu ${total} ${(f[3] ?? 0) + (f[4] ?? 0)} ${cores}`;
      };
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/\nintr 5 1\nbtime 1700000000\nprocesses 9\n$/);
      expect(text.match(/^cpu\d+ /gm)).toHaveLength(8);
      // The sampler's view of two ticks 10 s apart (whole ticks are written, so a shorter span rounds more): the
      // load, as a share of all cores.
      const parser = new SampleParser({ now: () => now });
      const block = (): string => `tick 1\n${sample()}\nend\n`;
      parser.push('tally-sampler 1\npid 1 1\npriv root\n');
      parser.push(block());
      now += 10_000;
      stat.tick();
      const [reading] = parser.push(block());
      expect(reading?.cores).toBe(8);
      expect(reading?.cpuPercent).toBeCloseTo(30, 0);
    } finally {
      stat.stop();
    }
  });
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findPipelinePidsByLabel,
  formatTimestamp,
  handleKernelApi,
  KernelLog,
  KernelModel,
  pipelineLabel,
  type KillSignal,
  type VpuOpenRequest,
} from '../../src-main/emulator/device/kernel/index.js';

const PROVEN = { 'qp-init': 26, 'qp-min': 10, 'qp-max': 51, gop: 30, 'rc-mode': 'cbr', bps: 8000000 };
const PANIC = { bps: 8000000, 'bps-max': 16000000 };

interface Harness {
  model: KernelModel;
  kills: Array<[number, KillSignal]>;
  alive: Set<number>;
  timers: Array<() => void>;
  clock: { ms: number };
  changes: { n: number };
  printed: string[];
  flushTimers: () => void;
}

function harness(findPidsByLabel?: (label: string) => number[]): Harness {
  const clock = { ms: 1_766_400_000_000 };
  const alive = new Set<number>();
  const kills: Array<[number, KillSignal]> = [];
  const timers: Array<() => void> = [];
  const changes = { n: 0 };
  const printed: string[] = [];
  const model = new KernelModel({
    now: () => clock.ms,
    killPid: (pid, signal) => {
      kills.push([pid, signal]);
      if (signal === 'SIGKILL') alive.delete(pid);
    },
    isAlive: (pid) => alive.has(pid),
    onLine: (text) => printed.push(text),
    onSessionsChanged: () => changes.n++,
    schedule: (fn) => timers.push(fn),
    ...(findPidsByLabel ? { findPidsByLabel } : {}),
  });
  const flushTimers = (): void => {
    while (timers.length > 0) timers.shift()?.();
  };
  return { model, kills, alive, timers, clock, changes, printed, flushTimers };
}

function openFor(
  h: Harness,
  pid: number,
  extra: Partial<VpuOpenRequest> = {},
): ReturnType<KernelModel['open']> {
  h.alive.add(pid);
  return h.model.open({ pid, element: 'mpph264enc', props: PROVEN, label: `cam${pid}`, ...extra });
}

/** `grep -c session`: lines that contain the word. */
function grepCount(text: string, word: string): number {
  return text.split('\n').filter((l) => l.includes(word)).length;
}

describe('kernel log', () => {
  it('formats timestamps as dmesg does', () => {
    expect(formatTimestamp(0)).toBe('[    0.000000]');
    expect(formatTimestamp(123_456_789)).toBe('[  123.456789]');
    expect(formatTimestamp(123_456_789_012)).toBe('[123456.789012]');
  });

  it('keeps a bounded ring with increasing sequence numbers and resumes from a seq', () => {
    let usec = 0;
    const log = new KernelLog({ capacity: 5, clockUsec: () => (usec += 1000) });
    for (let i = 0; i < 8; i++) log.append(`line ${i}`);
    const all = log.lines();
    expect(all.map((l) => l.text)).toEqual(['line 3', 'line 4', 'line 5', 'line 6', 'line 7']);
    expect(all.map((l) => l.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(log.lines(6).map((l) => l.text)).toEqual(['line 6', 'line 7']);
    expect(log.lines(8)).toEqual([]);
  });

  it('splits multi-line text, never goes back in time, and notifies subscribers', () => {
    let usec = 5_000_000;
    const log = new KernelLog({ clockUsec: () => usec });
    const seen: string[] = [];
    const stop = log.subscribe((l) => seen.push(l.text));
    log.append('a\nb', 'err');
    usec = 1_000_000;
    const [c] = log.append('c');
    stop();
    log.append('d');
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(c?.usec).toBeGreaterThan(5_000_000);
    expect(c?.usec).toBeLessThan(5_000_100);
    expect(log.lines()[0]?.priority).toBe(3);
  });

  it('boots with a handful of RK3588 lines', () => {
    const h = harness();
    const text = h.model.lines().map((l) => l.formatted);
    expect(text.length).toBeGreaterThan(5);
    expect(text.length).toBeLessThan(40);
    expect(text[0]).toMatch(/^\[ {4}0\.000000\] Booting Linux/);
    const joined = text.join('\n');
    for (const word of [
      'Linux version',
      'rockchip',
      'mpp_service',
      'rkvenc',
      'rkvdec',
      'hdmirx',
      'video22',
    ]) {
      expect(joined).toContain(word);
    }
    expect(h.printed.length).toBe(text.length);
  });

  it('injects lines with kmsg levels or guessed fault levels', () => {
    const h = harness();
    const out = h.model.inject('<3>custom error\nInternal error: Oops: 0000000096000005 [#1] SMP\nplain');
    expect(out.map((l) => l.level)).toEqual(['err', 'emerg', 'info']);
    expect(out[0]?.text).toBe('custom error');
    h.clock.ms += 1500;
    const [later] = h.model.inject([{ text: 'x', level: 'warning' }]);
    expect(later?.usec).toBeGreaterThan(out[2]?.usec ?? 0);
  });
});

describe('VPU sessions', () => {
  it('counts follow opens, closes and deaths', () => {
    const h = harness();
    expect(openFor(h, 101).ok).toBe(true);
    expect(openFor(h, 102).ok).toBe(true);
    expect(openFor(h, 103, { element: 'mppvideodec', props: {} }).ok).toBe(true);
    expect(h.model.sessions()).toHaveLength(3);
    expect(h.model.sessions().map((s) => s.kind)).toEqual(['enc', 'enc', 'dec']);
    expect(h.model.close(102)).toBe(1);
    expect(h.model.sessions()).toHaveLength(2);
    h.alive.delete(101);
    expect(h.model.reap()).toEqual([101]);
    expect(h.model.sessionViews().map((s) => s.pid)).toEqual([103]);
    expect(h.changes.n).toBeGreaterThanOrEqual(5);
    expect(h.kills).toEqual([]);
  });

  it('one process may hold several sessions; close releases all of them', () => {
    const h = harness();
    openFor(h, 200);
    openFor(h, 200, { element: 'mpph265enc' });
    expect(h.model.sessions()).toHaveLength(2);
    expect(h.model.close(200)).toBe(2);
    expect(h.model.sessions()).toHaveLength(0);
  });

  it('closing one session of a process leaves its others (a mixer drops one input)', async () => {
    const h = harness();
    const dec = { element: 'mppvideodec', props: {}, label: 'program', comm: 'python3' };
    const ids = [openFor(h, 300, dec), openFor(h, 300, dec), openFor(h, 301, dec)].map((r) =>
      r.ok ? r.session.session : -1,
    );
    expect(h.model.close(301, ids[0])).toBe(0);
    expect(h.model.close(300, ids[0])).toBe(1);
    expect(h.model.sessionViews().map((s) => [s.session, s.pid])).toEqual([
      [ids[1], 300],
      [ids[2], 301],
    ]);
    const reply = await handleKernelApi(
      h.model,
      'POST',
      '/vpu/close',
      JSON.stringify({ pid: 300, session: ids[1] }),
    );
    expect(reply?.body).toBe('{"ok":true,"closed":1}');
    h.model.setKeepSessions(true);
    expect(h.model.close(301, ids[2])).toBe(0);
    expect(h.model.sessionViews()).toEqual([expect.objectContaining({ pid: 301, orphaned: true })]);
  });

  it('the panic config gives an Oops and kills that pipeline', () => {
    const h = harness();
    openFor(h, 300);
    const res = openFor(h, 301, { props: PANIC, label: 'cam1' });
    expect(res.ok).toBe(true);
    expect(h.model.sessions()).toHaveLength(2);
    h.flushTimers();
    expect(h.kills).toEqual([[301, 'SIGKILL']]);
    expect(h.model.sessions().map((s) => s.pid)).toEqual([300]);
    const text = h.model
      .lines()
      .map((l) => l.formatted)
      .join('\n');
    expect(text).toContain('Internal error: Oops: 0000000096000005 [#1] SMP');
    expect(text).toMatch(/pc : rkvenc/);
    expect(text).toMatch(/lr : rkvenc/);
    expect(text).toContain('Call trace:');
    expect(text).toMatch(/ mpp_dev_ioctl\+0x/);
    expect(text).toMatch(/---\[ end trace [0-9a-f]{16} \]---/);
    expect(text).toContain('PID: 301 Comm: gst-launch-1.0');
    const oops = h.model.lines().find((l) => l.text.startsWith('Internal error'));
    expect(oops?.level).toBe('emerg');
    // A second Oops counts up, like the seed's [#29].
    openFor(h, 302, { props: PANIC });
    h.flushTimers();
    expect(h.model.lines().some((l) => l.text.includes('[#2] SMP'))).toBe(true);
  });

  it('the proven config and QP settings with bps-max do not panic', () => {
    const h = harness();
    openFor(h, 400);
    openFor(h, 401, { props: { ...PANIC, 'qp-init': 26 } });
    openFor(h, 402, { element: 'mpph265enc', props: PANIC });
    h.flushTimers();
    expect(h.kills).toEqual([]);
    expect(h.model.lines().some((l) => l.text.includes('Oops'))).toBe(false);
  });

  it('a pipeline that died before its Oops is only reaped', () => {
    const h = harness();
    openFor(h, 500, { props: PANIC });
    h.alive.delete(500);
    h.flushTimers();
    expect(h.kills).toEqual([]);
    expect(h.model.sessions()).toHaveLength(0);
  });

  it('the 9th session is refused with too many sessions and an RCU stall; the 8 stay', () => {
    const h = harness();
    for (let pid = 600; pid < 608; pid++) expect(openFor(h, pid).ok).toBe(true);
    const before = h.model.lines().length;
    const res = openFor(h, 608);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error).toBe('too-many-sessions');
      expect(res.reason).toMatch(/too many sessions/);
    }
    const added = h.model
      .lines()
      .slice(before)
      .map((l) => l.text);
    expect(added[0]).toBe('mpp_service: error: too many sessions');
    expect(added[1]).toBe('rkvenc: failed to allocate encoder instance');
    expect(added[2]).toBe('rcu: INFO: rcu_preempt self-detected stall on CPU');
    expect(added.length).toBeGreaterThanOrEqual(5);
    expect(h.model.sessions()).toHaveLength(8);
    const dec = openFor(h, 609, { element: 'mppvideodec', props: {} });
    expect(dec.ok).toBe(false);
    expect(h.model.lines().some((l) => l.text === 'rkvdec: failed to allocate decoder instance')).toBe(true);
    expect(h.kills).toEqual([]);
  });

  it('wedge marks the labelled pipeline, signals it, and keeps its sessions until it dies', async () => {
    const h = harness((label) => (label === 'cam9_20251222_101010.mp4' ? [777] : []));
    openFor(h, 700, { label: 'cam0' });
    openFor(h, 701, { label: 'cam1' });
    const res = await h.model.wedge('cam0');
    expect(res).toEqual({ ok: true, label: 'cam0', pids: [700] });
    expect(h.kills).toEqual([[700, 'SIGUSR1']]);
    expect(h.model.sessionViews().find((s) => s.pid === 700)?.wedged).toBe(true);
    expect(h.model.sessionViews().find((s) => s.pid === 701)?.wedged).toBe(false);
    h.model.reap();
    expect(h.model.sessions()).toHaveLength(2);
    h.alive.delete(700);
    h.model.reap();
    expect(h.model.sessions()).toHaveLength(1);
    expect(h.model.isWedged(700)).toBe(false);
    // A pipeline without VPU sessions is found by its label through the callback.
    h.alive.add(777);
    expect(await h.model.wedge('cam9_20251222_101010.mp4')).toEqual({
      ok: true,
      label: 'cam9_20251222_101010.mp4',
      pids: [777],
    });
    expect((await h.model.wedge('nothing')).ok).toBe(false);
  });
});

describe('session files', () => {
  it('debugfs session: grep -c session and str.count both give the session count', () => {
    const h = harness();
    expect(h.model.debugfsSessionText()).toBe('');
    for (let pid = 800; pid < 804; pid++) openFor(h, pid);
    openFor(h, 804, { element: 'mppvideodec', props: {} });
    const text = h.model.debugfsSessionText();
    expect(grepCount(text, 'session')).toBe(5);
    expect(text.split('session').length - 1).toBe(5);
    expect(text).toContain('pid=800');
    expect(text).toMatch(/rkvenc/);
    expect(text).toMatch(/rkvdec/);
    expect(text).toMatch(/\benc\b/);
    expect(text).toMatch(/\bdec\b/);
    h.model.close(801);
    expect(grepCount(h.model.debugfsSessionText(), 'session')).toBe(4);
  });

  it('procfs sessions-summary and sessions-info follow the BSP driver layout', () => {
    const h = harness();
    openFor(h, 900, { props: { ...PROVEN, width: 640, height: 360 } });
    openFor(h, 901, { element: 'mppvideodec', props: {} });
    const files = h.model.procFiles();
    const summary = files['sessions-summary'] ?? '';
    expect(summary.split('\n').filter((l) => l.startsWith('session:'))).toEqual([
      'session: pid=900 index=0',
      'session: pid=901 index=1',
    ]);
    expect(summary).toContain(' device: fdbd0000.rkvenc-core');
    expect(summary).toContain(' device: fdc48100.rkvdec-core');
    expect(summary).toMatch(/\| session\| {2}device\| {3}width\|/);
    expect(summary).toMatch(/\| {7}0\| {2}RKVENC\| {5}640\| {5}360\|/);
    const info = files['rkvenc-core0/sessions-info'] ?? '';
    expect(grepCount(info, 'RKVENC')).toBe(1);
    expect(files['rkvenc-core1/sessions-info']).toBe(info);
    expect(files.version).toContain('author: Ding Wei');
  });
});

describe('daemon API handler', () => {
  it('opens, lists, refuses bad input and closes', async () => {
    const h = harness();
    h.alive.add(1000);
    const open = await handleKernelApi(
      h.model,
      'POST',
      '/vpu/open',
      JSON.stringify({ pid: 1000, element: 'mpph264enc', props: PROVEN, label: 'cam0' }),
    );
    expect(open?.status).toBe(200);
    expect(JSON.parse(open?.body ?? '{}')).toMatchObject({ ok: true, session: { pid: 1000, kind: 'enc' } });
    const list = await handleKernelApi(h.model, 'GET', '/vpu/sessions', '');
    expect(JSON.parse(list?.body ?? '[]')).toEqual([
      expect.objectContaining({ session: 0, pid: 1000, element: 'mpph264enc', label: 'cam0', wedged: false }),
    ]);
    expect((await handleKernelApi(h.model, 'POST', '/vpu/open', '{"pid":"x"}'))?.status).toBe(400);
    expect((await handleKernelApi(h.model, 'POST', '/vpu/close', '{"pid":1000}'))?.body).toBe(
      '{"ok":true,"closed":1}',
    );
    const log = await handleKernelApi(h.model, 'GET', '/kernel/log?level=err', '');
    expect(log?.body).toBe('');
    await handleKernelApi(h.model, 'POST', '/kernel/lines', '<3>rkvenc: test fault');
    expect((await handleKernelApi(h.model, 'GET', '/kernel/log?level=err', ''))?.body).toMatch(
      /^\[ +\d+\.\d{6}\] rkvenc: test fault\n$/,
    );
    expect(await handleKernelApi(h.model, 'GET', '/units/x', '')).toBeUndefined();
  });
});

describe('pipeline labels', () => {
  it('uses the rtspclientsink path, else the file sink basename', () => {
    expect(
      pipelineLabel([
        '-e',
        'videotestsrc',
        '!',
        'x264enc',
        '!',
        'rtspclientsink',
        'location=rtsp://127.0.0.1:8554/cam0',
        'protocols=tcp',
      ]),
    ).toBe('cam0');
    expect(
      pipelineLabel([
        '-e',
        'udpsrc',
        'port=5000',
        '!',
        'mp4mux',
        '!',
        'filesink',
        'location=/var/recordings/cam2_x.mp4',
      ]),
    ).toBe('cam2_x.mp4');
    expect(pipelineLabel(['videotestsrc!fakesink'])).toBeUndefined();
  });
});

describe('finding pipelines by label in /proc', () => {
  it('only matches gst-launch processes in the same PID namespace that use the given daemon socket', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-proc-'));
    const proc = async (pid: string, argv: string[], env: string[], ns: string): Promise<void> => {
      await fs.mkdir(path.join(root, pid, 'ns'), { recursive: true });
      await fs.writeFile(path.join(root, pid, 'cmdline'), argv.join('\0') + '\0');
      await fs.writeFile(path.join(root, pid, 'environ'), env.join('\0') + '\0');
      await fs.symlink(ns, path.join(root, pid, 'ns', 'pid'));
    };
    try {
      await fs.mkdir(path.join(root, 'self', 'ns'), { recursive: true });
      await fs.symlink('pid:[1]', path.join(root, 'self', 'ns', 'pid'));
      const cam0 = ['-e', 'videotestsrc', '!', 'rtspclientsink', 'location=rtsp://127.0.0.1:8554/cam0'];
      await proc(
        '10',
        ['/usr/bin/python3', '/usr/local/bin/gst-launch-1.0', ...cam0],
        ['TALLY_EMU_SOCK=/a.sock'],
        'pid:[1]',
      );
      await proc('11', ['gst-launch-1.0', ...cam0], ['TALLY_EMU_SOCK=/b.sock'], 'pid:[1]');
      await proc('12', ['gst-launch-1.0', ...cam0], ['TALLY_EMU_SOCK=/a.sock'], 'pid:[2]');
      await proc('13', ['gst-launch-1.0', ...cam0], ['HOME=/root'], 'pid:[1]');
      await proc('14', ['sleep', '100'], ['TALLY_EMU_SOCK=/a.sock'], 'pid:[1]');
      expect(await findPipelinePidsByLabel('cam0', { procRoot: root, socketPath: '/a.sock' })).toEqual([10]);
      expect(
        (
          await findPipelinePidsByLabel('cam0', { procRoot: root, socketPath: '/run/tally-emu/daemon.sock' })
        ).sort(),
      ).toEqual([13]);
      expect((await findPipelinePidsByLabel('cam0', { procRoot: root })).sort()).toEqual([10, 11, 13]);
      expect(await findPipelinePidsByLabel('cam1', { procRoot: root })).toEqual([]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

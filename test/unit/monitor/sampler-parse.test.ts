/**
 * The sampler's stream, both halves: SampleParser over recordings from the emulated R58 and hand-made streams in
 * the real BSP layouts (any chunking, vanished processes, no sudo), and the device-side awk program run on this
 * machine's awk against fake /proc files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorSample } from '../../../src-main/contract/index.js';
import { parseVpuFiles, SampleParser } from '../../../src-main/core/monitor/sampler-parse.js';
import {
  DEFAULT_VPU_FILES,
  PER_CORE_SESSION_INFO,
  SAMPLER_AWK,
  SAMPLER_LOOP,
  samplerCommand,
} from '../../../src-main/core/monitor/sampler-script.js';
import {
  debugfsSessionText,
  procSessionsInfoText,
  procSessionsSummaryText,
  type VpuSession,
} from '../../../src-main/emulator/device/kernel/vpu-files.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sampler');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

const NO_SUDO =
  'Cannot read /sys/kernel/debug/mpp_service/session: it is root-only and `sudo -n` needs a password on this ' +
  'device. Allow passwordless sudo for the login user (as on the R58 image) to see VPU sessions.';

function parseAll(text: string, opts: ConstructorParameters<typeof SampleParser>[0] = {}): MonitorSample[] {
  return new SampleParser({ now: () => 1, ...opts }).push(text);
}

/** A stream in format 1 with the given header and tick bodies (each without `tick`/`end`). */
function stream(ticks: string[][], priv = 'priv root'): string {
  const head = ['tally-sampler 1', 'pid 700 690', priv];
  return [...head, ...ticks.flatMap((body, i) => [`tick ${i + 1}`, ...body, 'end']), ''].join('\n');
}

const CANDIDATES = [
  'vpu 1 ok /sys/kernel/debug/mpp_service/session',
  'vpu 2 missing /proc/mpp_service/sessions-summary',
  'vpu 3 missing /proc/mpp_service/*/sessions-info',
];

function file(filePath: string, text: string): string[] {
  return [
    `vfile ${filePath}`,
    ...text
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => `|${l}`),
  ];
}

function session(over: Partial<VpuSession> & Pick<VpuSession, 'session' | 'pid' | 'kind'>): VpuSession {
  return {
    element: over.kind === 'enc' ? 'mpph264enc' : 'mppvideodec',
    device: over.kind === 'enc' ? 'rkvenc' : 'rkvdec',
    core: over.kind === 'enc' ? 'fdbd0000.rkvenc-core' : 'fdc38100.rkvdec-core',
    label: 'cam0',
    props: {},
    openedAtUsec: 0,
    wedged: false,
    ...over,
  };
}

describe('SampleParser on the emulated R58', () => {
  const samples = parseAll(fixture('emulator-root.txt'));

  it('reads the header: format, remote pid and process group, root through sudo', () => {
    const parser = new SampleParser();
    parser.push(fixture('emulator-root.txt'));
    expect(parser.info).toEqual({ format: 1, pid: 77, pgid: 72, privileged: true, sudoMessage: '' });
  });

  it('follows the sessions: recorder (3, then 4), stopped (0), 4 by hand, gone (0)', () => {
    expect(samples.map((s) => s.vpu.total)).toEqual([3, 4, 4, 4, 0, 0, 4, 4, 0, 0, 0]);
    for (const s of samples) {
      expect(s.vpu.source).toBe('/sys/kernel/debug/mpp_service/session');
      expect(s.vpu.encoders).toBe(s.vpu.total);
      expect(s.vpu.decoders).toBe(0);
      expect(s.vpu.problem).toBeUndefined();
    }
    expect(samples[1]?.vpu.byProcess).toEqual(
      [50, 52, 54, 56].map((pid) => ({ pid, name: 'gst-launch-1.0', sessions: 1, kind: 'enc' })),
    );
    expect(samples[6]?.vpu.byProcess.map((p) => p.pid)).toEqual([215, 217, 219, 221]);
    expect(samples[4]?.vpu.byProcess).toEqual([]);
  });

  it('has no CPU figure on the first tick, then whole-machine and per-core percentages', () => {
    expect(samples[0]?.cpuPercent).toBeNull();
    expect(samples[0]?.topProcesses).toEqual([]);
    expect(samples[1]?.cpuPercent).toBe(75.5);
    expect(samples[1]?.topProcesses[0]).toEqual({ pid: 52, name: 'gst-launch-1.0', percent: 9 });
    expect(samples[1]?.topProcesses).toHaveLength(5);
    for (const s of samples) expect(s.cores).toBe(2);
  });

  it('reads memory, load and the seven zones; the hottest is the temperature (92 °C when pinned)', () => {
    const first = samples[0] as MonitorSample;
    expect(first.memory).toEqual({ totalBytes: 24684084 * 1024, availableBytes: 23782992 * 1024 });
    expect(first.load).toEqual([1.17, 0.84, 0.82]);
    expect(first.zones).toHaveLength(7);
    expect(first.zones[0]?.name).toBe('soc-thermal');
    expect(first.temperatureC).toBe(Math.max(...first.zones.map((z) => z.celsius)));
    expect(samples.map((s) => s.temperatureC)).toContain(92);
  });

  it('gives the same samples however the stream is split into chunks', () => {
    const text = fixture('emulator-root.txt');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 40 }), (cuts) => {
        const parser = new SampleParser({ now: () => 1 });
        const got: MonitorSample[] = [];
        let at = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          got.push(...parser.push(text.slice(at, cut)));
          at = cut;
        }
        got.push(...parser.push(text.slice(at)));
        expect(got).toEqual(samples);
      }),
      { numRuns: 200 },
    );
  });

  it('byte by byte, too', () => {
    const text = fixture('emulator-nosudo.txt');
    const parser = new SampleParser({ now: () => 1 });
    const got = [...text].flatMap((ch) => parser.push(ch));
    expect(got).toEqual(parseAll(text));
  });

  it('without sudo: no count, and a problem the producer can act on', () => {
    const parser = new SampleParser({ now: () => 1, vpuFiles: DEFAULT_VPU_FILES });
    const plain = parser.push(fixture('emulator-nosudo.txt'));
    expect(parser.info.privileged).toBe(false);
    expect(parser.info.sudoMessage).toBe('sudo: a password is required');
    expect(plain).toHaveLength(2);
    for (const s of plain)
      expect(s.vpu).toEqual({
        source: null,
        total: null,
        encoders: null,
        decoders: null,
        byProcess: [],
        problem: NO_SUDO,
      });
    expect(plain[1]?.cpuPercent).toBe(99);
  });
});

describe('VPU files in the real BSP layouts', () => {
  it('sessions-summary: blocks by `session: pid=… index=…`, kind from the device, not from the iova dump', () => {
    const parsed = parseVpuFiles([
      { path: '/proc/mpp_service/sessions-summary', text: fixture('bsp-sessions-summary.txt') },
    ]);
    expect(parsed.encodersOnly).toBe(false);
    expect(parsed.sessions).toEqual([
      { index: 11, pid: 2314, kind: 'enc' },
      { index: 12, pid: 2377, kind: 'enc' },
      { index: 13, pid: 2402, kind: 'dec' },
      { index: 14, pid: 2402, kind: 'dec' },
      { index: 15, pid: 2455, kind: 'dec' },
    ]);
  });

  it('per-core sessions-info: encoders only, each session once across cores', () => {
    const table = fixture('bsp-sessions-info.txt');
    const parsed = parseVpuFiles([
      { path: '/proc/mpp_service/rkvenc-core0/sessions-info', text: table },
      { path: '/proc/mpp_service/rkvenc-core1/sessions-info', text: table },
    ]);
    expect(parsed).toEqual({
      encodersOnly: true,
      sessions: [
        { index: 11, kind: 'enc' },
        { index: 12, kind: 'enc' },
      ],
    });
  });

  it('the emulator’s renderings of all three files agree with its sessions', () => {
    const sessions = [
      session({ session: 0, pid: 41, kind: 'enc' }),
      session({ session: 1, pid: 41, kind: 'dec' }),
      session({ session: 2, pid: 43, kind: 'enc', element: 'mpph265enc' }),
      session({ session: 5, pid: 44, kind: 'dec' }),
    ];
    const expected = sessions.map((s) => ({ index: s.session, pid: s.pid, kind: s.kind }));
    expect(parseVpuFiles([{ path: 'debugfs', text: debugfsSessionText(sessions) }]).sessions).toEqual(
      expected,
    );
    expect(parseVpuFiles([{ path: 'summary', text: procSessionsSummaryText(sessions) }]).sessions).toEqual(
      expected,
    );
    expect(
      parseVpuFiles([
        { path: '/proc/mpp_service/rkvenc-core0/sessions-info', text: procSessionsInfoText(sessions) },
      ]),
    ).toEqual({
      encodersOnly: true,
      sessions: [
        { index: 0, kind: 'enc' },
        { index: 2, kind: 'enc' },
      ],
    });
  });

  it('an unknown layout: one session per line that says "session" (seed 002’s grep -c)', () => {
    const text = [
      'mpp_service sessions:',
      '  pid 812 session ffffff8004b2a000 rkvenc',
      '  pid 812 session ffffff8004b2b000 rkvdec',
      '  pid 907 session ffffff8004b2c000 iep',
      '',
    ].join('\n');
    expect(parseVpuFiles([{ path: 'x', text }]).sessions).toEqual([
      { pid: 812, kind: 'enc' },
      { pid: 812, kind: 'dec' },
      { pid: 907, kind: 'unknown' },
    ]);
  });

  it('an empty file is zero sessions', () => {
    expect(parseVpuFiles([{ path: 'x', text: '' }]).sessions).toEqual([]);
  });
});

describe('SampleParser on hand-made streams', () => {
  const summary = fixture('bsp-sessions-summary.txt');
  const summaryCandidates = [
    'vpu 1 missing /sys/kernel/debug/mpp_service/session',
    'vpu 2 ok /proc/mpp_service/sessions-summary',
    'vpu 3 ok /proc/mpp_service/rkvenc-core0/sessions-info',
    'vpu 3 ok /proc/mpp_service/rkvenc-core1/sessions-info',
  ];

  it('groups sessions by process (a thread’s pid counts for its process) and names a vanished one "?"', () => {
    const [s] = parseAll(
      stream([
        [
          ...summaryCandidates,
          ...file('/proc/mpp_service/sessions-summary', summary),
          'name 2314 2314 gst-launch-1.0',
          'name 2377 2314 gst-launch-1.0',
          'name 2402 2402 my (odd) player',
        ],
      ]),
    );
    expect(s?.vpu).toEqual({
      source: '/proc/mpp_service/sessions-summary',
      total: 5,
      encoders: 2,
      decoders: 3,
      byProcess: [
        { pid: 2314, name: 'gst-launch-1.0', sessions: 2, kind: 'enc' },
        { pid: 2402, name: 'my (odd) player', sessions: 2, kind: 'dec' },
        { pid: 2455, name: '?', sessions: 1, kind: 'dec' },
      ],
    });
  });

  it('keeps a name from the tick before when the process ended between the two reads', () => {
    const got = parseAll(
      stream([
        [
          ...CANDIDATES,
          ...file(DEFAULT_VPU_FILES[0] ?? '', 'session 0: pid=9 enc'),
          'name 9 9 gst-launch-1.0',
        ],
        [...CANDIDATES, 'vsame'],
      ]),
    );
    expect(got[1]?.vpu.byProcess).toEqual([{ pid: 9, name: 'gst-launch-1.0', sessions: 1, kind: 'enc' }]);
  });

  it('`vsame` reuses the files of the tick before; a new `vfile` replaces them', () => {
    const got = parseAll(
      stream([
        [...CANDIDATES, ...file(DEFAULT_VPU_FILES[0] ?? '', 'session 0: pid=9 enc\n\nsession 1: pid=9 dec')],
        [...CANDIDATES, 'vsame'],
        [...CANDIDATES, 'vfile /sys/kernel/debug/mpp_service/session'],
      ]),
    );
    expect(got.map((s) => [s.vpu.total, s.vpu.encoders, s.vpu.decoders])).toEqual([
      [2, 1, 1],
      [2, 1, 1],
      [0, 0, 0],
    ]);
  });

  it('per-core tables only: encoders, no total, and says why', () => {
    const table = fixture('bsp-sessions-info.txt');
    const [s] = parseAll(
      stream(
        [
          [
            'vpu 1 denied /sys/kernel/debug/mpp_service/session',
            'vpu 2 unreadable /proc/mpp_service/sessions-summary',
            'vpu 3 ok /proc/mpp_service/rkvenc-core0/sessions-info',
            'vpu 3 ok /proc/mpp_service/rkvenc-core1/sessions-info',
            ...file('/proc/mpp_service/rkvenc-core0/sessions-info', table),
            ...file('/proc/mpp_service/rkvenc-core1/sessions-info', table),
          ],
        ],
        'priv user sudo: a password is required',
      ),
    );
    expect(s?.vpu).toMatchObject({ total: null, encoders: 2, decoders: null, byProcess: [] });
    expect(s?.vpu.problem).toMatch(/^Only the per-core encoder tables/);
  });

  it('words every way of having no file', () => {
    const problem = (
      candidates: string[],
      priv = 'priv root',
      vpuFiles?: readonly string[],
    ): string | undefined => parseAll(stream([candidates], priv), { vpuFiles })[0]?.vpu.problem;
    const missing = CANDIDATES.map((c) => c.replace(' ok ', ' missing '));
    expect(problem(missing)).toBe(
      'Neither /sys/kernel/debug/mpp_service/session nor /proc/mpp_service/sessions-summary exists on this ' +
        'kernel (is debugfs mounted?).',
    );
    expect(problem(missing.slice(1), 'priv root', ['/proc/mpp_service/sessions-summary'])).toBe(
      '/proc/mpp_service/sessions-summary does not exist on this kernel.',
    );
    const denied = [CANDIDATES[0]?.replace(' ok ', ' denied ') ?? '', ...missing.slice(1)];
    expect(problem(denied, 'priv user sudo: a password is required')).toBe(NO_SUDO);
    expect(problem(denied, 'priv user sh: 1: sudo: not found')).toMatch(
      /: it is root-only and sudo is not installed on this device\. Install sudo/,
    );
    expect(
      problem(
        denied,
        "priv user Sorry, user linaro is not allowed to execute '/usr/bin/sh -c :' as root on r58.",
      ),
    ).toMatch(/the login user may not run `sh` through sudo \(sudo said: "Sorry, user linaro is not allowed/);
    expect(problem(denied)).toBe(
      'Cannot read /sys/kernel/debug/mpp_service/session even as root (is the kernel locked down?).',
    );
    expect(problem([CANDIDATES[0]?.replace(' ok ', ' unreadable ') ?? ''])).toBe(
      '/sys/kernel/debug/mpp_service/session exists but reading it failed even as root.',
    );
  });

  it('CPU: whole machine from /proc/stat deltas, processes in percent of one core, topN of them', () => {
    const got = parseAll(
      stream([
        [
          'cpu 1000 800 4',
          'mem 2000 1000',
          'load 1.5 0.5 0.25',
          'zone 51250 soc-thermal',
          'zone 47000 gpu thermal',
        ],
        ['cpu 1400 1000 4', 'proc 10 50 gst-launch-1.0', 'proc 11 20 a) (b', 'proc 12 5 sh'],
      ]),
      { topN: 2 },
    );
    expect(got[0]).toEqual({
      at: 1,
      vpu: {
        source: null,
        total: null,
        encoders: null,
        decoders: null,
        byProcess: [],
        problem: 'The sampler was given no VPU session file to read.',
      },
      cpuPercent: null,
      cores: 4,
      topProcesses: [],
      memory: { totalBytes: 2048000, availableBytes: 1024000 },
      temperatureC: 51.25,
      zones: [
        { name: 'soc-thermal', celsius: 51.25 },
        { name: 'gpu thermal', celsius: 47 },
      ],
      load: [1.5, 0.5, 0.25],
    });
    expect(got[1]?.cpuPercent).toBe(50);
    expect(got[1]?.topProcesses).toEqual([
      { pid: 10, name: 'gst-launch-1.0', percent: 50 },
      { pid: 11, name: 'a) (b', percent: 20 },
    ]);
    expect(got[1]).toMatchObject({ memory: null, load: null, temperatureC: null, zones: [] });
  });

  it('ignores what comes before its header (a login banner) and refuses another format', () => {
    expect(parseAll(`Welcome to r58\n${stream([['cpu 1 1 1']])}`)).toHaveLength(1);
    const parser = new SampleParser();
    expect(parser.push(stream([['cpu 1 1 1']]).replace('tally-sampler 1', 'tally-sampler 2'))).toEqual([]);
    expect(parser.failure).toBe("The device's sampler speaks format 2; this console reads format 1.");
  });
});

describe('samplerCommand', () => {
  it('quotes every value and refuses bad ones', () => {
    const cmd = samplerCommand({
      intervalMs: 1500,
      vpuFiles: ['/sys/kernel/debug/mpp_service/session', "/tmp/a b'c"],
    });
    expect(cmd.text).toContain(
      `set -- 1.5 5 /sys/kernel/debug/mpp_service/session '/tmp/a b'\\''c' '${PER_CORE_SESSION_INFO}';`,
    );
    expect(() => samplerCommand({ intervalMs: 1000, vpuFiles: ['relative'] })).toThrow(
      /use an absolute path/,
    );
    expect(() => samplerCommand({ intervalMs: 1000, vpuFiles: ['/a\nb'] })).toThrow(/control characters/);
    expect(() => samplerCommand({ intervalMs: 10, vpuFiles: [] })).toThrow(/interval/);
    expect(() => samplerCommand({ intervalMs: 1000, vpuFiles: [], topN: 0 })).toThrow(/topN/);
  });

  it('is valid POSIX sh', () => {
    const cmd = samplerCommand({ intervalMs: 1000, vpuFiles: DEFAULT_VPU_FILES });
    for (const text of [cmd.text, SAMPLER_LOOP]) expect(spawnSync('sh', ['-n', '-c', text]).status).toBe(0);
  });
});

const awkAvailable = spawnSync('awk', ['-W', 'version']).status === 0;

describe.skipIf(!awkAvailable)('the device-side program on this machine’s sh and awk', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-sampler-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** `/proc/<pid>/stat` with this comm, utime+stime and starttime. */
  const stat = (pid: number, comm: string, cpu: number, start = 1000): string =>
    `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${cpu} 0 0 0 20 0 1 0 ${start} 1000 10 18446744073709551615\n`;

  /** Feed the awk one tick at a time and collect each tick's block. */
  function awk(): { tick(lines: string[]): Promise<string[]>; header: Promise<string[]>; close(): void } {
    const interactive = spawnSync('awk', ['-W', 'interactive', 'BEGIN { exit 0 }']).status === 0;
    const child = spawn(
      'awk',
      [
        ...(interactive ? ['-W', 'interactive'] : []),
        '-v',
        `shpid=${process.pid}`,
        '-v',
        'top=3',
        SAMPLER_AWK,
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, TALLY_SAMPLER_PRIV: 'root' },
      },
    );
    let out = '';
    let wake = (): void => undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      wake();
    });
    const next = (marker: RegExp): Promise<string[]> =>
      new Promise((resolve) => {
        const look = (): void => {
          const m = marker.exec(out);
          if (!m) return;
          const block = out.slice(0, m.index + m[0].length);
          out = out.slice(m.index + m[0].length);
          resolve(block.trimEnd().split('\n'));
        };
        wake = look;
        look();
      });
    return {
      header: next(/priv [^\n]*\n/),
      tick: (lines) => {
        child.stdin.write(`${lines.join('\n')}\nE\n`);
        return next(/(^|\n)end\n/);
      },
      close: () => child.stdin.end(),
    };
  }

  it('keeps per-process deltas by pid and start time, survives vanished files and odd comms', async () => {
    const p = (pid: number): string => path.join(dir, String(pid));
    const write = async (pid: number, text: string): Promise<void> => {
      await fs.mkdir(p(pid), { recursive: true });
      await fs.writeFile(path.join(p(pid), 'stat'), text);
    };
    await write(100, stat(100, 'gst-launch-1.0', 500));
    await write(101, stat(101, 'a) (b c)', 10));
    await write(102, stat(102, 'reused', 10, 1000));
    await fs.mkdir(path.join(dir, 'zone0'));
    await fs.writeFile(path.join(dir, 'zone0', 'temp'), '48123\n');
    await fs.writeFile(path.join(dir, 'zone0', 'type'), 'soc-thermal\n');
    await fs.writeFile(
      path.join(dir, 'session'),
      `session 0: pid=100 enc\nsession 1: pid=${process.pid} enc\n`,
    );
    const procs = [100, 101, 102, 103].map((pid) => `P ${p(pid)}/stat`);
    const vpu = [`V 1 ok ${dir}/session`, `V 2 ok ${dir}/nothing-here`];
    const run = awk();
    try {
      expect(await run.header).toEqual([
        'tally-sampler 1',
        expect.stringMatching(/^pid \d+ \d+$/),
        'priv root',
      ]);
      const first = await run.tick([...procs, `Z ${dir}/zone0`, `Z ${dir}/zone9`, ...vpu]);
      expect(first[0]).toBe('tick 1');
      expect(first).toContain('zone 48123 soc-thermal');
      expect(first.filter((l) => l.startsWith('zone'))).toHaveLength(1);
      expect(first).toContain(`vpu 1 ok ${dir}/session`);
      expect(first).toContain(`vpu 2 ok ${dir}/nothing-here`);
      expect(first).toContain(`vfile ${dir}/session`);
      expect(first).toContain('|session 0: pid=100 enc');
      expect(first).toContain('name 100 100 gst-launch-1.0');
      expect(first.some((l) => l.startsWith(`name ${process.pid} ${process.pid} `))).toBe(true);
      expect(first.filter((l) => l.startsWith('proc'))).toEqual([]);
      expect(first.at(-1)).toBe('end');

      await write(100, stat(100, 'gst-launch-1.0', 530));
      await write(101, stat(101, 'a) (b c)', 50));
      await write(102, stat(102, 'reused', 900, 2000));
      await fs.rm(path.join(dir, 'session'));
      const second = await run.tick([...procs, ...vpu]);
      expect(second.filter((l) => l.startsWith('proc'))).toEqual([
        'proc 101 40 a) (b c)',
        'proc 100 30 gst-launch-1.0',
      ]);
      expect(second).toContain(`vpu 1 unreadable ${dir}/session`);
      expect(second).toContain(`vpu 2 unreadable ${dir}/nothing-here`);
      expect(second.some((l) => l.startsWith('vfile') || l === 'vsame')).toBe(false);

      await fs.writeFile(path.join(dir, 'session'), 'session 0: pid=100 enc\n');
      await write(102, stat(102, 'reused', 905, 2000));
      await fs.rm(p(101), { recursive: true });
      const third = await run.tick([...procs, ...vpu]);
      expect(third.filter((l) => l.startsWith('proc'))).toEqual(['proc 102 5 reused']);
      expect(third).toContain(`vfile ${dir}/session`);
      const fourth = await run.tick([...procs, ...vpu]);
      expect(fourth).toContain('vsame');
      expect(fourth.some((l) => l.startsWith('vfile'))).toBe(false);
    } finally {
      run.close();
    }
  });

  it('the whole loop runs here and its output parses', async () => {
    const child = spawn(
      'sh',
      [
        '-c',
        SAMPLER_LOOP,
        'tally-sampler',
        SAMPLER_AWK,
        'user',
        'sudo: a password is required',
        '0.2',
        '3',
        `${dir}/none`,
      ],
      { detached: true },
    );
    const parser = new SampleParser({ now: () => 1 });
    const got: MonitorSample[] = [];
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        got.push(...parser.push(d.toString()));
        if (got.length >= 2) resolve();
      });
    });
    // The loop, awk and sleep share the shell's process group.
    process.kill(-(child.pid ?? 0), 'SIGTERM');
    expect(parser.info.privileged).toBe(false);
    expect(got[1]?.cpuPercent).not.toBeNull();
    expect(got[1]?.cores).toBeGreaterThan(0);
    expect(got[1]?.memory?.totalBytes).toBeGreaterThan(0);
    expect(got[1]?.vpu.problem).toBe(`${dir}/none does not exist on this kernel.`);
  });
});

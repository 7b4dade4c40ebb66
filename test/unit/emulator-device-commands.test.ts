/**
 * The emulated R58's systemctl, journalctl, dmesg and uname, without namespaces: argv parsing, output formats and
 * exit codes against a journal, a kernel model and units that are never started.
 */
import { describe, expect, it } from 'vitest';
import { scanArgs } from '../../src-main/emulator/device/argv.js';
import type { CommandContext, CommandDone, CommandOutcome } from '../../src-main/emulator/device/command.js';
import { dmesg } from '../../src-main/emulator/device/dmesg.js';
import { Journal } from '../../src-main/emulator/device/journal.js';
import { journalctl } from '../../src-main/emulator/device/journalctl.js';
import { KernelModel } from '../../src-main/emulator/device/kernel/index.js';
import { systemctl } from '../../src-main/emulator/device/systemctl.js';
import { parseSince } from '../../src-main/emulator/device/time-format.js';
import { uname } from '../../src-main/emulator/device/uname.js';
import { ServiceManager } from '../../src-main/emulator/device/units.js';

function context(uid = 1000): CommandContext {
  const kernel = new KernelModel({
    now: Date.now,
    killPid: () => undefined,
    isAlive: () => false,
    schedule: () => undefined,
  });
  const journal = new Journal({ hostname: 'r58', bootTimeMs: kernel.bootTimeMs });
  const units = new ServiceManager(journal);
  units.add({
    name: 'preke-recorder',
    description: 'Preke R58 recorder',
    exec: ['/bin/true'],
    env: {},
    cwd: '/',
    identifier: 'python3',
    killMode: 'control-group',
    restart: 'on-failure',
    restartDelayMs: 2000,
    stopTimeoutMs: 10_000,
    fragmentPath: '/etc/systemd/system/preke-recorder.service',
  });
  journal.append({
    identifier: 'python3',
    pid: 42,
    priority: 6,
    message: 'INFO: cam0 streaming',
    transport: 'stdout',
    unit: 'preke-recorder.service',
  });
  journal.append({
    identifier: 'kernel',
    priority: 0,
    message: 'Internal error: Oops: 0000000096000005 [#1] SMP',
    transport: 'kernel',
  });
  return { uid, units, journal, kernel, hostname: 'r58', bootTimeMs: kernel.bootTimeMs };
}

function done(outcome: CommandOutcome | Promise<CommandOutcome>): Promise<CommandDone> {
  return Promise.resolve(outcome).then((o) => {
    if (o.kind !== 'done') throw new Error('expected a finished command, got a stream');
    return o;
  });
}

describe('argv scanning', () => {
  const specs = [
    { long: 'unit', short: 'u', arg: 'required' as const },
    { long: 'follow', short: 'f', arg: 'none' as const },
  ];
  it('takes long, attached, separate and clustered forms', () => {
    expect(scanArgs('x', ['-fu', 'a', '--unit=b', '--unit', 'c', '-ud', 'pos', '--', '-f'], specs)).toEqual({
      options: [
        { name: 'follow' },
        { name: 'unit', value: 'a' },
        { name: 'unit', value: 'b' },
        { name: 'unit', value: 'c' },
        { name: 'unit', value: 'd' },
      ],
      positionals: ['pos', '-f'],
    });
  });
  it('says what getopt says about unknown options and missing values', () => {
    expect(() => scanArgs('x', ['--nope'], specs)).toThrow("x: unrecognized option '--nope'");
    expect(() => scanArgs('x', ['-z'], specs)).toThrow("x: invalid option -- 'z'");
    expect(() => scanArgs('x', ['-u'], specs)).toThrow("x: option requires an argument -- 'u'");
  });
});

describe('systemctl', () => {
  it('show prints Key=Value for the asked properties, in systemd order', async () => {
    const r = await done(
      systemctl(context(), ['show', '-p', 'ActiveState,SubState,MainPID,NRestarts', 'preke-recorder']),
    );
    expect(r).toMatchObject({
      code: 0,
      stdout: 'MainPID=0\nNRestarts=0\nActiveState=inactive\nSubState=dead\n',
    });
    const value = await done(systemctl(context(), ['show', '--value', '-p', 'LoadState', 'r58-pipeline']));
    expect(value.stdout).toBe('not-found\n');
  });
  it('is-active exits 3 for inactive or unknown units, status 3 and 4', async () => {
    expect(await done(systemctl(context(), ['is-active', 'preke-recorder']))).toMatchObject({
      code: 3,
      stdout: 'inactive\n',
    });
    expect(await done(systemctl(context(), ['is-active', '-q', 'nope']))).toMatchObject({
      code: 3,
      stdout: '',
    });
    const status = await done(systemctl(context(), ['status', 'preke-recorder.service']));
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/^○ preke-recorder\.service - Preke R58 recorder\n {5}Loaded: loaded/);
    expect(status.stdout).toMatch(/python3\[42\]: INFO: cam0 streaming/);
    expect(await done(systemctl(context(), ['status', 'nope']))).toMatchObject({
      code: 4,
      stderr: 'Unit nope.service could not be found.\n',
    });
  });
  it('needs root to start or stop, and names unknown units and verbs', async () => {
    const denied = await done(systemctl(context(1000), ['restart', 'preke-recorder']));
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^Failed to restart preke-recorder\.service: Interactive authentication required\./,
    );
    expect(await done(systemctl(context(0), ['start', 'nope']))).toMatchObject({
      code: 5,
      stderr: 'Failed to start nope.service: Unit nope.service not found.\n',
    });
    expect(await done(systemctl(context(0), ['frobnicate']))).toMatchObject({
      code: 1,
      stderr: "Unknown command verb 'frobnicate'.\n",
    });
  });
});

describe('journalctl', () => {
  it('prints a unit in short and json, and -- No entries -- for nothing', async () => {
    const short = await done(journalctl(context(), ['-u', 'preke-recorder', '--no-pager']));
    expect(short.stdout).toMatch(/^\w{3} \d{2} \d{2}:\d{2}:\d{2} r58 python3\[42\]: INFO: cam0 streaming\n$/);
    const json = await done(journalctl(context(), ['-u', 'preke-recorder.service', '-o', 'json', '-n', '1']));
    expect(JSON.parse(json.stdout)).toMatchObject({
      _SYSTEMD_UNIT: 'preke-recorder.service',
      _PID: '42',
      MESSAGE: 'INFO: cam0 streaming',
      PRIORITY: '6',
    });
    expect((await done(journalctl(context(), ['-u', 'nope']))).stdout).toBe('-- No entries --\n');
    expect((await done(journalctl(context(), ['-u', 'nope', '-o', 'json']))).stdout).toBe('');
  });
  it('-k shows the kernel, -p filters, and bad values fail like journalctl', async () => {
    const k = await done(journalctl(context(), ['-k', '-p', 'err']));
    expect(k.stdout).toMatch(/ r58 kernel: Internal error: Oops/);
    expect(await done(journalctl(context(), ['-o', 'nope']))).toMatchObject({
      code: 1,
      stderr: "Unknown output format 'nope'.\n",
    });
    expect(await done(journalctl(context(), ['--since', 'someday']))).toMatchObject({
      code: 1,
      stderr: 'Failed to parse timestamp: someday\n',
    });
    expect(await done(journalctl(context(), ['-f', '-r']))).toMatchObject({ code: 1 });
  });
  it('--after-cursor resumes right after an entry, --cursor at it, and a foreign cursor fails', async () => {
    const ctx = context();
    ctx.journal.append({ identifier: 'kernel', priority: 6, message: 'after one', transport: 'kernel' });
    ctx.journal.append({ identifier: 'kernel', priority: 6, message: 'after two', transport: 'kernel' });
    const all = (await done(journalctl(ctx, ['-k', '-o', 'json', '-n', 'all']))).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    const oops = all.find((e) => e['MESSAGE']?.startsWith('Internal error'));
    const cursor = oops?.['__CURSOR'] ?? '';
    const after = await done(journalctl(ctx, ['-k', '-o', 'cat', `--after-cursor=${cursor}`]));
    expect(after.stdout).toBe('after one\nafter two\n');
    const at = await done(journalctl(ctx, ['-k', '-o', 'cat', '--cursor', cursor]));
    expect(at.stdout.split('\n')[0]).toMatch(/^Internal error: Oops/);
    expect(await done(journalctl(ctx, ['-k', '--after-cursor=s=nope;i=1']))).toMatchObject({
      code: 1,
      stderr: 'Failed to seek to cursor: Invalid argument\n',
    });
    // Following from a cursor shows everything after it, not just the last ten.
    const outcome = journalctl(ctx, ['-k', '-f', '-o', 'cat', `--after-cursor=${cursor}`]);
    if (outcome.kind !== 'stream') throw new Error('expected a stream');
    const seen: string[] = [];
    outcome.follow((t) => seen.push(t))();
    expect(seen.join('')).toBe('after one\nafter two\n');
  });
  it('-f streams the backlog, then new entries that match', () => {
    const ctx = context();
    const outcome = journalctl(ctx, ['-u', 'preke-recorder', '-f', '-o', 'cat']);
    expect(outcome.kind).toBe('stream');
    if (outcome.kind !== 'stream') return;
    const seen: string[] = [];
    const stop = outcome.follow((t) => seen.push(t));
    ctx.journal.append({
      identifier: 'python3',
      pid: 42,
      priority: 6,
      message: 'later',
      transport: 'stdout',
      unit: 'preke-recorder.service',
    });
    ctx.journal.append({
      identifier: 'mediamtx',
      pid: 7,
      priority: 6,
      message: 'other unit',
      transport: 'stdout',
      unit: 'mediamtx.service',
    });
    stop();
    ctx.journal.append({
      identifier: 'python3',
      pid: 42,
      priority: 6,
      message: 'after stop',
      transport: 'stdout',
      unit: 'preke-recorder.service',
    });
    expect(seen).toEqual(['INFO: cam0 streaming\n', 'later\n']);
  });
});

describe('dmesg and uname', () => {
  it('dmesg refuses non-root like kernel.dmesg_restrict=1, and prints the ring for root', async () => {
    expect(await done(dmesg(context(1000), []))).toEqual({
      kind: 'done',
      code: 1,
      stdout: '',
      stderr: 'dmesg: read kernel buffer failed: Operation not permitted\n',
    });
    const root = await done(dmesg(context(0), []));
    expect(root.stdout.split('\n')[0]).toMatch(/^\[ {4}0\.000000\] Booting Linux on physical CPU/);
    const ctime = await done(dmesg(context(0), ['-T']));
    expect(ctime.stdout.split('\n')[0]).toMatch(
      /^\[\w{3} \w{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}\] Booting Linux/,
    );
    expect(await done(dmesg(context(0), ['-l', 'nope']))).toMatchObject({
      code: 1,
      stderr: "dmesg: unknown level 'nope'\n",
    });
    expect(dmesg(context(0), ['-w']).kind).toBe('stream');
    expect(dmesg(context(1000), ['-w']).kind).toBe('done');
  });
  it('uname reports the board', async () => {
    expect((await done(uname(context(), ['-a']))).stdout).toBe(
      'Linux r58 5.10.160-rockchip-rk3588 #1 SMP Tue Nov 18 10:12:44 CET 2025 aarch64 GNU/Linux\n',
    );
    expect((await done(uname(context(), ['-rm']))).stdout).toBe('5.10.160-rockchip-rk3588 aarch64\n');
    expect((await done(uname(context(), []))).stdout).toBe('Linux\n');
  });
});

describe('--since', () => {
  const now = new Date(2026, 10, 21, 12, 0, 0).getTime();
  it('understands the forms journalctl does', () => {
    expect(parseSince('5 min ago', now)).toBe(now - 300_000);
    expect(parseSince('-1h', now)).toBe(now - 3_600_000);
    expect(parseSince('2026-11-21 11:30:00', now)).toBe(new Date(2026, 10, 21, 11, 30).getTime());
    expect(parseSince('11:30', now)).toBe(new Date(2026, 10, 21, 11, 30).getTime());
    expect(parseSince('today', now)).toBe(new Date(2026, 10, 21).getTime());
    expect(parseSince('@1700000000', now)).toBe(1_700_000_000_000);
    expect(parseSince('5 parsecs ago', now)).toBeUndefined();
  });
});

/**
 * The scriptable commands as a script runs them: `node bin/tally.mjs …` child processes sharing one data dir with
 * the emulated R58 added (as the app would have it), checked by exit code and output, and on the device.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEVICE, seedDemoDevice } from '../../src-main/demo.js';
import { emulatorAvailable, repoRoot, startEmulator, type Emulator } from '../../src-main/emulator/index.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const PLANS = path.join(repoRoot(), 'resources', 'plans');

describe.skipIf(!ok)(`tally CLI against the emulated R58${why}`, () => {
  let emu: Emulator;
  let dataDir: string;

  const tally = (...args: string[]) =>
    execa('node', [path.join(repoRoot(), 'bin', 'tally.mjs'), ...args, '--data-dir', dataDir], {
      reject: false,
      env: { TALLY_APPLY_WATCH_MS: '3000' },
      timeout: 120_000,
    });
  const deviceGit = async (...args: string[]) => {
    const r = await execa(
      'ssh',
      [
        '-q',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-i',
        emu.ready.ssh.identityFile,
        '-p',
        String(emu.ready.ssh.port),
        `${emu.ready.ssh.user}@${emu.ready.ssh.host}`,
        'git',
        '-C',
        '/opt/preke-r58-recorder',
        ...args,
      ],
      { reject: false },
    );
    return r.stdout.trim();
  };

  /** `action result` of every audit line so far, oldest first. */
  const audited = async (action: string): Promise<string[]> =>
    (await fs.readFile(path.join(dataDir, 'audit.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { action: string; result: string })
      .filter((e) => e.action === action)
      .map((e) => `${e.action} ${e.result}`);

  beforeAll(async () => {
    emu = await startEmulator({ cameras: 4 });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-cli-'));
    await seedDemoDevice(dataDir, emu);
  });
  afterAll(async () => {
    await emu?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('devices lists name, host and state', async () => {
    const r = await tally('devices');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+HOST\s+STATE$/m);
    expect(r.stdout).toMatch(
      new RegExp(`^${DEMO_DEVICE}\\s+linaro@127\\.0\\.0\\.1:${emu.ready.ssh.port}\\s+connected$`, 'm'),
    );
  });

  it('presets names h264-hw, h265-hw and h264-sw with their VPU cost and WHEP support', async () => {
    const r = await tally('presets');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^h264-hw\s+mpph264enc\s+1\s+yes/m);
    expect(r.stdout).toMatch(/^h265-hw\s+mpph265enc\s+1\s+no/m);
    expect(r.stdout).toMatch(/^h264-sw\s+x264enc\s+0\s+yes/m);
  });

  it('budget exits 2 for seed 002’s 12-session plan, 1 for its 8-session plan, 0 for the running 4', async () => {
    const unsafe = await tally('budget', DEMO_DEVICE, '--plan', path.join(PLANS, 'seed002-unsafe-12.yaml'));
    expect(unsafe.exitCode).toBe(2);
    expect(unsafe.stdout).toMatch(/VPU sessions: 12 \(safe 6, practical 8\)/);
    const safe = await tally('budget', DEMO_DEVICE, '--plan', path.join(PLANS, 'seed002-safe-8.yaml'));
    expect(safe.exitCode).toBe(1);
    expect(safe.stdout).toMatch(/VPU sessions: 8 /);
    const current = await tally('budget', DEMO_DEVICE);
    expect(current.exitCode).toBe(0);
    expect(current.stdout).toMatch(/VPU sessions: 4 /);
  });

  it('a bad plan file is a clear usage error', async () => {
    const bad = path.join(dataDir, 'bad-plan.yaml');
    await fs.writeFile(bad, 'cameras: [{ name: "cam0; reboot" }]\n');
    const r = await tally('budget', DEMO_DEVICE, '--plan', bad);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/not valid at cameras\.0\./);
  });

  it('apply-preset refuses the seeds’ panic config without --override-danger and changes nothing', async () => {
    const head = await deviceGit('rev-parse', 'HEAD');
    const r = await tally(
      'apply-preset',
      DEMO_DEVICE,
      'h264-hw',
      '--encoder',
      'mpph264enc bps=8000000 bps-max=16000000',
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Not applied, nothing changed/);
    expect(r.stderr).toMatch(/DANGER/);
    expect(await deviceGit('rev-parse', 'HEAD')).toBe(head);
    expect(await deviceGit('status', '--porcelain')).toBe('');
  });

  it('apply-preset refuses shell text in the encoder before anything reaches the device', async () => {
    const r = await tally('apply-preset', DEMO_DEVICE, 'h264-hw', '--encoder', 'mpph264enc bps=1;reboot');
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/bps/);
  });

  it('apply-preset switches every camera, commits on the device and exits 0 (watch shortened to 3 s for the test)', async () => {
    const before = await deviceGit('rev-parse', 'HEAD');
    const r = await tally('apply-preset', DEMO_DEVICE, 'h264-hw', '--bitrate', '6000');
    expect(r.stderr + r.stdout).toMatch(/bps: 6000000|bps=6000000/);
    expect(r.exitCode).toBe(0);
    // It said whose pictures the recorder's restart would cut.
    expect(r.stderr).toMatch(
      /^Applying restarts the recorder on \S+: the live feeds of cam\d(, cam\d)* drop/m,
    );
    const after = await deviceGit('rev-parse', 'HEAD');
    expect(after).not.toBe(before);
    expect(await deviceGit('log', '-1', '--format=%s')).toMatch(/h264-hw/);
    // How it ended is in the audit log once the command has returned, not only that it started.
    expect(await audited('config.apply')).toEqual(['config.apply started', 'config.apply ok']);
  });

  it('apply-preset with the panic config overridden exits 5: the device caught the Oops and went back by itself', async () => {
    const before = await deviceGit('rev-parse', 'HEAD');
    const r = await tally(
      'apply-preset',
      DEMO_DEVICE,
      'h264-hw',
      '--encoder',
      'mpph264enc bps=8000000 bps-max=16000000',
      '--override-danger',
    );
    expect(r.exitCode, r.stderr).toBe(5);
    expect(r.stdout).toMatch(/^The change was unhealthy \(new kernel fault: .*Oops/m);
    expect(r.stderr).toMatch(/went back to [0-9a-f]{10} by itself and is healthy again/);
    expect(await deviceGit('rev-parse', 'HEAD')).toBe(before);
    expect(await deviceGit('status', '--porcelain')).toBe('');
    expect((await audited('config.apply')).slice(-2)).toEqual(['config.apply started', 'config.apply error']);
  });

  it('recorder restart exits 0 with the unit active, and its outcome is in the audit log', async () => {
    const r = await tally('recorder', DEMO_DEVICE, 'restart');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^preke-recorder(\.service)?: active/m);
    expect(await audited('recorder.restart')).toEqual(['recorder.restart ok']);
  });

  it('recorder status says active, and stop asks for --yes only while recording', async () => {
    const status = await tally('recorder', DEMO_DEVICE, 'status');
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/^preke-recorder(\.service)?: active/m);
    const unknown = await tally('recorder', DEMO_DEVICE, 'reboot');
    expect(unknown.exitCode).toBe(64);
  });

  it('reset-vpu without --yes and without a terminal does nothing and says how; with --yes it resets and exits 0', async () => {
    const asked = await tally('reset-vpu', DEMO_DEVICE);
    expect(asked.exitCode).toBe(4);
    expect(asked.stderr).toMatch(/Emergency VPU reset on demo-r58/);
    expect(asked.stderr).toMatch(/pass --yes/);

    const r = await tally('reset-vpu', DEMO_DEVICE, '--yes');
    expect(r.stderr).toMatch(/\[2\/4\] Wait for the VPU sessions to close/);
    expect(r.stdout).toMatch(/^VPU reset vpu-reset-\S+ on demo-r58: healthy/m);
    expect(r.stdout).toMatch(/^ {2}cam3: online/m);
    expect(r.exitCode).toBe(0);
    expect(await audited('vpu.reset')).toEqual(['vpu.reset started', 'vpu.reset ok']);
  }, 120_000);

  it('reset-vpu for an unknown device exits 64 and lists the known ones', async () => {
    const r = await tally('reset-vpu', '$(reboot)', '--yes');
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/No device named "\$\(reboot\)"\. Known: demo-r58/);
  });
  it('rollback: --last-good with nothing qualified is refused (2), no target is bad input (64), --to SHA rolls back and exits 0', async () => {
    const none = await tally('rollback', DEMO_DEVICE, '--last-good', '--yes');
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/No earlier commit has passed qualification on demo-r58 yet/);
    expect((await tally('rollback', DEMO_DEVICE, '--yes')).exitCode).toBe(64);
    expect((await tally('rollback', DEMO_DEVICE, '--to', 'HEAD~1', '--yes')).exitCode).toBe(64);

    const before = await deviceGit('rev-parse', 'HEAD');
    const target = await deviceGit('log', '--format=%H', '-n', '1', '--grep=^Roll');
    const r = await tally('rollback', DEMO_DEVICE, '--to', target, '--probation', '10', '--yes');
    expect(r.stderr).toMatch(
      /^Roll back demo-r58 from [0-9a-f]{7} .* to [0-9a-f]{7} \(Roll back to x264enc after kernel panic\)\./m,
    );
    expect(r.stdout).toMatch(
      /^Rollback rollback-\S+ on demo-r58: healthy — Rolled back to [0-9a-f]{7} as [0-9a-f]{7}: healthy for 10 s\./m,
    );
    expect(r.exitCode).toBe(0);
    expect(await deviceGit('rev-parse', 'HEAD^')).toBe(before);
    expect(await audited('rollback')).toEqual(['rollback started', 'rollback ok']);
  }, 120_000);
});

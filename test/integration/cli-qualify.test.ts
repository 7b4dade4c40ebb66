/**
 * `tally qualify` as a script runs it: `node bin/tally.mjs qualify …` against the emulated R58 with two cameras,
 * the tests shortened through TALLY_QUALIFY_DURATIONS_S / TALLY_QUALIFY_FRAME; checked by exit code and output.
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

describe.skipIf(!ok)(`tally qualify against the emulated R58${why}`, () => {
  let emu: Emulator;
  let dataDir: string;

  const tally = (...args: string[]) =>
    execa('node', [path.join(repoRoot(), 'bin', 'tally.mjs'), ...args, '--data-dir', dataDir], {
      reject: false,
      env: { TALLY_QUALIFY_DURATIONS_S: '2,3,2', TALLY_QUALIFY_FRAME: '640x360@30' },
      timeout: 120_000,
    });

  beforeAll(async () => {
    emu = await startEmulator({ cameras: 2 });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-cli-qualify-'));
    await seedDemoDevice(dataDir, emu);
  });
  afterAll(async () => {
    await emu?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('exits 64 for bad input and 4 without --yes, touching nothing', async () => {
    const both = await tally('qualify', DEMO_DEVICE, '--preset', 'h264-hw', '--commit', 'abcdef1', '--yes');
    expect(both.exitCode).toBe(64);
    expect(both.stderr).toMatch(/--preset or --commit, not both/);
    expect((await tally('qualify', DEMO_DEVICE, '--commit', 'HEAD~1', '--yes')).exitCode).toBe(64);
    expect((await tally('qualify', DEMO_DEVICE, '--preset', 'h264-xx', '--yes')).exitCode).toBe(64);
    const unconfirmed = await tally('qualify', DEMO_DEVICE, '--quick');
    expect(unconfirmed.exitCode).toBe(4);
    expect(unconfirmed.stderr).toMatch(/^Qualify HEAD [0-9a-f]{7} .* on demo-r58: mpph264enc /m);
  });

  it('qualifies the current config (quick): plan on stderr, report on stdout, exit 0; the panic commit exits 1', async () => {
    const r = await tally('qualify', DEMO_DEVICE, '--quick', '--yes');
    expect(r.exitCode, `${r.stderr}\n${r.stdout}`).toBe(0);
    expect(r.stderr).toMatch(/^Variant quick, 7 s in all: /m);
    expect(r.stderr).toMatch(/preke-recorder is stopped for the tests and started again afterwards/);
    expect(r.stdout).toMatch(/^Qualification qualify-\S+ on demo-r58: passed — Passed all three tests\.$/m);
    expect(r.stdout).toMatch(/^ {2}Test 3: RTSP push to MediaMTX \(2 s\): passed$/m);
    expect(r.stdout).toMatch(/Kept as a git note under refs\/notes\/tally-qualify/);

    const history = await tally('history', DEMO_DEVICE, '--json');
    const commits = (JSON.parse(history.stdout) as { commits: { sha: string; subject: string }[] }).commits;
    const panic = commits.find((c) =>
      c.subject.startsWith('Switch to mpph264enc hardware encoder to cut CPU'),
    );
    expect(panic).toBeDefined();
    const failed = await tally(
      'qualify',
      DEMO_DEVICE,
      '--commit',
      panic!.sha.slice(0, 7),
      '--quick',
      '--yes',
    );
    expect(failed.exitCode, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/^Warning: mpph264enc with bps-max/m);
    expect(failed.stdout).toMatch(
      /Test 1: encode to a file \(2 s\): failed — kernel fault: .*Internal error: Oops/,
    );
  });
});

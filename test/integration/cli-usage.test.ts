/**
 * Bad input on the command line, as a script sees it: `node bin/tally.mjs …` exits 64 (EX_USAGE, as the README
 * documents) with a message naming what was wrong, before anything is started or touched. No device needed.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-cli-usage-'));
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** `DATA` in the arguments stands for this test's data directory. */
const tally = (...args: string[]) =>
  execa('node', [path.join(ROOT, 'bin', 'tally.mjs'), ...args.map((a) => (a === 'DATA' ? dataDir : a))], {
    reject: false,
    timeout: 60_000,
    env: { HOME: dataDir },
  });

describe('tally with bad input', () => {
  it.each([
    [
      'a bitrate with shell text',
      ['apply-preset', 'r58', 'h264-hw', '--bitrate', '5000;x'],
      /--bitrate.*5000;x/,
    ],
    ['a bitrate out of range', ['apply-preset', 'r58', 'h264-hw', '--bitrate', '50'], /100 to 100000/],
    ['a bitrate in hex', ['apply-preset', 'r58', 'h264-hw', '--bitrate', '0x1f40'], /whole number/],
    ['a timeout that is not a number', ['recorder', 'r58', 'status', '--timeout', 'soon'], /--timeout/],
    ['a timeout of zero', ['devices', '--timeout', '0'], /seconds/],
    ['a port out of range', ['web', '--port', '70000'], /0 to 65535/],
    ['a port with a suffix', ['demo', '--port', '7420x'], /--port/],
    ['too many cameras', ['emulator', '--cameras', '9'], /1 to 8/],
    ['a fractional camera count', ['emulator', '--cameras', '2.5'], /1 to 8/],
    ['zero VPU sessions', ['emulator', '--vpu-max-sessions', '0'], /1 to 64/],
    ['a single box with no camera', ['emulator', '--cameras', '0'], /1 to 8 cameras/],
    ['a malformed sshd MaxStartups', ['emulator', '--sshd-max-startups', '10:30'], /start:rate:full/],
    ['a fleet of none', ['emulator', '--fleet', '0'], /1 to 64/],
    ['a fleet too big for the demo', ['demo', '--fleet', '65'], /1 to 64/],
    ['fleet boxes with two cameras', ['emulator', '--fleet', '4', '--cameras', '2'], /--cameras 0 .* or 1/],
    [
      'a fleet with H.265 cameras',
      ['emulator', '--fleet', '4', '--h265', 'cam0'],
      /cannot be used with --fleet/,
    ],
    [
      'an H.265 camera the device does not have',
      ['emulator', '--cameras', '2', '--h265', 'cam5'],
      /cam5.*cam0, cam1/,
    ],
    ['a missing argument', ['apply-preset', 'r58'], /missing required argument/],
    ['an unknown option', ['apply-preset', 'r58', 'h264-hw', '--bitrat', '5000'], /unknown option/],
    ['an unknown command', ['aply-preset', 'r58', 'h264-hw'], /unknown command/],
    ['an unknown recorder action', ['recorder', 'r58', 'reboot', '--data-dir', 'DATA'], /Unknown action/],
  ])('exits 64 for %s, and says what was wrong', async (_what, args, message) => {
    const r = await tally(...args);
    expect(r.stderr).toMatch(message);
    expect(r.exitCode).toBe(64);
    expect(r.stdout).toBe('');
  });

  it('still exits 0 for --help and --version', async () => {
    const [help, version] = await Promise.all([tally('apply-preset', '--help'), tally('--version')]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/--bitrate <kbps>/);
    expect(version.exitCode).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

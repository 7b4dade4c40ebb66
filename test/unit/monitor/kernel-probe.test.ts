/**
 * How the kernel follower picks its source, with the real probe and follow commands run by `sh` against stand-ins
 * for journalctl, sudo and dmesg on PATH (a login outside `adm`, passwordless sudo or not, an empty kernel ring).
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShellCommand } from '../../../src-main/core/device/quote.js';
import {
  decideKernelSource,
  KernelFollower,
  type KernelSource,
  type KernelExec,
} from '../../../src-main/core/monitor/kernel-follower.js';
import type { RawKernelLine } from '../../../src-main/core/monitor/kernel-parse.js';
import type { ExecOptions, ExecResult } from '../../../src-main/core/ssh/types.js';

interface Box {
  dir: string;
  ring: string;
  /** Runs a device command as the remote login would: `sh -c` with the stand-ins first on PATH. */
  exec: KernelExec['exec'];
}

/** A tiny device: journalctl shows this login nothing, dmesg is root-only, sudo is passwordless or not. */
async function makeBox(sudo: 'passwordless' | 'password' | 'missing'): Promise<Box> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-kprobe-'));
  const bin = path.join(dir, 'bin');
  const ring = path.join(dir, 'ring');
  await fs.mkdir(bin);
  await fs.writeFile(ring, '');
  const script = async (name: string, body: string): Promise<void> => {
    await fs.writeFile(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  };
  // Not in adm: the journal shows this login nothing from the kernel, and says so on stderr like the real one.
  await script(
    'journalctl',
    'echo "Hint: You are currently not seeing messages from other users and the system." >&2; exit 0',
  );
  await script(
    'dmesg',
    [
      'if [ "$FAKE_ROOT" != 1 ]; then echo "dmesg: read kernel buffer failed: Operation not permitted" >&2; exit 1; fi',
      'for a in "$@"; do [ "$a" = -w ] && exec tail -n +1 -f "$RING"; done',
      'cat "$RING"',
    ].join('\n'),
  );
  if (sudo === 'passwordless') await script('sudo', '[ "$1" = -n ] && shift; FAKE_ROOT=1 exec "$@"');
  if (sudo === 'password') await script('sudo', 'echo "sudo: a password is required" >&2; exit 1');
  // Only the stand-ins and the few tools the commands pipe through: this machine's own sudo and dmesg stay out.
  for (const tool of ['grep', 'head', 'tail', 'cat']) {
    const found = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => existsSync(p));
    if (!found) throw new Error(`${tool} is not installed`);
    await fs.symlink(found, path.join(bin, tool));
  }
  const env = { ...process.env, PATH: bin, RING: ring, FAKE_ROOT: '0' };
  const exec = (_deviceId: string, cmd: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn('/bin/sh', ['-c', cmd.text], {
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        opts.onStdout?.(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      let closed = false;
      const kill = (): void => {
        if (!closed && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      };
      opts.signal?.addEventListener('abort', kill, { once: true });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        closed = true;
        opts.signal?.removeEventListener('abort', kill);
        resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
      });
    });
  return { dir, ring, exec };
}

interface Recorded {
  lines: RawKernelLine[];
  following: KernelSource[];
  unavailable: string[];
  ended: string[];
}

function follow(box: Box): { follower: KernelFollower; seen: Recorded } {
  const seen: Recorded = { lines: [], following: [], unavailable: [], ended: [] };
  const follower = new KernelFollower(
    'dev-1',
    () => 'studio-r58',
    { exec: box.exec },
    {
      lines: (l) => seen.lines.push(...l),
      following: (s) => seen.following.push(s),
      unavailable: (d) => seen.unavailable.push(d),
      ended: (d) => seen.ended.push(d),
    },
    2000,
  );
  return { follower, seen };
}

async function waitFor<T>(what: string, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the kernel-log probe on a box whose kernel ring is empty', () => {
  let box: Box | undefined;
  let stop: (() => void) | undefined;
  beforeEach(() => {
    box = undefined;
    stop = undefined;
  });
  afterEach(async () => {
    stop?.();
    if (box) await fs.rm(box.dir, { recursive: true, force: true });
  });

  it('follows sudo dmesg when sudo is passwordless, and shows an Oops printed later', async () => {
    box = await makeBox('passwordless');
    const { follower, seen } = follow(box);
    stop = () => follower.stop();
    follower.start();
    await waitFor('the follower to start', () => seen.following[0] ?? seen.unavailable[0]);
    expect(seen.unavailable).toEqual([]);
    expect(seen.following).toEqual(['sudo-dmesg']);
    await fs.appendFile(
      box.ring,
      '<0>[ 4231.118501] Internal error: Oops: 96000005 [#1] SMP\n<4>[ 4231.118600] Call trace:\n',
    );
    const oops = await waitFor('the Oops line', () => seen.lines.find((l) => l.text.includes('Oops')));
    expect(oops.priority).toBe(0);
    expect(seen.lines.map((l) => l.text)).toEqual(['Internal error: Oops: 96000005 [#1] SMP', 'Call trace:']);
  });

  it('says that sudo asked for a password, and what dmesg itself said, when nothing is readable', async () => {
    box = await makeBox('password');
    const { follower, seen } = follow(box);
    stop = () => follower.stop();
    follower.start();
    const detail = await waitFor('the verdict', () => seen.unavailable[0] ?? seen.following[0]);
    expect(seen.following).toEqual([]);
    expect(detail).toContain('studio-r58');
    expect(detail).toContain('sudo: a password is required');
    expect(detail).toContain('dmesg: read kernel buffer failed: Operation not permitted');
  });

  it('does not blame a password when sudo is not installed', async () => {
    box = await makeBox('missing');
    const { follower, seen } = follow(box);
    stop = () => follower.stop();
    follower.start();
    const detail = await waitFor('the verdict', () => seen.unavailable[0] ?? seen.following[0]);
    expect(detail).not.toMatch(/password/);
    expect(detail).toMatch(/sudo -n dmesg failed \(exit 127\)/);
  });
});

describe('decideKernelSource (the probe answer → a source, or what failed)', () => {
  it('takes the first readable source, even when it printed nothing', () => {
    expect(decideKernelSource('journal\n', 'b')).toEqual({ source: 'journal' });
    expect(decideKernelSource('sudo-dmesg\n', 'b')).toEqual({ source: 'sudo-dmesg' });
    expect(decideKernelSource('failed sudo-dmesg 1 sudo: a password is required\ndmesg\n', 'b')).toEqual({
      source: 'dmesg',
    });
  });

  it('names each failure with its exit status and message', () => {
    const verdict = decideKernelSource(
      'failed sudo-dmesg 1 sudo: a password is required\nfailed dmesg 1 dmesg: read kernel buffer failed: Operation not permitted\nnone\n',
      'studio-r58',
    );
    expect('unavailable' in verdict && verdict.unavailable).toBe(
      'Tally cannot read the kernel log on studio-r58: journalctl -k shows no kernel lines to this login (add ' +
        'the user to the adm or systemd-journal group); sudo -n dmesg failed (exit 1): sudo: a password is ' +
        'required (allow this login passwordless sudo for dmesg, as on the R58 image); dmesg failed (exit 1): ' +
        'dmesg: read kernel buffer failed: Operation not permitted (the kernel restricts its log to root).',
    );
  });

  it('says when the probe itself answered nothing it understands', () => {
    const verdict = decideKernelSource('', 'studio-r58');
    expect('unavailable' in verdict && verdict.unavailable).toMatch(
      /^Tally cannot read the kernel log on studio-r58: the probe gave no answer/,
    );
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../../src-main/contract/index.js';
import { argv, sh } from '../../src-main/core/device/quote.js';
import { RemoteJobs } from '../../src-main/core/device/remote-jobs.js';
import {
  connectAndWait,
  connectedConsole,
  endpointFor,
  identity,
  type SshConsole,
} from '../fixtures/ssh-console.js';
import { startSshd, type SshdHandle } from '../fixtures/sshd.js';

const run = promisify(execFile);

let server: SshdHandle;
let con: SshConsole;
let id: string;

beforeAll(async () => {
  // A non-root login, as on a real device: OpenSSH ignores channel signals for root sessions.
  server = await startSshd({ user: 'linaro' });
  ({ con, id } = await connectedConsole(server));
});
afterAll(async () => {
  await con?.close();
  await server?.stop();
});

/** A unique `sleep` argument: pgrep can find exactly the process a test started. */
function marker(): string {
  return `29${Math.floor(Math.random() * 9)}.${process.pid}${randomBytes(2).readUInt16BE()}`;
}

/** The promise's outcome, or a rejection if it has not settled in `ms` (so a hang fails fast and clearly). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms),
    ),
  ]);
}

async function running(pattern: string): Promise<boolean> {
  const r = await run('pgrep', ['-f', pattern]).catch(() => ({ stdout: '' }));
  return r.stdout.trim() !== '';
}

async function gone(pattern: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await running(pattern))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('exec', () => {
  it('returns exit code, stdout and stderr separately', async () => {
    const r = await con.manager.exec(id, sh`echo out; echo err >&2; exit 3`);
    expect(r).toMatchObject({ code: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
    expect(r.durationMs).toBeGreaterThan(0);
    expect((await con.manager.exec(id, sh`true`)).code).toBe(0);
  });

  it('passes stdin and keeps binary-safe utf-8', async () => {
    const text = 'ünïcödé 🎥\nline two\n';
    const r = await con.manager.exec(id, argv('cat'), { stdin: text });
    expect(r.stdout).toBe(text);
  });

  it('streams output in chunks before the command ends', async () => {
    const chunks: { at: number; text: string }[] = [];
    const r = await con.manager.exec(id, sh`for i in 1 2 3 4 5 6; do echo line $i; sleep 0.3; done`, {
      onStdout: (chunk) => chunks.push({ at: Date.now(), text: chunk.toString() }),
    });
    const ended = Date.now();
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((c) => c.text).join('')).toBe(r.stdout);
    // The first line arrived while five more sleeps were still to come.
    expect(ended - (chunks[0]?.at ?? ended)).toBeGreaterThan(600);
  });

  it('caps the buffered result but streams everything', async () => {
    let streamed = 0;
    const r = await con.manager.exec(id, sh`head -c 100000 /dev/zero`, {
      maxBufferBytes: 1000,
      onStdout: (c) => (streamed += c.length),
    });
    expect(r.stdout.length).toBe(1000);
    expect(streamed).toBe(100_000);
  });

  it('kills the remote command on timeout', async () => {
    const m = marker();
    const started = Date.now();
    const err = await within(
      con.manager.exec(id, sh`sleep ${m}`, { timeoutMs: 500 }),
      15_000,
      'exec with timeout',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).message).toMatch(/Timed out after 500 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await gone(`sleep ${m}`)).toBe(true);
  });

  it('kills a compound remote command (shell with children) on timeout', async () => {
    const m = marker();
    const err = await within(
      con.manager.exec(id, sh`sleep ${m}; echo never`, { timeoutMs: 500 }),
      15_000,
      'exec',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(await gone(`sleep ${m}`)).toBe(true);
  });

  it('cancels with an AbortSignal and kills the command', async () => {
    const m = marker();
    const abort = new AbortController();
    const pending = con.manager.exec(id, sh`sleep ${m}`, { signal: abort.signal });
    // Let it start on the device first.
    const deadline = Date.now() + 10_000;
    while (!(await running(`sleep ${m}`)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    const err = await within(pending, 15_000, 'aborted exec').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).code).toBe('refused');
    expect(await gone(`sleep ${m}`)).toBe(true);
  });

  it('refuses at once with an already aborted signal', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(con.manager.exec(id, sh`true`, { signal: abort.signal })).rejects.toMatchObject({
      code: 'refused',
    });
  });

  it('runs many commands concurrently on one connection', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => con.manager.exec(id, sh`echo ${i}`)),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 30 }, (_, i) => `${i}\n`));
  });

  it('refuses exec on an unknown device with a clear message', async () => {
    await expect(con.manager.exec('no-such-device', sh`true`)).rejects.toThrow(/not connected/);
  });
});

describe('shell (PTY)', () => {
  it('runs an interactive shell: echo $((6*7)) prints 42', async () => {
    const channel = await con.manager.shell(id, { cols: 80, rows: 24 });
    let out = '';
    channel.on('data', (d: Buffer) => (out += d.toString()));
    channel.write('echo $((6*7))\n');
    const deadline = Date.now() + 10_000;
    while (!/^42\r?$/m.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(out).toMatch(/^42\r?$/m);

    channel.setWindow(40, 100, 0, 0);
    channel.write('stty size\n');
    const until = Date.now() + 10_000;
    while (!/^40 100\r?$/m.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(out).toMatch(/^40 100\r?$/m);

    const closed = new Promise<void>((resolve) => channel.on('close', () => resolve()));
    channel.write('exit\n');
    await closed;
  });
});

describe('forwardLocal', () => {
  it('carries TCP to a server on the device side', async () => {
    const echo = net.createServer((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const forward = await con.manager.forwardLocal(id, '127.0.0.1', echoPort);
    try {
      for (let round = 0; round < 2; round++) {
        const socket = net.connect({ host: '127.0.0.1', port: forward.localPort });
        let got = '';
        socket.on('data', (d) => (got += d.toString()));
        const payload = `hello ${round} ${'x'.repeat(100_000)}`;
        socket.write(payload);
        const deadline = Date.now() + 10_000;
        while (got.length < payload.length && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        expect(got).toBe(payload);
        socket.destroy();
      }
    } finally {
      await forward.close();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  it('survives clients that reset their connection in the middle of a stream', async () => {
    // The device side pours data; the laptop side hangs up hard while it flows (a browser closing a tab).
    const pour = net.createServer((s) => {
      s.on('error', () => undefined);
      const chunk = Buffer.alloc(64 * 1024, 1);
      const write = () => {
        while (!s.destroyed && s.write(chunk));
        if (!s.destroyed) s.once('drain', write);
      };
      write();
    });
    await new Promise<void>((resolve) => pour.listen(0, '127.0.0.1', resolve));
    const pourPort = (pour.address() as net.AddressInfo).port;
    const forward = await con.manager.forwardLocal(id, '127.0.0.1', pourPort);
    try {
      for (let round = 0; round < 20; round++) {
        const socket = net.connect({ host: '127.0.0.1', port: forward.localPort });
        socket.on('error', () => undefined);
        await new Promise<void>((resolve) => socket.once('data', () => resolve()));
        socket.resetAndDestroy();
      }
      // Still forwarding afterwards, and this process is still alive to say so.
      const socket = net.connect({ host: '127.0.0.1', port: forward.localPort });
      socket.on('error', () => undefined);
      const got = await new Promise<number>((resolve) =>
        socket.once('data', (d: Buffer) => resolve(d.length)),
      );
      expect(got).toBeGreaterThan(0);
      socket.destroy();
    } finally {
      await forward.close();
      await new Promise<void>((resolve) => pour.close(() => resolve()));
    }
  });
});

describe('injection', () => {
  it('never runs text from device names or values, in exec or remote jobs', async () => {
    const pwned = `/tmp/pwned-${process.pid}-${randomBytes(6).toString('hex')}`;
    const evil = [
      `$(touch ${pwned})`,
      `\`touch ${pwned}\``,
      `x; touch ${pwned}`,
      `x'; touch ${pwned}; '`,
      `x"; touch ${pwned}; "`,
      `x\ntouch ${pwned}`,
    ];
    const named = endpointFor(server, identity(server.identityFile), { name: evil[0] });
    await connectAndWait(con, named);
    const jobs = new RemoteJobs(con.manager);
    try {
      for (const value of evil) {
        await con.manager.exec(named.id, sh`echo ${value}`);
        await con.manager.exec(named.id, argv('printf', '%s', value));
        await con.manager.exec(named.id, sh`test -e ${value} || true`);
        const { jobId } = await jobs.start(named.id, sh`echo ${value}`);
        const out: string[] = [];
        expect((await jobs.attach(named.id, jobId, (c) => out.push(c))).exitCode).toBe(0);
        expect(out.join('')).toBe(`${value}\n`);
        await expect(jobs.attach(named.id, value, () => undefined)).rejects.toThrow(/Not a job id/);
      }
      await con.manager.exec(named.id, sh`false`, { timeoutMs: 1 }).catch(() => undefined);
    } finally {
      await con.manager.drop(named.id);
    }
    await expect(fs.stat(pwned)).rejects.toThrow();
  });
});

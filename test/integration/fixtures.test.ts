import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHost, netnsAvailable } from '../../src-main/emulator/netns.js';
import { opensshClientArgs, startSshd, type SshdHandle } from '../fixtures/sshd.js';
import { startTcpProxy } from '../../src-main/emulator/tcp-proxy.js';

const run = promisify(execFile);

async function systemSsh(
  server: SshdHandle,
  command: string,
  identity = server.identityFile,
): Promise<string> {
  const knownHosts = path.join(server.dir, 'known_hosts.test');
  await fs.writeFile(knownHosts, `${server.knownHostsLine}\n`);
  const { options, destination } = opensshClientArgs({ ...server, identityFile: identity }, knownHosts);
  const { stdout } = await run('ssh', [...options, destination, command]);
  return stdout;
}

/** A TCP echo server on 127.0.0.1. */
async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined); // resets are part of the tests
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function received(socket: net.Socket): { text: () => string } {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  return { text: () => text };
}

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sshd fixture', () => {
  let server: SshdHandle;
  beforeAll(async () => {
    server = await startSshd();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('accepts the system ssh client with strict host key checking', async () => {
    expect(await systemSsh(server, 'echo hi')).toBe('hi\n');
    expect(server.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(server.hostKeyType).toBe('ED25519');
    expect(server.knownHostsLine).toMatch(
      new RegExp(`^\\[127\\.0\\.0\\.1\\]:${server.port} ssh-ed25519 AAAA`),
    );
    await server.waitForLog(/Accepted publickey for/);
  });

  it('accepts the passphrase-protected key (via ssh-keygen -y to prove the passphrase)', async () => {
    const { stdout } = await run('ssh-keygen', [
      '-y',
      '-P',
      server.passphraseIdentityPassphrase,
      '-f',
      server.passphraseIdentityFile,
    ]);
    const authorized = await fs.readFile(path.join(server.dir, 'authorized_keys'), 'utf8');
    expect(authorized).toContain(stdout.trim().split(' ')[1]);
    await expect(
      run('ssh-keygen', ['-y', '-P', 'wrong', '-f', server.passphraseIdentityFile]),
    ).rejects.toThrow();
  });

  it('gives the login user a private, empty home', async () => {
    expect((await systemSsh(server, 'cd && pwd && ls -A | wc -l')).split('\n')).toEqual([
      (await run('sh', ['-c', 'echo ~'])).stdout.trim(),
      '0',
      '',
    ]);
  });

  it('logs in as a non-root user that exists only inside the server namespace', async () => {
    const linaro = await startSshd({ user: 'linaro' });
    try {
      expect(linaro.user).toBe('linaro');
      const [who, home] = (await systemSsh(linaro, 'id -un; cd && pwd')).trim().split('\n');
      expect(who).toBe('linaro');
      expect(home).toBe(linaro.home);
      await expect(run('id', ['linaro'])).rejects.toThrow();
    } finally {
      await linaro.stop();
    }
  });

  it('restarts on the same port with another host key type', async () => {
    const rsa = await startSshd({ hostKeyType: 'rsa' });
    try {
      expect(rsa.hostKeyType).toBe('RSA');
      expect(await systemSsh(rsa, 'echo rsa')).toBe('rsa\n');
      const port = rsa.port;
      await rsa.stop();
      const again = await startSshd({ port, hostKeyType: 'ecdsa' });
      try {
        expect(again.port).toBe(port);
        expect(again.hostKeyType).toBe('ECDSA');
        expect(again.hostKeyFingerprint).not.toBe(rsa.hostKeyFingerprint);
      } finally {
        await again.stop();
      }
    } finally {
      await rsa.stop();
    }
  });

  it('stop() kills detached sessions and removes the dir', async () => {
    const other = await startSshd();
    // A unique sleep duration doubles as a marker pgrep can find.
    const marker = `sleep 299.${process.pid}${Date.now() % 100000}`;
    try {
      await systemSsh(other, `setsid -f ${marker} </dev/null >/dev/null 2>&1`);
      expect((await run('pgrep', ['-f', marker])).stdout.trim()).not.toBe('');
    } finally {
      await other.stop();
    }
    await expect(run('pgrep', ['-f', marker])).rejects.toThrow();
    await expect(fs.stat(other.dir)).rejects.toThrow();
  });
});

describe('tcp proxy fixture', () => {
  it('forwards, stalls without closing, resumes in order, and resets', async () => {
    const echo = await echoServer();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
    try {
      const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
      const got = received(socket);
      socket.write('one;');
      await eventually(() => got.text() === 'one;');
      expect(proxy.connections).toBe(1);

      proxy.stall();
      socket.write('two;');
      socket.write('three;');
      await new Promise((r) => setTimeout(r, 300));
      expect(got.text()).toBe('one;');
      expect(socket.destroyed).toBe(false);

      proxy.resume();
      await eventually(() => got.text() === 'one;two;three;');

      proxy.setLatency(200);
      const sent = Date.now();
      socket.write('slow;');
      await eventually(() => got.text().endsWith('slow;'));
      // Two crossings of the proxy, each delayed; allow slack below for timer granularity only.
      expect(Date.now() - sent).toBeGreaterThanOrEqual(390);
      proxy.setLatency(0);

      const closed = new Promise<string | undefined>((resolve) => {
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
        socket.on('close', () => resolve(undefined));
      });
      proxy.resetAll();
      expect(await closed).toBe('ECONNRESET');
      await eventually(() => proxy.connections === 0);
    } finally {
      await proxy.close();
      await echo.close();
    }
  });
});

describe('netns fixture', async () => {
  const ok = await netnsAvailable();
  const why = ok
    ? ''
    : ' [skipped: this process cannot create network namespaces (needs root, iproute2, nftables)]';
  it.skipIf(!ok)(
    `reaches sshd in a namespace, and linkDown drops packets without a reset${why}`,
    async () => {
      const host = await createTestHost();
      const server = await startSshd({ netns: host.name });
      try {
        expect(server.host).toBe(host.nsAddress);
        expect(await systemSsh(server, 'echo ns')).toBe('ns\n');

        const socket = net.connect({ host: host.nsAddress, port: server.port });
        const got = received(socket);
        let error: string | undefined;
        socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code));
        await eventually(() => got.text().startsWith('SSH-2.0-'));

        await host.linkDown();
        socket.write('SSH-2.0-probe\r\n');
        await new Promise((r) => setTimeout(r, 1500));
        expect(error).toBeUndefined();
        expect(socket.destroyed).toBe(false);
        const before = got.text();

        await host.linkUp();
        // The retransmitted banner now arrives and sshd answers with its key exchange.
        await eventually(() => got.text().length > before.length, 15_000);
        socket.destroy();
      } finally {
        await server.stop();
        await host.destroy();
      }
    },
  );
});

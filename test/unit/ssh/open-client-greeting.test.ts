/**
 * openClient waits for the device's SSH greeting on a short timeout of its own, and tells a login the device
 * turned away (sshd past MaxStartups closes before its greeting) from a device that does not answer. Loopback
 * servers stand in for sshd: a plain TCP server for the refusals, ssh2's own server for a real login.
 */
import net from 'node:net';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectFailure, openClient, type OpenOptions } from '../../../src-main/core/ssh/open-client.js';
import type { SshTarget } from '../../../src-main/core/ssh/types.js';

const opts: OpenOptions = {
  policy: { check: () => Promise.resolve({ kind: 'trusted' }) },
  keepalive: { intervalMs: 0, countMax: 3 },
  readyTimeoutMs: 5000,
  reachTimeoutMs: 400,
};

const servers: { close(): void }[] = [];
afterEach(() => {
  servers.splice(0).forEach((s) => s.close());
});

async function listen(server: net.Server | ssh2.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

/** A TCP server that does `onSocket` with every connection. */
function tcpServer(onSocket: (s: net.Socket) => void): Promise<number> {
  return listen(
    net.createServer((s) => {
      s.on('error', () => undefined);
      onSocket(s);
    }),
  );
}

const target = (port: number): SshTarget => ({
  host: '127.0.0.1',
  port,
  user: 'linaro',
  auth: { kind: 'password', password: 'pw' },
});

async function failure(port: number): Promise<ConnectFailure> {
  const err = await openClient(target(port), opts).then(
    () => new Error('it logged in'),
    (e: unknown) => e,
  );
  if (!(err instanceof ConnectFailure)) throw err;
  return err;
}

describe('openClient before the SSH greeting', () => {
  it('calls sshd’s MaxStartups refusal what it is, not a failed login or a lost link', async () => {
    const port = await tcpServer((s) => s.end('Exceeded MaxStartups\r\n'));
    const err = await failure(port);
    expect(err.kind).toBe('busy');
    expect(err.message).toBe(
      'The device turned the login away for now (sshd MaxStartups: too many logins at once)',
    );
  });

  it('takes a close before any greeting (older sshd past MaxStartups) as a login turned away too', async () => {
    const port = await tcpServer((s) => s.end());
    const err = await failure(port);
    expect(err.kind).toBe('busy');
    expect(err.message).toMatch(/closed the connection before its SSH greeting: it turned the login away/);
  });

  it('gives up on a device that accepts but never greets after the reach timeout, not the handshake’s', async () => {
    const port = await tcpServer(() => undefined);
    const err = await failure(port);
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe(
      `Cannot reach 127.0.0.1:${port}: no SSH greeting within 0.4 s; the device may be off or the network down.`,
    );
  });

  it('says a closed port is refused', async () => {
    const port = await tcpServer(() => undefined);
    servers.splice(0).forEach((s) => s.close());
    const err = await failure(port);
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/the port refused the connection/);
  });

  it('hands ssh2 every byte it read while waiting: a login with text before the greeting works', async () => {
    const { private: hostKey } = ssh2.utils.generateKeyPairSync('ed25519');
    const server = new ssh2.Server({ hostKeys: [hostKey], greeting: 'Welcome to the test box' }, (client) => {
      client.on('error', () => undefined);
      client.on('authentication', (ctx) =>
        ctx.method === 'password' && ctx.password === 'pw' ? ctx.accept() : ctx.reject(['password']),
      );
    });
    const port = await listen(server);
    const opened = await openClient(target(port), opts);
    expect(opened.hops).toEqual([]);
    opened.client.end();
  });
});

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionState } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import type { ResolvedAuth } from '../../src-main/core/ssh/types.js';
import {
  connectAndWait,
  createSshConsole,
  endpointFor,
  identity,
  trustKnownHostsLine,
  type ServerAddress,
  type SshConsole,
} from '../fixtures/ssh-console.js';
import { freePort, startSshd, type SshdHandle } from '../fixtures/sshd.js';

const run = promisify(execFile);

let server: SshdHandle;
let con: SshConsole;
const ids: string[] = [];

beforeAll(async () => {
  server = await startSshd();
  con = await createSshConsole();
  await trustKnownHostsLine(con, server, server.knownHostsLine);
});
afterEach(async () => {
  for (const id of ids.splice(0)) await con.manager.drop(id);
});
afterAll(async () => {
  await con?.close();
  await server?.stop();
});

function device(auth: ResolvedAuth, at: ServerAddress = server) {
  const endpoint = endpointFor(at, auth);
  ids.push(endpoint.id);
  return endpoint;
}

async function outcome(auth: ResolvedAuth, states: ConnectionState[], at: ServerAddress = server) {
  const endpoint = device(auth, at);
  con.manager.connect(endpoint);
  return { id: endpoint.id, status: await con.manager.waitFor(endpoint.id, states, 30_000) };
}

const FAILED = ['auth_failed', 'unreachable', 'hostkey_unknown', 'hostkey_mismatch'] as ConnectionState[];

describe('authentication', () => {
  it('logs in with an identity file', async () => {
    const endpoint = device(identity(server.identityFile));
    await connectAndWait(con, endpoint);
    expect((await con.manager.exec(endpoint.id, sh`id -un`)).stdout).toBe(`${server.user}\n`);
  });

  it('logs in with a passphrase-protected key and the right passphrase', async () => {
    const endpoint = device(identity(server.passphraseIdentityFile, server.passphraseIdentityPassphrase));
    await connectAndWait(con, endpoint);
  });

  it('wrong passphrase: auth_failed, says so, and does not retry', async () => {
    const { id, status } = await outcome(identity(server.passphraseIdentityFile, 'not it'), [
      'connected',
      ...FAILED,
    ]);
    expect(status.state).toBe('auth_failed');
    expect(status.detail).toMatch(/passphrase/i);
    await new Promise((r) => setTimeout(r, 1500));
    expect(con.manager.status(id).state).toBe('auth_failed');
  });

  it('missing passphrase for an encrypted key: auth_failed asking for it', async () => {
    const { status } = await outcome(identity(server.passphraseIdentityFile), ['connected', ...FAILED]);
    expect(status.state).toBe('auth_failed');
    expect(status.detail).toMatch(/encrypted|passphrase/i);
  });

  it('wrong password: a real failed attempt on the server, auth_failed with a clear detail, no retry', async () => {
    const logFrom = server.log().length;
    const { id, status } = await outcome({ kind: 'password', password: 'definitely wrong' }, [
      'connected',
      ...FAILED,
    ]);
    expect(status.state).toBe('auth_failed');
    expect(status.detail).toMatch(/password was not accepted/);
    expect(status.detail).toContain(server.user);
    await server.waitForLog(/Failed password for/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(con.manager.status(id).state).toBe('auth_failed');
    // One attempt, not a retry loop that could lock the account.
    expect(
      server
        .log()
        .slice(logFrom)
        .match(/Failed password for/g),
    ).toHaveLength(1);
  });

  it('a key the server does not know: auth_failed', async () => {
    const stranger = path.join(server.dir, 'id_stranger');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const { status } = await outcome(identity(stranger), ['connected', ...FAILED]);
    expect(status.state).toBe('auth_failed');
    expect(status.detail).toMatch(/key was not accepted/);
  });

  it('a key file that does not exist: auth_failed naming the file', async () => {
    const missing = path.join(server.dir, 'no-such-key');
    const { status } = await outcome(identity(missing), ['connected', ...FAILED]);
    expect(status.state).toBe('auth_failed');
    expect(status.detail).toContain(missing);
  });

  it('a file that is not a key: auth_failed', async () => {
    const junk = path.join(server.dir, 'not-a-key');
    await fs.writeFile(junk, 'hello\n');
    const { status } = await outcome(identity(junk), ['connected', ...FAILED]);
    expect(status.state).toBe('auth_failed');
    expect(status.detail).toContain(junk);
  });
});

describe('unreachable', () => {
  it('an unknown host name: unreachable with a clear detail, and it keeps retrying', async () => {
    const { id, status } = await outcome(identity(server.identityFile), ['connected', ...FAILED], {
      host: 'no-such-host.invalid',
      port: 22,
      user: server.user,
    });
    expect(status.state).toBe('unreachable');
    expect(status.detail).toMatch(/no-such-host\.invalid/);
    expect(status.detail).toMatch(/resolve/i);
    expect(con.manager.status(id).retry?.attempt).toBeGreaterThanOrEqual(1);
  });

  it('a refused port: unreachable, detail says refused, retries with growing delays', async () => {
    const port = await freePort();
    const { id, status } = await outcome(identity(server.identityFile), ['connected', ...FAILED], {
      host: '127.0.0.1',
      port,
      user: server.user,
    });
    expect(status.state).toBe('unreachable');
    expect(status.detail).toMatch(/refused/);
    expect(status.detail).toContain(String(port));
    const deadline = Date.now() + 15_000;
    while ((con.manager.status(id).retry?.attempt ?? 0) < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(con.manager.status(id).retry?.attempt).toBeGreaterThanOrEqual(3);
  });

  it('a refused port that starts listening later: connects by itself', async () => {
    const port = await freePort();
    // Trust the future server's host key up front, so the first attempt that gets through can connect.
    const hostKey = path.join(server.dir, 'late_host_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    const pub = (await fs.readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ');
    const at = { host: '127.0.0.1', port, user: server.user };
    await trustKnownHostsLine(con, at, `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}`);

    const endpoint = device(identity(server.identityFile), at);
    con.manager.connect(endpoint);
    await con.manager.waitFor(endpoint.id, ['unreachable'], 20_000);
    const clientKey = await fs.readFile(`${server.identityFile}.pub`, 'utf8');
    const back = await startSshd({ port, hostKeyFile: hostKey, authorizeKeys: [clientKey] });
    try {
      await con.manager.waitFor(endpoint.id, ['connected'], 30_000);
    } finally {
      await con.manager.drop(endpoint.id);
      await back.stop();
    }
  });
});

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src-main/core/device/quote.js';
import { fingerprint } from '../../src-main/core/ssh/fingerprint.js';
import { StateStore } from '../../src-main/core/store/state-store.js';
import {
  connectAndWait,
  createSshConsole,
  endpointFor,
  identity,
  type SshConsole,
} from '../fixtures/ssh-console.js';
import { startSshd, type SshdHandle } from '../fixtures/sshd.js';

const run = promisify(execFile);

let tmp: string;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-hostkey-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function server(opts: Parameters<typeof startSshd>[0] = {}): Promise<SshdHandle> {
  const s = await startSshd(opts);
  cleanups.push(() => s.stop());
  return s;
}

async function console_(knownHostsFiles: string[] = []): Promise<SshConsole> {
  const con = await createSshConsole({ knownHostsFiles });
  cleanups.push(() => con.close());
  return con;
}

/** sshd's log from `from` on, once it shows the connection ended (so nothing more will be logged for it). */
async function connectionLog(s: SshdHandle, from: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  const ended = /Connection closed by|Disconnected from|Received disconnect|Connection reset/;
  while (!ended.test(s.log().slice(from)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  return s.log().slice(from);
}

const AUTH_LINES = /Accepted|Failed|Postponed|userauth|Invalid user|authentication/i;

describe('host keys', () => {
  it('first use: hostkey_unknown with the real fingerprint, and no credential was offered', async () => {
    const s = await server();
    const con = await console_();
    const endpoint = endpointFor(s, identity(s.identityFile));
    const logFrom = s.log().length;

    con.manager.connect(endpoint);
    const status = await con.manager.waitFor(endpoint.id, ['hostkey_unknown'], 20_000);
    expect(status.presentedKey).toEqual({ fingerprint: s.hostKeyFingerprint, keyType: s.hostKeyType });
    expect(status.detail).toContain(s.hostKeyFingerprint);
    expect(con.manager.presentedKey(endpoint.id)?.key).toBe(s.knownHostsLine.split(' ')[2]);

    const log = await connectionLog(s, logFrom);
    expect(log).toMatch(/Connection from/);
    expect(log).not.toMatch(AUTH_LINES);

    // It waits for the user: no retries, no second connection.
    await new Promise((r) => setTimeout(r, 2500));
    expect(con.manager.status(endpoint.id).state).toBe('hostkey_unknown');
    expect(
      s
        .log()
        .slice(logFrom)
        .match(/Connection from/g),
    ).toHaveLength(1);
  });

  it('after trusting the presented key it connects, and the trust is persisted', async () => {
    const s = await server();
    const con = await console_();
    const endpoint = endpointFor(s, identity(s.identityFile));
    con.manager.connect(endpoint);
    await con.manager.waitFor(endpoint.id, ['hostkey_unknown'], 20_000);

    const presented = con.manager.presentedKey(endpoint.id);
    expect(presented).toBeDefined();
    if (!presented) return;
    await con.policy.trust(presented.host, presented.port, presented);
    await connectAndWait(con, endpoint);
    expect((await con.manager.exec(endpoint.id, sh`echo trusted`)).stdout).toBe('trusted\n');

    const reread = await StateStore.open(con.store.dataDir);
    expect(reread.hostKey(s.host, s.port)).toMatchObject({
      fingerprint: s.hostKeyFingerprint,
      keyType: s.hostKeyType,
      key: s.knownHostsLine.split(' ')[2],
    });
  });

  it('a changed host key on the same port: hostkey_mismatch, blocked, nothing sent', async () => {
    const first = await server();
    const con = await console_();
    // The key file must outlive the first server's temp dir: a missing key file would end in auth_failed.
    const key = path.join(tmp, 'id_changed_key_test');
    await fs.copyFile(first.identityFile, key);
    const endpoint = endpointFor(first, identity(key));
    con.manager.connect(endpoint);
    await con.manager.waitFor(endpoint.id, ['hostkey_unknown'], 20_000);
    const presented = con.manager.presentedKey(endpoint.id);
    if (!presented) throw new Error('no presented key');
    await con.policy.trust(presented.host, presented.port, presented);
    await connectAndWait(con, endpoint);

    // The box is "reinstalled": same address and port, new host key. The console reconnects by itself.
    const port = first.port;
    await first.stop();
    const second = await server({ port });
    const logFrom = second.log().length;
    const status = await con.manager.waitFor(endpoint.id, ['hostkey_mismatch'], 30_000);
    expect(status.presentedKey?.fingerprint).toBe(second.hostKeyFingerprint);
    expect(status.expectedKey?.fingerprint).toBe(first.hostKeyFingerprint);
    expect(status.detail).toContain(second.hostKeyFingerprint);

    // Blocked: no automatic retries, no credentials offered to the new key, and connect() does not get past it.
    await new Promise((r) => setTimeout(r, 2500));
    expect(con.manager.status(endpoint.id).state).toBe('hostkey_mismatch');
    con.manager.connect(endpoint);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await con.manager.waitFor(endpoint.id, ['hostkey_mismatch'], 20_000)).state).toBe(
      'hostkey_mismatch',
    );
    const log = await connectionLog(second, logFrom);
    expect(log).not.toMatch(AUTH_LINES);
    expect(con.store.hostKey(second.host, port)?.fingerprint).toBe(first.hostKeyFingerprint);
  });

  it('a known_hosts file with the server line is trusted without a prompt, also when hashed', async () => {
    const s = await server();
    const plain = path.join(tmp, 'known_hosts_plain');
    await fs.writeFile(plain, `# mine\n${s.knownHostsLine}\n`);
    const hashed = path.join(tmp, 'known_hosts_hashed');
    await fs.writeFile(hashed, `${s.knownHostsLine}\n`);
    await run('ssh-keygen', ['-q', '-H', '-f', hashed]);

    for (const file of [plain, hashed]) {
      const con = await console_([path.join(tmp, 'missing'), file]);
      const endpoint = endpointFor(s, identity(s.identityFile));
      await connectAndWait(con, endpoint);
      expect(con.history.get(endpoint.id)?.map((st) => st.state)).not.toContain('hostkey_unknown');
      // known_hosts trust is not copied into Tally's own store.
      expect(con.store.hostKey(s.host, s.port)).toBeUndefined();
    }
  });

  it('a known_hosts file with another key of the same type for this host: hostkey_mismatch', async () => {
    const s = await server();
    const other = await server();
    const file = path.join(tmp, 'known_hosts_other');
    const otherKey = other.knownHostsLine.split(' ').slice(1).join(' ');
    await fs.writeFile(file, `[${s.host}]:${s.port} ${otherKey}\n`);
    const con = await console_([file]);
    const endpoint = endpointFor(s, identity(s.identityFile));
    con.manager.connect(endpoint);
    const status = await con.manager.waitFor(endpoint.id, ['hostkey_mismatch'], 20_000);
    expect(status.presentedKey?.fingerprint).toBe(s.hostKeyFingerprint);
    expect(status.expectedKey?.fingerprint).toBe(other.hostKeyFingerprint);
  });

  it('a key marked @revoked in known_hosts is refused, even when also listed as trusted', async () => {
    const s = await server();
    const key = s.knownHostsLine.split(' ').slice(1).join(' ');
    const name = `[${s.host}]:${s.port}`;
    for (const text of [`@revoked ${name} ${key}\n`, `${name} ${key}\n@revoked * ${key}\n`]) {
      const file = path.join(tmp, `known_hosts_revoked_${Math.random()}`);
      await fs.writeFile(file, text);
      const con = await console_([file]);
      const endpoint = endpointFor(s, identity(s.identityFile));
      con.manager.connect(endpoint);
      const status = await con.manager
        .waitFor(endpoint.id, ['hostkey_mismatch', 'connected'], 20_000)
        .catch((e: Error) => ({ state: e.message }));
      expect(status.state, text).toBe('hostkey_mismatch');
      await con.manager.disconnect(endpoint.id);
    }
  });

  it.each(['rsa', 'ecdsa'] as const)('presents %s host keys with ssh-keygen fingerprints', async (type) => {
    const s = await server({ hostKeyType: type });
    const con = await console_();
    const endpoint = endpointFor(s, identity(s.identityFile));
    con.manager.connect(endpoint);
    const status = await con.manager.waitFor(endpoint.id, ['hostkey_unknown'], 20_000);
    expect(status.presentedKey).toEqual({ fingerprint: s.hostKeyFingerprint, keyType: s.hostKeyType });
    expect(fingerprint(Buffer.from(s.knownHostsLine.split(' ')[2] ?? '', 'base64'))).toBe(
      s.hostKeyFingerprint,
    );
  });
});

import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Console } from '../../src-main/core/console.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { createTestHost, netnsAvailable, type TestHost } from '../../src-main/emulator/netns.js';
import { canConnect, startSshd, type SshdHandle } from '../fixtures/sshd.js';

// The target listens only on the namespace's own loopback: the laptop cannot reach it except through the jump
// host, which listens on the namespace's link address. A connection that works therefore went through the jump.
const canRun = await netnsAvailable();

let net: TestHost;
let jump: SshdHandle;
let target: SshdHandle;
let core: Console;
const ctx = { owner: 'test' };

beforeAll(async () => {
  if (!canRun) return;
  net = await createTestHost();
  await net.exec(['ip', 'link', 'set', 'lo', 'up']);
  jump = await startSshd({ netns: net.name });
  // One key for both hops, as with an agent: the target authorizes the jump fixture's key.
  const jumpKey = await readFile(`${jump.identityFile}.pub`, 'utf8');
  target = await startSshd({ netns: net.name, listenAddress: '127.0.0.1', authorizeKeys: [jumpKey] });
  core = await Console.open({
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'tally-jump-')),
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 't',
    knownHostsFiles: [],
    reconnect: { baseMs: 200, maxMs: 1000 },
  });
});

afterAll(async () => {
  await core?.close();
  await target?.stop();
  await jump?.stop();
  await net?.destroy();
});

describe.skipIf(!canRun)('jump host (ProxyJump)', () => {
  it('reaches a device only the jump host can reach, asking to trust each hop’s key in turn', async () => {
    expect(await canConnect('127.0.0.1', target.port, 500)).toBe(false);
    const added = await core.invoke(
      'devices.add',
      {
        name: 'behind-bastion',
        host: '127.0.0.1',
        port: target.port,
        user: target.user,
        auth: { kind: 'identityFile', path: jump.identityFile },
        proxyJump: `${jump.user}@${jump.host}:${jump.port}`,
      },
      ctx,
    );
    if (!added.ok) throw new Error(added.error.message);
    const id = (added.result as { id: string }).id;

    await core.invoke('devices.connect', { id }, ctx);
    const first = await core.connections.waitFor(id, ['hostkey_unknown'], 20_000);
    expect(first.detail).toMatch(/^Jump host/);
    expect(first.presentedKey?.fingerprint).toBe(jump.hostKeyFingerprint);
    expect(
      await core.invoke('hostkeys.trust', { id, fingerprint: jump.hostKeyFingerprint }, ctx),
    ).toMatchObject({ ok: true });

    // The state stays hostkey_unknown; what changes is whose key is waiting.
    const deadline = Date.now() + 20_000;
    while (core.connections.status(id).presentedKey?.fingerprint !== target.hostKeyFingerprint) {
      if (Date.now() > deadline)
        throw new Error(`no prompt for the target key: ${core.connections.status(id).detail}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(core.connections.status(id).detail).not.toMatch(/^Jump host/);
    expect(
      await core.invoke('hostkeys.trust', { id, fingerprint: target.hostKeyFingerprint }, ctx),
    ).toMatchObject({ ok: true });

    await core.connections.waitFor(id, ['connected', 'degraded'], 20_000);
    const { sh } = await import('../../src-main/core/device/quote.js');
    const r = await core.connections.exec(id, sh`echo through-the-jump`);
    expect(r.stdout).toBe('through-the-jump\n');
  });
});

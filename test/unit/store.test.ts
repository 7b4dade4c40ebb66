import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonFile, writeFileAtomic } from '../../src-main/core/store/atomic-file.js';
import {
  hostKeyId,
  SCHEMA_VERSION,
  StateStore,
  type StoredDevice,
} from '../../src-main/core/store/state-store.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-store-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function device(id: string): StoredDevice {
  return {
    id,
    name: `studio ${id}`,
    host: 'r58.local',
    port: 22,
    user: 'linaro',
    auth: { kind: 'identityFile', path: '~/.ssh/id_ed25519' },
    profile: 'r58',
  };
}

async function filesIn(d: string): Promise<string[]> {
  return (await fs.readdir(d)).sort();
}

describe('StateStore', () => {
  it('starts empty with no file and no problems', async () => {
    const store = await StateStore.open(dir);
    expect(store.devices()).toEqual([]);
    expect(store.problems).toEqual([]);
    expect(store.settings()).toEqual({ keepaliveIntervalMs: 1000, keepaliveCountMax: 3 });
  });

  it('round trips devices, host keys and settings through the file', async () => {
    const store = await StateStore.open(dir);
    await store.update((s) => {
      s.devices.push(device('a'), {
        ...device('b'),
        port: 2222,
        auth: { kind: 'password' },
        proxyJump: 'me@jump:22',
      });
      s.knownHosts[hostKeyId('r58.local', 2222)] = {
        fingerprint: 'SHA256:abc',
        keyType: 'ED25519',
        key: 'AAAAC3NzaC1lZDI1NTE5AAAA',
        addedAt: '2025-01-01T00:00:00.000Z',
      };
      s.settings.keepaliveIntervalMs = 2000;
    });

    const again = await StateStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(again.snapshot).toEqual(store.snapshot);
    expect(again.device('b')?.proxyJump).toBe('me@jump:22');
    expect(again.hostKey('r58.local', 2222)?.fingerprint).toBe('SHA256:abc');
    expect(again.hostKey('r58.local', 22)).toBeUndefined();
    expect(again.settings().keepaliveIntervalMs).toBe(2000);
  });

  it('keys host keys as known_hosts does', () => {
    expect(hostKeyId('r58.local', 22)).toBe('r58.local');
    expect(hostKeyId('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });

  it('writes the schema version into the file, private to the user, with no temp files left', async () => {
    const store = await StateStore.open(dir);
    await store.update((s) => void s.devices.push(device('a')));
    const raw = JSON.parse(await fs.readFile(store.file, 'utf8')) as { schemaVersion: unknown };
    expect(raw.schemaVersion).toBe(SCHEMA_VERSION);
    expect((await fs.stat(store.file)).mode & 0o777).toBe(0o600);
    expect(await filesIn(dir)).toEqual(['state.json']);
  });

  it('removes the temp files of writers that died mid-write when it opens, but not those of a live one', async () => {
    const first = await StateStore.open(dir);
    await first.update((s) => void s.devices.push(device('a')));
    // A writer that is gone (it exited) and one that is still running, each caught between write and rename.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const deadTmp = `state.json.${dead.pid}.0a1b2c3d4e5f.tmp`;
      const liveTmp = `state.json.${live.pid}.0f1e2d3c4b5a.tmp`;
      await fs.writeFile(path.join(dir, deadTmp), '{"half": ');
      await fs.writeFile(path.join(dir, liveTmp), '{"half": ');
      await fs.writeFile(path.join(dir, 'state.json.notes.tmp'), 'not ours');
      const store = await StateStore.open(dir);
      expect(store.devices().map((d) => d.id)).toEqual(['a']);
      expect(store.problems).toEqual([]);
      expect(await filesIn(dir)).toEqual(['state.json', liveTmp, 'state.json.notes.tmp'].sort());
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('removes its own temp file when a write fails', async () => {
    const store = await StateStore.open(dir);
    // A directory where the file should go: the rename fails after the temp file was written.
    await fs.mkdir(store.file);
    await fs.writeFile(path.join(store.file, 'x'), '');
    await expect(store.update((s) => void s.devices.push(device('a')))).rejects.toThrow();
    expect(await filesIn(dir)).toEqual(['state.json']);
  });

  it('refuses an invalid change without touching memory or the file', async () => {
    const store = await StateStore.open(dir);
    await store.update((s) => void s.devices.push(device('a')));
    const before = await fs.readFile(store.file, 'utf8');
    await expect(
      store.update((s) => {
        s.settings.keepaliveIntervalMs = 5; // below the allowed minimum
      }),
    ).rejects.toThrow();
    expect(store.settings().keepaliveIntervalMs).toBe(1000);
    expect(await fs.readFile(store.file, 'utf8')).toBe(before);
  });

  it('keeps a corrupt file aside, reports it, and does not overwrite it', async () => {
    const file = path.join(dir, 'state.json');
    const garbage = '{"schemaVersion": 1, "devices": [tru';
    await fs.writeFile(file, garbage);

    const store = await StateStore.open(dir);
    expect(store.devices()).toEqual([]);
    expect(store.problems).toHaveLength(1);
    const kept = (await filesIn(dir)).filter((f) => f.startsWith('state.json.corrupt-'));
    expect(kept).toHaveLength(1);
    expect(store.problems[0]).toContain(path.join(dir, kept[0] ?? ''));
    expect(await fs.readFile(path.join(dir, kept[0] ?? ''), 'utf8')).toBe(garbage);

    // Saving afterwards writes a fresh state.json and leaves the kept copy alone.
    await store.update((s) => void s.devices.push(device('new')));
    expect(await fs.readFile(path.join(dir, kept[0] ?? ''), 'utf8')).toBe(garbage);
    expect((await StateStore.open(dir)).device('new')).toBeDefined();
  });

  it('treats a file that parses but does not validate as corrupt', async () => {
    const file = path.join(dir, 'state.json');
    const wrong = JSON.stringify({
      schemaVersion: SCHEMA_VERSION,
      devices: [{ id: 1 }],
      knownHosts: {},
      settings: {},
    });
    await fs.writeFile(file, wrong);
    const store = await StateStore.open(dir);
    expect(store.problems).toHaveLength(1);
    const kept = (await filesIn(dir)).filter((f) => f.startsWith('state.json.corrupt-'));
    expect(await fs.readFile(path.join(dir, kept[0] ?? ''), 'utf8')).toBe(wrong);
    await expect(fs.stat(file)).rejects.toThrow();
  });

  it('refuses a file from a newer schema the same way and says why', async () => {
    const file = path.join(dir, 'state.json');
    const newer = JSON.stringify({
      schemaVersion: SCHEMA_VERSION + 1,
      devices: [],
      knownHosts: {},
      settings: {},
      extra: 1,
    });
    await fs.writeFile(file, newer);
    const store = await StateStore.open(dir);
    expect(store.problems).toHaveLength(1);
    expect(store.problems[0]).toMatch(new RegExp(`newer Tally \\(schema ${SCHEMA_VERSION + 1}`));
    const kept = (await filesIn(dir)).filter((f) => f.startsWith('state.json.corrupt-'));
    expect(kept).toHaveLength(1);
    expect(await fs.readFile(path.join(dir, kept[0] ?? ''), 'utf8')).toBe(newer);
  });

  it('persists every one of many concurrent updates, in order', async () => {
    const store = await StateStore.open(dir);
    const ids = Array.from({ length: 50 }, (_, i) => `d${i}`);
    await Promise.all(ids.map((id) => store.update((s) => void s.devices.push(device(id)))));
    expect(store.devices().map((d) => d.id)).toEqual(ids);
    const again = await StateStore.open(dir);
    expect(again.devices().map((d) => d.id)).toEqual(ids);
    expect(await filesIn(dir)).toEqual(['state.json']);
  });

  it('persists concurrent updates from two interleaved writers', async () => {
    const store = await StateStore.open(dir);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      writes.push(store.update((s) => void s.devices.push(device(`x${i}`))));
      writes.push(
        store.update((s) => {
          s.knownHosts[hostKeyId(`h${i}`, 22)] = {
            fingerprint: `SHA256:${i}`,
            keyType: 'RSA',
            key: 'AAAA',
            addedAt: 'now',
          };
        }),
      );
    }
    await Promise.all(writes);
    const again = await StateStore.open(dir);
    expect(again.devices()).toHaveLength(20);
    expect(Object.keys(again.snapshot.knownHosts)).toHaveLength(20);
  });
});

describe('atomic-file', () => {
  it('replaces content whole and creates missing directories', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'f.json');
    await writeFileAtomic(file, '{"a":1}');
    await writeFileAtomic(file, '{"a":2}');
    expect(await fs.readFile(file, 'utf8')).toBe('{"a":2}');
    expect(await filesIn(path.dirname(file))).toEqual(['f.json']);
  });

  // Fails today: the temp name is `${file}.${pid}.${Date.now()}.tmp`, so writes started in the same millisecond
  // share one temp file (one truncates the other's data, the second rename hits ENOENT). The state store
  // serialises its own writes, but the keychain calls writeFileAtomic directly.
  it('concurrent writers each leave a whole file, never a torn one', async () => {
    const file = path.join(dir, 'f.json');
    const payloads = Array.from({ length: 30 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(50_000) }));
    await Promise.all(payloads.map((p) => writeFileAtomic(file, p)));
    expect(payloads).toContain(await fs.readFile(file, 'utf8'));
    expect(await filesIn(dir)).toEqual(['f.json']);
  });

  it('reads missing, ok and corrupt files', async () => {
    const file = path.join(dir, 'f.json');
    expect(await readJsonFile(file, (raw) => raw)).toEqual({ kind: 'missing' });
    await fs.writeFile(file, '{"n": 3}');
    expect(await readJsonFile(file, (raw) => (raw as { n: number }).n)).toEqual({ kind: 'ok', value: 3 });
    const bad = await readJsonFile(file, () => {
      throw new Error('no good\nsecond line');
    });
    expect(bad).toMatchObject({ kind: 'corrupt', reason: 'no good' });
    if (bad.kind === 'corrupt') expect(await fs.readFile(bad.keptAt, 'utf8')).toBe('{"n": 3}');
  });
});

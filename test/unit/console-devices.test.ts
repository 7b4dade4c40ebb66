import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Console } from '../../src-main/core/console.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';

let core: Console;
let dataDir: string;
const ctx = { owner: 'test' };

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'tally-console-'));
  core = await Console.open({
    dataDir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 'test',
    knownHostsFiles: [],
  });
});
afterEach(() => core.close());

const device = {
  name: 'studio-r58',
  host: '192.168.1.24',
  port: 22,
  user: 'linaro',
  auth: { kind: 'agent' },
};

describe('devices through the contract', () => {
  it('adds, lists, edits and removes a device, and audits each change', async () => {
    const added = await core.invoke('devices.add', device, ctx);
    expect(added.ok).toBe(true);
    const id = added.ok ? (added.result as { id: string }).id : '';
    const edited = await core.invoke('devices.update', { ...device, id, name: 'studio-b' }, ctx);
    expect(edited.ok && (edited.result as { name: string }).name).toBe('studio-b');
    const list = await core.invoke('devices.list', {}, ctx);
    expect(list.ok && (list.result as unknown[]).length).toBe(1);
    expect((await core.invoke('devices.remove', { id }, ctx)).ok).toBe(true);
    const audit = readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.map((e: { action: string }) => e.action)).toEqual([
      'device.add',
      'device.update',
      'device.remove',
    ]);
  });

  it('tells the truth when a device change was stored but its audit line could not be written', async () => {
    // A directory where the audit file should be: every append fails, even for root.
    mkdirSync(path.join(dataDir, 'audit.jsonl'));
    const problems: string[] = [];
    core.onEvent((name, payload) => {
      if (name === 'store.problem') problems.push((payload as { message: string }).message);
    });
    const added = await core.invoke('devices.add', device, ctx);
    expect(added.ok).toBe(true);
    const id = added.ok ? (added.result as { id: string }).id : '';
    const list = await core.invoke('devices.list', {}, ctx);
    expect(list.ok && (list.result as { id: string }[]).map((d) => d.id)).toEqual([id]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^studio-r58 was added, but the audit log could not record it: EISDIR.*audit\.jsonl/,
    );

    const edited = await core.invoke('devices.update', { ...device, id, name: 'studio-b' }, ctx);
    expect(edited.ok && (edited.result as { name: string }).name).toBe('studio-b');
    expect(problems[1]).toMatch(/^studio-b was changed, but the audit log could not record it: /);
    expect((await core.invoke('devices.remove', { id }, ctx)).ok).toBe(true);
    expect(problems[2]).toMatch(/^studio-b was removed, but the audit log could not record it: /);
    const after = await core.invoke('devices.list', {}, ctx);
    expect(after.ok && after.result).toEqual([]);
  });

  it('has every audit line recorded so far on disk when it closes (a CLI exits right after)', async () => {
    void core.audit.record({ action: 'test.pending', result: 'ok' });
    await core.close();
    const lines = readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['test.pending']);
  });

  it.each([
    ['U+202E', 'studio-\u202e85r'],
    ['U+202A', '\u202astudio'],
    ['U+2066', 'studio\u2066-b\u2069'],
    ['U+200F', 'studio\u200f'],
    ['U+200E', 'stu\u200edio'],
    ['U+200B', 'stu\u200bdio'],
    ['U+FEFF', 'stu\ufeffdio'],
    ['U+00AD', 'stu\u00addio'],
    ['U+0085', 'studio\u0085b'],
  ])(
    'refuses a name with the invisible or direction-changing character %s, and says what to do',
    async (code, name) => {
      const r = await core.invoke('devices.add', { ...device, name }, ctx);
      expect(r.ok).toBe(false);
      const message = !r.ok ? (r.error.fields?.['name'] ?? '') : '';
      expect(message).toContain(code);
      expect(message).toMatch(/look like another/);
      expect(message).toMatch(/Type the name again/);
      const list = await core.invoke('devices.list', {}, ctx);
      expect(list.ok && list.result).toEqual([]);
    },
  );

  it('keeps names in any script, with accents and emoji', async () => {
    for (const name of ['Studio Café 🎥', 'استوديو', 'スタジオ', 'студия-2']) {
      const r = await core.invoke('devices.add', { ...device, name }, ctx);
      expect(r.ok && (r.result as { name: string }).name).toBe(name);
    }
  });

  it('keeps a shell-looking name as plain text', async () => {
    const name = '$(touch /tmp/pwned)';
    const r = await core.invoke('devices.add', { ...device, name }, ctx);
    expect(r.ok && (r.result as { name: string }).name).toBe(name);
  });

  it.each([
    ['host', { host: 'a;b' }],
    ['host', { host: '$(touch /tmp/pwned)' }],
    ['host', { host: '' }],
    ['port', { port: 70000 }],
    ['port', { port: 'ssh' }],
    ['user', { user: 'root; reboot' }],
    ['name', { name: '   ' }],
    ['auth.path', { auth: { kind: 'identityFile', path: '' } }],
    ['proxyJump', { proxyJump: 'a b;c' }],
  ])('refuses a bad %s with a message next to the field', async (field, change) => {
    const r = await core.invoke('devices.add', { ...device, ...change }, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid_input');
      expect(r.error.fields?.[field]).toMatch(/\w/);
    }
  });

  it('refuses a second device with the same name, on the name field', async () => {
    await core.invoke('devices.add', device, ctx);
    const r = await core.invoke('devices.add', { ...device, host: '10.0.0.2' }, ctx);
    expect(!r.ok && r.error.fields?.['name']).toMatch(/already exists/);
  });

  it('never writes a password to disk in web mode', async () => {
    const secret = 'correct horse battery staple';
    await core.invoke('devices.add', { ...device, auth: { kind: 'password', password: secret } }, ctx);
    const list = await core.invoke('devices.list', {}, ctx);
    expect(JSON.stringify(list)).not.toContain(secret);
    for (const file of ['state.json', 'audit.jsonl'])
      expect(readFileSync(path.join(dataDir, file), 'utf8')).not.toContain(secret);
    expect(list.ok && (list.result as { auth: { hasPassword: boolean } }[])[0]?.auth.hasPassword).toBe(true);
  });

  it('answers an unknown command and malformed input with an error, not a crash', async () => {
    expect(await core.invoke('rm -rf', {}, ctx)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(await core.invoke('devices.add', 'nonsense', ctx)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(await core.invoke('devices.connect', { id: 'nope' }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});

describe('import from ssh config', () => {
  it('turns concrete Host entries into candidates and flags what cannot be imported', async () => {
    const file = path.join(dataDir, 'ssh_config');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      file,
      [
        'Host r58 studio',
        '  HostName r58.itagenten.no',
        '  Port 2222',
        '  User linaro',
        '  IdentityFile ~/.ssh/r58_ed25519',
        '  ProxyJump jump@bastion.example:22',
        'Host weird',
        '  HostName bad;host',
        'Match exec "touch /tmp/tally-match-exec"',
        '  User nobody',
        'Host *',
        '  User defaultuser',
      ].join('\n'),
    );
    const r = await core.invoke('devices.importSshConfig', { path: file }, ctx);
    expect(r.ok).toBe(true);
    const { candidates } = (r.ok ? r.result : { candidates: [] }) as {
      candidates: Record<string, unknown>[];
    };
    expect(candidates.find((c) => c['alias'] === 'r58')).toMatchObject({
      host: 'r58.itagenten.no',
      port: 2222,
      user: 'linaro',
      identityFile: '~/.ssh/r58_ed25519',
      proxyJump: 'jump@bastion.example:22',
    });
    expect(candidates.find((c) => c['alias'] === 'weird')?.['problem']).toMatch(/host/);
    // First match wins, as in ssh: `Host *` at the end only fills what is still unset.
    expect(candidates.find((c) => c['alias'] === 'weird')?.['user']).toBe('defaultuser');
    expect(candidates.some((c) => c['alias'] === '*')).toBe(false);
    const { existsSync } = await import('node:fs');
    expect(existsSync('/tmp/tally-match-exec')).toBe(false);
  });
});

describe('connection settings', () => {
  it('default to a dead-link detection of about 4 s and persist a change', async () => {
    const r = await core.invoke('settings.get', {}, ctx);
    expect(r).toMatchObject({ ok: true, result: { keepaliveIntervalMs: 1000, keepaliveCountMax: 3 } });
    await core.invoke('settings.update', { keepaliveIntervalMs: 2000, keepaliveCountMax: 2 }, ctx);
    const reopened = await Console.open({
      dataDir,
      shell: 'web',
      secrets: new MemorySecretStore(),
      version: 't',
      knownHostsFiles: [],
    });
    expect(await reopened.invoke('settings.get', {}, ctx)).toMatchObject({
      result: { keepaliveIntervalMs: 2000 },
    });
    expect(
      await core.invoke('settings.update', { keepaliveIntervalMs: 5, keepaliveCountMax: 2 }, ctx),
    ).toMatchObject({
      ok: false,
      error: { fields: { keepaliveIntervalMs: 'At least 200 ms.' } },
    });
  });
});

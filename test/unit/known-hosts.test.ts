import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupKnownHosts, parseKnownHosts } from '../../src-main/core/ssh/known-hosts.js';

const run = promisify(execFile);

let dir: string;
/** Three real public keys: [keyType, base64 blob]. */
let keys: [string, string][];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-known-hosts-'));
  keys = [];
  for (const [i, type] of (['ed25519', 'ecdsa', 'rsa'] as const).entries()) {
    const file = path.join(dir, `k${i}`);
    await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    const [keyType, key] = (await fs.readFile(`${file}.pub`, 'utf8')).trim().split(' ');
    keys.push([keyType ?? '', key ?? '']);
  }
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function k(i: number): string {
  const [type, key] = keys[i] ?? [];
  return `${type} ${key}`;
}

function found(text: string, host: string, port: number): string[] {
  return lookupKnownHosts(parseKnownHosts(text), host, port).map((e) => `${e.marker}${e.keyType} ${e.key}`);
}

describe('parseKnownHosts', () => {
  it('reads plain, bracketed, comma-listed, marked and commented lines; skips junk', () => {
    const text = [
      '# a comment',
      '',
      `r58.local ${k(0)}`,
      `[10.0.0.5]:2222,studio-box ${k(1)} trailing comment words`,
      `   @revoked old.host ${k(2)}`,
      `@cert-authority *.studio ${k(0)}`,
      'only-a-host',
      'host ssh-ed25519',
      `\t# indented comment ${k(0)}`,
    ].join('\r\n');
    const entries = parseKnownHosts(text);
    expect(entries).toEqual([
      { hosts: ['r58.local'], keyType: keys[0]?.[0], key: keys[0]?.[1], marker: '' },
      { hosts: ['[10.0.0.5]:2222', 'studio-box'], keyType: keys[1]?.[0], key: keys[1]?.[1], marker: '' },
      { hosts: ['old.host'], keyType: keys[2]?.[0], key: keys[2]?.[1], marker: '@revoked' },
      { hosts: ['*.studio'], keyType: keys[0]?.[0], key: keys[0]?.[1], marker: '@cert-authority' },
    ]);
  });
});

describe('lookupKnownHosts', () => {
  it('matches a plain host only on port 22, and [host]:port only on that port', () => {
    const text = `r58.local ${k(0)}\n[r58.local]:2222 ${k(1)}\n`;
    expect(found(text, 'r58.local', 22)).toEqual([k(0)]);
    expect(found(text, 'r58.local', 2222)).toEqual([k(1)]);
    expect(found(text, 'r58.local', 2223)).toEqual([]);
    expect(found(text, 'other.local', 22)).toEqual([]);
  });

  it('matches any name in a comma list, case-insensitively for plain names', () => {
    const text = `studio-a,[10.0.0.5]:2222,R58.Local ${k(0)}\n`;
    expect(found(text, 'studio-a', 22)).toEqual([k(0)]);
    expect(found(text, '10.0.0.5', 2222)).toEqual([k(0)]);
    expect(found(text, 'r58.local', 22)).toEqual([k(0)]);
    expect(found(text, '10.0.0.5', 22)).toEqual([]);
  });

  it('honours wildcards and negation', () => {
    const text = `*.studio,!secret.studio ${k(0)}\n10.0.0.? ${k(1)}\n`;
    expect(found(text, 'cam.studio', 22)).toEqual([k(0)]);
    expect(found(text, 'secret.studio', 22)).toEqual([]);
    expect(found(text, 'studio', 22)).toEqual([]);
    expect(found(text, '10.0.0.7', 22)).toEqual([k(1)]);
    expect(found(text, '10.0.0.17', 22)).toEqual([]);
  });

  it('skips @cert-authority lines and returns @revoked ones marked, so the caller can refuse them', () => {
    const text = `@cert-authority r58.local ${k(0)}\n@revoked r58.local ${k(1)}\nr58.local ${k(2)}\n`;
    const entries = lookupKnownHosts(parseKnownHosts(text), 'r58.local', 22);
    expect(entries.map((e) => [e.marker, e.key])).toEqual([
      ['@revoked', keys[1]?.[1]],
      ['', keys[2]?.[1]],
    ]);
  });

  it('matches entries hashed by the real ssh-keygen -H, including [host]:port and split comma lists', async () => {
    const file = path.join(dir, 'known_hosts_hashed');
    await fs.writeFile(
      file,
      `r58.local ${k(0)}\n[10.0.0.5]:2222,studio-box ${k(1)}\n[r58.local]:2222 ${k(2)}\n`,
    );
    await run('ssh-keygen', ['-q', '-H', '-f', file]);
    const text = await fs.readFile(file, 'utf8');
    expect(text).not.toMatch(/r58|studio|10\.0/);
    expect(text.split('\n').filter((l) => l.startsWith('|1|'))).toHaveLength(4);

    expect(found(text, 'r58.local', 22)).toEqual([k(0)]);
    expect(found(text, '10.0.0.5', 2222)).toEqual([k(1)]);
    expect(found(text, 'studio-box', 22)).toEqual([k(1)]);
    expect(found(text, 'r58.local', 2222)).toEqual([k(2)]);
    expect(found(text, '10.0.0.5', 22)).toEqual([]);
    expect(found(text, 'r58.locals', 22)).toEqual([]);
  });

  it('agrees with ssh-keygen -F on a mixed file (oracle)', async () => {
    const file = path.join(dir, 'known_hosts_mixed');
    const plain = [
      `r58.local ${k(0)}`,
      `[10.0.0.5]:2222,studio-box ${k(1)}`,
      `*.cams,!bad.cams ${k(2)}`,
      `# [r58.local]:2222 ${k(2)}`,
      `[r58.local]:2222 ${k(1)}`,
    ];
    await fs.writeFile(file, `${plain.join('\n')}\n`);
    const hashed = path.join(dir, 'known_hosts_mixed_hashed');
    await fs.writeFile(hashed, `${plain.slice(0, 2).join('\n')}\n`);
    await run('ssh-keygen', ['-q', '-H', '-f', hashed]);

    const queries: [string, number][] = [
      ['r58.local', 22],
      ['r58.local', 2222],
      ['10.0.0.5', 2222],
      ['10.0.0.5', 22],
      ['studio-box', 22],
      ['a.cams', 22],
      ['bad.cams', 22],
      ['nothing', 22],
    ];
    for (const f of [file, hashed]) {
      const text = await fs.readFile(f, 'utf8');
      for (const [host, port] of queries) {
        const name = port === 22 ? host : `[${host}]:${port}`;
        // ssh-keygen -F exits 1 when nothing matches.
        const { stdout } = await run('ssh-keygen', ['-F', name, '-f', f]).catch(() => ({ stdout: '' }));
        const oracle = stdout
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => l.split(/\s+/).slice(1, 3).join(' '));
        expect(found(text, host, port), `${name} in ${path.basename(f)}`).toEqual(oracle);
      }
    }
  });
});

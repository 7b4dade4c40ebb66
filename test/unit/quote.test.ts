import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  and,
  argv,
  commitId,
  quote,
  remotePath,
  sh,
  ShellCommand,
  sudo,
  unitName,
  UnsafeValueError,
} from '../../src-main/core/device/quote.js';

const run = promisify(execFile);

/** Run a built command with the real /bin/sh and return stdout as raw bytes. */
async function shell(cmd: ShellCommand, cwd?: string): Promise<Buffer> {
  const { stdout } = await run('/bin/sh', ['-c', cmd.text], { encoding: 'buffer', cwd });
  return stdout;
}

const nasty = [
  '',
  ' ',
  '$(reboot)',
  '`reboot`',
  '${HOME}',
  '$HOME',
  'a;b',
  'a && b',
  'a | b',
  'a > /tmp/x',
  "it's",
  "'",
  "''",
  '"',
  '"double" and \'single\'',
  '\\',
  '\\n',
  'line1\nline2',
  '\n',
  'tab\there',
  '\r\n',
  '-n',
  '-e',
  '--help',
  '-',
  '*',
  '?',
  '[a-z]*',
  '~',
  '~root',
  '#comment',
  'a#b',
  '!',
  '!!',
  '%s',
  '{a,b}',
  'ünïcödé ✓ 日本語 🎥',
  '\u00a0nbsp',
  '\x7f',
  '\x01\x1b[31m',
  'x'.repeat(10_000),
];

/** dash's echo interprets backslash escapes and `-n` itself; that is echo, not quoting, so printf covers those. */
const echoSafe = nasty.filter((v) => !v.includes('\\') && v !== '-n');

describe('sh tagged template with real /bin/sh', () => {
  it.each(echoSafe.map((v) => [JSON.stringify(v).slice(0, 40), v]))(
    'echo prints %s back byte-exactly',
    async (_, value) => {
      const out = await shell(sh`echo ${value}`);
      expect(out.equals(Buffer.from(`${value}\n`, 'utf8'))).toBe(true);
    },
  );

  it.each(nasty.map((v) => [JSON.stringify(v).slice(0, 40), v]))(
    'printf prints %s back byte-exactly',
    async (_, value) => {
      const out = await shell(sh`printf '%s' ${value}`);
      expect(out.equals(Buffer.from(value, 'utf8'))).toBe(true);
    },
  );

  it('round trips random printable and binary-ish strings (property check)', async () => {
    const alphabet = [
      '$',
      '`',
      "'",
      '"',
      '\\',
      ';',
      '&',
      '|',
      '(',
      ')',
      '<',
      '>',
      ' ',
      '\n',
      '\t',
      '*',
      '?',
      '-',
      '~',
      '#',
      '!',
      'a',
      'é',
      '🎥',
    ];
    const values = Array.from({ length: 200 }, () => {
      const bytes = randomBytes(1 + ((randomBytes(1)[0] ?? 0) % 24));
      return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    });
    // One shell run for all values: each is printed between NUL separators.
    const cmd = sh`for v in ${values}; do printf '%s\\0' "$v"; done`;
    const out = (await shell(cmd)).toString('utf8').split('\0');
    expect(out.slice(0, -1)).toEqual(values);
  });

  it('keeps each value exactly one word, including empty ones', async () => {
    const out = await shell(sh`printf '<%s>' ${''} ${'a b'} ${['', 'c d', '$(x)']} ${7}`);
    expect(out.toString()).toBe('<><a b><><c d><$(x)><7>');
  });

  it('never runs an injected command', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-quote-'));
    try {
      const pwned = path.join(dir, 'pwned');
      const attempts = [
        `$(touch ${pwned})`,
        `\`touch ${pwned}\``,
        `x; touch ${pwned}`,
        `x' ; touch ${pwned}; '`,
        `x" ; touch ${pwned}; "`,
        `x\ntouch ${pwned}`,
        `x && touch ${pwned}`,
        `x | touch ${pwned}`,
      ];
      for (const attempt of attempts) {
        await shell(sh`echo ${attempt} >/dev/null`);
        await shell(argv('echo', attempt));
        await shell(sudo(sh`true ${attempt}`)).catch(() => undefined); // sudo may be missing; the file must not appear
        await shell(and(sh`true ${attempt}`, sh`echo ${attempt}`));
      }
      await expect(fs.stat(pwned)).rejects.toThrow();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('composes nested commands without re-quoting them', async () => {
    const inner = sh`printf '%s' ${'a b'}`;
    expect((await shell(sh`${inner}; printf '|'`)).toString()).toBe('a b|');
    expect((await shell(and(inner, sh`printf '%s' ${'$x'}`))).toString()).toBe('a b$x');
  });

  it('sudo wraps the command as one word for sh -c', () => {
    const cmd = sudo(sh`printf '%s' ${"it's"}`);
    expect(cmd.text.startsWith('sudo -n sh -c ')).toBe(true);
  });

  it('runs argv with a program path and odd arguments', async () => {
    expect((await shell(argv('printf', '%s|', '-n', '', "'"))).toString()).toBe("-n||'|");
  });
});

describe('refusals', () => {
  it('refuses NUL in any value', () => {
    expect(() => quote('a\0b')).toThrow(UnsafeValueError);
    expect(() => sh`echo ${'a\0b'}`).toThrow(UnsafeValueError);
    expect(() => sh`echo ${['ok', '\0']}`).toThrow(UnsafeValueError);
    expect(() => argv('echo', '\0')).toThrow(UnsafeValueError);
  });

  it('cannot be forged from a plain string', () => {
    expect(() => new ShellCommand('reboot', Symbol('ShellCommand'))).toThrow();
  });

  it('leaves safe words bare and quotes everything else', () => {
    expect(quote('abc-1.2_3/x:y@z')).toBe('abc-1.2_3/x:y@z');
    expect(quote('')).toBe("''");
    expect(quote('a b')).toBe("'a b'");
    expect(quote("it's")).toBe(`'it'\\''s'`);
    expect(quote(42)).toBe('42');
  });

  it('validates commit ids', () => {
    expect(commitId('abc1234')).toBe('abc1234');
    expect(commitId('a'.repeat(40))).toBe('a'.repeat(40));
    for (const bad of [
      '',
      'abc123',
      'ABC1234',
      'g123456',
      'a'.repeat(41),
      'abc1234;reboot',
      '$(reboot)',
      '-abc1234',
      'HEAD',
      'abc1234\n',
    ])
      expect(() => commitId(bad), bad).toThrow(UnsafeValueError);
  });

  it('validates unit names', () => {
    for (const good of ['preke-recorder', 'r58-api.service', 'getty@tty1.service', 'a:b_c'])
      expect(unitName(good)).toBe(good);
    for (const bad of ['', '-preke', '--now', 'a b', 'a;b', '$(x)', 'a/b', 'x'.repeat(201), 'unit\n', "it's"])
      expect(() => unitName(bad), bad).toThrow(UnsafeValueError);
  });

  it('validates remote paths', () => {
    for (const good of ['/opt/preke-r58-recorder', 'config.yml', '/tmp/a b/ü', '/x/$(y)'])
      expect(remotePath(good)).toBe(good);
    for (const bad of ['', '-rf', '--x', 'a\nb', 'a\0b', 'a\tb', '\x1b[31m', 'x'.repeat(4097)])
      expect(() => remotePath(bad), JSON.stringify(bad)).toThrow(UnsafeValueError);
  });

  it('a refused value names the rule and never echoes more than 80 characters', () => {
    const err = (() => {
      try {
        commitId(`${'z'.repeat(200)}`);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).toMatch(/Commit id .* is not allowed: use 7 to 40 lowercase hex digits/);
    expect(err?.message.length).toBeLessThan(200);
  });
});

describe('sh literal parts', () => {
  it('refuses a NUL byte in the program text too, not only in values', () => {
    expect(() => sh(['echo a\0b'] as unknown as TemplateStringsArray)).toThrow(/NUL/);
  });
  it('says so when the program text has an invalid escape, instead of a TypeError', () => {
    const strings = Object.assign([undefined], { raw: ['printf \\036'] });
    expect(() => sh(strings as unknown as TemplateStringsArray)).toThrow(/invalid escape sequence/);
  });
});

/**
 * The one place where device shell commands are built. Every value is quoted here; callers never
 * concatenate user text into a command string. `exec` only accepts a `ShellCommand`, which only this
 * module can make.
 */
const token = Symbol('ShellCommand');

/** A finished device command. Only this module can make one, so a plain string can never pass as a command. */
export class ShellCommand {
  readonly text: string;
  /** A plain program and its arguments (from `argv`), which `sudo` can run without a shell. */
  readonly words: readonly string[] | undefined;
  constructor(text: string, key: symbol, words?: readonly string[]) {
    if (key !== token) throw new Error('ShellCommand is built only through device/quote');
    this.text = text;
    this.words = words;
  }
  toString(): string {
    return this.text;
  }
}

type Interpolation = string | number | ShellCommand | readonly (string | number)[];

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export class UnsafeValueError extends Error {
  constructor(what: string, value: string, rule: string) {
    super(`${what} ${JSON.stringify(value.slice(0, 80))} is not allowed: ${rule}`);
    this.name = 'UnsafeValueError';
  }
}

/** POSIX single-quote one word. The result is always exactly one shell word with the same bytes. */
export function quote(value: string | number): string {
  const text = String(value);
  if (text.includes('\0')) throw new UnsafeValueError('A value', text, 'it contains a NUL byte');
  if (text.length > 0 && SAFE_WORD.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function made(text: string, words?: readonly string[]): ShellCommand {
  return new ShellCommand(text, token, words);
}

/**
 * Tagged template: the literal parts are trusted program text written by us; every `${value}` is quoted as one
 * word (arrays become several words). A nested `ShellCommand` is inserted as is, so commands compose.
 */
export function sh(strings: TemplateStringsArray, ...values: Interpolation[]): ShellCommand {
  // An invalid escape (e.g. `\036`) leaves the cooked part undefined: say so instead of failing on it later.
  if (strings.some((part) => (part as string | undefined) === undefined))
    throw new UnsafeValueError('A command', strings.raw.join('…'), 'it contains an invalid escape sequence');
  if (strings.some((part) => part.includes('\0')))
    throw new UnsafeValueError('A command', strings.join('…'), 'it contains a NUL byte');
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    if (Array.isArray(value)) out += value.map((v) => quote(v)).join(' ');
    else if (value instanceof ShellCommand) out += value.text;
    else out += quote(value as string | number);
    out += strings[i + 1] ?? '';
  });
  return made(out);
}

/** A command from an argument vector: every element quoted. */
export function argv(program: string, ...args: (string | number)[]): ShellCommand {
  const words = [program, ...args].map(String);
  return made(words.map((a) => quote(a)).join(' '), words);
}

/**
 * Run a command as root through sudo, non-interactively, so a missing sudo rule fails instead of hanging on a
 * prompt. A plain `argv` command runs as itself (`sudo -n systemctl restart …`), so a sudo rule for that one
 * program is enough; anything else runs through `sh -c`.
 */
export function sudo(command: ShellCommand): ShellCommand {
  if (command.words) return made(`sudo -n ${command.text}`);
  return made(`sudo -n sh -c ${quote(command.text)}`);
}

/**
 * For device programs written as shell text (the detached jobs): `asroot <program> <args…>` runs one command
 * through `sudo -n`, the shell counterpart of `sudo(argv(…))`. Put it above the program.
 */
export const AS_ROOT = made(`asroot() { sudo -n "$@"; }`);

/** Join commands with `&&`. */
export function and(...commands: ShellCommand[]): ShellCommand {
  return made(commands.map((c) => c.text).join(' && '));
}

// Validators for values that name things on the device. They run before a value is quoted, so a wrong value
// is refused with a message instead of being passed along as an odd but harmless word.

export function commitId(value: string): string {
  if (!/^[0-9a-f]{7,40}$/.test(value))
    throw new UnsafeValueError('Commit id', value, 'use 7 to 40 lowercase hex digits');
  return value;
}

export function unitName(value: string): string {
  if (!/^[A-Za-z0-9:_.@-]{1,200}$/.test(value) || value.startsWith('-'))
    throw new UnsafeValueError('Unit name', value, 'use letters, digits and :_.@- only');
  return value;
}

export function remotePath(value: string): string {
  if (value.length === 0 || value.length > 4096)
    throw new UnsafeValueError('Path', value, 'use 1 to 4096 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(value))
    throw new UnsafeValueError('Path', value, 'it contains control characters');
  if (value.startsWith('-')) throw new UnsafeValueError('Path', value, 'it cannot start with "-"');
  return value;
}

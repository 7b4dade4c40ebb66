/**
 * A getopt_long-like scanner for the device's commands: `--name=value`, `--name value`, short clusters (`-fq`),
 * `-pX` / `-p X`, and `--` ending options. Errors use getopt's words, prefixed with the program name.
 */

export interface OptionSpec {
  /** Long name without dashes. */
  long: string;
  short?: string;
  /** `none`, `required`, or `optional` (attached only: `-n20`, `--lines=20`; callers may peek further). */
  arg: 'none' | 'required' | 'optional';
}

export interface ParsedOption {
  name: string;
  value?: string;
}

export interface ParsedArgs {
  options: ParsedOption[];
  positionals: string[];
}

export class ArgError extends Error {}

export function scanArgs(program: string, argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const options: ParsedOption[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new ArgError(`${program}: unrecognized option '${eq < 0 ? arg : arg.slice(0, eq)}'`);
      if (spec.arg === 'none') {
        if (eq >= 0) throw new ArgError(`${program}: option '--${name}' doesn't allow an argument`);
        options.push({ name: spec.long });
      } else if (eq >= 0) options.push({ name: spec.long, value: arg.slice(eq + 1) });
      else if (spec.arg === 'required') {
        const value = argv[++i];
        if (value === undefined) throw new ArgError(`${program}: option '--${name}' requires an argument`);
        options.push({ name: spec.long, value });
      } else options.push({ name: spec.long });
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const spec = byShort.get(letter);
        if (!spec) throw new ArgError(`${program}: invalid option -- '${letter}'`);
        if (spec.arg === 'none') {
          options.push({ name: spec.long });
          continue;
        }
        const attached = arg.slice(j + 1);
        if (attached) options.push({ name: spec.long, value: attached });
        else if (spec.arg === 'required') {
          const value = argv[++i];
          if (value === undefined)
            throw new ArgError(`${program}: option requires an argument -- '${letter}'`);
          options.push({ name: spec.long, value });
        } else options.push({ name: spec.long });
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

export function has(parsed: ParsedArgs, name: string): boolean {
  return parsed.options.some((o) => o.name === name);
}

export function values(parsed: ParsedArgs, name: string): string[] {
  return parsed.options.filter((o) => o.name === name && o.value !== undefined).map((o) => o.value as string);
}

export function last(parsed: ParsedArgs, name: string): string | undefined {
  return values(parsed, name).at(-1);
}

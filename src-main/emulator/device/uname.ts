/** `uname` on the emulated R58: the board's kernel and architecture, not this machine's. */
import { ArgError, has, scanArgs, type OptionSpec } from './argv.js';
import { done, fail, type CommandContext, type CommandOutcome } from './command.js';
import { KERNEL_RELEASE } from './kernel/index.js';

const KERNEL_VERSION = '#1 SMP Tue Nov 18 10:12:44 CET 2025';

const OPTIONS: OptionSpec[] = [
  { long: 'all', short: 'a', arg: 'none' },
  { long: 'kernel-name', short: 's', arg: 'none' },
  { long: 'nodename', short: 'n', arg: 'none' },
  { long: 'kernel-release', short: 'r', arg: 'none' },
  { long: 'kernel-version', short: 'v', arg: 'none' },
  { long: 'machine', short: 'm', arg: 'none' },
  { long: 'processor', short: 'p', arg: 'none' },
  { long: 'hardware-platform', short: 'i', arg: 'none' },
  { long: 'operating-system', short: 'o', arg: 'none' },
];

export function uname(ctx: CommandContext, argv: string[]): CommandOutcome {
  let parsed;
  try {
    parsed = scanArgs('uname', argv, OPTIONS);
  } catch (err) {
    return fail(1, `${(err as ArgError).message}\nTry 'uname --help' for more information.`);
  }
  if (parsed.positionals.length > 0)
    return fail(
      1,
      `uname: extra operand '${parsed.positionals[0]}'\nTry 'uname --help' for more information.`,
    );
  const all = has(parsed, 'all');
  const fields: [string, string, boolean][] = [
    ['kernel-name', 'Linux', true],
    ['nodename', ctx.hostname, true],
    ['kernel-release', KERNEL_RELEASE, true],
    ['kernel-version', KERNEL_VERSION, true],
    ['machine', 'aarch64', true],
    ['processor', 'unknown', false],
    ['hardware-platform', 'unknown', false],
    ['operating-system', 'GNU/Linux', true],
  ];
  const picked = fields.filter(([name, , inAll]) => has(parsed, name) || (all && inAll));
  const out = picked.length > 0 ? picked.map(([, v]) => v) : ['Linux'];
  return done(0, `${out.join(' ')}\n`);
}

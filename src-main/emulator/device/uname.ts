/** `uname` on an emulated box: its kernel and architecture (kinds/identity.ts), not this machine's. */
import { ArgError, has, scanArgs, type OptionSpec } from './argv.js';
import { done, fail, type CommandContext, type CommandOutcome } from './command.js';
import { identityOf } from '../kinds/identity.js';

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
  const id = identityOf(ctx.kind ?? 'r58');
  const fields: [string, string, boolean][] = [
    ['kernel-name', 'Linux', true],
    ['nodename', ctx.hostname, true],
    ['kernel-release', id.kernelRelease, true],
    ['kernel-version', id.kernelVersion, true],
    ['machine', id.machine, true],
    ['processor', id.processor, id.processor !== 'unknown'],
    ['hardware-platform', id.processor, id.processor !== 'unknown'],
    ['operating-system', 'GNU/Linux', true],
  ];
  const picked = fields.filter(([name, , inAll]) => has(parsed, name) || (all && inAll));
  const out = picked.length > 0 ? picked.map(([, v]) => v) : ['Linux'];
  return done(0, `${out.join(' ')}\n`);
}

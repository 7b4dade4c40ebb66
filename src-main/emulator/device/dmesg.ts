/**
 * `dmesg` on the emulated R58 (util-linux 2.38 formats). The board restricts the kernel log to root
 * (kernel.dmesg_restrict=1), so without sudo it fails the way the real one does.
 */
import { ArgError, has, last, scanArgs, values, type OptionSpec } from './argv.js';
import { done, fail, type CommandContext, type CommandOutcome } from './command.js';
import type { KernelLine } from './kernel/index.js';
import { ctimeTime } from './time-format.js';

const OPTIONS: OptionSpec[] = [
  { long: 'follow', short: 'w', arg: 'none' },
  { long: 'follow-new', short: 'W', arg: 'none' },
  { long: 'ctime', short: 'T', arg: 'none' },
  { long: 'notime', short: 't', arg: 'none' },
  { long: 'level', short: 'l', arg: 'required' },
  { long: 'decode', short: 'x', arg: 'none' },
  { long: 'raw', short: 'r', arg: 'none' },
  { long: 'kernel', short: 'k', arg: 'none' },
  { long: 'human', short: 'H', arg: 'none' },
  { long: 'nopager', short: 'P', arg: 'none' },
  { long: 'color', short: 'L', arg: 'optional' },
  { long: 'time-format', arg: 'required' },
  { long: 'read-clear', short: 'c', arg: 'none' },
  { long: 'clear', short: 'C', arg: 'none' },
  { long: 'help', short: 'h', arg: 'none' },
];

/** dmesg's level names (util-linux says `warn` where syslog says `warning`). */
const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];

type TimeFormat = 'raw' | 'ctime' | 'notime' | 'iso';

function levelSet(list: string): Set<number> | string {
  const out = new Set<number>();
  for (const word of list.split(',')) {
    const name = word.replace(/^\+|\+$/g, '');
    const i = LEVELS.indexOf(name === 'warning' ? 'warn' : name);
    if (i < 0) return `dmesg: unknown level '${word}'`;
    if (word.endsWith('+')) for (let j = 0; j <= i; j++) out.add(j);
    else if (word.startsWith('+')) for (let j = i; j < LEVELS.length; j++) out.add(j);
    else out.add(i);
  }
  return out;
}

function isoStamp(ms: number, usec: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const tz = `${off < 0 ? '-' : '+'}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())},${String(Math.floor(usec) % 1_000_000).padStart(6, '0')}${tz}`;
}

export function dmesg(ctx: CommandContext, argv: string[]): CommandOutcome {
  let parsed;
  try {
    parsed = scanArgs('dmesg', argv, OPTIONS);
  } catch (err) {
    return fail(1, `${(err as ArgError).message}\nTry 'dmesg --help' for more information.`);
  }
  if (has(parsed, 'help'))
    return done(0, 'Usage:\n dmesg [options]\n\nDisplay or control the kernel ring buffer.\n');
  if (ctx.uid !== 0) {
    const clearing = has(parsed, 'clear') || has(parsed, 'read-clear');
    return fail(1, `dmesg: ${clearing ? 'klogctl' : 'read kernel buffer'} failed: Operation not permitted`);
  }
  let levels: Set<number> | undefined;
  for (const list of values(parsed, 'level')) {
    const set = levelSet(list);
    if (typeof set === 'string') return fail(1, set);
    levels = new Set([...(levels ?? []), ...set]);
  }
  let format: TimeFormat = 'raw';
  if (has(parsed, 'ctime')) format = 'ctime';
  if (has(parsed, 'notime')) format = 'notime';
  const tf = last(parsed, 'time-format');
  if (tf !== undefined) {
    if (tf === 'ctime' || tf === 'notime' || tf === 'iso') format = tf;
    else if (tf !== 'raw' && tf !== 'reltime' && tf !== 'delta')
      return fail(1, `dmesg: unknown time format: ${tf}`);
  }
  const decode = has(parsed, 'decode');
  const raw = has(parsed, 'raw');

  const render = (line: KernelLine): string | undefined => {
    if (levels && !levels.has(line.priority)) return undefined;
    const wall = ctx.kernel.bootTimeMs + line.usec / 1000;
    let stamp = '';
    if (format === 'raw') stamp = `${line.formatted.slice(0, line.formatted.indexOf(']') + 1)} `;
    else if (format === 'ctime') stamp = `[${ctimeTime(wall)}] `;
    else if (format === 'iso') stamp = `${isoStamp(wall, line.usec)} `;
    if (raw) return `<${line.priority}>${stamp}${line.text}\n`;
    const prefix = decode ? `${'kern'.padEnd(6)}:${(LEVELS[line.priority] ?? 'info').padEnd(6)}: ` : '';
    return `${prefix}${stamp}${line.text}\n`;
  };
  const renderAll = (lines: KernelLine[]): string => lines.map(render).filter(Boolean).join('');

  if (has(parsed, 'clear')) {
    ctx.kernel.log.clear();
    return done(0);
  }
  const backlog = renderAll(ctx.kernel.lines());
  if (has(parsed, 'read-clear')) ctx.kernel.log.clear();
  const followNew = has(parsed, 'follow-new');
  if (!has(parsed, 'follow') && !followNew) return done(0, backlog);
  return {
    kind: 'stream',
    follow(write) {
      if (!followNew && backlog) write(backlog);
      return ctx.kernel.subscribe((line) => {
        const text = render(line);
        if (text) write(text);
      });
    },
  };
}

/**
 * `journalctl` on the emulated R58: `-u UNIT`, `-k`, `-f`, `-o short|short-iso|short-precise|short-monotonic|cat|
 * json|json-pretty`, `-n [N]`, `--since/--until`, `--cursor/--after-cursor`, `-p`, `-t`, `-g`, `-r`, `-b`, `-q`,
 * FIELD=VALUE matches.
 */
import { ArgError, has, last, scanArgs, values, type OptionSpec } from './argv.js';
import { done, fail, type CommandContext, type CommandOutcome } from './command.js';
import { entryFields, formatEntry, isOutputMode, type JournalEntry, type OutputMode } from './journal.js';
import { parseSince } from './time-format.js';

const OPTIONS: OptionSpec[] = [
  { long: 'unit', short: 'u', arg: 'required' },
  { long: 'dmesg', short: 'k', arg: 'none' },
  { long: 'follow', short: 'f', arg: 'none' },
  { long: 'output', short: 'o', arg: 'required' },
  { long: 'lines', short: 'n', arg: 'optional' },
  { long: 'since', short: 'S', arg: 'required' },
  { long: 'until', short: 'U', arg: 'required' },
  { long: 'cursor', short: 'c', arg: 'required' },
  { long: 'after-cursor', arg: 'required' },
  { long: 'priority', short: 'p', arg: 'required' },
  { long: 'identifier', short: 't', arg: 'required' },
  { long: 'grep', short: 'g', arg: 'required' },
  { long: 'boot', short: 'b', arg: 'optional' },
  { long: 'reverse', short: 'r', arg: 'none' },
  { long: 'quiet', short: 'q', arg: 'none' },
  { long: 'no-pager', arg: 'none' },
  { long: 'no-hostname', arg: 'none' },
  { long: 'no-tail', arg: 'none' },
  { long: 'all', short: 'a', arg: 'none' },
  { long: 'full', short: 'l', arg: 'none' },
  { long: 'no-full', arg: 'none' },
  { long: 'catalog', short: 'x', arg: 'none' },
  { long: 'pager-end', short: 'e', arg: 'none' },
  { long: 'merge', short: 'm', arg: 'none' },
  { long: 'system', arg: 'none' },
  { long: 'utc', arg: 'none' },
  { long: 'case-sensitive', arg: 'optional' },
  { long: 'help', short: 'h', arg: 'none' },
];

const PRIORITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** journalctl peeks at the next word for `-n`/`-b` without an attached value (`-n 20`, `-b -1`). */
function attachOptional(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if ((arg === '-n' || arg === '--lines') && next !== undefined && /^(\+?\d+|all)$/.test(next)) {
      out.push(`--lines=${next}`);
      i++;
    } else if (
      (arg === '-b' || arg === '--boot') &&
      next !== undefined &&
      /^(-?\d+|[0-9a-f]{32}|all)$/.test(next)
    ) {
      out.push(`--boot=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function priorityNumber(text: string): number | undefined {
  if (/^[0-7]$/.test(text)) return Number(text);
  const i = PRIORITIES.indexOf(text === 'warn' ? 'warning' : text);
  return i >= 0 ? i : undefined;
}

interface Query {
  units: string[];
  kernel: boolean;
  identifiers: string[];
  matches: [string, string][];
  sinceMs?: number;
  untilMs?: number;
  minPriority: number;
  maxPriority: number;
  grep?: RegExp;
  /** Entries from this journal sequence number on (a cursor's `i=`). */
  fromSeq?: number;
}

/** The sequence number a cursor points at, if it is one of this journal's cursors. */
function cursorSeq(ctx: CommandContext, cursor: string): number | undefined {
  const fields = new Map(
    cursor.split(';').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]),
  );
  const seq = fields.get('i');
  if (fields.get('s') !== ctx.journal.seqnumId || seq === undefined || !/^[0-9a-f]+$/.test(seq))
    return undefined;
  return parseInt(seq, 16);
}

function matches(ctx: CommandContext, q: Query, e: JournalEntry): boolean {
  if (q.units.length > 0 || q.kernel) {
    const byUnit = e.unit !== undefined && q.units.includes(e.unit);
    const byKernel = q.kernel && e.transport === 'kernel';
    if (!byUnit && !byKernel) return false;
  }
  if (q.identifiers.length > 0 && !q.identifiers.includes(e.identifier)) return false;
  if (q.fromSeq !== undefined && e.seq < q.fromSeq) return false;
  if (e.priority > q.maxPriority || e.priority < q.minPriority) return false;
  const ms = e.realtimeUs / 1000;
  if (q.sinceMs !== undefined && ms < q.sinceMs) return false;
  if (q.untilMs !== undefined && ms > q.untilMs) return false;
  if (q.grep && !q.grep.test(e.message)) return false;
  if (q.matches.length > 0) {
    const fields = entryFields(ctx.journal, e);
    if (!q.matches.every(([k, v]) => fields[k] === v)) return false;
  }
  return true;
}

export function journalctl(ctx: CommandContext, argv: string[]): CommandOutcome {
  let parsed;
  try {
    parsed = scanArgs('journalctl', attachOptional(argv), OPTIONS);
  } catch (err) {
    return fail(1, (err as ArgError).message);
  }
  if (has(parsed, 'help')) return done(0, 'journalctl [OPTIONS...] [MATCHES...]\n\nQuery the journal.\n');
  const mode = last(parsed, 'output') ?? 'short';
  if (!isOutputMode(mode)) return fail(1, `Unknown output format '${mode}'.`);
  const follow = has(parsed, 'follow');
  const reverse = has(parsed, 'reverse');
  if (follow && reverse) return fail(1, 'Please specify either --reverse or --follow, not both.');

  const boot = last(parsed, 'boot');
  if (boot !== undefined && !/^(0|all)$/.test(boot))
    return fail(1, `Data from the specified boot (${boot}) is not available: No such boot ID in journal`);

  const q: Query = {
    units: values(parsed, 'unit').map((u) => (u.includes('.') ? u : `${u}.service`)),
    kernel: has(parsed, 'dmesg'),
    identifiers: values(parsed, 'identifier'),
    matches: [],
    minPriority: 0,
    maxPriority: 7,
  };
  for (const word of parsed.positionals) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(word);
    if (!m) return fail(1, `Failed to add match '${word}': Invalid argument`);
    q.matches.push([m[1] as string, m[2] as string]);
  }
  const priority = last(parsed, 'priority');
  if (priority !== undefined) {
    const [lo, hi] = priority.split('..');
    const a = priorityNumber(lo ?? '');
    const b = hi === undefined ? undefined : priorityNumber(hi);
    if (a === undefined || (hi !== undefined && b === undefined))
      return fail(1, `Failed to parse priority value: ${priority}`);
    if (b === undefined) q.maxPriority = a;
    else {
      q.minPriority = Math.min(a, b);
      q.maxPriority = Math.max(a, b);
    }
  }
  for (const [name, key] of [
    ['since', 'sinceMs'],
    ['until', 'untilMs'],
  ] as const) {
    const text = last(parsed, name);
    if (text === undefined) continue;
    const ms = parseSince(text);
    if (ms === undefined) return fail(1, `Failed to parse timestamp: ${text}`);
    q[key] = ms;
  }
  const cursor = last(parsed, 'after-cursor') ?? last(parsed, 'cursor');
  if (cursor !== undefined) {
    const seq = cursorSeq(ctx, cursor);
    if (seq === undefined) return fail(1, 'Failed to seek to cursor: Invalid argument');
    q.fromSeq = last(parsed, 'after-cursor') !== undefined ? seq + 1 : seq;
  }
  const pattern = last(parsed, 'grep');
  if (pattern !== undefined) {
    try {
      q.grep = new RegExp(pattern, pattern === pattern.toLowerCase() ? 'i' : '');
    } catch {
      return fail(1, `Failed to compile pattern "${pattern}"`);
    }
  }

  const linesOpt = parsed.options.filter((o) => o.name === 'lines').at(-1);
  let limit: number | undefined;
  let fromStart = false;
  if (linesOpt) {
    const v = linesOpt.value;
    if (v === undefined) limit = 10;
    else if (v === 'all') limit = undefined;
    else if (/^\+\d+$/.test(v)) {
      limit = Number(v.slice(1));
      fromStart = true;
    } else if (/^\d+$/.test(v)) limit = Number(v);
    else return fail(1, `Failed to parse lines '${v}'`);
  } else if (follow && cursor === undefined) limit = 10;
  else if (has(parsed, 'pager-end')) limit = 1000;

  let selected = ctx.journal.entries().filter((e) => matches(ctx, q, e));
  if (limit !== undefined)
    selected = fromStart ? selected.slice(0, limit) : selected.slice(-limit || selected.length);
  if (limit === 0) selected = [];
  if (reverse) selected = [...selected].reverse();
  const render = (e: JournalEntry): string => `${formatEntry(ctx.journal, e, mode as OutputMode)}\n`;
  const backlog = selected.map(render).join('');
  const quiet = has(parsed, 'quiet');
  const json = mode.startsWith('json');

  if (!follow) {
    const empty = selected.length === 0 && !quiet && !json ? '-- No entries --\n' : '';
    return done(0, backlog + empty);
  }
  return {
    kind: 'stream',
    follow(write) {
      if (backlog) write(backlog);
      return ctx.journal.subscribe((e) => {
        if (matches(ctx, q, e)) write(render(e));
      });
    },
  };
}

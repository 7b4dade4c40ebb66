/**
 * `systemctl` on the emulated R58: the verbs a console uses, with systemd 252's output formats and exit codes.
 * start/stop/restart and reboot need root (sudo), as without a polkit agent on the board.
 */
import { readFileSync } from 'node:fs';
import { ArgError, has, last, scanArgs, values, type OptionSpec } from './argv.js';
import { done, fail, type CommandContext, type CommandOutcome } from './command.js';
import { formatEntry } from './journal.js';
import { cmdline, descendants, listProcs, type ProcEntry } from './proc.js';
import { ago, systemdTime } from './time-format.js';
import { UnitError, type Unit } from './units.js';

const OPTIONS: OptionSpec[] = [
  { long: 'property', short: 'p', arg: 'required' },
  { long: 'value', arg: 'none' },
  { long: 'P', short: 'P', arg: 'required' },
  { long: 'no-pager', arg: 'none' },
  { long: 'no-legend', arg: 'none' },
  { long: 'no-ask-password', arg: 'none' },
  { long: 'no-block', arg: 'none' },
  { long: 'quiet', short: 'q', arg: 'none' },
  { long: 'full', short: 'l', arg: 'none' },
  { long: 'plain', arg: 'none' },
  { long: 'all', short: 'a', arg: 'none' },
  { long: 'system', arg: 'none' },
  { long: 'now', arg: 'none' },
  { long: 'force', short: 'f', arg: 'none' },
  { long: 'lines', short: 'n', arg: 'required' },
  { long: 'output', short: 'o', arg: 'required' },
  { long: 'type', short: 't', arg: 'required' },
  { long: 'state', arg: 'required' },
  { long: 'signal', short: 's', arg: 'required' },
  { long: 'kill-whom', arg: 'required' },
  { long: 'help', short: 'h', arg: 'none' },
];

const MUTATING = new Set([
  'start',
  'stop',
  'restart',
  'try-restart',
  'condrestart',
  'reload-or-restart',
  'kill',
  'reset-failed',
  'daemon-reload',
  'enable',
  'disable',
]);
const CLK_TCK = 100;

function unitId(name: string): string {
  return name.includes('.') ? name : `${name}.service`;
}

function timestamp(ms: number): string {
  return ms ? systemdTime(ms) : '';
}

function monotonic(ctx: CommandContext, ms: number): string {
  return ms ? String(Math.max(0, Math.floor((ms - ctx.bootTimeMs) * 1000))) : '0';
}

function usec(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}min`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The processes of a unit, main process first; the supervisor itself is left out. */
function unitProcs(unit: Unit): ProcEntry[] {
  const root = unit.groupRoot;
  if (root === undefined) return [];
  const procs = descendants(root, listProcs());
  return procs.sort((a, b) => (a.pid === unit.mainPid ? -1 : b.pid === unit.mainPid ? 1 : a.pid - b.pid));
}

function rssBytes(pid: number): number {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return Number.isFinite(pages) ? pages * 4096 : 0;
  } catch {
    return 0;
  }
}

/** Every property `systemctl show` prints for a service, in systemd's order (service first, then unit). */
function properties(ctx: CommandContext, name: string, unit: Unit | undefined): [string, string][] {
  const id = unitId(name);
  if (!unit)
    return [
      ['Restart', 'no'],
      ['MainPID', '0'],
      ['NRestarts', '0'],
      ['Id', id],
      ['Names', id],
      ['Description', id],
      ['LoadState', 'not-found'],
      ['ActiveState', 'inactive'],
      ['SubState', 'dead'],
      ['UnitFileState', ''],
      ['ActiveEnterTimestamp', ''],
      ['ActiveExitTimestamp', ''],
      ['InactiveEnterTimestamp', ''],
      ['InactiveExitTimestamp', ''],
      ['LoadError', `org.freedesktop.systemd1.NoSuchUnit "Unit ${id} not found."`],
    ];
  const s = unit.spec;
  const procs = unitProcs(unit);
  const cpuNs = procs.reduce((sum, p) => sum + p.cpuTicks, 0) * (1e9 / CLK_TCK);
  const memory = procs.reduce((sum, p) => sum + rssBytes(p.pid), 0);
  const running = procs.length > 0;
  const lastChange = Math.max(unit.activeEnter, unit.activeExit, unit.inactiveEnter, unit.inactiveExit);
  return [
    ['Type', s.ready ? 'notify' : 'simple'],
    ['Restart', s.restart],
    ['NotifyAccess', s.ready ? 'main' : 'none'],
    ['RestartUSec', usec(s.restartDelayMs)],
    ['TimeoutStartUSec', usec(s.startTimeoutMs ?? 90_000)],
    ['TimeoutStopUSec', usec(s.stopTimeoutMs)],
    ['RemainAfterExit', 'no'],
    ['MainPID', String(unit.mainPid)],
    ['ControlPID', '0'],
    ['StatusErrno', '0'],
    ['Result', unit.result],
    ['ReloadResult', 'success'],
    ['CleanResult', 'success'],
    ['UID', '[not set]'],
    ['GID', '[not set]'],
    ['NRestarts', String(unit.nRestarts)],
    ['OOMPolicy', 'stop'],
    ['ExecMainStartTimestamp', timestamp(unit.execMainStart)],
    ['ExecMainStartTimestampMonotonic', monotonic(ctx, unit.execMainStart)],
    ['ExecMainExitTimestamp', timestamp(unit.execMainExit)],
    ['ExecMainExitTimestampMonotonic', monotonic(ctx, unit.execMainExit)],
    ['ExecMainPID', String(unit.execMainPid)],
    ['ExecMainCode', String(unit.execMainCode)],
    ['ExecMainStatus', String(unit.execMainStatus)],
    [
      'ExecStart',
      `{ path=${s.exec[0]} ; argv[]=${s.exec.join(' ')} ; ignore_errors=no ; start_time=[${timestamp(unit.execMainStart) || 'n/a'}] ; stop_time=[${timestamp(unit.execMainExit) || 'n/a'}] ; pid=${unit.execMainPid} ; code=${running ? '(null)' : 'exited'} ; status=${unit.execMainStatus}/0 }`,
    ],
    ['WorkingDirectory', s.cwd],
    ['Slice', 'system.slice'],
    ['ControlGroup', running ? `/system.slice/${id}` : ''],
    ['MemoryCurrent', running ? String(memory) : '[not set]'],
    ['CPUUsageNSec', running ? String(Math.round(cpuNs)) : '[not set]'],
    ['TasksCurrent', running ? String(procs.length) : '[not set]'],
    ['KillMode', s.killMode],
    ['KillSignal', '15'],
    ['FinalKillSignal', '9'],
    ['SendSIGKILL', 'yes'],
    ['Id', id],
    ['Names', id],
    ['Requires', 'system.slice sysinit.target'],
    ['WantedBy', 'multi-user.target'],
    [
      'After',
      ['network-online.target', 'system.slice', 'sysinit.target', ...(s.after ?? []).map(unitId)].join(' '),
    ],
    ['Description', s.description],
    ['LoadState', 'loaded'],
    ['ActiveState', unit.activeState],
    ['FreezerState', 'running'],
    ['SubState', unit.subState],
    ['FragmentPath', s.fragmentPath],
    ['UnitFileState', 'enabled'],
    ['UnitFilePreset', 'enabled'],
    ['StateChangeTimestamp', timestamp(lastChange)],
    ['StateChangeTimestampMonotonic', monotonic(ctx, lastChange)],
    ['InactiveExitTimestamp', timestamp(unit.inactiveExit)],
    ['InactiveExitTimestampMonotonic', monotonic(ctx, unit.inactiveExit)],
    ['ActiveEnterTimestamp', timestamp(unit.activeEnter)],
    ['ActiveEnterTimestampMonotonic', monotonic(ctx, unit.activeEnter)],
    ['ActiveExitTimestamp', timestamp(unit.activeExit)],
    ['ActiveExitTimestampMonotonic', monotonic(ctx, unit.activeExit)],
    ['InactiveEnterTimestamp', timestamp(unit.inactiveEnter)],
    ['InactiveEnterTimestampMonotonic', monotonic(ctx, unit.inactiveEnter)],
    ['CanStart', 'yes'],
    ['CanStop', 'yes'],
    ['CanReload', 'no'],
  ];
}

function show(
  ctx: CommandContext,
  units: string[],
  props: string[],
  valueOnly: boolean,
  all: boolean,
): string {
  const blocks = units.map((name) => {
    const rows = properties(ctx, name, ctx.units.get(name));
    const wanted = props.length > 0 ? rows.filter(([k]) => props.includes(k)) : rows;
    return wanted
      .filter(([, v]) => props.length > 0 || all || v !== '')
      .map(([k, v]) => (valueOnly ? `${v}\n` : `${k}=${v}\n`))
      .join('');
  });
  return blocks.join('\n');
}

function managerShow(props: string[], valueOnly: boolean): string {
  const rows: [string, string][] = [
    ['Version', '252.33-1~deb12u1'],
    ['Architecture', 'arm64'],
    ['SystemState', 'running'],
    ['DefaultTimeoutStopUSec', '1min 30s'],
  ];
  return rows
    .filter(([k]) => props.length === 0 || props.includes(k))
    .map(([k, v]) => (valueOnly ? `${v}\n` : `${k}=${v}\n`))
    .join('');
}

function bullet(unit: Unit | undefined): string {
  if (!unit || unit.activeState === 'inactive') return '○';
  return unit.activeState === 'failed' ? '×' : '●';
}

function exitDescription(unit: Unit): string {
  const code = unit.execMainCode;
  if (code === 2 || code === 3)
    return `code=${code === 3 ? 'dumped' : 'killed'}, signal=${signalName(unit.execMainStatus)}`;
  return `code=exited, status=${unit.execMainStatus}/${unit.execMainStatus === 0 ? 'SUCCESS' : 'FAILURE'}`;
}

function signalName(n: number): string {
  const names: Record<number, string> = { 1: 'HUP', 2: 'INT', 6: 'ABRT', 9: 'KILL', 11: 'SEGV', 15: 'TERM' };
  return names[n] ?? String(n);
}

function status(ctx: CommandContext, name: string, unit: Unit, lines: number): string {
  const s = unit.spec;
  const id = unitId(name);
  const out: string[] = [];
  out.push(`${bullet(unit)} ${id} - ${s.description}`);
  out.push(`     Loaded: loaded (${s.fragmentPath}; enabled; preset: enabled)`);
  const since = (ms: number): string => (ms ? ` since ${systemdTime(ms)}; ${ago(ms)}` : '');
  const state = unit.activeState;
  if (state === 'active' || state === 'activating' || state === 'deactivating')
    out.push(
      `     Active: ${state} (${unit.subState})${since(state === 'active' ? unit.activeEnter : unit.inactiveExit)}`,
    );
  else if (state === 'failed')
    out.push(`     Active: failed (Result: ${unit.result})${since(unit.inactiveEnter)}`);
  else out.push(`     Active: inactive (dead)${since(unit.inactiveEnter)}`);
  const procs = unitProcs(unit);
  if (unit.mainPid) {
    const main = procs.find((p) => p.pid === unit.mainPid);
    out.push(`   Main PID: ${unit.mainPid} (${main?.comm ?? s.identifier})`);
  } else if (unit.execMainPid) {
    out.push(`   Main PID: ${unit.execMainPid} (${exitDescription(unit)})`);
  }
  if (procs.length > 0) {
    const memory = procs.reduce((sum, p) => sum + rssBytes(p.pid), 0);
    const cpuMs = (procs.reduce((sum, p) => sum + p.cpuTicks, 0) * 1000) / CLK_TCK;
    out.push(`      Tasks: ${procs.length} (limit: 18973)`);
    out.push(`     Memory: ${(memory / 1048576).toFixed(1)}M`);
    out.push(`        CPU: ${cpuMs >= 1000 ? `${(cpuMs / 1000).toFixed(3)}s` : `${Math.round(cpuMs)}ms`}`);
    out.push(`     CGroup: /system.slice/${id}`);
    procs.forEach((p, i) => {
      const branch = i === procs.length - 1 ? '└─' : '├─';
      const argv = cmdline(p.pid).join(' ') || `[${p.comm}]`;
      out.push(`             ${branch}${p.pid} ${argv}`);
    });
  }
  const entries = ctx.journal.entries().filter((e) => e.unit === id);
  const tail = lines > 0 ? entries.slice(-lines) : [];
  if (tail.length > 0) {
    out.push('');
    for (const e of tail) out.push(formatEntry(ctx.journal, e, 'short'));
  }
  return `${out.join('\n')}\n`;
}

function listUnits(ctx: CommandContext, legend: boolean, plain: boolean): string {
  const rows = ctx.units.all().map((u) => [u.id, 'loaded', u.activeState, u.subState, u.spec.description]);
  const header = ['UNIT', 'LOAD', 'ACTIVE', 'SUB', 'DESCRIPTION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], mark: string): string =>
    `${plain ? '' : mark}${cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join(' ')}`;
  const out: string[] = [];
  if (legend) out.push(line(header, '  '));
  for (const r of rows) out.push(line(r as string[], r[2] === 'failed' ? '● ' : '  '));
  if (legend)
    out.push(
      '',
      'LOAD   = Reflects whether the unit definition was properly loaded.',
      'ACTIVE = The high-level unit activation state, i.e. generalization of SUB.',
      'SUB    = The low-level unit activation state, values depend on unit type.',
      `${rows.length} loaded units listed.`,
    );
  return `${out.join('\n')}\n`;
}

function unitFile(unit: Unit): string {
  const s = unit.spec;
  return [
    `# ${s.fragmentPath}`,
    '[Unit]',
    `Description=${s.description}`,
    `After=network-online.target${(s.after ?? []).map((a) => ` ${unitId(a)}`).join('')}`,
    '',
    '[Service]',
    `Type=${s.ready ? 'notify' : 'simple'}`,
    `WorkingDirectory=${s.cwd}`,
    `ExecStart=${s.exec.join(' ')}`,
    `Restart=${s.restart}`,
    `RestartSec=${s.restartDelayMs / 1000}`,
    `TimeoutStopSec=${s.stopTimeoutMs / 1000}`,
    `KillMode=${s.killMode}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

const VERB_PAST: Record<string, string> = {
  start: 'start',
  stop: 'stop',
  restart: 'restart',
  'try-restart': 'try-restart',
  condrestart: 'try-restart',
  'reload-or-restart': 'reload-or-restart',
  kill: 'kill',
};

async function runJobs(
  ctx: CommandContext,
  verb: string,
  names: string[],
  signalName?: string,
  noBlock = false,
): Promise<CommandOutcome> {
  if (names.length === 0) return fail(1, 'Too few arguments.');
  let stderr = '';
  let code = 0;
  for (const name of names) {
    const unit = ctx.units.get(name);
    const id = unitId(name);
    if (!unit) {
      if (verb === 'stop' || verb === 'kill') {
        stderr += `Failed to ${verb} ${id}: Unit ${id} not loaded.\n`;
        code = 5;
      } else {
        stderr += `Failed to ${VERB_PAST[verb] ?? verb} ${id}: Unit ${id} not found.\n`;
        code = 5;
      }
      continue;
    }
    try {
      const job =
        verb === 'start'
          ? unit.start()
          : verb === 'stop'
            ? unit.stop()
            : verb === 'restart' || verb === 'reload-or-restart'
              ? unit.restart()
              : undefined;
      // --no-block: the job is queued and systemctl returns at once; its outcome shows in the unit's state.
      if (job && noBlock) void job.catch(() => undefined);
      else if (job) await job;
      else if (verb === 'try-restart' || verb === 'condrestart') {
        if (unit.activeState === 'active') await unit.restart();
      } else if (verb === 'kill') {
        const sig = (signalName ?? 'SIGTERM').replace(/^(SIG)?/, 'SIG') as NodeJS.Signals;
        const root = unit.groupRoot;
        if (root !== undefined) for (const p of descendants(root)) process.kill(p.pid, sig);
      }
    } catch (err) {
      stderr += `${err instanceof UnitError ? err.message : `Failed to ${verb} ${id}: ${(err as Error).message}`}\n`;
      code = err instanceof UnitError ? err.exitCode : 1;
    }
  }
  return done(code, '', stderr);
}

export async function systemctl(ctx: CommandContext, argv: string[]): Promise<CommandOutcome> {
  let parsed;
  try {
    parsed = scanArgs('systemctl', argv, OPTIONS);
  } catch (err) {
    return fail(1, (err as ArgError).message);
  }
  if (has(parsed, 'help'))
    return done(
      0,
      'systemctl [OPTIONS...] COMMAND ...\n\nQuery or send control commands to the system manager.\n',
    );
  const [verb = 'list-units', ...names] = parsed.positionals;
  const quiet = has(parsed, 'quiet');
  const props = [...values(parsed, 'property'), ...values(parsed, 'P')]
    .flatMap((p) => p.split(','))
    .filter(Boolean);
  const valueOnly = has(parsed, 'value') || values(parsed, 'P').length > 0;

  if (verb === 'reboot') {
    // systemd 252 asks logind first, then falls back to starting reboot.target; both need polkit without root.
    if (ctx.uid !== 0)
      return fail(
        1,
        'Failed to reboot system via logind: Interactive authentication required.\n' +
          'Failed to start reboot.target: Interactive authentication required.\n' +
          "See system logs and 'systemctl status reboot.target' for details.",
      );
    if (!ctx.reboot) return fail(1, 'Failed to start reboot.target: Transport endpoint is not connected');
    ctx.reboot();
    return done(0);
  }

  if (MUTATING.has(verb) && ctx.uid !== 0) {
    const first = unitId(names[0] ?? '');
    const what = verb === 'daemon-reload' ? 'reload daemon' : `${VERB_PAST[verb] ?? verb} ${first}`;
    return fail(
      1,
      `Failed to ${what}: Interactive authentication required.\nSee system logs and 'systemctl status ${first}' for details.`,
    );
  }

  switch (verb) {
    case 'start':
    case 'stop':
    case 'restart':
    case 'try-restart':
    case 'condrestart':
    case 'reload-or-restart':
    case 'kill':
      return runJobs(ctx, verb, names, last(parsed, 'signal'), has(parsed, 'no-block'));
    case 'is-active':
    case 'is-failed': {
      if (names.length === 0) return fail(1, 'Too few arguments.');
      const states = names.map((n) => ctx.units.get(n)?.activeState ?? 'inactive');
      const want = verb === 'is-active' ? 'active' : 'failed';
      const any = states.some((s) => s === want);
      return done(any ? 0 : verb === 'is-active' ? 3 : 1, quiet ? '' : states.map((s) => `${s}\n`).join(''));
    }
    case 'is-enabled': {
      if (names.length === 0) return fail(1, 'Too few arguments.');
      const missing = names.find((n) => !ctx.units.get(n));
      if (missing)
        return fail(1, `Failed to get unit file state for ${unitId(missing)}: No such file or directory`);
      return done(0, quiet ? '' : names.map(() => 'enabled\n').join(''));
    }
    case 'show':
      if (names.length === 0) return done(0, managerShow(props, valueOnly));
      return done(0, show(ctx, names, props, valueOnly, has(parsed, 'all')));
    case 'status': {
      if (names.length === 0)
        return done(
          0,
          `● ${ctx.hostname}\n    State: running\n    Units: ${ctx.units.all().length} loaded (incl. loaded aliases)\n     Jobs: 0 queued\n   Failed: ${ctx.units.all().filter((u) => u.activeState === 'failed').length} units\n`,
        );
      const lines = Number(last(parsed, 'lines') ?? '10');
      let stdout = '';
      let stderr = '';
      let code = 0;
      for (const name of names) {
        const unit = ctx.units.get(name);
        if (!unit) {
          stderr += `Unit ${unitId(name)} could not be found.\n`;
          code = 4;
          continue;
        }
        if (stdout) stdout += '\n';
        stdout += status(ctx, name, unit, Number.isFinite(lines) ? lines : 10);
        if (unit.activeState !== 'active' && code === 0) code = 3;
      }
      return done(code, stdout, stderr);
    }
    case 'list-units':
      return done(0, listUnits(ctx, !has(parsed, 'no-legend'), has(parsed, 'plain')));
    case 'list-unit-files': {
      const rows = ctx.units.all().map((u) => `${u.id.padEnd(24)} enabled enabled\n`);
      const legend = !has(parsed, 'no-legend');
      return done(
        0,
        `${legend ? `${'UNIT FILE'.padEnd(24)} STATE   VENDOR PRESET\n` : ''}${rows.join('')}${legend ? `\n${rows.length} unit files listed.\n` : ''}`,
      );
    }
    case 'cat': {
      if (names.length === 0) return fail(1, 'Too few arguments.');
      const units = names.map((n) => ctx.units.get(n));
      const missingIndex = units.findIndex((u) => !u);
      if (missingIndex >= 0) return fail(1, `No files found for ${unitId(names[missingIndex] ?? '')}.`);
      return done(0, units.map((u) => unitFile(u as Unit)).join('\n'));
    }
    case 'reset-failed':
      for (const u of names.length ? names.map((n) => ctx.units.get(n)) : ctx.units.all()) u?.resetFailed();
      return done(0);
    case 'daemon-reload':
    case 'enable':
    case 'disable':
      return done(0);
    default:
      return fail(1, `Unknown command verb '${verb}'.`);
  }
}

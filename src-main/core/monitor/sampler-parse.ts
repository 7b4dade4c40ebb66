/**
 * The console side of the sampler: turns the stream from sampler-script.ts (format 1, described there) into
 * MonitorSamples. Stateful: chunks may split anywhere, even mid-line, and the CPU figures are deltas between ticks.
 *
 * - `cpuPercent` is the whole machine (all cores = 100) from /proc/stat deltas. The first tick has nothing to
 *   compare with, so its `cpuPercent` is null and `topProcesses` empty (null is "not known yet", never a fake 0).
 * - `topProcesses[].percent` is percent of ONE core, as `top` shows it: a process using two cores fully is 200.
 * - VPU: the files are parsed liberally (see parseVpuFiles); `byProcess` groups sessions by the process (tgid)
 *   the file's pid belongs to, named by its comm (e.g. `gst-launch-1.0`).
 */
import type { MonitorSample, VpuReading } from '../../contract/index.js';
import { SAMPLER_FORMAT } from './sampler-script.js';

type Kind = 'enc' | 'dec' | 'unknown';

export interface VpuFileText {
  path: string;
  text: string;
}

export interface ParsedSession {
  /** The session's index in the driver, when the file shows it. */
  index?: number;
  pid?: number;
  kind: Kind;
}

export interface ParsedVpu {
  sessions: ParsedSession[];
  /** True when the files only hold per-core encoder tables (`sessions-info`): decoders are not listed. */
  encodersOnly: boolean;
}

/** What the sampler said about itself in its header. */
export interface SamplerInfo {
  format: number;
  /** The remote shell at the root of the sampler's process tree, and its process group (kill -TERM -pgid). */
  pid: number | null;
  pgid: number | null;
  /** Whether it runs as root (through sudo -n); when not, sudo's own words for why. */
  privileged: boolean | null;
  sudoMessage: string;
}

type VpuState = 'ok' | 'denied' | 'missing' | 'unreadable';

interface Tick {
  cpu?: { total: number; idle: number; cores: number };
  memory?: { totalBytes: number; availableBytes: number };
  load?: [number, number, number];
  zones: { name: string; celsius: number }[];
  candidates: { group: number; state: VpuState; path: string }[];
  /** The VPU files sent this tick, their lines as they arrive. */
  files: { path: string; lines: string[] }[] | undefined;
  same: boolean;
  /** pid in the VPU file → its process and that process's name. */
  names: Map<number, { tgid: number; name: string }>;
  procs: { pid: number; ticks: number; name: string }[];
}

const ENC_HINT = /\b(enc|encoder)\b|venc|vepu|jpege|h26[45]e\b|mpp\w*enc/i;
const DEC_HINT = /\b(dec|decoder)\b|vdec|vdpu|av1d|jpegd|mppvideodec|mpp\w*dec/i;

function kindOf(text: string): Kind {
  const enc = ENC_HINT.test(text);
  const dec = DEC_HINT.test(text);
  if (enc === dec) return 'unknown';
  return enc ? 'enc' : 'dec';
}

function firstKind(...texts: (string | undefined)[]): Kind {
  for (const text of texts) {
    if (text === undefined) continue;
    const kind = kindOf(text);
    if (kind !== 'unknown') return kind;
  }
  return 'unknown';
}

const PID = /\bpid\s*[=:]?\s*(\d+)/i;
const INDEX = /\bindex\s*[=:]\s*(\d+)/i;
/** A line that starts a session's block: `session 3: pid=…` (debugfs) or `session: pid=… index=…` (procfs). */
const BLOCK_HEAD = /^\s*session\b(?!\s+iova\b)\s*(\d+)?/i;
/** A row of the rkvenc/rkvdec table: `|      11|  RKVENC|    3840|…`. */
const TABLE_ROW = /^\s*\|\s*(\d+)\s*\|\s*([A-Za-z0-9_-]+)\s*\|/;

function numberIn(re: RegExp, text: string): number | undefined {
  const m = re.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * One file: session blocks if it has any, else table rows, else each line with the word "session" (seed 002's
 * `grep -c session`, minus headings such as "sessions:").
 */
function parseOne(text: string): { sessions: ParsedSession[]; tableOnly: boolean } {
  const lines = text.split('\n');
  const blocks: string[][] = [];
  for (const line of lines) {
    if (BLOCK_HEAD.test(line)) blocks.push([line]);
    else blocks.at(-1)?.push(line);
  }
  if (blocks.length > 0)
    return {
      tableOnly: false,
      sessions: blocks.map((block) => {
        const head = block[0] ?? '';
        const device = block.find((l) => /^\s*device\s*:/i.test(l));
        const row = block.map((l) => TABLE_ROW.exec(l)?.[2]).find((d) => d !== undefined);
        const body = block.join('\n');
        const index = numberIn(BLOCK_HEAD, head) ?? numberIn(INDEX, body);
        const pid = numberIn(PID, body);
        return {
          ...(index !== undefined ? { index } : {}),
          ...(pid !== undefined ? { pid } : {}),
          kind: firstKind(head.replace(BLOCK_HEAD, ''), device, row, body),
        };
      }),
    };
  const rows = lines.flatMap((line) => {
    const m = TABLE_ROW.exec(line);
    return m ? [{ index: Number(m[1]), kind: firstKind(m[2]) }] : [];
  });
  if (rows.length > 0) return { tableOnly: true, sessions: rows };
  return {
    tableOnly: false,
    sessions: lines
      .filter((line) => /\bsession\b/i.test(line))
      .map((line) => {
        const pid = numberIn(PID, line);
        return { ...(pid !== undefined ? { pid } : {}), kind: kindOf(line) };
      }),
  };
}

/**
 * Sessions in the VPU files read in one tick. Accepts the emulator's debugfs layout, the BSP's
 * `sessions-summary` (iova dump, `session: pid=… index=…`, ` device: …`, encoder table) and per-core
 * `sessions-info` tables (each core's file lists every encoder session, so rows are de-duplicated by index).
 */
export function parseVpuFiles(files: readonly VpuFileText[]): ParsedVpu {
  const sessions: ParsedSession[] = [];
  const seen = new Set<number>();
  let tables = 0;
  for (const file of files) {
    const one = parseOne(file.text);
    if (one.tableOnly) tables++;
    for (const session of one.sessions) {
      if (one.tableOnly && session.index !== undefined) {
        if (seen.has(session.index)) continue;
        seen.add(session.index);
      }
      sessions.push(session);
    }
  }
  const encodersOnly =
    files.length > 0 && tables === files.length && files.every((f) => /sessions-info$/.test(f.path));
  return { sessions, encodersOnly };
}

function list(paths: readonly string[]): string {
  if (paths.length === 1) return `${paths[0]} does not exist`;
  if (paths.length === 2) return `Neither ${paths[0]} nor ${paths[1]} exists`;
  return `None of ${paths.slice(0, -1).join(', ')} or ${paths.at(-1)} exists`;
}

const ALLOW_SUDO = 'Allow passwordless sudo for the login user (as on the R58 image) to see VPU sessions.';

/** Why a root-only file cannot be read, from sudo's own message. */
function sudoProblem(path: string, message: string): string {
  const said = message.trim().split('\n')[0] ?? '';
  if (/password is required|terminal is required|askpass/i.test(said))
    return `Cannot read ${path}: it is root-only and \`sudo -n\` needs a password on this device. ${ALLOW_SUDO}`;
  if (/not found|no such file/i.test(said))
    return `Cannot read ${path}: it is root-only and sudo is not installed on this device. Install sudo and allow it without a password for the login user to see VPU sessions.`;
  if (/not allowed|not in the sudoers|may not run/i.test(said))
    return `Cannot read ${path}: it is root-only and the login user may not run \`sh\` through sudo (sudo said: "${said}"). ${ALLOW_SUDO}`;
  return `Cannot read ${path}: it is root-only and \`sudo -n\` failed${said ? ` (${said})` : ''}. ${ALLOW_SUDO}`;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export class SampleParser {
  private readonly topN: number;
  private readonly now: () => number;
  private readonly vpuFiles: readonly string[] | undefined;
  private partial = '';
  private tick: Tick | undefined;
  private lastCpu: { total: number; idle: number } | undefined;
  private lastFiles: VpuFileText[] | undefined;
  /** Names of processes seen in earlier ticks, for a pid whose process ended between two reads of this tick. */
  private knownNames = new Map<number, { tgid: number; name: string }>();
  private readonly infoValue: SamplerInfo = {
    format: 0,
    pid: null,
    pgid: null,
    privileged: null,
    sudoMessage: '',
  };
  /** Set when the stream is not one this parser reads (then it yields nothing). */
  failure: string | undefined;

  constructor(opts: { topN?: number; now?: () => number; vpuFiles?: readonly string[] } = {}) {
    this.topN = opts.topN ?? 5;
    this.now = opts.now ?? Date.now;
    this.vpuFiles = opts.vpuFiles;
  }

  /** The sampler's header: format, remote pid and process group, privilege. */
  get info(): Readonly<SamplerInfo> {
    return this.infoValue;
  }

  /** Feed a chunk of stdout; returns the samples it completed, in order. */
  push(chunk: string): MonitorSample[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    const samples: MonitorSample[] = [];
    for (const line of lines) {
      const sample = this.line(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (sample) samples.push(sample);
    }
    return samples;
  }

  private line(line: string): MonitorSample | undefined {
    if (this.failure !== undefined) return undefined;
    const space = line.indexOf(' ');
    const word = space < 0 ? line : line.slice(0, space);
    const rest = space < 0 ? '' : line.slice(space + 1);
    if (this.infoValue.format === 0) {
      if (word !== 'tally-sampler') return undefined;
      const format = Number(rest);
      if (format !== SAMPLER_FORMAT) {
        this.failure = `The device's sampler speaks format ${rest}; this console reads format ${SAMPLER_FORMAT}.`;
        return undefined;
      }
      this.infoValue.format = format;
      return undefined;
    }
    const tick = this.tick;
    if (line.startsWith('|')) {
      tick?.files?.at(-1)?.lines.push(line.slice(1));
      return undefined;
    }
    const f = rest.split(' ');
    switch (word) {
      case 'pid':
        this.infoValue.pid = toInt(f[0]);
        this.infoValue.pgid = toInt(f[1]);
        return undefined;
      case 'priv':
        this.infoValue.privileged = f[0] === 'root';
        this.infoValue.sudoMessage = f[0] === 'root' ? '' : rest.slice(f[0]?.length ?? 0).trim();
        return undefined;
      case 'tick':
        this.tick = { zones: [], candidates: [], files: undefined, same: false, names: new Map(), procs: [] };
        return undefined;
      case 'end':
        this.tick = undefined;
        return tick ? this.finish(tick) : undefined;
    }
    if (!tick) return undefined;
    const nums = f.map(Number);
    switch (word) {
      case 'cpu':
        if (nums.length >= 3 && nums.every(Number.isFinite))
          tick.cpu = { total: nums[0] ?? 0, idle: nums[1] ?? 0, cores: nums[2] ?? 0 };
        break;
      case 'mem':
        if (nums.length >= 2 && nums.every(Number.isFinite))
          tick.memory = { totalBytes: (nums[0] ?? 0) * 1024, availableBytes: (nums[1] ?? 0) * 1024 };
        break;
      case 'load':
        if (nums.length >= 3 && nums.slice(0, 3).every(Number.isFinite))
          tick.load = [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0];
        break;
      case 'zone': {
        const milli = nums[0];
        if (milli !== undefined && Number.isFinite(milli))
          tick.zones.push({ name: f.slice(1).join(' '), celsius: milli / 1000 });
        break;
      }
      case 'vpu': {
        const state = f[1];
        if (state === 'ok' || state === 'denied' || state === 'missing' || state === 'unreadable')
          tick.candidates.push({ group: nums[0] ?? 0, state, path: f.slice(2).join(' ') });
        break;
      }
      case 'vfile':
        tick.files ??= [];
        tick.files.push({ path: rest, lines: [] });
        break;
      case 'vsame':
        tick.same = true;
        break;
      case 'name': {
        const pid = toInt(f[0]);
        const tgid = toInt(f[1]);
        if (pid !== null && tgid !== null) tick.names.set(pid, { tgid, name: f.slice(2).join(' ') });
        break;
      }
      case 'proc': {
        const pid = toInt(f[0]);
        const ticks = nums[1];
        if (pid !== null && ticks !== undefined && Number.isFinite(ticks))
          tick.procs.push({ pid, ticks, name: f.slice(2).join(' ') });
        break;
      }
    }
    return undefined;
  }

  private finish(tick: Tick): MonitorSample {
    let cpuPercent: number | null = null;
    let topProcesses: MonitorSample['topProcesses'] = [];
    const cpu = tick.cpu;
    if (cpu && this.lastCpu) {
      const total = cpu.total - this.lastCpu.total;
      const idle = cpu.idle - this.lastCpu.idle;
      if (total > 0) {
        cpuPercent = round1(Math.min(100, Math.max(0, (100 * (total - idle)) / total)));
        const perCore = total / Math.max(1, cpu.cores);
        topProcesses = tick.procs
          .slice(0, this.topN)
          .map((p) => ({ pid: p.pid, name: p.name, percent: round1((100 * p.ticks) / perCore) }));
      }
    }
    this.lastCpu = cpu ? { total: cpu.total, idle: cpu.idle } : undefined;
    const hottest = tick.zones.reduce<number | null>(
      (max, z) => (max === null || z.celsius > max ? z.celsius : max),
      null,
    );
    return {
      at: this.now(),
      vpu: this.vpu(tick),
      cpuPercent,
      cores: cpu && cpu.cores > 0 ? cpu.cores : null,
      topProcesses,
      memory: tick.memory ?? null,
      temperatureC: hottest,
      zones: tick.zones,
      load: tick.load ?? null,
    };
  }

  private vpu(tick: Tick): VpuReading {
    let files: VpuFileText[] | undefined;
    if (tick.files) files = tick.files.map((f) => ({ path: f.path, text: f.lines.join('\n') }));
    else if (tick.same) files = this.lastFiles;
    this.lastFiles = files;
    if (!files || files.length === 0)
      return {
        source: null,
        total: null,
        encoders: null,
        decoders: null,
        byProcess: [],
        problem: this.problem(tick),
      };

    const parsed = parseVpuFiles(files);
    const source = files.length === 1 ? (files[0]?.path ?? null) : files.map((f) => f.path).join(', ');
    const count = (kind: Kind): number => parsed.sessions.filter((s) => s.kind === kind).length;
    const byProcess = new Map<string, VpuReading['byProcess'][number]>();
    const named = new Map<number, { tgid: number; name: string }>();
    for (const session of parsed.sessions) {
      if (session.pid === undefined) continue;
      const owner = tick.names.get(session.pid) ?? this.knownNames.get(session.pid);
      if (owner) named.set(session.pid, owner);
      const pid = owner?.tgid ?? session.pid;
      const key = `${pid}:${session.kind}`;
      const entry = byProcess.get(key) ?? { pid, name: owner?.name ?? '?', sessions: 0, kind: session.kind };
      entry.sessions += 1;
      byProcess.set(key, entry);
    }
    this.knownNames = named;
    const processes = [...byProcess.values()].sort((a, b) => b.sessions - a.sessions || a.pid - b.pid);
    if (parsed.encodersOnly)
      return {
        source,
        total: null,
        encoders: count('enc'),
        decoders: null,
        byProcess: processes,
        problem:
          'Only the per-core encoder tables (sessions-info) could be read; they list no decoder sessions, so the total is unknown.',
      };
    const total = parsed.sessions.length;
    const known = count('enc') + count('dec');
    return {
      source,
      total,
      encoders: total > 0 && known === 0 ? null : count('enc'),
      decoders: total > 0 && known === 0 ? null : count('dec'),
      byProcess: processes,
    };
  }

  private problem(tick: Tick): string {
    const info = this.infoValue;
    const asWho = info.privileged ? 'even as root' : 'as the login user';
    const denied = tick.candidates.find((c) => c.state === 'denied');
    if (denied)
      return info.privileged
        ? `Cannot read ${denied.path} even as root (is the kernel locked down?).`
        : sudoProblem(denied.path, info.sudoMessage);
    const unreadable = tick.candidates.find((c) => c.state === 'unreadable');
    if (unreadable) return `${unreadable.path} exists but reading it failed ${asWho}.`;
    // An unmatched glob (the per-core fallback) is not worth naming.
    const named = this.vpuFiles ?? tick.candidates.map((c) => c.path).filter((p) => !p.includes('*'));
    if (named.length === 0) return 'The sampler was given no VPU session file to read.';
    const debugfs = named.some((p) => p.startsWith('/sys/kernel/debug/')) ? ' (is debugfs mounted?)' : '';
    return `${list(named)} on this kernel${debugfs}.`;
  }
}

function toInt(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
}

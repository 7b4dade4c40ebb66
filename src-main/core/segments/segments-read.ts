/**
 * A VMS host in one batched command: its camera processes (pid, state, CPU ticks, arguments), the box's clock, the
 * newest recording segments, and nvidia-smi where it exists. The parsers find each camera from its process's
 * arguments: the segment pattern's basename before `_%Y`, the segment length from `-segment_time`, the live output
 * from the rtsp:// URL it publishes to.
 */
import path from 'node:path';
import { parseSections, section, type Section } from '../device/batch.js';
import { nvidiaSmiCommand, parseNvidiaSmi, type NvidiaRead } from '../device/gpu.js';
import type { VmsProfile } from '../device/profile.js';
import { remotePath, sh, type ShellCommand } from '../device/quote.js';

const NO_DIR = '@@no-dir';

export function segmentsCommand(profile: VmsProfile, listLimit = 300): ShellCommand {
  const dir = remotePath(profile.recordings.dir);
  const procs = sh`want=${profile.cameras.process}; for d in /proc/[0-9]*; do c=$(cat "$d/comm" 2>/dev/null) || continue; [ "$c" = "$want" ] || continue; printf '@@pid %s\\n' "$(basename "$d")"; cat "$d/stat" 2>/dev/null; printf '\\n@@argv '; tr '\\0' '\\037' < "$d/cmdline" 2>/dev/null; printf '\\n'; done; true`;
  const clock = sh`cat /proc/uptime; getconf CLK_TCK; date +%s; date +%z`;
  const list = sh`if [ -d ${dir} ]; then find ${dir} -maxdepth 1 -type f -name '*.mp4' -printf '%T@\\t%s\\t%f\\n' | sort -rn | head -n ${listLimit}; else echo ${NO_DIR}; fi`;
  return sh`${section('procs', procs)}; ${section('clock', clock)}; ${section('ls', list)}; ${section('nvidia', nvidiaSmiCommand())}`;
}

export interface CameraProcess {
  pid: number;
  /** `R`, `S`, `T` (stopped: SIGSTOP), `Z`… */
  state: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  argv: string[];
  camera: string | null;
  segmentS: number | null;
  /** The rtsp:// URL the process publishes to, when it has one. */
  liveUrl: string | null;
  /** The recording pattern, when it has one. */
  pattern: string | null;
}

export interface SegmentFile {
  name: string;
  camera: string;
  sizeBytes: number;
  /** Seconds since the epoch, the file's mtime. */
  mtimeS: number;
  /** Seconds since the epoch the segment started, from its name (the box's local time); null when not told. */
  startS: number | null;
}

export interface VmsReading {
  processes: CameraProcess[];
  /** The box's uptime (s), clock ticks per second, wall clock (s since the epoch). */
  uptimeS: number | null;
  clockTicks: number;
  nowS: number | null;
  files: SegmentFile[];
  nvidia: NvidiaRead;
  problem: string | null;
}

/** Camera, segment length and live URL from one process's arguments. */
export function cameraOfArgv(
  argv: readonly string[],
  liveUrlPrefix: string,
): Pick<CameraProcess, 'camera' | 'segmentS' | 'liveUrl' | 'pattern'> {
  let camera: string | null = null;
  let pattern: string | null = null;
  let segmentS: number | null = null;
  let liveUrl: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const prev = argv[i - 1];
    if (prev === '-segment_time') {
      const n = Number(arg);
      if (Number.isFinite(n) && n > 0) segmentS = n;
    }
    const at = arg.indexOf('_%Y');
    if (at > 0 && pattern === null) {
      pattern = arg;
      camera = path.posix.basename(arg.slice(0, at));
    }
    if (arg.startsWith('rtsp://') && prev !== '-i') liveUrl = arg;
  }
  if (camera === null && liveUrl !== null) {
    const url: string = liveUrl;
    const rest = url.startsWith(liveUrlPrefix) ? url.slice(liveUrlPrefix.length) : url.split('/').at(-1);
    camera = rest && /^[A-Za-z0-9_.-]+$/.test(rest) ? rest : null;
  }
  return { camera, segmentS, liveUrl, pattern };
}

function parseProcs(text: string, liveUrlPrefix: string): CameraProcess[] {
  const out: CameraProcess[] = [];
  for (const chunk of text.split('@@pid ').slice(1)) {
    const lines = chunk.split('\n');
    const pid = Number(lines[0]);
    const stat = lines.find((l) => /^\d+ \(/.test(l)) ?? '';
    const argvLine = lines.find((l) => l.startsWith('@@argv ')) ?? '@@argv ';
    const close = stat.lastIndexOf(')');
    if (!Number.isInteger(pid) || close < 0) continue;
    const fields = stat.slice(close + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const argv = argvLine
      .slice('@@argv '.length)
      .split('\u001f')
      .filter((a) => a !== '');
    if (argv.length === 0) continue; // a zombie or a kernel thread: no arguments to go by
    out.push({
      pid,
      state: fields[0] ?? '?',
      ticks: Number.isFinite(ticks) ? ticks : 0,
      argv,
      ...cameraOfArgv(argv, liveUrlPrefix),
    });
  }
  return out;
}

const SEGMENT_NAME = /^(.+)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.mp4$/;

/** The segment's start from its name (`<camera>_YYYYmmdd_HHMMSS.mp4`, the box's local time at `offset` ±hhmm). */
export function segmentOfName(
  name: string,
  offset: string | undefined,
): { camera: string; startS: number | null } | null {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return null;
  const zone = offset && /^[+-]\d{4}$/.test(offset) ? `${offset.slice(0, 3)}:${offset.slice(3)}` : null;
  if (!zone) return { camera: m[1] ?? name, startS: null };
  const date = new Date(`${m[2]}-${m[3]}-${m[4]}T${m[5]}:${m[6]}:${m[7]}${zone}`);
  return { camera: m[1] ?? name, startS: Number.isNaN(date.getTime()) ? null : date.getTime() / 1000 };
}

function parseList(
  section: Section | undefined,
  offset: string | undefined,
): { files: SegmentFile[]; problem: string | null } {
  if (!section)
    return { files: [], problem: 'the recordings folder could not be listed (the command was cut off)' };
  if (section.text.includes(NO_DIR)) return { files: [], problem: null };
  const files: SegmentFile[] = [];
  for (const line of section.text.split('\n')) {
    const [mtime, size, name] = line.split('\t');
    if (!name) continue;
    const seg = segmentOfName(name, offset);
    if (!seg) continue;
    files.push({
      name,
      camera: seg.camera,
      sizeBytes: Number(size) || 0,
      mtimeS: Number(mtime) || 0,
      startS: seg.startS,
    });
  }
  return {
    files,
    problem:
      section.code === 0
        ? null
        : `the recordings folder could not be listed: ${section.text.trim().split('\n')[0]}`,
  };
}

export function vmsReadingFrom(profile: VmsProfile, stdout: string): VmsReading {
  const parts = parseSections(stdout);
  const clock = (parts.get('clock')?.text ?? '').split('\n').map((l) => l.trim());
  const uptime = Number((clock[0] ?? '').split(' ')[0]);
  const ticks = Number(clock[1]);
  const now = Number(clock[2]);
  const offset = clock[3];
  const list = parseList(parts.get('ls'), offset);
  const nvidia = parts.get('nvidia');
  const noDir = parts.get('ls')?.text.includes(NO_DIR)
    ? `the recordings folder ${profile.recordings.dir} does not exist on the box`
    : null;
  return {
    processes: parseProcs(parts.get('procs')?.text ?? '', profile.live.urlPrefix),
    uptimeS: Number.isFinite(uptime) && clock[0] ? uptime : null,
    clockTicks: Number.isInteger(ticks) && ticks > 0 ? ticks : 100,
    nowS: Number.isFinite(now) && clock[2] ? now : null,
    files: list.files,
    nvidia: nvidia ? parseNvidiaSmi(nvidia.text, nvidia.code) : { present: false, gpus: [], problem: null },
    problem: noDir ?? list.problem,
  };
}

/**
 * The recordings folder on a device: every file with its size and time, and what gst-discoverer-1.0 (GStreamer, as
 * on the R58) or else ffprobe says about it — all in one remote command, each file's probe bounded by `timeout`.
 * Deleting takes exactly one named file in that folder, never a pattern.
 */
import path from 'node:path';
import { ContractError, RecordingDelete, type Recording } from '../../contract/index.js';
import type { R58Profile } from '../device/profile.js';
import { argv, remotePath, sh, sudo, type ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { sudoProblem } from './recorder-service.js';

export type ProbeTool = 'gst' | 'ffprobe' | 'none';

export interface MediaInfo {
  durationS: number | null;
  codec: string | null;
  container: string | null;
  /** The tool's reason when it could not read the file. */
  error: string | null;
}

export interface ListedFile {
  name: string;
  sizeBytes: number;
  mtimeS: number;
  /** The probe tool's output and exit code for this file. */
  output: string;
  code: number | null;
}

export interface ListedFolder {
  state: 'ok' | 'missing' | 'unreadable';
  tool: ProbeTool;
  files: ListedFile[];
}

const PER_FILE_S = 5;
const NAME = RecordingDelete.shape.name;

export function listCommand(dir: string): ShellCommand {
  const d = remotePath(dir);
  // The loop walks the folder by glob on the device, so no file name ever passes through a command string.
  return sh`d=${d}; if [ ! -d "$d" ]; then echo @@missing; exit 0; fi; if [ ! -r "$d" ] || [ ! -x "$d" ]; then echo @@unreadable; exit 0; fi; if command -v gst-discoverer-1.0 >/dev/null 2>&1; then t=gst; elif command -v ffprobe >/dev/null 2>&1; then t=ffprobe; else t=none; fi; echo "@@tool $t"; for f in "$d"/*; do [ -f "$f" ] || continue; s=$(stat -c '%s %Y' -- "$f") || continue; printf '@@file %s %s\\n' "$s" "\${f##*/}"; case $t in gst) timeout ${PER_FILE_S} gst-discoverer-1.0 -t ${PER_FILE_S - 1} "$f" 2>&1 ;; ffprobe) timeout ${PER_FILE_S} ffprobe -v error -show_entries format=duration,format_name:stream=codec_name,codec_type -of default=noprint_wrappers=1 "$f" 2>&1 ;; esac; printf '\\n@@rc %s\\n' "$?"; done`;
}

export function parseListing(stdout: string): ListedFolder {
  const lines = stdout.split('\n');
  if (lines.some((l) => l === '@@missing')) return { state: 'missing', tool: 'none', files: [] };
  if (lines.some((l) => l === '@@unreadable')) return { state: 'unreadable', tool: 'none', files: [] };
  let tool: ProbeTool = 'none';
  const files: ListedFile[] = [];
  let current: { file: ListedFile; out: string[] } | undefined;
  const close = (code: number | null): void => {
    if (!current) return;
    if (code !== null && current.out.at(-1) === '') current.out.pop();
    current.file.output = current.out.join('\n');
    current.file.code = code;
    files.push(current.file);
    current = undefined;
  };
  for (const line of lines) {
    const toolMatch = /^@@tool (gst|ffprobe|none)$/.exec(line);
    const fileMatch = /^@@file (\d+) (\d+) (.+)$/.exec(line);
    const rcMatch = /^@@rc (\d+)$/.exec(line);
    if (toolMatch) tool = toolMatch[1] as ProbeTool;
    else if (fileMatch) {
      close(null);
      current = {
        file: {
          name: fileMatch[3] ?? '',
          sizeBytes: Number(fileMatch[1]),
          mtimeS: Number(fileMatch[2]),
          output: '',
          code: null,
        },
        out: [],
      };
    } else if (rcMatch && current) close(Number(rcMatch[1]));
    else current?.out.push(line);
  }
  close(null);
  return { state: 'ok', tool, files };
}

function normaliseCodec(name: string): string {
  const n = name.trim().toLowerCase();
  if (/^h\.?264|^avc/.test(n)) return 'h264';
  if (/^h\.?265|^hevc/.test(n)) return 'h265';
  return n.split(/[\s(]/)[0] ?? n;
}

function normaliseContainer(name: string): string {
  const n = name.trim().toLowerCase();
  if (/mp4|quicktime|\bmov\b/.test(n)) return 'mp4';
  if (/matroska|mkv/.test(n)) return 'matroska';
  return n.split(',')[0] ?? n;
}

/** `ffprobe -v error -show_entries format=duration,format_name:stream=codec_name,codec_type -of default=nw=1`. */
export function parseFfprobe(output: string, code: number | null): MediaInfo {
  let duration: number | null = null;
  let container: string | null = null;
  let codec: string | null = null;
  let streamCodec: string | null = null;
  const other: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^(codec_name|codec_type|format_name|duration)=(.*)$/.exec(line.trim());
    if (!m) {
      if (line.trim()) other.push(line.trim());
      continue;
    }
    const [, key, value = ''] = m;
    if (key === 'codec_name') streamCodec = value;
    else if (key === 'codec_type') {
      if (value === 'video' && codec === null && streamCodec) codec = normaliseCodec(streamCodec);
      streamCodec = null;
    } else if (key === 'format_name') container = normaliseContainer(value);
    else if (key === 'duration') {
      const d = Number(value);
      duration = Number.isFinite(d) && d > 0 ? d : null;
    }
  }
  const failed = code !== 0 || (container === null && codec === null);
  return {
    durationS: duration,
    codec,
    container,
    error: failed
      ? (cleanFfprobeError(other.at(0)) ?? (code === 124 ? 'timed out' : `exit ${code ?? 'unknown'}`))
      : null,
  };
}

function cleanFfprobeError(line: string | undefined): string | undefined {
  // "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55…] moov atom not found" → "moov atom not found"
  return line?.replace(/^\[[^\]]*\]\s*/, '').replace(/^\/\S*:\s*/, '');
}

/** `gst-discoverer-1.0 <file>` (1.16–1.24 layouts: "container: Quicktime" or "container #0: Quicktime"). */
export function parseDiscoverer(output: string, code: number | null): MediaInfo {
  let duration: number | null = null;
  let container: string | null = null;
  let codec: string | null = null;
  const lines = output.split('\n');
  for (const line of lines) {
    const d = /^\s*Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)\s*$/.exec(line);
    if (d) {
      const s = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
      // GST_CLOCK_TIME_NONE prints as 99:99:99.999999999.
      duration = Number.isFinite(s) && s > 0 && !line.includes('99:99:99') ? s : null;
    }
    const c = /^\s*container(?: #\d+)?:\s*(.+)$/.exec(line);
    if (c && container === null) container = normaliseContainer(c[1] ?? '');
    const v = /^\s*video(?: #\d+)?:\s*(.+)$/.exec(line);
    if (v && codec === null) codec = normaliseCodec(v[1] ?? '');
  }
  // gst-discoverer-1.0 exits 0 whatever happened; its verdict is a line after "Done discovering …".
  const errorAt = lines.findIndex((l) =>
    /error was encountered|Missing plugins|timed out|Could not discover|URI is not valid/i.test(l),
  );
  let reason: string | undefined;
  if (errorAt >= 0) {
    const head = lines[errorAt]?.trim() ?? '';
    const next = lines[errorAt + 1]?.trim() ?? '';
    // An error or a failed discovery gives its message on the next line, missing plugins their names.
    if (/error was encountered|Could not discover/i.test(head) && next) reason = next;
    else if (/Missing plugins/i.test(head) && next.startsWith('(')) reason = `${head} ${next}`;
    else reason = head;
  }
  const failed = errorAt >= 0 || code !== 0 || (container === null && codec === null);
  return {
    durationS: duration,
    codec,
    container,
    error: failed ? (reason ?? (code === 124 ? 'timed out' : `exit ${code ?? 'unknown'}`)) : null,
  };
}

function isActive(name: string, full: string, activeFiles: readonly string[]): boolean {
  return activeFiles.some((f) => f === full || f === name || path.posix.basename(f) === name);
}

const TOOL_NAME: Record<ProbeTool, string> = { gst: 'gst-discoverer-1.0', ffprobe: 'ffprobe', none: '' };

export function recordingsFrom(
  listing: ListedFolder,
  dir: string,
  activeFiles: readonly string[],
): Recording[] {
  const out: Recording[] = [];
  for (const file of listing.files) {
    if (!NAME.safeParse(file.name).success) continue;
    const full = path.posix.join(dir, file.name);
    const active = isActive(file.name, full, activeFiles);
    const info: MediaInfo =
      listing.tool === 'gst'
        ? parseDiscoverer(file.output, file.code)
        : listing.tool === 'ffprobe'
          ? parseFfprobe(file.output, file.code)
          : { durationS: null, codec: null, container: null, error: null };
    let problem: string | null = null;
    if (active)
      problem =
        'Being recorded now: the file grows until the recording stops; its duration is known once it is finalised.';
    else if (file.sizeBytes === 0) problem = 'Empty: the recording wrote nothing. Check the camera’s signal.';
    else if (listing.tool === 'none')
      problem =
        'Neither gst-discoverer-1.0 nor ffprobe is installed on the device, so duration and codec are unknown ' +
        '(sudo apt install gstreamer1.0-plugins-base-apps).';
    else if (info.error !== null)
      problem = /moov atom|incomplete|truncated|no playable streams|invalid data/i.test(info.error)
        ? `Not finalised (${TOOL_NAME[listing.tool]}: ${info.error}). The recording was cut off before its index ` +
          'was written (recorder killed or power lost); it will not play as it is.'
        : `${TOOL_NAME[listing.tool]} cannot read it: ${info.error}.`;
    out.push({
      name: file.name,
      path: full,
      sizeBytes: file.sizeBytes,
      modified: new Date(file.mtimeS * 1000).toISOString(),
      durationS: info.durationS,
      codec: info.codec,
      container: info.container,
      active,
      problem,
    });
  }
  return out.sort((a, b) => b.modified.localeCompare(a.modified) || a.name.localeCompare(b.name));
}

export async function listRecordings(
  connections: ConnectionManager,
  deviceId: string,
  profile: R58Profile,
  activeFiles: readonly string[],
): Promise<Recording[]> {
  const dir = profile.recordings.dir;
  const result = await connections.exec(deviceId, listCommand(dir), {
    // Each file's probe is bounded on the device; this only guards against a hung shell.
    timeoutMs: 120_000,
    maxBufferBytes: 16 * 1024 * 1024,
  });
  const listing = parseListing(result.stdout);
  if (listing.state === 'unreadable')
    throw new ContractError(
      'device_error',
      `${dir} cannot be read by ${profile.login.user} on the device. Make it readable (chmod o+rx ${dir}).`,
    );
  return recordingsFrom(listing, dir, activeFiles);
}

export async function deleteRecording(
  connections: ConnectionManager,
  deviceId: string,
  profile: R58Profile,
  name: string,
  confirmName: string,
  activeFiles: readonly string[],
): Promise<void> {
  const dir = profile.recordings.dir;
  if (!NAME.safeParse(name).success)
    throw new ContractError(
      'invalid_input',
      `${JSON.stringify(name.slice(0, 80))} is not a recording: a recording is a plain file name in ${dir}, with no "/" and not starting with "." or "-".`,
      { name: 'A recording name is a file name in the recordings folder.' },
    );
  if (confirmName !== name)
    throw new ContractError(
      'invalid_input',
      `Nothing was deleted: type the file name exactly (${name}) to confirm.`,
      {
        confirmName: 'Must repeat the file name exactly.',
      },
    );
  const full = remotePath(path.posix.join(dir, name));
  if (isActive(name, full, activeFiles))
    throw new ContractError(
      'conflict',
      `${name} is being recorded now, so it was not deleted. Stop its recording first, then delete it.`,
    );
  const cmd = sh`f=${full}; d=${remotePath(dir)}; if [ ! -e "$f" ] && [ ! -L "$f" ]; then echo @@missing; exit 0; fi; if [ ! -f "$f" ] || [ -L "$f" ]; then echo @@notfile; exit 0; fi; if [ -w "$d" ]; then ${argv('rm', '--', full)}; else ${sudo(argv('rm', '--', full))}; fi`;
  const result = await connections.exec(deviceId, cmd, { timeoutMs: 20_000 });
  const said = result.stdout.trim();
  if (said === '@@missing')
    throw new ContractError('not_found', `There is no ${name} in ${dir} any more. Refresh the list.`);
  if (said === '@@notfile')
    throw new ContractError(
      'refused',
      `${full} is not a plain file (a folder or a link), so Tally leaves it alone.`,
    );
  if (result.code !== 0) {
    const user = profile.login.user;
    const problem = sudoProblem(result.stderr, user);
    throw new ContractError(
      problem ? 'refused' : 'device_error',
      problem
        ? `${name} was not deleted: ${dir} is not writable by ${user} and ${problem}. Allow ${user} passwordless sudo, or delete it in a terminal.`
        : `${name} was not deleted: ${result.stderr.trim().split('\n')[0] || `exit ${result.code ?? result.signal}`}.`,
    );
  }
}

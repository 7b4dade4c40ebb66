/**
 * Which pipeline is which: the label `POST /wedge {label}` names. The gst-launch wrapper computes the same label
 * (gst/gst-launch.py `pipeline_label`): the path of the first `rtspclientsink location=` (`cam0`), else the basename
 * of the first file sink's `location=`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

const FILE_SINKS = new Set(['filesink', 'multifilesink', 'splitmuxsink']);

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  return m?.[2] ?? value;
}

/** Split gst-launch argv words into element segments (words between `!`). */
function segments(words: readonly string[]): string[][] {
  const out: string[][] = [[]];
  for (const word of words) {
    for (const piece of word.split(/(!)/)) {
      const token = piece.trim();
      if (!token) continue;
      if (token === '!') out.push([]);
      else out[out.length - 1]?.push(token);
    }
  }
  return out.filter((s) => s.length > 0);
}

function locationOf(segment: readonly string[]): string | undefined {
  const word = segment.find((w) => w.startsWith('location='));
  return word === undefined ? undefined : unquote(word.slice('location='.length));
}

/** The label of a pipeline given its gst-launch arguments (options included or not). */
export function pipelineLabel(args: readonly string[]): string | undefined {
  const segs = segments(args.filter((a) => !a.startsWith('-')));
  for (const seg of segs) {
    if (seg[0] !== 'rtspclientsink') continue;
    const location = locationOf(seg);
    if (!location) continue;
    const pathPart = location.replace(/^[a-z]+:\/\/[^/]*/i, '').replace(/^\/+/, '');
    if (pathPart) return pathPart.split('?')[0];
  }
  for (const seg of segs) {
    if (!FILE_SINKS.has(seg[0] ?? '')) continue;
    const location = locationOf(seg);
    if (location) return path.posix.basename(location);
  }
  return undefined;
}

/** The gst-launch arguments in a process's argv, if it is a gst-launch (or the wrapper run by python). */
export function gstLaunchArgs(argv: readonly string[]): string[] | undefined {
  const at = argv.findIndex((a, i) => i < 3 && /(^|\/)gst-launch(-1\.0|\.py)$/.test(a));
  return at < 0 ? undefined : argv.slice(at + 1);
}

export interface FindPipelinesOptions {
  procRoot?: string;
  /**
   * Only processes whose environment has TALLY_EMU_SOCK set to this path (or, for the default daemon socket, not
   * set at all). Keeps a daemon from touching pipelines that belong to another emulated device or to the host.
   */
  socketPath?: string;
}

const DEFAULT_SOCKET = '/run/tally-emu/daemon.sock';

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function readLink(file: string): Promise<string | undefined> {
  try {
    return await fs.readlink(file);
  } catch {
    return undefined;
  }
}

function talksTo(environ: string, socketPath: string): boolean {
  const entry = environ.split('\0').find((e) => e.startsWith('TALLY_EMU_SOCK='));
  if (entry === undefined) return socketPath === DEFAULT_SOCKET;
  return entry.slice('TALLY_EMU_SOCK='.length) === socketPath;
}

/**
 * Find the pids of gst-launch pipelines with that label by reading `/proc/<pid>/cmdline` (I/O, for the daemon;
 * the model takes it as its `findPidsByLabel` callback). Only processes in the caller's PID namespace are
 * considered, and with `socketPath` only those that use that daemon socket.
 */
export async function findPipelinePidsByLabel(
  label: string,
  options: FindPipelinesOptions = {},
): Promise<number[]> {
  const procRoot = options.procRoot ?? '/proc';
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = await fs.readdir(procRoot);
  } catch {
    return pids;
  }
  const ownNamespace = await readLink(path.join(procRoot, 'self', 'ns', 'pid'));
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const raw = await readText(path.join(procRoot, entry, 'cmdline'));
    if (raw === undefined) continue;
    const args = gstLaunchArgs(raw.split('\0').filter((a) => a.length > 0));
    if (!args || pipelineLabel(args) !== label) continue;
    if (ownNamespace && (await readLink(path.join(procRoot, entry, 'ns', 'pid'))) !== ownNamespace) continue;
    if (options.socketPath !== undefined) {
      const environ = await readText(path.join(procRoot, entry, 'environ'));
      if (environ === undefined || !talksTo(environ, options.socketPath)) continue;
    }
    pids.push(Number(entry));
  }
  return pids;
}

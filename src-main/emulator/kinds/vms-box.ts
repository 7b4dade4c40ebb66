/**
 * The daemon's side of the emulated VMS host (seed 004): finding a camera's ffmpeg processes, the camera faults the
 * control server asks for, and the `nvidia-smi` stand-in. The recorder itself is kinds/vms_recorder.py
 * (`/opt/vms/vms-recorder`), the RTSP server kinds/rtsp_relay.py.
 *
 * Faults (files in /run/tally-emu/faults, which the recorder and the RTSP server read, and signals):
 *   camera-kill   SIGKILL the camera's ffmpeg; the recorder starts it again after ~2 s, unless `stay` lists the
 *                 camera in `camera-kill-stay` (cleared by DELETE, then the recorder starts it within a second)
 *   camera-stall  SIGSTOP (POST) / SIGCONT (DELETE) the camera's ffmpeg: alive, but no new segment
 *   output-down   the RTSP server takes `live/<camera>` offline while ffmpeg keeps recording (file `output-down`)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { done, fail, type CommandContext, type CommandOutcome } from '../device/command.js';
import { cmdline, listProcs, signal } from '../device/proc.js';
import { TINY_VIDEO, VMS } from './kinds.js';

export const FAULTS_DIR = '/run/tally-emu/faults';

/** Pids of the ffmpeg processes recording or streaming this camera (found by their argv, as the console does). */
export function cameraPids(camera: string): number[] {
  const recording = path.join(VMS.recordings, `${camera}_%Y%m%d_%H%M%S.mp4`);
  const live = `/live/${camera}`;
  return listProcs()
    .filter((p) => p.comm === 'ffmpeg' && p.state !== 'Z')
    .filter((p) => cmdline(p.pid).some((a) => a === recording || a.endsWith(live)))
    .map((p) => p.pid);
}

async function readList(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

async function writeList(file: string, names: string[]): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(`${file}.new`, names.map((n) => `${n}\n`).join(''));
  await fs.rename(`${file}.new`, file);
}

async function setListed(name: string, camera: string, on: boolean, dir = FAULTS_DIR): Promise<string[]> {
  const file = path.join(dir, name);
  const list = new Set(await readList(file));
  if (on) list.add(camera);
  else list.delete(camera);
  const names = [...list].sort();
  await writeList(file, names);
  return names;
}

export interface FaultReply {
  status: number;
  json: Record<string, unknown>;
}

/** The daemon API's `/vms/…` routes (the control server on this machine calls them). */
export async function vmsFault(
  method: string,
  route: string,
  body: Record<string, unknown>,
): Promise<FaultReply | undefined> {
  const camera = typeof body.camera === 'string' ? body.camera : '';
  if (route === '/vms/camera-kill' && method === 'POST') {
    const stay = body.stay === true;
    const stayList = await setListed('camera-kill-stay', camera, stay);
    const pids = cameraPids(camera);
    for (const pid of pids) signal(pid, 'SIGKILL');
    if (pids.length === 0 && !stay)
      return {
        status: 409,
        json: { ok: false, error: `${camera} has no running ffmpeg to kill (is vms-recorder running?).` },
      };
    return { status: 200, json: { ok: true, camera, pids, stay, held: stayList } };
  }
  if (route === '/vms/camera-kill' && method === 'DELETE')
    return {
      status: 200,
      json: { ok: true, camera, held: await setListed('camera-kill-stay', camera, false) },
    };
  if (route === '/vms/camera-stall') {
    const on = method === 'POST';
    const pids = cameraPids(camera);
    if (pids.length === 0)
      return {
        status: 409,
        json: { ok: false, error: `${camera} has no running ffmpeg to ${on ? 'stall' : 'resume'}.` },
      };
    for (const pid of pids) signal(pid, on ? 'SIGSTOP' : 'SIGCONT');
    return { status: 200, json: { ok: true, camera, pids, stalled: on } };
  }
  if (route === '/vms/output-down')
    return {
      status: 200,
      json: { ok: true, camera, outputsDown: await setListed('output-down', camera, method === 'POST') },
    };
  return undefined;
}

/** Clear every camera fault file (a box starts clean). */
export async function clearVmsFaults(dir = FAULTS_DIR): Promise<void> {
  await Promise.all(
    ['camera-kill-stay', 'output-down'].map((n) => fs.rm(path.join(dir, n), { force: true })),
  );
}

const QUERY_FIELDS: Record<string, { header: string; unit: string }> = {
  'utilization.gpu': { header: 'utilization.gpu [%]', unit: ' %' },
  'utilization.encoder': { header: 'utilization.encoder [%]', unit: ' %' },
  'encoder.stats.sessionCount': { header: 'encoder.stats.sessionCount', unit: '' },
  'encoder.stats.averageFps': { header: 'encoder.stats.averageFps', unit: '' },
  name: { header: 'name', unit: '' },
  'memory.used': { header: 'memory.used [MiB]', unit: ' MiB' },
  'memory.total': { header: 'memory.total [MiB]', unit: ' MiB' },
};

/** Encode sessions now: one per `-c:v` of every running (not stopped) ffmpeg, as NVENC would count them. */
function encoderSessions(): number {
  return listProcs()
    .filter((p) => p.comm === 'ffmpeg' && p.state !== 'Z' && p.state !== 'T')
    .reduce((n, p) => n + cmdline(p.pid).filter((a) => a === '-c:v').length, 0);
}

/**
 * `nvidia-smi --query-gpu=FIELDS --format=csv[,noheader][,nounits]` (only where the box was started with the
 * nvidia option): the seed's card as the encoders now running would load it. Other arguments are refused.
 */
export function nvidiaSmi(_ctx: CommandContext, argv: string[]): CommandOutcome {
  const query = argv.find((a) => a.startsWith('--query-gpu='))?.slice('--query-gpu='.length);
  const format = argv.find((a) => a.startsWith('--format='))?.slice('--format='.length);
  const others = argv.filter((a) => !a.startsWith('--query-gpu=') && !a.startsWith('--format='));
  if (!query || !format || others.length > 0)
    return fail(
      2,
      'nvidia-smi (emulated): only --query-gpu=FIELDS --format=csv[,noheader][,nounits] is answered here, ' +
        `with FIELDS from ${Object.keys(QUERY_FIELDS).join(', ')}.`,
    );
  const options = format.split(',');
  if (options[0] !== 'csv' || options.slice(1).some((o) => o !== 'noheader' && o !== 'nounits'))
    return fail(2, `Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.`);
  const fields = query.split(',');
  const unknown = fields.find((f) => !QUERY_FIELDS[f]);
  if (unknown) return fail(2, `Field "${unknown}" is not a valid field to query.`);
  const sessions = encoderSessions();
  const values: Record<string, string> = {
    'utilization.gpu': String(Math.min(100, sessions * 4 + (sessions > 0 ? 3 : 0))),
    'utilization.encoder': String(Math.min(100, sessions * 6)),
    'encoder.stats.sessionCount': String(sessions),
    'encoder.stats.averageFps': String(sessions > 0 ? TINY_VIDEO.fps : 0),
    name: 'NVIDIA GeForce RTX 3060',
    'memory.used': String(180 + sessions * 110),
    'memory.total': '12288',
  };
  const nounits = options.includes('nounits');
  const rows: string[] = [];
  if (!options.includes('noheader')) rows.push(fields.map((f) => QUERY_FIELDS[f]?.header).join(', '));
  rows.push(fields.map((f) => `${values[f]}${nounits ? '' : (QUERY_FIELDS[f]?.unit ?? '')}`).join(', '));
  return done(0, `${rows.join('\n')}\n`);
}

/**
 * ffprobe on a box, with JSON output: a closed recording segment (duration, container, codecs) and a live RTSP output
 * (does it answer, with what). A file still being written has no MP4 index yet, so only closed segments are probed.
 */
import { z } from 'zod';
import { argv, remotePath, sh, type ShellCommand } from './quote.js';

const FIELDS = 'format=duration,format_name,size:stream=codec_name,codec_type,width,height';

/** One or more files, each framed by a `@@file <name>` line before its JSON. */
export function ffprobeFilesCommand(files: readonly string[]): ShellCommand {
  const parts = files.map(
    (f) =>
      sh`printf '@@file %s\\n' ${remotePath(f)}; ${argv('ffprobe', '-v', 'error', '-show_entries', FIELDS, '-of', 'json', remotePath(f))} 2>&1`,
  );
  return parts.reduce((all, part) => sh`${all}; ${part}`, sh`true`);
}

/** A live RTSP output: up when ffprobe reads its streams within the time limit. */
export function ffprobeRtspCommand(url: string, timeoutS = 8): ShellCommand {
  if (!/^rtsp:\/\/[^\s'"]+$/.test(url)) throw new Error(`Not an rtsp URL: ${url}`);
  return sh`timeout ${timeoutS} ${argv('ffprobe', '-rtsp_transport', 'tcp', '-v', 'error', '-show_entries', 'stream=codec_name,codec_type,width,height', '-of', 'json', url)} 2>&1`;
}

const Probe = z.object({
  streams: z
    .array(
      z.object({
        codec_name: z.string().optional(),
        codec_type: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
      }),
    )
    .optional(),
  format: z
    .object({
      duration: z.string().optional(),
      format_name: z.string().optional(),
      size: z.string().optional(),
    })
    .optional(),
});

export interface ProbeStream {
  codecType: string | null;
  codecName: string | null;
  width: number | null;
  height: number | null;
}

export interface ProbeResult {
  durationS: number | null;
  formatName: string | null;
  streams: ProbeStream[];
  /** ffprobe's own complaint, when it printed one. */
  problem: string | null;
}

/** ffprobe's JSON (anything around it is its stderr, kept as the problem). */
export function parseFfprobe(text: string): ProbeResult {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  const outside = (start >= 0 ? text.slice(0, start) + text.slice(end + 1) : text).trim();
  const problem = outside ? (outside.split('\n')[0] ?? '').slice(0, 200) : null;
  if (start < 0 || end < start)
    return { durationS: null, formatName: null, streams: [], problem: problem ?? 'no answer' };
  let json: unknown;
  try {
    json = JSON.parse(text.slice(start, end + 1));
  } catch {
    return {
      durationS: null,
      formatName: null,
      streams: [],
      problem: problem ?? 'ffprobe printed something that is not JSON',
    };
  }
  const parsed = Probe.safeParse(json);
  if (!parsed.success)
    return {
      durationS: null,
      formatName: null,
      streams: [],
      problem: 'ffprobe answered in an unknown shape',
    };
  const duration = Number(parsed.data.format?.duration);
  return {
    durationS: Number.isFinite(duration) ? duration : null,
    formatName: parsed.data.format?.format_name ?? null,
    streams: (parsed.data.streams ?? []).map((s) => ({
      codecType: s.codec_type ?? null,
      codecName: s.codec_name ?? null,
      width: s.width ?? null,
      height: s.height ?? null,
    })),
    problem,
  };
}

/** The output of `ffprobeFilesCommand`, file by file. */
export function parseFfprobeFiles(text: string): Map<string, ProbeResult> {
  const out = new Map<string, ProbeResult>();
  const chunks = text.split(/^@@file /m).slice(1);
  for (const chunk of chunks) {
    const nl = chunk.indexOf('\n');
    const name = (nl < 0 ? chunk : chunk.slice(0, nl)).trim();
    out.set(name, parseFfprobe(nl < 0 ? '' : chunk.slice(nl + 1)));
  }
  return out;
}

/** The first video stream (or the first stream when none says video). */
export function videoStream(probe: ProbeResult): ProbeStream | null {
  return probe.streams.find((s) => s.codecType === 'video') ?? probe.streams[0] ?? null;
}

/**
 * Reads a transcoder or VMS qualification job's `@` lines (qualify-job.ts) into its report and makes the verdict.
 * Pure: the whole output so far in, the report out, so a reattaching console rebuilds exactly the same report.
 */
import {
  CpuBaseline,
  type CpuFigures,
  type CpuReading,
  type KindQualification,
  type KindQualifyCheck,
  type KindQualifyTest,
  type TranscodeFigures,
} from '../../contract/index.js';
import { isoFromMs } from '../device/job-lines.js';

export interface KindQualifyMeta {
  id: string;
  deviceId: string;
  device: string;
  who: string;
  test: KindQualifyTest;
  startedAt: string;
  totalS: number;
  /** Transcoder: the source, the read's length and the profile's limits. */
  transcode?: { sourceUrl: string; seconds: number; startupMaxS: number; minSpeed: number };
  /** VMS host: the tolerance over the baseline and the per-camera budget. */
  cpu?: { tolerance: number; budgetPerCameraPercent: number };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const pct = (n: number): string => `${round1(n).toFixed(1)} %`;

function check(
  id: string,
  title: string,
  limit: string,
  ok: boolean | null,
  value: string | null,
): KindQualifyCheck {
  return { id, title, limit, value, state: ok === null ? 'pending' : ok ? 'passed' : 'failed' };
}

/** A frame rate as ffprobe writes it (`25/1`, `30000/1001`); null for `0/0` and nonsense. */
export function frameRate(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const [n, d] = text.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return null;
  const rate = d === undefined ? n : Number.isFinite(d) && d > 0 ? n / d : NaN;
  return Number.isFinite(rate) && rate > 0 && rate < 1000 ? rate : null;
}

interface ProbeStream {
  codec_type?: unknown;
  codec_name?: unknown;
  profile?: unknown;
  nb_read_frames?: unknown;
  r_frame_rate?: unknown;
  avg_frame_rate?: unknown;
}

/** ffprobe's JSON of the captured stream into the figures it gives (format, codecs, frames, media seconds). */
export function readProbe(json: string): Pick<
  TranscodeFigures,
  'format' | 'video' | 'videoProfile' | 'audio' | 'frames' | 'mediaS'
> & {
  error: string | null;
} {
  const none = { format: null, video: null, videoProfile: null, audio: null, frames: null, mediaS: null };
  let parsed: { format?: { format_name?: unknown; duration?: unknown }; streams?: ProbeStream[] };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    return { ...none, error: `ffprobe could not read the stream: ${json.slice(0, 200)}` };
  }
  const streams = Array.isArray(parsed.streams) ? parsed.streams : [];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const frames = video && typeof video.nb_read_frames === 'string' ? Number(video.nb_read_frames) : NaN;
  const fps = frameRate(video?.avg_frame_rate) ?? frameRate(video?.r_frame_rate);
  const formatS = Number(parsed.format?.duration);
  const mediaS =
    Number.isInteger(frames) && frames > 0 && fps ? frames / fps : Number.isFinite(formatS) ? formatS : null;
  return {
    format: typeof parsed.format?.format_name === 'string' ? parsed.format.format_name : null,
    video: typeof video?.codec_name === 'string' ? video.codec_name : null,
    videoProfile: typeof video?.profile === 'string' ? video.profile : null,
    audio: typeof audio?.codec_name === 'string' ? audio.codec_name : null,
    frames: Number.isInteger(frames) ? frames : null,
    mediaS: mediaS === null ? null : Math.round(mediaS * 1000) / 1000,
    error: null,
  };
}

/** Seed 003's checks on the figures; pending ones while there are none yet. */
export function transcodeChecks(
  f: TranscodeFigures,
  limits: { startupMaxS: number; minSpeed: number },
  measured: boolean,
): KindQualifyCheck[] {
  const m = <T>(v: T): T | null => (measured ? v : null);
  const answered = f.httpStatus === 200 && (f.bytes ?? 0) > 0;
  const window = f.startupS === null ? null : f.seconds - f.startupS;
  return [
    check(
      'answer',
      'The stream answers',
      'HTTP 200 with bytes',
      m(answered),
      measured ? `HTTP ${f.httpStatus ?? 'none'}, ${f.bytes ?? 0} bytes` : null,
    ),
    check(
      'startup',
      'Time to the first byte',
      `≤ ${limits.startupMaxS} s`,
      m(answered && f.startupS !== null && f.startupS <= limits.startupMaxS),
      measured && f.startupS !== null ? `${f.startupS.toFixed(2)} s` : null,
    ),
    check(
      'format',
      'Container',
      'mpegts',
      m(f.format === 'mpegts'),
      measured ? (f.format ?? 'unreadable') : null,
    ),
    check(
      'video',
      'Video codec',
      'h264',
      m(f.video === 'h264'),
      measured ? `${f.video ?? 'none'}${f.videoProfile ? ` (${f.videoProfile})` : ''}` : null,
    ),
    check('audio', 'Audio codec', 'aac', m(f.audio === 'aac'), measured ? (f.audio ?? 'none') : null),
    check(
      'speed',
      'Speed: media seconds over the seconds after the first byte',
      `≥ ${limits.minSpeed}× real time`,
      m(f.speed !== null && f.speed >= limits.minSpeed),
      measured && f.speed !== null && f.mediaS !== null && window !== null
        ? `${f.speed.toFixed(2)}× (${f.mediaS.toFixed(1)} s of media in ${window.toFixed(1)} s)`
        : measured
          ? 'no media'
          : null,
    ),
  ];
}

interface Snap {
  ms: number;
  cams: Map<string, { pids: string; ticks: number }>;
}

function readSnap(words: string[]): Snap | null {
  const [ms, ...rest] = words;
  const at = Number(ms);
  if (!Number.isFinite(at)) return null;
  const cams = new Map<string, { pids: string; ticks: number }>();
  for (const w of rest) {
    const m = /^(.+):([0-9,]+|-):(\d+)$/.exec(w);
    if (m) cams.set(m[1] as string, { pids: m[2] as string, ticks: Number(m[3]) });
  }
  return { ms: at, cams };
}

/** CPU of each camera between two snapshots, percent of one core; null where its processes changed or were gone. */
export function cpuBetween(a: Snap, b: Snap, clk: number, cameras: string[]): CpuReading {
  const dt = (b.ms - a.ms) / 1000;
  const perCamera: Record<string, number | null> = {};
  for (const c of cameras) {
    const x = a.cams.get(c);
    const y = b.cams.get(c);
    perCamera[c] =
      x && y && x.pids !== '-' && x.pids === y.pids && dt > 0 && y.ticks >= x.ticks
        ? round1(((y.ticks - x.ticks) / clk / dt) * 100)
        : null;
  }
  const values = Object.values(perCamera);
  const total = values.every((v): v is number => v !== null)
    ? round1(values.reduce((s, v) => s + v, 0))
    : null;
  return { atMs: b.ms, total, perCamera };
}

/** Seed 004's checks: the cameras stayed up, the means within the baseline (+ tolerance) and the budget. */
export function cpuChecks(
  f: CpuFigures,
  limits: { tolerance: number; budgetPerCameraPercent: number },
  measured: boolean,
): KindQualifyCheck[] {
  const tol = `${Math.round(limits.tolerance * 100)} %`;
  const up = f.samples.length > 0 && f.samples.every((s) => s.total !== null);
  const down = f.cameras.filter((c) => f.samples.some((s) => s.perCamera[c] === null));
  const checks: KindQualifyCheck[] = [
    check(
      'cameras',
      'Every camera’s processes stayed up',
      f.cameras.join(', ') || 'the cameras',
      measured ? up : null,
      measured ? (up ? `${f.cameras.length} up` : `restarted or gone: ${down.join(', ') || 'all'}`) : null,
    ),
  ];
  const base = f.baseline;
  const against = (
    now: number | null | undefined,
    then: number | undefined,
  ): { ok: boolean | null; limit: string } => {
    if (f.recordedBaseline)
      return { ok: measured ? now !== null && now !== undefined : null, limit: 'baseline recorded now' };
    if (!base) return { ok: measured ? false : null, limit: 'the box’s baseline (none kept)' };
    if (then === undefined)
      return { ok: measured ? false : null, limit: 'no baseline for it: record a new one' };
    const max = then * (1 + limits.tolerance);
    return {
      ok: measured ? now !== null && now !== undefined && now <= max : null,
      limit: `≤ ${pct(max)} (baseline ${pct(then)} + ${tol})`,
    };
  };
  const total = against(f.totalPercent, base?.totalPercent);
  checks.push(
    check(
      'total',
      'CPU of all cameras (percent of one core)',
      total.limit,
      total.ok,
      measured && f.totalPercent !== null ? pct(f.totalPercent) : null,
    ),
  );
  for (const c of f.cameras) {
    const now = f.perCamera[c];
    const a = against(now, base?.perCamera[c]);
    checks.push(
      check(`camera:${c}`, `CPU of ${c}`, a.limit, a.ok, measured && now !== undefined ? pct(now) : null),
    );
  }
  const over = f.cameras.filter((c) => (f.perCamera[c] ?? 0) > limits.budgetPerCameraPercent);
  checks.push(
    check(
      'budget',
      'Every camera within the profile’s budget',
      `≤ ${pct(limits.budgetPerCameraPercent)} a camera`,
      measured ? up && over.length === 0 : null,
      measured
        ? over.length
          ? `over: ${over.map((c) => `${c} ${pct(f.perCamera[c] ?? 0)}`).join(', ')}`
          : 'all within'
        : null,
    ),
  );
  if (base && !f.recordedBaseline) {
    const extra = Object.keys(base.perCamera).filter((c) => !f.cameras.includes(c));
    if (extra.length)
      checks.push(
        check(
          'missing',
          'Cameras of the baseline present',
          extra.join(', '),
          measured ? false : null,
          measured ? `missing: ${extra.join(', ')}` : null,
        ),
      );
  }
  return checks;
}

function baselineOf(text: string): CpuBaseline | null {
  try {
    const parsed = CpuBaseline.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** `jobExit` is the job's exit code once it ended (null while it runs). */
export function parseKindQualifyOutput(
  output: string,
  meta: KindQualifyMeta,
  jobExit: number | null = null,
): KindQualification {
  const log: string[] = [];
  let began: number | null = null;
  let ended = false;
  let endedAt: string | null = null;
  let refused: string | null = null;
  let progressMs = 0;
  const t = meta.transcode;
  const tf: TranscodeFigures = {
    sourceUrl: t?.sourceUrl ?? '',
    seconds: t?.seconds ?? 0,
    startupS: null,
    bytes: null,
    httpStatus: null,
    format: null,
    video: null,
    videoProfile: null,
    audio: null,
    frames: null,
    mediaS: null,
    speed: null,
  };
  let clk = 100;
  let cameras: string[] = [];
  const snaps: Snap[] = [];
  let baseline: CpuBaseline | null = null;
  let recorded: CpuBaseline | null = null;
  for (const line of output.split('\n')) {
    if (!line.startsWith('@')) continue;
    const [tag, ...rest] = line.slice(1).split(' ');
    switch (tag) {
      case 'begin':
        began = Number(rest[0]) || null;
        break;
      case 'say':
        log.push(rest.join(' '));
        break;
      case 'busy':
        log.push(`The device was busy: ${rest.join(' ')}`);
        break;
      case 'refused':
        refused = rest.slice(1).join(' ');
        endedAt = isoFromMs(rest[0]);
        break;
      case 'end':
        ended = true;
        endedAt = isoFromMs(rest[0]);
        break;
      case 'progress':
        progressMs = Number(rest[0]) || progressMs;
        tf.bytes = Number(rest[1]) || tf.bytes;
        break;
      case 'curl': {
        const [, ttfb, bytes, status] = rest;
        const code = Number(status);
        tf.httpStatus = Number.isInteger(code) && code > 0 ? code : null;
        tf.bytes = Number.isFinite(Number(bytes)) ? Number(bytes) : tf.bytes;
        const s = Number(ttfb);
        tf.startupS = Number.isFinite(s) && s > 0 ? s : null;
        break;
      }
      case 'probe': {
        const { error, ...p } = readProbe(rest.join(' '));
        Object.assign(tf, p);
        if (error) log.push(error);
        break;
      }
      case 'clk':
        clk = Number(rest[0]) || 100;
        break;
      case 'cameras':
        cameras = rest.filter(Boolean);
        break;
      case 'baseline':
        baseline = baselineOf(rest.join(' '));
        if (!baseline) log.push('The baseline kept on the box cannot be read; record a new one.');
        break;
      case 'snap': {
        const s = readSnap(rest);
        if (s) snaps.push(s);
        break;
      }
      case 'recorded':
        recorded = baselineOf(rest.join(' '));
        break;
    }
  }
  const measured = ended && jobExit !== null;
  let checks: KindQualifyCheck[];
  let cpu: CpuFigures | null = null;
  let elapsedS: number;
  if (meta.test === 'transcode') {
    if (tf.startupS !== null && tf.mediaS !== null && tf.seconds - tf.startupS > 0)
      tf.speed = Math.round((tf.mediaS / (tf.seconds - tf.startupS)) * 100) / 100;
    checks = transcodeChecks(tf, { startupMaxS: t?.startupMaxS ?? 3, minSpeed: t?.minSpeed ?? 1 }, measured);
    elapsedS = Math.min(meta.totalS, progressMs / 1000);
  } else {
    const samples: CpuReading[] = [];
    for (let i = 1; i < snaps.length; i++)
      samples.push(cpuBetween(snaps[i - 1] as Snap, snaps[i] as Snap, clk, cameras));
    const first = snaps[0];
    const whole = first && snaps.length > 1 ? cpuBetween(first, snaps.at(-1) as Snap, clk, cameras) : null;
    const perCamera: Record<string, number> = {};
    for (const [c, v] of Object.entries(whole?.perCamera ?? {})) if (v !== null) perCamera[c] = v;
    if (began !== null) for (const s of samples) s.atMs -= began;
    cpu = {
      cameras,
      samples,
      totalPercent: whole?.total ?? null,
      perCamera,
      baseline: recorded ?? baseline,
      recordedBaseline: recorded !== null,
      tolerance: meta.cpu?.tolerance ?? 0.15,
    };
    checks = cpuChecks(
      cpu,
      { tolerance: cpu.tolerance, budgetPerCameraPercent: meta.cpu?.budgetPerCameraPercent ?? 100 },
      measured,
    );
    elapsedS =
      first && snaps.length > 1 ? Math.min(meta.totalS, ((snaps.at(-1) as Snap).ms - first.ms) / 1000) : 0;
  }
  const failed = checks.filter((c) => c.state === 'failed');
  let outcome: KindQualification['outcome'] = 'running';
  let summary = meta.test === 'transcode' ? 'Reading the stream…' : 'Sampling the cameras’ CPU…';
  if (refused !== null) {
    outcome = 'refused';
    summary = `${refused} Nothing was measured.`;
  } else if (measured) {
    outcome = failed.length ? 'failed' : 'passed';
    const first = failed[0];
    if (meta.test === 'transcode')
      summary = first
        ? `Failed: ${first.title.toLowerCase()} ${first.value ?? ''} (must be ${first.limit})${failed.length > 1 ? `, and ${failed.length - 1} more` : ''}.`
        : `Passed seed 003’s test: MPEG-TS with ${tf.video} + ${tf.audio}, first byte in ${tf.startupS?.toFixed(2)} s, ${tf.speed?.toFixed(2)}× real time.`;
    else {
      const note = cpu?.recordedBaseline
        ? ` This run recorded the box’s baseline (${pct(cpu.totalPercent ?? 0)} for ${cameras.length} camera${cameras.length === 1 ? '' : 's'}); later runs compare with it.`
        : '';
      summary = first
        ? `Failed: ${first.title} ${first.value ?? ''} (must be ${first.limit})${failed.length > 1 ? `, and ${failed.length - 1} more` : ''}.${note}`
        : `Passed seed 004’s test: ${pct(cpu?.totalPercent ?? 0)} for ${cameras.length} camera${cameras.length === 1 ? '' : 's'}${cpu?.recordedBaseline ? '' : ' within the box’s baseline'}.${note}`;
    }
  } else if (jobExit !== null) {
    outcome = 'failed';
    summary = `The qualification job ended with exit code ${jobExit} before it finished${log.length ? `: ${log.at(-1)}` : '.'}`;
  }
  return {
    id: meta.id,
    deviceId: meta.deviceId,
    device: meta.device,
    who: meta.who,
    test: meta.test,
    startedAt: began !== null ? (isoFromMs(String(began)) ?? meta.startedAt) : meta.startedAt,
    endedAt: outcome === 'running' ? null : endedAt,
    outcome,
    summary,
    totalS: meta.totalS,
    elapsedS: outcome === 'running' ? elapsedS : meta.totalS,
    checks,
    transcode: meta.test === 'transcode' ? tf : null,
    cpu,
    log,
    following: true,
  };
}

/**
 * A transcoder's health in one batched command: its /health and /metrics pages (curl on the box, through the SSH
 * connection) and its GPU busy file(s). `healthSampleFrom` makes a HealthSample of the answer.
 */
import type { HealthSample } from '../../contract/index.js';
import { parseSections, section } from '../device/batch.js';
import { gpuBusyCommand, parseGpuBusy } from '../device/gpu.js';
import { curl, describeReply, parseCurl, parseJson } from '../device/http.js';
import type { TranscoderProfile } from '../device/profile.js';
import { metricTotal, metricValue, parseMetrics } from '../device/prometheus.js';
import { sh, type ShellCommand } from '../device/quote.js';

const MAX_METRICS = 200;

function curlOf(url: string, maxTimeS: number): ShellCommand {
  const u = new URL(url);
  const port = u.port ? Number(u.port) : 80;
  return curl(u.hostname, port, `${u.pathname}${u.search}`, { maxTimeS });
}

export function healthCommand(profile: TranscoderProfile): ShellCommand {
  return sh`${section('health', curlOf(profile.health.url, 3))}; ${section('metrics', curlOf(profile.metrics.url, 3))}; ${section(
    'gpu',
    gpuBusyCommand(profile.gpu.busyGlob),
  )}`;
}

type Field = string | number | boolean | null;

function scalarFields(value: unknown): Record<string, Field> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const out: Record<string, Field> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

export function healthSampleFrom(
  profile: TranscoderProfile,
  stdout: string,
  at: number = Date.now(),
): HealthSample {
  const parts = parseSections(stdout);
  const health = parseCurl(parts.get('health'));
  const metrics = parseCurl(parts.get('metrics'));
  const gpu = parseGpuBusy(parts.get('gpu')?.text ?? '');

  const fields = health.status !== null ? scalarFields(parseJson(health.body)) : null;
  const failing = fields ? profile.health.requireTrue.filter((f) => fields[f] !== true) : [];
  const ok2xx = health.status !== null && health.status >= 200 && health.status < 300;
  let problem: string | null = null;
  if (health.status === null)
    problem = `The health endpoint ${profile.health.url} does not answer: ${describeReply(health)}.`;
  else if (!fields)
    problem = `The health endpoint answered ${describeReply(health)} with something that is not a JSON object.`;
  else if (!ok2xx) {
    const said =
      typeof fields.error === 'string'
        ? `: ${fields.error}`
        : typeof fields.status === 'string'
          ? ` (${fields.status})`
          : '';
    problem = `The health endpoint answers ${describeReply(health)}${said}.`;
  } else if (failing.length > 0)
    problem = `The health endpoint says ${failing.map((f) => `${f} is ${String(fields[f])}`).join(', ')}.`;

  const read =
    metrics.status === 200
      ? parseMetrics(metrics.body)
      : {
          ok: false as const,
          problem:
            metrics.status === null
              ? `${profile.metrics.url} does not answer: ${describeReply(metrics)}`
              : `${profile.metrics.url} answers ${describeReply(metrics)}; the box may not serve metrics`,
        };
  const samples = read.ok ? read.samples : [];
  const names = profile.metrics.names;
  const sessionsField = profile.health.sessionsField;
  const fromHealth = sessionsField && fields ? fields[sessionsField] : undefined;
  return {
    at,
    reachable: health.status !== null,
    httpStatus: health.status,
    healthy: health.status === null ? null : fields ? ok2xx && failing.length === 0 : false,
    problem,
    fields: fields ?? {},
    failing,
    sessions: typeof fromHealth === 'number' ? fromHealth : metricValue(samples, names.sessions),
    ffmpegRestarts: metricTotal(samples, names.ffmpegRestarts),
    memoryBytes: names.memoryBytes ? metricValue(samples, names.memoryBytes) : null,
    metricsProblem: read.ok ? null : read.problem,
    metrics: samples.slice(0, MAX_METRICS),
    gpuBusyPercent: gpu.percent,
    gpuProblem: gpu.problem,
  };
}

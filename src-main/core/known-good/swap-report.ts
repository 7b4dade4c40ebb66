/**
 * Reads a swap job's `@` lines (swap-job.ts) into its report. Pure: the whole output so far in, the report out, so
 * a console that reattaches after a dropped link or a restart rebuilds exactly the same report.
 */
import {
  KNOWN_GOOD_STEPS,
  type KnownGoodOutcome,
  type KnownGoodReading,
  type KnownGoodStep,
  type KnownGoodSwitch,
  type KnownGoodUnit,
} from '../../contract/index.js';
import { isoFromMs } from '../device/job-lines.js';

export interface SwapMeta {
  id: string;
  deviceId: string;
  device: string;
  who: string;
  unit: KnownGoodUnit;
  startedAt: string;
  /** `xg2g-gpu-transcoder:previous` or `/opt/vms/vms-recorder.before-phase3`. */
  target: string;
  probationMs: number;
}

const OUTCOMES: readonly KnownGoodOutcome[] = ['healthy', 'reverted', 'failed', 'refused'];
const MAX_READINGS = 700;
const MAX_EVIDENCE = 60;

function reading(words: string[]): KnownGoodReading | null {
  const [atMs, ok, ...text] = words;
  const at = Number(atMs);
  if (!Number.isFinite(at) || (ok !== '0' && ok !== '1')) return null;
  return { atMs: at, healthy: ok === '1', text: text.join(' ') };
}

/** The job holds the device's lease once its first step began (it takes the lease before that). */
export function swapHoldsLease(report: Pick<KnownGoodSwitch, 'steps'>): boolean {
  return report.steps.some((s) => s.state !== 'pending');
}

/** `jobExit` is the job's exit code once it ended (null while it runs or when unknown). */
export function parseSwapOutput(
  output: string,
  meta: SwapMeta,
  jobExit: number | null = null,
): KnownGoodSwitch {
  const steps: KnownGoodStep[] = KNOWN_GOOD_STEPS.map((s) => ({
    n: s.n,
    id: s.id,
    title: s.title,
    state: 'pending',
    startedAt: null,
    durationMs: null,
    lines: [],
  }));
  const begun = new Map<number, number>();
  const report: KnownGoodSwitch = {
    id: meta.id,
    deviceId: meta.deviceId,
    device: meta.device,
    who: meta.who,
    unit: meta.unit,
    startedAt: meta.startedAt,
    endedAt: null,
    outcome: 'running',
    summary: 'Starting the switch on the device…',
    from: null,
    fromId: null,
    target: meta.target,
    kept: null,
    endedOn: null,
    probationMs: meta.probationMs,
    steps,
    health: [],
    recheck: [],
    evidence: [],
    following: true,
  };
  const unparsed: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('@')) {
      if (line.trim()) unparsed.push(line.trim());
      continue;
    }
    const [tag, ...rest] = line.slice(1).split(' ');
    const step = steps.find((s) => s.n === Number(rest[0]));
    switch (tag) {
      case 'begin':
        report.startedAt = isoFromMs(rest[0]) ?? report.startedAt;
        break;
      case 'title':
        break;
      case 'from':
        report.from = rest[0] || null;
        report.fromId = rest[1] || null;
        break;
      case 'kept':
        report.kept = rest[0] || null;
        break;
      case 'ended':
        report.endedOn = rest[0] || null;
        break;
      case 'step':
        if (!step) break;
        if (rest[1] === 'begin') {
          step.state = 'running';
          step.startedAt = isoFromMs(rest[2]);
          begun.set(step.n, Number(rest[2]));
        } else if (rest[1] === 'end') {
          const state = rest[2];
          if (state === 'ok') step.state = 'done';
          else if (state === 'failed' || state === 'skipped') step.state = state;
          const from = begun.get(step.n);
          if (from !== undefined) step.durationMs = Number(rest[3]) - from;
        }
        break;
      case 'say':
        step?.lines.push(rest.slice(1).join(' '));
        break;
      case 'health': {
        const r = reading(rest.slice(1));
        const into = rest[0] === '6' ? report.recheck : report.health;
        if (r && into.length < MAX_READINGS) into.push(r);
        break;
      }
      case 'evidence':
        if (report.evidence.length < MAX_EVIDENCE) report.evidence.push(rest.join(' '));
        break;
      case 'busy':
        report.evidence.push(`The device was busy: ${rest.join(' ')}`);
        break;
      case 'outcome': {
        const o = rest[0] as KnownGoodOutcome;
        if (OUTCOMES.includes(o)) report.outcome = o;
        report.endedAt = isoFromMs(rest[1]);
        report.summary = rest.slice(2).join(' ');
        break;
      }
      default:
        unparsed.push(line);
    }
  }
  // Why a probation failed, as evidence: the first unhealthy look of each window.
  for (const r of [report.health.find((h) => !h.healthy), report.recheck.find((h) => !h.healthy)])
    if (r && report.evidence.length < MAX_EVIDENCE) report.evidence.push(r.text);
  if (report.outcome === 'running') {
    const current = steps.find((s) => s.state === 'running');
    if (jobExit !== null) {
      report.outcome = 'failed';
      report.summary = `The switch job ended with exit code ${jobExit} before it finished.${unparsed.length ? ` Last output: ${unparsed.slice(-2).join(' / ')}` : ''} Check what the box runs now;${report.kept ? ` what ran before is kept as ${report.kept}.` : ' nothing was deleted.'}`;
    } else if (current) report.summary = `${current.title}…`;
  } else if (jobExit === null) {
    // The verdict is in, but the job still lets go of the device: it has ended only once it exited.
    report.outcome = 'running';
    report.endedAt = null;
  }
  if (report.outcome !== 'running')
    for (const s of steps)
      if (s.state === 'running') s.state = report.outcome === 'healthy' ? 'done' : 'failed';
  return report;
}

/**
 * Reads a checkout job's `@` lines (checkout-job.ts) into its report. Pure: the whole output so far in, the
 * report out, so a console that reattaches after a dropped link or a restart rebuilds exactly the same report.
 */
import {
  ROLLBACK_STEPS,
  type HealthReading,
  type Rollback,
  type RollbackOutcome,
  type RollbackStep,
} from '../../contract/index.js';
import { isoFromMs } from './job-lines.js';

/** The same six steps, as a config apply names them. */
export const APPLY_STEPS: ReadonlyArray<{ n: number; id: RollbackStep['id']; title: string }> = [
  { n: 1, id: 'keep', title: 'Keep HEAD under a backup ref' },
  { n: 2, id: 'move', title: 'Write config.yml and commit it' },
  { n: 3, id: 'restart', title: 'Restart the recorder' },
  { n: 4, id: 'probation', title: 'Watch: cameras, VPU sessions, kernel, encoders' },
  { n: 5, id: 'back', title: 'Unhealthy: go back to the kept HEAD and restart' },
  { n: 6, id: 'recheck', title: 'Check the old HEAD is healthy again' },
];

export interface CheckoutMeta {
  /** tree: a rollback; write: a config apply. */
  kind: 'tree' | 'write';
  id: string;
  deviceId: string;
  device: string;
  who: string;
  startedAt: string;
  target: string;
  probationMs: number;
}

const iso = isoFromMs;

const OUTCOMES: readonly RollbackOutcome[] = ['healthy', 'reverted', 'failed', 'refused', 'interrupted'];
const MAX_EVIDENCE = 60;

function reading(words: string[]): HealthReading | null {
  const [atMs, streaming, cameras, sessions, faults, stalled] = words;
  const n = (t: string | undefined): number => Number(t);
  if ([atMs, streaming, cameras, faults].some((w) => !Number.isFinite(n(w)))) return null;
  return {
    atMs: n(atMs),
    streaming: n(streaming),
    cameras: n(cameras),
    sessions: sessions === undefined || sessions === '-' ? null : n(sessions),
    kernelFaults: n(faults),
    stalled: !stalled || stalled === '-' ? [] : stalled.split(',').filter(Boolean),
  };
}

/** The job holds the device's lease once its first step began (it takes the lease before that). */
export function holdsLease(report: Pick<Rollback, 'steps'>): boolean {
  return report.steps.some((s) => s.state !== 'pending');
}

/** A rollback's report, with what the job said of itself: its title and the console's check before it started. */
export interface CheckoutReport extends Rollback {
  title: string;
  check: { ms: number; text: string } | null;
}

/** `jobExit` is the job's exit code once it ended (null while it runs or when unknown). */
export function parseCheckoutOutput(
  output: string,
  meta: CheckoutMeta,
  jobExit: number | null = null,
): CheckoutReport {
  const table = meta.kind === 'tree' ? ROLLBACK_STEPS : APPLY_STEPS;
  const noun = meta.kind === 'tree' ? 'rollback' : 'config apply';
  const steps: RollbackStep[] = table.map((s) => ({
    n: s.n,
    id: s.id,
    title: s.title,
    state: 'pending',
    startedAt: null,
    durationMs: null,
    lines: [],
  }));
  const begun = new Map<number, number>();
  const report: CheckoutReport = {
    title: '',
    check: null,
    id: meta.id,
    deviceId: meta.deviceId,
    device: meta.device,
    who: meta.who,
    startedAt: meta.startedAt,
    endedAt: null,
    outcome: 'running',
    summary: `Starting the ${noun} on the device…`,
    from: null,
    target: meta.target,
    made: null,
    endedOn: null,
    refs: [],
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
        report.startedAt = iso(rest[0]) ?? report.startedAt;
        break;
      case 'title':
        report.title = rest.join(' ');
        break;
      case 'check':
        report.check = { ms: Number(rest[0]) || 0, text: rest.slice(1).join(' ') };
        break;
      case 'head':
        report.from = rest[0] ?? null;
        break;
      case 'made':
        report.made = rest[0] ?? null;
        break;
      case 'ended':
        report.endedOn = rest[0] || null;
        break;
      case 'ref':
        if (rest[0] && !report.refs.includes(rest[0])) report.refs.push(rest[0]);
        break;
      case 'step':
        if (!step) break;
        if (rest[1] === 'begin') {
          step.state = 'running';
          step.startedAt = iso(rest[2]);
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
        if (r) (rest[0] === '6' ? report.recheck : report.health).push(r);
        break;
      }
      case 'evidence':
        if (report.evidence.length < MAX_EVIDENCE) report.evidence.push(rest.join(' '));
        break;
      case 'busy':
        report.evidence.push(`The device was busy: ${rest.join(' ')}`);
        break;
      case 'outcome': {
        const o = rest[0] as RollbackOutcome;
        if (OUTCOMES.includes(o)) report.outcome = o;
        report.endedAt = iso(rest[1]);
        report.summary = rest.slice(2).join(' ');
        break;
      }
      default:
        unparsed.push(line);
    }
  }
  if (report.outcome === 'running') {
    const current = steps.find((s) => s.state === 'running');
    if (jobExit !== null) {
      report.outcome = 'failed';
      report.summary = `The ${noun} job ended with exit code ${jobExit} before it finished.${unparsed.length ? ` Last output: ${unparsed.slice(-2).join(' / ')}` : ''} Check HEAD on the device; every commit is kept under refs/tally/.`;
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

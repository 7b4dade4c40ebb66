/**
 * Reads the reset job's `@` lines (reset-script.ts) into the report. Pure: the whole output so far in, the report
 * out, so a console that reattaches after a dropped link or a restart rebuilds exactly the same report.
 */
import {
  RESET_STEPS,
  type ResetCamera,
  type ResetKill,
  type ResetOutcome,
  type ResetRecording,
  type ResetRestart,
  type ResetStep,
  type VpuReset,
} from '../../contract/index.js';
import { isoFromMs } from '../device/job-lines.js';

export interface ResetMeta {
  id: string;
  deviceId: string;
  device: string;
  who: string;
  startedAt: string;
  /**
   * What this console starts again once the reset has ended healthy, and how that went: the console's own notes
   * beside the job's output (the service updates them; they are kept with the report).
   */
  restarts?: ResetRestart[];
}

const iso = isoFromMs;

const num = (text: string | undefined): number | null => {
  if (text === undefined || text === '-' || text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
};

/** `jobExit` is the job's exit code once it ended (null while it runs or when unknown). */
export function parseResetOutput(output: string, meta: ResetMeta, jobExit: number | null = null): VpuReset {
  const steps: ResetStep[] = RESET_STEPS.map((s) => ({
    n: s.n,
    id: s.id,
    title: s.title,
    state: 'pending',
    startedAt: null,
    durationMs: null,
    waitedMs: null,
    lines: [],
  }));
  const begun = new Map<number, number>();
  const recordings: ResetRecording[] = [];
  const planned: string[] = [];
  const plannedJobs: string[] = [];
  const killed: ResetKill[] = [];
  const cameras: ResetCamera[] = [];
  const evidence: string[] = [];
  let sessionsBefore: number | null = null;
  let sessionsAfter: number | null = null;
  let outcome: ResetOutcome = 'running';
  let summary = 'Starting the reset on the device…';
  let endedAt: string | null = null;
  let startedAt = meta.startedAt;
  let refusedBy: string | null = null;
  let busyWith: string | null = null;
  const unparsed: string[] = [];

  // Only whole lines: a half-written last line is read on the next call.
  const lines = output.split('\n');
  if (!output.endsWith('\n')) lines.pop();
  for (const line of lines) {
    if (!line.startsWith('@')) {
      if (line.trim()) unparsed.push(line);
      continue;
    }
    const [tag, ...rest] = line.slice(1).split(' ');
    const step = (n: string | undefined): ResetStep | undefined => steps[Number(n) - 1];
    switch (tag) {
      case 'begin':
        startedAt = iso(rest[0]) ?? startedAt;
        break;
      case 'plan':
        if (rest[0] === 'rec' && rest[1]) planned.push(rest.slice(1).join(' '));
        if (rest[0] === 'job' && rest[1]) plannedJobs.push(rest[1]);
        break;
      case 'step': {
        const s = step(rest[0]);
        if (!s) break;
        if (rest[1] === 'begin') {
          s.state = 'running';
          s.startedAt = iso(rest[2]);
          begun.set(s.n, Number(rest[2]));
          summary = `Step ${s.n} of 4: ${s.title}…`;
        } else if (rest[1] === 'end') {
          const state = rest[2];
          s.state = state === 'ok' ? 'done' : state === 'skipped' ? 'skipped' : 'failed';
          const start = begun.get(s.n);
          const end = Number(rest[3]);
          s.durationMs = start !== undefined && Number.isFinite(end) ? Math.max(0, end - start) : null;
          s.waitedMs = num(rest[4]);
        }
        break;
      }
      case 'say': {
        const s = step(rest[0]);
        if (s) s.lines.push(rest.slice(1).join(' '));
        break;
      }
      case 'sessions':
        if (rest[0] === 'before') sessionsBefore = num(rest[1]);
        if (rest[0] === 'after') sessionsAfter = num(rest[1]);
        break;
      case 'kill': {
        const pid = num(rest[0]);
        if (pid === null || (rest[1] !== 'TERM' && rest[1] !== 'KILL')) break;
        killed.push({ pid, signal: rest[1], sessions: num(rest[2]) ?? 0, name: rest.slice(3).join(' ') });
        break;
      }
      case 'rec': {
        const [state, duration, ...more] = rest;
        if (state !== 'finalised' && state !== 'damaged') break;
        const text = more.join(' ');
        const bar = text.indexOf(' | ');
        const file = bar >= 0 ? text.slice(0, bar) : text;
        const detail = bar >= 0 ? text.slice(bar + 3) : '';
        const seconds = num(duration);
        recordings.push({
          file,
          state,
          durationS: seconds,
          detail:
            state === 'finalised'
              ? `plays, ${seconds !== null ? `${seconds.toFixed(1)} s` : 'duration unknown'}`
              : detail || 'could not be read',
        });
        break;
      }
      case 'camera': {
        const [camera, state, sessions, ...detail] = rest;
        if (!camera || (state !== 'online' && state !== 'failed' && state !== 'not_started')) break;
        cameras.push({ camera, state, sessionsAfter: num(sessions), detail: detail.join(' ') });
        break;
      }
      case 'evidence':
        evidence.push(rest.join(' '));
        break;
      case 'outcome': {
        const o = rest[0];
        if (o === 'healthy' || o === 'reboot_needed' || o === 'failed') outcome = o;
        endedAt = iso(rest[1]);
        summary = rest.slice(2).join(' ');
        break;
      }
      case 'refused':
        refusedBy = rest[0] ?? 'unknown';
        break;
      case 'busy':
        busyWith = rest.join(' ') || 'another operation';
        break;
      default:
        unparsed.push(line);
    }
  }

  if (refusedBy !== null) {
    outcome = 'failed';
    summary = `Refused: another reset (${refusedBy}) is running on this device.`;
  } else if (busyWith !== null) {
    outcome = 'failed';
    summary = `Refused: "${busyWith}" holds the device and was not to be interrupted; nothing was changed.`;
  } else if (jobExit !== null && outcome === 'running') {
    // The program ended without saying how (killed, or the device rebooted under it).
    outcome = 'failed';
    summary = `The reset job ended with exit code ${jobExit} before it finished.${unparsed.length ? ` Last output: ${unparsed.slice(-2).join(' / ')}` : ''}`;
  }
  if (outcome !== 'running') {
    for (const s of steps) if (s.state === 'running') s.state = 'failed';
    for (const s of steps) if (s.state === 'pending') s.state = 'skipped';
  }
  // A recording that was running but has no check line was not reached.
  for (const file of planned)
    if (outcome !== 'running' && !recordings.some((r) => r.file === file))
      recordings.push({
        file,
        state: 'damaged',
        durationS: null,
        detail: 'not checked: the reset ended first',
      });

  return {
    id: meta.id,
    deviceId: meta.deviceId,
    device: meta.device,
    who: meta.who,
    startedAt,
    endedAt,
    outcome,
    summary,
    sessionsBefore,
    sessionsAfter,
    steps,
    recordings,
    killed,
    cameras,
    evidence,
    todo: todoFor(outcome, meta.device, planned, plannedJobs, recordings, cameras, meta.restarts ?? []),
    restarts: structuredClone(meta.restarts ?? []),
    following: true,
  };
}

function todoFor(
  outcome: ResetOutcome,
  device: string,
  planned: string[],
  jobs: string[],
  recordings: ResetRecording[],
  cameras: ResetCamera[],
  restarts: readonly ResetRestart[],
): string[] {
  if (outcome === 'running') return [];
  const todo: string[] = [];
  if (outcome === 'reboot_needed')
    todo.push(
      `Reboot ${device} (Tally offers it with its own confirmation), then check the VPU sessions and start the recorder.`,
    );
  const down = cameras.filter((c) => c.state !== 'online').map((c) => c.camera);
  if (outcome === 'failed' && down.length > 0)
    todo.push(
      `Cameras ${down.join(', ')} are not up: read the evidence, fix the cause (encoder settings, VPU budget), then start the recorder again.`,
    );
  if (planned.length > 0)
    todo.push(
      `The reset stopped ${planned.length} recording(s) and does not restart them: start recording again in the Recorder tab.`,
    );
  const damaged = recordings.filter((r) => r.state === 'damaged').map((r) => r.file);
  if (damaged.length > 0)
    todo.push(
      `Check ${damaged.join(', ')}: it may be damaged (not finalised). Keep it; do not delete it yet.`,
    );
  // What the console starts again itself is not left to do, unless that did not happen.
  const byHand = jobs.filter((j) => !restarts.some((r) => r.jobId === j));
  if (byHand.length > 0)
    todo.push(
      `The reset stopped ${byHand.length} pipeline(s) started from Tally; run them again if they are still needed.`,
    );
  for (const r of restarts) if (r.state === 'failed' || r.state === 'skipped') todo.push(r.detail);
  return todo;
}

/**
 * A config apply's job report (checkout-report.ts) as the Operation the Recorder tab and `tally apply-preset` show:
 * the console's check first, then the device's steps. Pure, so a reattached console shows the same operation.
 */
import type { HealthReading, Operation, RollbackStep } from '../../contract/index.js';
import type { CheckoutReport } from '../device/checkout-report.js';

const STATE: Record<CheckoutReport['outcome'], Operation['state']> = {
  running: 'running',
  healthy: 'succeeded',
  reverted: 'reverted',
  failed: 'failed',
  refused: 'failed',
  interrupted: 'interrupted',
};

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** `4 of 4 streaming, 4 VPU sessions, no kernel fault (12 of 30 s)`. */
export function readingText(r: HealthReading, windowMs: number): string {
  const sessions = r.sessions === null ? 'VPU sessions unknown' : `${r.sessions} VPU sessions`;
  const faults = r.kernelFaults === 0 ? 'no kernel fault' : `${r.kernelFaults} kernel fault(s)`;
  const stalled = r.stalled.length > 0 ? `, no new bytes from ${r.stalled.join(', ')}` : '';
  return `${r.streaming} of ${r.cameras} streaming, ${sessions}, ${faults}${stalled} (${seconds(r.atMs)} of ${seconds(windowMs)} s)`;
}

function detailOf(step: RollbackStep, report: CheckoutReport): string {
  const said = step.lines.join(' ');
  const readings = step.id === 'probation' ? report.health : step.id === 'recheck' ? report.recheck : [];
  const last = readings.at(-1);
  if (!last) return said;
  const now = readingText(last, report.probationMs);
  return step.state === 'running' || !said ? now : `${said} Last reading: ${now}.`;
}

export function operationOf(report: CheckoutReport): Operation {
  const check: Operation['steps'][number] = {
    name: 'Check the change',
    state: 'done',
    detail: report.check?.text ?? '',
    ...(report.check ? { durationMs: report.check.ms } : {}),
  };
  // Going back (5, 6) shows only when it happened.
  const shown = report.steps.filter(
    (s) => s.n <= 4 || s.state === 'running' || s.state === 'done' || s.state === 'failed',
  );
  return {
    id: report.id,
    deviceId: report.deviceId,
    kind: 'config.apply',
    title: report.title || `Config change on ${report.device}`,
    state: STATE[report.outcome],
    summary: report.summary,
    steps: [
      check,
      ...shown.map((s) => ({
        name: s.title,
        state: s.state,
        detail: detailOf(s, report),
        ...(s.durationMs !== null ? { durationMs: s.durationMs } : {}),
      })),
    ],
    evidence: [...report.evidence],
    commit: report.made,
    previousCommit: report.from,
    refs: [...report.refs],
    startedAt: report.startedAt,
    endedAt: report.endedAt,
    following: report.following,
  };
}

/**
 * `tally reset-vpu <device> [--yes]`: the emergency VPU reset for a terminal in a hurry. The same Console commands
 * as the button, progress on stderr as it happens, the report on stdout. Exits 0 only when the device ended healthy.
 */
import { createInterface } from 'node:readline/promises';
import { leaseSentence, planJobSentence, type ResetPlan, type VpuReset } from './contract/index.js';
import type { Console } from './core/console.js';
import { call, CliExit, connect, EXIT_BUSY, findDevice, type CliIo } from './cli-ops.js';

export const RESET_EXIT = { healthy: 0, failed: 1, refused: 2, rebootNeeded: 3, notConfirmed: 4 } as const;

function seconds(ms: number | null): string {
  return ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`;
}

export function describePlan(plan: ResetPlan): string {
  const lines = [
    `Emergency VPU reset on ${plan.device}: VPU sessions now ${plan.sessions ?? 'unknown'}.`,
    `It stops: ${plan.units[0] ?? 'the recorder'}${plan.recordings.length ? `, the recordings ${plan.recordings.map((r) => `${r.camera} → ${r.file}`).join(', ')} (EOS, finalised)` : ' (no recording running)'}` +
      `${plan.pipelines.length ? `, Tally's pipelines ${plan.pipelines.map((p) => p.jobId).join(', ')}` : ''}.`,
    `Then it kills only processes that still hold VPU sessions, restarts ${plan.units.slice(1).join(', ') || 'the media server'} and ${plan.units[0] ?? 'the recorder'}, and brings ${plan.cameras.join(', ')} up one at a time.`,
    ...plan.pipelines.filter((p) => p.restart !== null).map((p) => planJobSentence(p)),
    ...(plan.lease
      ? [
          `Busy now: ${leaseSentence(plan.lease)} With --interrupt the reset asks it to stop at a safe point first.`,
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

export function describeReport(r: VpuReset): string {
  const out: string[] = [`VPU reset ${r.id} on ${r.device}: ${r.outcome.replace('_', ' ')} — ${r.summary}`];
  out.push(`Sessions: ${r.sessionsBefore ?? '?'} before, ${r.sessionsAfter ?? '?'} after.`);
  for (const s of r.steps)
    out.push(
      `  ${s.n}. ${s.title}: ${s.state}${s.durationMs !== null ? `, ${seconds(s.durationMs)} (waiting on the device ${seconds(s.waitedMs)})` : ''}`,
    );
  for (const k of r.killed)
    out.push(`  killed PID ${k.pid} (${k.name}, ${k.sessions} session(s)) with SIG${k.signal}`);
  for (const f of r.recordings)
    out.push(
      `  recording ${f.file}: ${f.state}${f.durationS !== null ? `, ${f.durationS.toFixed(1)} s` : ''} — ${f.detail}`,
    );
  for (const c of r.cameras) out.push(`  ${c.camera}: ${c.state} — ${c.detail}`);
  for (const a of r.restarts) out.push(`  ${a.label}: ${a.state} — ${a.detail}`);
  if (r.evidence.length) out.push('Evidence:', ...r.evidence.map((l) => `  ${l}`));
  if (r.todo.length) out.push('Left to do:', ...r.todo.map((l) => `  - ${l}`));
  return `${out.join('\n')}\n`;
}

/** What changed between two reports, as lines for a terminal. */
function progress(before: VpuReset | undefined, now: VpuReset): string[] {
  const lines: string[] = [];
  for (const s of now.steps) {
    const old = before?.steps[s.n - 1];
    if (s.state === 'running' && old?.state !== 'running') lines.push(`[${s.n}/4] ${s.title}…`);
    for (const l of s.lines.slice(old?.lines.length ?? 0)) lines.push(`      ${l}`);
  }
  if (before?.following !== now.following && before !== undefined)
    lines.push(
      now.following
        ? '      (link back: following the reset again)'
        : '      (link to the device lost: the reset carries on there; waiting to reattach)',
    );
  return lines;
}

export async function resetVpuCommand(
  core: Console,
  io: CliIo,
  deviceName: string,
  opts: { yes: boolean; timeoutMs: number; interactive: boolean; interrupt: boolean },
): Promise<number> {
  const device = await findDevice(core, deviceName);
  await connect(core, device, opts.timeoutMs);
  const plan = await call<ResetPlan>(core, 'vpuReset.plan', { deviceId: device.id });
  io.err(describePlan(plan));
  if (plan.running)
    throw new CliExit(
      RESET_EXIT.refused,
      `A reset is already running on ${device.name} (${plan.running.id}).`,
    );
  if (plan.blocked) throw new CliExit(RESET_EXIT.refused, plan.blocked);
  if (plan.lease && !opts.interrupt)
    throw new CliExit(
      EXIT_BUSY,
      `${device.name} is busy: ${leaseSentence(plan.lease)} Nothing was done; pass --interrupt to stop it at a safe point and reset.`,
    );
  if (!opts.yes) {
    if (!opts.interactive)
      throw new CliExit(
        RESET_EXIT.notConfirmed,
        'Nothing was done: pass --yes to run the reset without a prompt.',
      );
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Type ${device.name} to reset it now: `);
    rl.close();
    if (answer.trim() !== device.name) throw new CliExit(RESET_EXIT.notConfirmed, 'Nothing was done.');
  }
  let last: VpuReset | undefined;
  const off = core.onEvent((name, payload) => {
    if (name !== 'vpuReset.changed') return;
    const { reset } = payload as { reset: VpuReset };
    if (reset.deviceId !== device.id || (last && reset.id !== last.id)) return;
    for (const line of progress(last, reset)) io.err(`${line}\n`);
    last = reset;
  });
  try {
    const started = await call<VpuReset>(core, 'vpuReset.start', {
      deviceId: device.id,
      confirmed: true,
      interrupt: opts.interrupt,
    });
    last ??= started;
    const report = await core.vpuReset.waitForEnd(started.id);
    io.out(describeReport(report));
    if (report.outcome === 'healthy') return RESET_EXIT.healthy;
    if (report.outcome === 'reboot_needed') return RESET_EXIT.rebootNeeded;
    return RESET_EXIT.failed;
  } finally {
    off();
  }
}

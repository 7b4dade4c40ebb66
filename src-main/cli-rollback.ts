/**
 * `tally rollback <device> --to SHA`: roll the recorder checkout back to a commit as one detached job on the device
 * (rollback-script.ts), printing the plan, the steps as they go, and the report. Exits with a code per outcome.
 */
import { createInterface } from 'node:readline/promises';
import { lastKnownGood, type History, type Rollback, type RollbackPlan } from './contract/index.js';
import type { Console } from './core/console.js';
import { call, CliExit, connect, EXIT_BUSY, findDevice, type CliIo } from './cli-ops.js';

/** 0 healthy, 1 failed (going back did not help either), 2 refused, 4 not confirmed, 5 reverted by itself, 75 busy. */
export const ROLLBACK_CLI_EXIT = {
  healthy: 0,
  failed: 1,
  refused: 2,
  notConfirmed: 4,
  reverted: 5,
  /** An emergency VPU reset took the device over mid-rollback. */
  interrupted: 6,
} as const;

export function describeRollbackPlan(plan: RollbackPlan): string {
  const lines = [
    `Roll back ${plan.device} from ${plan.head?.slice(0, 7) ?? '?'} (${plan.headSubject ?? ''}) to ${plan.target.slice(0, 7)} (${plan.targetSubject}).`,
    `It commits the target's tree on top of HEAD (HEAD is kept under refs/tally/backup/…), restarts ${plan.restarts.join(', ')}` +
      `${plan.recordings.length ? `, after stopping ${plan.recordings.map((r) => `${r.camera} → ${r.file}`).join(', ')} with EOS` : ''},` +
      ` then watches ${plan.cameras.join(', ')} for ${plan.probationS} s and goes back by itself if the board is not healthy.`,
    `VPU budget of the target: ${plan.budget.message}`,
    plan.diff ? plan.diff.trimEnd() : 'config.yml is the same at both commits.',
  ];
  return `${lines.join('\n')}\n`;
}

export function describeRollback(r: Rollback): string {
  const out = [`Rollback ${r.id} on ${r.device}: ${r.outcome} — ${r.summary}`];
  for (const s of r.steps)
    out.push(
      `  ${s.n}. ${s.title}: ${s.state}${s.durationMs !== null ? `, ${(s.durationMs / 1000).toFixed(1)} s` : ''}`,
    );
  if (r.refs.length) out.push(`Kept: ${r.refs.join(', ')}`);
  for (const e of r.evidence) out.push(`  evidence: ${e}`);
  return `${out.join('\n')}\n`;
}

export async function rollbackCommand(
  core: Console,
  io: CliIo,
  deviceName: string,
  opts: {
    /** A commit, or `last-good`: the newest earlier commit that passed qualification on this board. */
    to: string;
    probationS?: number;
    yes: boolean;
    overrideBudget: boolean;
    timeoutMs: number;
    interactive: boolean;
  },
): Promise<number> {
  const device = await findDevice(core, deviceName);
  await connect(core, device, opts.timeoutMs);
  let to = opts.to;
  if (to === 'last-good') {
    const good = lastKnownGood(await call<History>(core, 'history.list', { deviceId: device.id }));
    if (!good)
      throw new CliExit(
        ROLLBACK_CLI_EXIT.refused,
        `No earlier commit has passed qualification on ${device.name} yet (tally history ${device.name} shows the results); name one with --to SHA.`,
      );
    io.err(`Last known-good on ${device.name}: ${good.short} ${good.subject}\n`);
    to = good.sha;
  }
  const request = {
    deviceId: device.id,
    to,
    ...(opts.probationS !== undefined ? { probationS: opts.probationS } : {}),
  };
  const plan = await call<RollbackPlan>(core, 'rollback.plan', request);
  io.err(describeRollbackPlan(plan));
  if (plan.blocked) throw new CliExit(plan.lease ? EXIT_BUSY : ROLLBACK_CLI_EXIT.refused, plan.blocked);
  if (plan.overridable && !opts.overrideBudget)
    throw new CliExit(
      ROLLBACK_CLI_EXIT.refused,
      `${plan.overridable} Pass --override-budget to go ahead anyway.`,
    );
  if (!opts.yes) {
    if (!opts.interactive)
      throw new CliExit(
        ROLLBACK_CLI_EXIT.notConfirmed,
        'Nothing was done: pass --yes to roll back without a prompt.',
      );
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Type ${device.name} to roll it back now: `);
    rl.close();
    if (answer.trim() !== device.name) throw new CliExit(ROLLBACK_CLI_EXIT.notConfirmed, 'Nothing was done.');
  }
  let said = '';
  const off = core.onEvent((name, payload) => {
    if (name !== 'rollback.changed') return;
    const { rollback } = payload as { rollback: Rollback };
    if (rollback.deviceId !== device.id || rollback.outcome !== 'running') return;
    if (rollback.summary !== said) io.err(`${rollback.summary}\n`);
    said = rollback.summary;
  });
  try {
    const started = await call<Rollback>(core, 'rollback.start', {
      ...request,
      confirmed: true,
      overrideBudget: opts.overrideBudget,
    });
    const report = await core.rollback.waitForEnd(started.id);
    io.out(describeRollback(report));
    if (report.outcome === 'running')
      throw new CliExit(
        ROLLBACK_CLI_EXIT.failed,
        `Lost ${device.name} before the rollback ended; it goes on there by itself. Run this again later to see its report.`,
      );
    return ROLLBACK_CLI_EXIT[report.outcome];
  } finally {
    off();
  }
}

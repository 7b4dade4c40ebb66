/**
 * `tally qualify <device> [--preset ID | --commit SHA] [--quick]`: seed 000's stability Tests 1–3 for an encoder, as
 * one detached job on the device (qualify-script.ts), printing the plan, the tests as they go, and the report.
 */
import { createInterface } from 'node:readline/promises';
import type { Qualification, QualifyPlan, QualifyTarget } from './contract/index.js';
import type { Console } from './core/console.js';
import { CliExit, connect, EXIT_BUSY, findDevice, type CliIo } from './cli-ops.js';

/** 0 passed, 1 failed qualification, 2 refused, 4 not confirmed, 64 bad input, 75 busy. */
export const QUALIFY_CLI_EXIT = {
  passed: 0,
  failed: 1,
  refused: 2,
  notConfirmed: 4,
  /** An emergency VPU reset took the device over mid-run: no verdict. */
  interrupted: 6,
  badInput: 64,
} as const;

export function describeQualifyPlan(plan: QualifyPlan): string {
  const recorder =
    plan.recorderState === 'active'
      ? `${plan.recorderUnit} is stopped for the tests and started again afterwards, pass or fail`
      : `${plan.recorderUnit} is ${plan.recorderState ?? 'in an unknown state'} and is left so`;
  const lines = [
    `Qualify ${plan.subject.label} on ${plan.device}: ${plan.subject.encoder}`,
    `Variant ${plan.variant}, ${plan.totalS} s in all: ${plan.tests.map((t) => `${t.title} ${t.durationS} s`).join('; ')}.`,
    `Source ${plan.source}; Test 3 pushes to MediaMTX path ${plan.rtspPath}; ${plan.sessions} VPU session(s) at a time.`,
    plan.recordings.length
      ? `Stops these recordings with EOS first: ${plan.recordings.map((r) => `${r.camera} → ${r.file}`).join(', ')}.`
      : 'No recording is running.',
    `${recorder}.`,
    plan.noteText,
    ...(plan.danger ? [`Warning: ${plan.danger}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function figure(value: number | null, unit: string): string {
  return value === null ? '—' : `${value}${unit}`;
}

export function describeQualification(q: Qualification): string {
  const out = [`Qualification ${q.id} on ${q.device}: ${q.outcome} — ${q.summary}`];
  out.push(`  ${q.subject.label}: ${q.subject.encoder} (${q.variant}, kernel ${q.kernel ?? '?'})`);
  for (const t of q.tests) {
    out.push(`  ${t.title} (${t.durationS} s): ${t.state}${t.reason ? ` — ${t.reason}` : ''}`);
    if (t.state === 'pending' || t.state === 'skipped') continue;
    out.push(
      `    encode ${figure(t.encodeFps, ' fps')} vs input ${t.inputFps} fps; VPU sessions opened ${figure(t.sessionsOpened, '')};` +
        ` peak CPU ${figure(t.peakCpu, ' %')}, ${figure(t.peakTempC, ' °C')}; memory ${figure(t.memStartKb, ' kB')} → ${figure(t.memEndKb, ' kB')}`,
    );
    if (t.probe)
      out.push(
        `    probe (${t.probe.tool}): ${t.probe.codec ?? '?'}, ${figure(t.probe.durationS, ' s')}, ${figure(t.probe.frames, ' frames')}`,
      );
    if (t.mediamtx)
      out.push(
        `    MediaMTX ${t.mediamtx.path}: ${t.mediamtx.online ? 'online' : 'offline'}, ${figure(t.mediamtx.bytesFirst, '')} → ${figure(t.mediamtx.bytesLast, '')} bytes in`,
      );
    for (const l of t.kernelLines.slice(0, 10)) out.push(`    kernel: ${l}`);
  }
  out.push(`  recorder: ${q.recorderBefore ?? '?'} before, ${q.recorderAfter ?? '?'} after`);
  if (q.note) out.push(`  ${q.note.text}`);
  return `${out.join('\n')}\n`;
}

export async function qualifyCommand(
  core: Console,
  io: CliIo,
  deviceName: string,
  opts: {
    preset?: string;
    commit?: string;
    quick: boolean;
    yes: boolean;
    timeoutMs: number;
    interactive: boolean;
  },
): Promise<number> {
  if (opts.preset !== undefined && opts.commit !== undefined)
    throw new CliExit(QUALIFY_CLI_EXIT.badInput, 'Give --preset or --commit, not both.');
  const device = await findDevice(core, deviceName);
  await connect(core, device, opts.timeoutMs);
  const target: QualifyTarget =
    opts.preset !== undefined
      ? ({ kind: 'preset', preset: opts.preset } as QualifyTarget)
      : opts.commit !== undefined
        ? { kind: 'commit', commit: opts.commit }
        : { kind: 'head' };
  const request = { deviceId: device.id, target, variant: opts.quick ? 'quick' : 'full' };
  const ask = async <T>(name: string, input: unknown): Promise<T> => {
    const reply = await core.invoke(name, input, { owner: 'cli' });
    if (reply.ok) return reply.result as T;
    const code =
      reply.error.code === 'invalid_input'
        ? QUALIFY_CLI_EXIT.badInput
        : reply.error.code === 'busy'
          ? EXIT_BUSY
          : reply.error.code === 'refused' || reply.error.code === 'not_found'
            ? QUALIFY_CLI_EXIT.refused
            : QUALIFY_CLI_EXIT.failed;
    throw new CliExit(code, reply.error.message);
  };
  const plan = await ask<QualifyPlan>('qualify.plan', request);
  io.err(describeQualifyPlan(plan));
  if (plan.blocked) throw new CliExit(plan.lease ? EXIT_BUSY : QUALIFY_CLI_EXIT.refused, plan.blocked);
  if (!opts.yes) {
    if (!opts.interactive)
      throw new CliExit(
        QUALIFY_CLI_EXIT.notConfirmed,
        'Nothing was done: pass --yes to qualify without a prompt.',
      );
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Type ${device.name} to stop its recorder and qualify now: `);
    rl.close();
    if (answer.trim() !== device.name) throw new CliExit(QUALIFY_CLI_EXIT.notConfirmed, 'Nothing was done.');
  }
  let said = '';
  const off = core.onEvent((name, payload) => {
    if (name !== 'qualify.changed') return;
    const { qualification: q } = payload as { qualification: Qualification };
    if (q.deviceId !== device.id || q.outcome !== 'running') return;
    if (q.summary !== said) io.err(`${q.summary}\n`);
    said = q.summary;
  });
  try {
    const started = await ask<Qualification>('qualify.start', { ...request, confirmed: true });
    const report = await core.qualify.waitForEnd(started.id);
    io.out(describeQualification(report));
    if (report.outcome === 'running')
      throw new CliExit(
        QUALIFY_CLI_EXIT.failed,
        `Lost ${device.name} before the qualification ended; it goes on there by itself. Run \`tally qualify\` later or open the Recorder tab to see its report.`,
      );
    if (report.outcome === 'refused') return QUALIFY_CLI_EXIT.refused;
    return QUALIFY_CLI_EXIT[report.outcome];
  } finally {
    off();
  }
}

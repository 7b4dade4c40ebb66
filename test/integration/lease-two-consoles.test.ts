/**
 * One operation at a time on a device, across consoles: two real Consoles (two data directories: the laptop and
 * the studio machine) on one emulated R58, over real SSH. The probation window after an apply is 8 s here (30 s
 * in the product), so an apply is still running while the other console tries things.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, Operation, Reply, VpuReset } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import {
  openEmulatedConsole,
  startEmulatedConsole,
  type EmulatedConsole,
} from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const REPO = '/opt/preke-r58-recorder';

describe.skipIf(!ok)(`two consoles on one emulated R58 share its lease${why}`, () => {
  let a: EmulatedConsole;
  let b: EmulatedConsole;

  const invoke = (t: EmulatedConsole, name: string, input: unknown): Promise<Reply> =>
    t.core.invoke(name, input, { owner: 'test' });
  const apply = (
    t: EmulatedConsole,
    cameras: string[],
    preset = 'h264-sw',
    bitrateKbps?: number,
  ): Promise<Reply> =>
    invoke(t, 'config.apply', {
      deviceId: t.deviceId,
      preset,
      cameras,
      ...(bitrateKbps ? { bitrateKbps } : {}),
    });
  const ended = (t: EmulatedConsole, id: string): Promise<Operation> =>
    t.until(
      `operation ${id} to end`,
      async () =>
        (await t.core.recorder.applier.list(t.deviceId)).find((o) => o.id === id && o.state !== 'running'),
      120_000,
    );
  const head = async (t: EmulatedConsole): Promise<string> =>
    (await t.core.connections.exec(t.deviceId, sh`git -C ${REPO} rev-parse HEAD`)).stdout.trim();
  const audit = async (t: EmulatedConsole): Promise<AuditEntry[]> =>
    (await fs.readFile(path.join(t.dataDir, 'audit.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);
  const leaseFree = (t: EmulatedConsole): Promise<unknown> =>
    t.until(
      'the device lease to be free',
      async () => (await t.core.leases.read(t.deviceId)) === null,
      30_000,
    );

  beforeAll(async () => {
    a = await startEmulatedConsole({ cameras: 4, console: { applyWatchMs: 8_000 } });
    b = await openEmulatedConsole(a.emu, { console: { applyWatchMs: 8_000 } });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('console B cannot restart the recorder while console A applies a preset, and is told it is A’s apply', async () => {
    const started = await apply(a, ['cam0']);
    if (!started.ok) throw new Error(started.error.message);
    const op = started.result as Operation;

    const refused = await invoke(b, 'recorder.control', {
      deviceId: b.deviceId,
      action: 'restart',
      confirmed: true,
    });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe('busy');
    expect(refused.error.message).toMatch(
      /Apply h264-sw to cam0 on demo-r58 is running \(started by another console on .* at \d\d:\d\d:\d\d UTC/,
    );
    // B's UI learns who holds it (the Restart button is disabled with this reason).
    await b.until('B to see A’s lease', () =>
      b.payloads('lease.changed').find((p) => p.lease?.kind === 'config.apply' && !p.lease.mine),
    );

    expect((await ended(a, op.id)).state).toBe('succeeded');
    await leaseFree(b);
    const restarted = await invoke(b, 'recorder.control', {
      deviceId: b.deviceId,
      action: 'restart',
      confirmed: true,
    });
    expect(restarted.ok).toBe(true);
  });

  it('two applies at the same moment: exactly one runs, the other is refused and says by whom', async () => {
    await leaseFree(a);
    const applies = async (t: EmulatedConsole): Promise<string[]> =>
      (await audit(t)).filter((e) => e.action === 'config.apply').map((e) => e.result);
    const before = { a: await applies(a), b: await applies(b) };
    const [fromA, fromB] = await Promise.all([apply(a, ['cam1']), apply(b, ['cam2'])]);
    const winners = [fromA, fromB].filter((r) => r.ok);
    const losers = [fromA, fromB].filter((r) => !r.ok);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const lost = losers[0];
    if (!lost || lost.ok) throw new Error('no refusal');
    expect(lost.error.code).toBe('busy');
    expect(lost.error.message).toMatch(
      /Apply h264-sw to cam[12] on demo-r58 is running \(started by another console/,
    );
    const winner = fromA.ok ? a : b;
    const op = (winners[0] as { result: Operation }).result;
    expect((await ended(winner, op.id)).state).toBe('succeeded');
    // The refused console changed nothing: its audit log says refused, and nothing started.
    expect(await applies(fromA.ok ? b : a)).toEqual([...(fromA.ok ? before.b : before.a), 'refused']);
  });

  it('a VPU reset from console B interrupts A’s running apply: the apply says so, reverts nothing, the reset ends healthy', async () => {
    await leaseFree(a);
    // Not h264-sw: cam0 and cam1 or cam2 encode in software by now, and a third x264enc camera is over the CPU
    // budget (seed 000 keeps software encoding to 2 cameras), so the apply would be refused before it starts.
    const started = await apply(a, ['cam3'], 'h264-hw', 6000);
    if (!started.ok) throw new Error(started.error.message);
    const op = started.result as Operation;
    // Wait until it is past the restart, in its watch.
    await a.until('the apply to be watching', async () =>
      (await a.core.recorder.applier.list(a.deviceId)).find(
        (o) => o.id === op.id && o.steps[3]?.state === 'done',
      ),
    );
    const applied = await head(a);

    const plan = await b.call<{ lease: { kind: string } | null }>('vpuReset.plan', { deviceId: b.deviceId });
    expect(plan.lease?.kind).toBe('config.apply');
    const refused = await invoke(b, 'vpuReset.start', { deviceId: b.deviceId, confirmed: true });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toMatch(/confirm the interruption/);

    const reset = await b.call<VpuReset>('vpuReset.start', {
      deviceId: b.deviceId,
      confirmed: true,
      interrupt: true,
    });
    const interrupted = await ended(a, op.id);
    expect(interrupted.state).toBe('interrupted');
    expect(interrupted.summary).toMatch(
      /^Interrupted by the emergency VPU reset started by .* during the probation: HEAD stays at [0-9a-f]{7} .*nothing was reverted over the reset/,
    );
    const report = await b.core.vpuReset.waitForEnd(reset.id);
    expect(report.outcome).toBe('healthy');
    expect(report.steps[0]?.lines.join(' ')).toMatch(
      /Interrupted “Apply h264-hw to cam3 on demo-r58” .*: it stopped at a safe point/,
    );
    expect(await head(a)).toBe(applied);
    expect(
      (await audit(a)).filter((e) => e.action === 'config.apply' && e.result !== 'started').at(-1),
    ).toMatchObject({
      result: 'refused',
      message: expect.stringMatching(/^Interrupted by the emergency VPU reset/),
    });
  });

  it('a holder killed with SIGKILL mid-operation: the next operation gets the lease and the audit log says the old one was broken', async () => {
    await leaseFree(a);
    const started = await apply(a, ['cam0'], 'h264-hw');
    if (!started.ok) throw new Error(started.error.message);
    const op = started.result as Operation;
    const pid = (
      await a.core.connections.exec(a.deviceId, sh`sed -n 's/^pid=//p' "$HOME"/.tally/lease/info`)
    ).stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    await a.core.connections.exec(a.deviceId, sh`kill -KILL ${pid}`);

    const failed = await ended(a, op.id);
    expect(failed.state).toBe('failed');
    expect(failed.summary).toMatch(/^Lost the device's lease \(its holder on the device was killed\)/);

    const next = await invoke(b, 'recorder.control', {
      deviceId: b.deviceId,
      action: 'restart',
      confirmed: true,
    });
    expect(next.ok).toBe(true);
    const broken = await b.until('the broken lease in B’s audit log', async () =>
      (await audit(b)).find((e) => e.action === 'lease.broken'),
    );
    expect(broken.message).toMatch(
      new RegExp(
        `lease of "Apply h264-hw to cam0 on demo-r58" .* was broken: its holder \\(pid ${pid}\\) is gone`,
      ),
    );
  });
});

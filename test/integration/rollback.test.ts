/**
 * Rolling the recorder checkout back on the emulated R58, as one detached job (issue 13): HEAD kept under a backup
 * ref, the target's tree committed on top, the recorder restarted and the board's health watched for the probation
 * window (10 s here, 60 s in the product); the device decides by itself, also with the link down.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply, Rollback, RollbackPlan, VpuReset } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const REPO = '/opt/preke-r58-recorder';

describe.skipIf(!ok)(`rollback on the emulated R58 (probation 10 s)${why}`, () => {
  let t: EmulatedConsole;

  const git = async (args: string): Promise<string> => {
    const r = await t.core.connections.exec(t.deviceId, sh`cd ${REPO} && sh -c ${args}`, {
      timeoutMs: 20_000,
    });
    if (r.code !== 0) throw new Error(`git ${args}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const head = (): Promise<string> => git('git rev-parse HEAD');
  /** Seed 000's rollback to software encoding (x264enc), by its subject. */
  const x264Commit = (): Promise<string> => git("git log --format=%H -n 1 --grep='^Roll back to x264enc'");
  const invoke = (name: string, input: unknown): Promise<Reply> =>
    t.core.invoke(name, input, { owner: 'test' });
  const latest = (id: string): Rollback | undefined =>
    t
      .payloads('rollback.changed')
      .map((p) => p.rollback)
      .filter((r) => r.id === id)
      .at(-1);

  beforeAll(async () => {
    // A camera that has not streamed 8 s after the restart fails the check (30 s in the product).
    t = await startEmulatedConsole({ cameras: 4, console: { rollbackCamerasMs: 8_000 } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('rolls back to seed 000’s x264 commit: the old HEAD stays reachable, the board is healthy for the window, and nothing else may change the device meanwhile', async () => {
    const before = await head();
    const target = await x264Commit();
    expect(target).toMatch(/^[0-9a-f]{40}$/);

    const plan = await t.call<RollbackPlan>('rollback.plan', {
      deviceId: t.deviceId,
      to: target,
      probationS: 10,
    });
    expect(plan.blocked).toBeNull();
    expect(plan.diff).toMatch(/-.*mpph264enc[\s\S]*\+.*x264enc/);
    expect(plan.restarts).toEqual(['preke-recorder']);
    expect(plan.cameras).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);

    const started = await t.call<Rollback>('rollback.start', {
      deviceId: t.deviceId,
      to: target,
      probationS: 10,
      confirmed: true,
    });
    await t.until(
      'the probation window',
      () => (latest(started.id)?.steps[3]?.state === 'running' ? true : undefined),
      60_000,
    );
    const refused = await invoke('recorder.control', {
      deviceId: t.deviceId,
      action: 'restart',
      confirmed: true,
    });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('busy');
      expect(refused.error.message).toMatch(/Roll back demo-r58 to [0-9a-f]{7} .* is running/);
    }

    const report = await t.core.rollback.waitForEnd(started.id);
    expect(report.outcome, report.summary).toBe('healthy');
    expect(report.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'skipped', 'skipped']);
    expect(report.health.length).toBeGreaterThanOrEqual(5);
    expect(report.health.every((h) => h.streaming === 4 && h.kernelFaults === 0)).toBe(true);
    expect(report.from).toBe(before);
    const now = await head();
    expect(now).toBe(report.made);
    expect(report.endedOn).toBe(now);
    // A new commit on top of the old HEAD, with the target's tree: nothing was reset away.
    expect(await git(`git rev-parse ${now}^`)).toBe(before);
    expect(await git(`git rev-parse ${now}^{tree}`)).toBe(await git(`git rev-parse ${target}^{tree}`));
    expect(await git(`git rev-parse refs/tally/backup/${started.id}`)).toBe(before);
    expect(await git('git log -1 --format=%s')).toMatch(
      new RegExp(`^Tally: roll back to ${target.slice(0, 7)} `),
    );
    const audit = (await fs.readFile(path.join(t.dataDir, 'audit.jsonl'), 'utf8')).trim().split('\n');
    expect(audit.some((l) => l.includes('"action":"rollback"') && l.includes('"result":"ok"'))).toBe(true);

    // And forward again to the proven config, the same way.
    const forward = await t.call<Rollback>('rollback.start', {
      deviceId: t.deviceId,
      to: before,
      probationS: 10,
      confirmed: true,
    });
    expect((await t.core.rollback.waitForEnd(forward.id)).outcome).toBe('healthy');
  }, 240_000);

  it('a kernel fault during probation: it goes back to the old HEAD by itself, keeps the failed commit under a ref, and says why', async () => {
    const before = await head();
    const target = await x264Commit();
    const started = await t.call<Rollback>('rollback.start', {
      deviceId: t.deviceId,
      to: target,
      probationS: 10,
      confirmed: true,
    });
    await t.until(
      'a healthy reading in the window',
      () => ((latest(started.id)?.health.length ?? 0) >= 2 ? true : undefined),
      60_000,
    );
    await t.emu.control.kernel('mpp_service: error: too many sessions');
    const report = await t.core.rollback.waitForEnd(started.id);
    expect(report.outcome, report.summary).toBe('reverted');
    expect(report.summary).toMatch(
      /was unhealthy \(new kernel fault: .*too many sessions\); went back to [0-9a-f]{7} by itself, healthy again/,
    );
    expect(report.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'failed', 'done', 'done']);
    expect(report.evidence.join('\n')).toMatch(/too many sessions/);
    expect(report.recheck.at(-1)).toMatchObject({ streaming: 4, cameras: 4, kernelFaults: 0 });
    // Back on the old HEAD, and the rollback's own commit is still reachable.
    expect(await head()).toBe(before);
    expect(report.endedOn).toBe(before);
    expect(report.refs).toContain(`refs/tally/failed/${started.id}`);
    expect(await git(`git rev-parse refs/tally/failed/${started.id}`)).toBe(report.made);
    expect(await git(`git rev-parse refs/tally/backup/${started.id}`)).toBe(before);
  }, 240_000);

  it('a camera that stays dead after the restart, also after going back: it reports both attempts, ends on the old HEAD, and says the board needs attention', async () => {
    const before = await head();
    const target = await x264Commit();
    await t.emu.control.cameraDead('cam2', true);
    try {
      const started = await t.call<Rollback>('rollback.start', {
        deviceId: t.deviceId,
        to: target,
        probationS: 10,
        confirmed: true,
      });
      const report = await t.core.rollback.waitForEnd(started.id);
      expect(report.outcome, report.summary).toBe('failed');
      expect(report.summary).toMatch(
        /was unhealthy \(not streaming 8000 ms after the restart: cam2 \), and so is [0-9a-f]{7} after going back .*The board needs attention/,
      );
      expect(report.health.at(-1)).toMatchObject({ streaming: 3, cameras: 4 });
      expect(report.recheck.at(-1)).toMatchObject({ streaming: 3, cameras: 4 });
      expect(report.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'failed', 'done', 'failed']);
      // Nothing is lost either way: HEAD is back where it was, the attempt kept under a ref.
      expect(await head()).toBe(before);
      expect(await git(`git rev-parse refs/tally/failed/${started.id}`)).toBe(report.made);
    } finally {
      await t.emu.control.clearDeadCameras();
      // Bring cam2 back for the tests after this one.
      await t.core.connections.exec(t.deviceId, sh`sudo -n systemctl restart preke-recorder`, {
        timeoutMs: 60_000,
      });
    }
  }, 240_000);

  it('refuses a dirty checkout and changes nothing', async () => {
    const before = await head();
    const target = await x264Commit();
    await git('echo "# by hand" >> config.yml');
    try {
      const plan = await t.call<RollbackPlan>('rollback.plan', { deviceId: t.deviceId, to: target });
      expect(plan.blocked).toMatch(/uncommitted changes \(config\.yml\); Tally does not overwrite them/);
      const r = await invoke('rollback.start', { deviceId: t.deviceId, to: target, confirmed: true });
      expect(r.ok).toBe(false);
      expect(await head()).toBe(before);
      expect(await git('tail -n 1 config.yml')).toBe('# by hand');
    } finally {
      await git('git checkout -- config.yml');
    }
  });

  it('the link drops during probation: the device finishes by itself, and the console shows the outcome after the reconnect', async () => {
    const target = await x264Commit();
    const started = await t.call<Rollback>('rollback.start', {
      deviceId: t.deviceId,
      to: target,
      probationS: 10,
      confirmed: true,
    });
    await t.until(
      'the probation window',
      () => (latest(started.id)?.steps[3]?.state === 'running' ? true : undefined),
      60_000,
    );
    await t.emu.control.linkDown();
    await t.until(
      'the console to notice the drop',
      () => (latest(started.id)?.following === false ? true : undefined),
      30_000,
    );
    const exitCode = await t.jobExitOnDevice(started.id);
    expect(exitCode).toBe('0');
    await t.emu.control.linkUp();
    const final = await t.until(
      'the outcome after the reconnect',
      () => {
        const r = latest(started.id);
        return r && r.outcome !== 'running' ? r : undefined;
      },
      90_000,
    );
    expect(final.outcome, final.summary).toBe('healthy');
    expect(final.following).toBe(true);
  }, 240_000);
  it('an emergency VPU reset interrupts a rollback in its probation: it stops there, goes back over nothing, and the reset ends healthy', async () => {
    // Whichever of the seed's x264 and proven h264-hw trees HEAD does not have now.
    const x264 = await x264Commit();
    const sameTree = (await git('git rev-parse HEAD^{tree}')) === (await git(`git rev-parse ${x264}^{tree}`));
    const target = sameTree ? await git("git log --format=%H -n 1 --grep='^Switch to H.264 hardware'") : x264;
    const started = await t.call<Rollback>('rollback.start', {
      deviceId: t.deviceId,
      to: target,
      probationS: 30,
      confirmed: true,
    });
    await t.until(
      'the probation window',
      () => {
        const r = latest(started.id);
        if (r && r.outcome !== 'running')
          throw new Error(`the rollback ended before its probation: ${r.summary}`);
        return (r?.health.length ?? 0) >= 1 ? true : undefined;
      },
      90_000,
    );
    const reset = await t.call<VpuReset>('vpuReset.start', {
      deviceId: t.deviceId,
      confirmed: true,
      interrupt: true,
    });
    const report = await t.core.rollback.waitForEnd(started.id);
    expect(report.outcome, report.summary).toBe('interrupted');
    expect(report.summary).toMatch(
      /Interrupted by the emergency VPU reset started by .* during the probation: HEAD stays at [0-9a-f]{7}/,
    );
    expect(await head()).toBe(report.made);
    const after = await t.core.vpuReset.waitForEnd(reset.id);
    expect(after.outcome, after.summary).toBe('healthy');
    expect(after.steps[0]?.lines.join(' ')).toMatch(
      /Interrupted “Roll back demo-r58 to [0-9a-f]{7} .*”.*stopped at a safe point/,
    );
  }, 240_000);
});

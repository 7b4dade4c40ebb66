/**
 * The emergency VPU reset against the emulated R58, each case from a board in trouble to a stated end: a wedged
 * pipeline with 9 sessions open and an Oops in the log; a recording running through the reset; the link dropped in
 * step 2; a second reset while one runs; a kernel that keeps its sessions (stop at step 3, reboot offered).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recording, ResetPlan, VpuReset } from '../../src-main/contract/index.js';
import { Console } from '../../src-main/core/console.js';
import { sh } from '../../src-main/core/device/quote.js';
import { parseEncoderText } from '../../src-main/core/media/encoder-text.js';
import { changeEncoders } from '../../src-main/core/media/recorder-config.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const REPO = '/opt/preke-r58-recorder';
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

/** A hardware encode started by hand on the device (not by the recorder, not by Tally). */
const HAND_ENCODE =
  'gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! mpph264enc qp-init=26 ! fakesink';
/** Same name, no VPU: a reset must leave it alone (no kill by name). */
const DECOY = 'gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=160,height=120 ! fakesink';

describe.skipIf(!ok)(`emergency VPU reset on the emulated R58${why}`, () => {
  let t: EmulatedConsole;

  const sessions = (): number | null => t.core.monitor.currentSample(t.deviceId)?.vpu.total ?? null;
  const waitSessions = (n: number): Promise<true> =>
    t.until(`${n} VPU sessions`, () => (sessions() === n ? true : undefined), 60_000);
  const exec = async (command: string): Promise<string> => {
    const r = await t.core.connections.exec(t.deviceId, sh`sh -c ${command}`, { timeoutMs: 20_000 });
    return r.stdout;
  };
  /** Start a process detached on the device; its pid. */
  const spawn = async (command: string): Promise<number> => {
    const tag = `/tmp/tally-test-${Math.random().toString(36).slice(2)}.pid`;
    await exec(`setsid -f sh -c 'echo $$ > ${tag}; exec ${command}' > /dev/null 2>&1 < /dev/null`);
    const pid = await t.until(
      'the pid file',
      async () => Number((await exec(`cat ${tag} 2>/dev/null`)).trim()) || undefined,
    );
    return pid;
  };
  const alive = async (pid: number): Promise<boolean> =>
    (await exec(`kill -0 ${pid} 2>/dev/null && echo yes || echo no`)).trim() === 'yes';
  const reset = async (): Promise<VpuReset> => {
    const started = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
    return t.core.vpuReset.waitForEnd(started.id);
  };

  beforeAll(async () => {
    t = await startEmulatedConsole({
      cameras: 4,
      keepaliveIntervalMs: 500,
      emulator: { vpuMaxSessions: 16 },
    });
    await waitSessions(4);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a wedged camera, 5 hand-started encoders (9 sessions) and an Oops: 0 sessions, 4 cameras back, only the holders killed', async () => {
    const hand: number[] = [];
    for (let i = 0; i < 5; i++) hand.push(await spawn(HAND_ENCODE));
    const decoy = await spawn(DECOY);
    await waitSessions(9);
    const wedged = (await t.emu.control.wedge('cam0')).pids;
    expect(wedged).toHaveLength(1);
    await t.emu.control.kernel(
      '<1>Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008\n' +
        '<0>Internal error: Oops: 0000000096000005 [#1] SMP\n<4>pc : rkvenc_task_run+0x1a4/0x3c0 [rk_vcodec]',
    );
    await t.until('the Oops alarm', async () =>
      (await t.call<{ kind: string }[]>('alarms.list')).find((a) => a.kind === 'oops'),
    );

    const plan = await t.call<ResetPlan>('vpuReset.plan', { deviceId: t.deviceId });
    expect(plan).toMatchObject({
      sessions: 9,
      blocked: null,
      running: null,
      units: ['preke-recorder', 'mediamtx'],
    });

    const started = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
    // A second reset while this one runs is refused, and says so.
    await expect(t.call('vpuReset.start', { deviceId: t.deviceId, confirmed: true })).rejects.toThrow(
      /already running on demo-r58/,
    );
    const report = await t.core.vpuReset.waitForEnd(started.id);

    expect(report.outcome, report.summary).toBe('healthy');
    expect(report.sessionsBefore).toBe(9);
    expect(report.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done']);
    // The drain reached zero before anything was started again.
    expect(report.steps[1]?.lines.join('\n')).toMatch(/All VPU sessions closed/);
    expect(report.cameras.map((c) => [c.camera, c.state])).toEqual([
      ['cam0', 'online'],
      ['cam1', 'online'],
      ['cam2', 'online'],
      ['cam3', 'online'],
    ]);
    // One at a time: the count rises by one per camera.
    expect(report.cameras.map((c) => c.sessionsAfter)).toEqual([1, 2, 3, 4]);
    expect(report.sessionsAfter).toBe(4);
    // Exactly the processes that still held sessions were signalled: the 5 hand-started encoders and the wedged
    // camera (which needed SIGKILL); not the decoy with the same name.
    expect(new Set(report.killed.map((k) => k.pid))).toEqual(new Set([...hand, ...wedged]));
    expect(report.killed.filter((k) => k.signal === 'KILL').map((k) => k.pid)).toEqual(wedged);
    expect(await alive(decoy)).toBe(true);
    for (const pid of hand) expect(await alive(pid)).toBe(false);
    await waitSessions(4);
    await exec(`kill ${decoy}`);

    const audit = await fs.readFile(path.join(t.dataDir, 'audit.jsonl'), 'utf8');
    const resets = audit
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { action: string; result: string; detail?: string })
      .filter((e) => e.action === 'vpu.reset' && e.detail === report.id);
    expect(resets.map((e) => e.result)).toEqual(['started', 'ok']);
    // The report can be reopened later.
    expect(await t.call<VpuReset>('vpuReset.get', { deviceId: t.deviceId, id: report.id })).toMatchObject({
      outcome: 'healthy',
      sessionsAfter: 4,
    });
  }, 180_000);

  it('a recording running through the reset is finalised first and plays with a duration afterwards', async () => {
    await t.call('recordings.start', { deviceId: t.deviceId, cameras: ['cam1'] });
    const active = await t.until(
      'the cam1 recording to grow',
      async () =>
        (await t.call<Recording[]>('recordings.list', { deviceId: t.deviceId })).find(
          (r) => r.active && r.name.startsWith('cam1_') && r.sizeBytes > 50_000,
        ),
      60_000,
    );
    const plan = await t.call<ResetPlan>('vpuReset.plan', { deviceId: t.deviceId });
    expect(plan.recordings.map((r) => path.basename(r.file))).toEqual([active.name]);

    const report = await reset();
    expect(report.outcome, report.summary).toBe('healthy');
    expect(report.recordings).toHaveLength(1);
    expect(report.recordings[0]).toMatchObject({ state: 'finalised', file: active.path });
    expect(report.recordings[0]?.durationS ?? 0).toBeGreaterThan(0);
    expect(report.todo.join(' ')).toMatch(/does not restart them/);

    const after = (await t.call<Recording[]>('recordings.list', { deviceId: t.deviceId })).find(
      (r) => r.name === active.name,
    );
    expect(after).toMatchObject({ active: false, problem: null });
    expect(after?.durationS ?? 0).toBeGreaterThan(0);
  }, 180_000);

  it('the link drops in step 2: the reset finishes on the device, and the console shows the final report after the reconnect', async () => {
    await waitSessions(4);
    await t.emu.control.wedge('cam2');
    const started = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
    const latest = (): VpuReset | undefined =>
      t
        .payloads('vpuReset.changed')
        .map((p) => p.reset)
        .filter((r) => r.id === started.id)
        .at(-1);
    await t.until('step 2', () => (latest()?.steps[1]?.state === 'running' ? true : undefined), 60_000);
    await t.emu.control.linkDown();
    await t.until(
      'the console to notice the drop',
      () => (latest()?.following === false ? true : undefined),
      30_000,
    );
    const exitCode = await t.jobExitOnDevice(started.id);
    expect(exitCode).toBe('0');
    expect(latest()?.outcome).toBe('running');
    const linkUpAt = new Date().toISOString();
    await t.emu.control.linkUp();

    const report = await t.core.vpuReset.waitForEnd(started.id).catch(async () =>
      t.until(
        'the reattached report',
        () => {
          const r = latest();
          return r && r.outcome !== 'running' ? r : undefined;
        },
        60_000,
      ),
    );
    const final = report.outcome !== 'running' ? report : latest();
    expect(final?.outcome, final?.summary).toBe('healthy');
    expect(final?.following).toBe(true);
    expect(final?.endedAt && final.endedAt < linkUpAt).toBe(true);
    expect(final?.killed.map((k) => k.signal)).toEqual(['TERM', 'KILL']);
    expect(final?.cameras.every((c) => c.state === 'online')).toBe(true);
  }, 240_000);

  it('another console (or this one after a restart) finds the running reset, follows it to its report, and cannot start a second', async () => {
    await t.until('the link back', () =>
      t.core.connections.status(t.deviceId).state === 'connected' ? true : undefined,
    );
    await waitSessions(4);
    await t.emu.control.wedge('cam1');
    const started = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
    const other = await Console.open({
      dataDir: t.dataDir,
      shell: 'cli',
      secrets: new MemorySecretStore(),
      version: 'test',
      knownHostsFiles: [],
    });
    try {
      const call = async <T>(name: string, input: unknown): Promise<T> => {
        const reply = await other.invoke(name, input, { owner: 'other' });
        if (!reply.ok) throw new Error(reply.error.message);
        return reply.result as T;
      };
      await call('devices.connect', { id: t.deviceId });
      await other.connections.waitFor(t.deviceId, ['connected'], 30_000);
      const plan = await call<ResetPlan>('vpuReset.plan', { deviceId: t.deviceId });
      expect(plan.running?.id).toBe(started.id);
      await expect(call('vpuReset.start', { deviceId: t.deviceId, confirmed: true })).rejects.toThrow(
        /already running on demo-r58/,
      );
      const seen = await other.vpuReset.waitForEnd(started.id);
      expect(seen.outcome, seen.summary).toBe('healthy');
      expect(seen.who).toBe(started.who);
      expect(seen.killed.map((k) => k.signal)).toEqual(['TERM', 'KILL']);
      expect((await t.core.vpuReset.waitForEnd(started.id)).outcome).toBe('healthy');
    } finally {
      await other.close();
    }
  }, 180_000);

  it('a camera that faults as it comes up (seed 000’s panic encoder on cam2): stops there with the Oops as evidence, cam3 not started', async () => {
    await waitSessions(4);
    // Committed by hand, as seed 000 did: the recorder runs it from its next restart, which is the reset's.
    const config = `${REPO}/config.yml`;
    const proven = await exec(`cat ${config}`);
    const panic = changeEncoders(proven, {
      cameras: ['cam2'],
      encoder: parseEncoderText('mpph264enc bps=8000000 bps-max=16000000'),
      codec: 'h264',
    });
    const commitByHand = async (text: string, message: string): Promise<void> => {
      const r = await t.core.connections.exec(
        t.deviceId,
        sh`cd ${REPO} && cat > config.yml && git -c user.name=Hand -c user.email=hand@localhost commit -qm ${message} -- config.yml`,
        { stdin: text, timeoutMs: 20_000 },
      );
      if (r.code !== 0) throw new Error(`commit by hand: ${r.stderr}`);
    };
    await commitByHand(panic, 'By hand: seed 000 panic encoder on cam2');

    const report = await reset();
    expect(report.outcome).toBe('failed');
    expect(report.cameras.map((c) => [c.camera, c.state])).toEqual([
      ['cam0', 'online'],
      ['cam1', 'online'],
      ['cam2', 'failed'],
      ['cam3', 'not_started'],
    ]);
    expect(report.evidence.join('\n')).toMatch(/Internal error: Oops/);
    expect(report.summary).toMatch(/^Stopped at cam2/);
    expect(report.todo.join(' ')).toMatch(/Cameras cam2, cam3 are not up/);

    // Back to the proven config for the next case.
    await commitByHand(proven, 'By hand: back to the proven config');
    await t.call('recorder.control', { deviceId: t.deviceId, action: 'restart', confirmed: true });
  }, 300_000);

  it('a kernel that keeps its sessions: stops at step 3, restarts nothing and asks for a reboot', async () => {
    await t.until(
      'the link back',
      () => (t.core.connections.status(t.deviceId).state === 'connected' ? true : undefined),
      60_000,
    );
    await waitSessions(4);
    await t.emu.control.keepSessions(true);
    const report = await reset();

    expect(report.outcome).toBe('reboot_needed');
    expect(report.steps.map((s) => s.state)).toEqual(['done', 'done', 'failed', 'skipped']);
    expect(report.summary).toMatch(/only a reboot frees them/);
    expect(report.killed).toEqual([]);
    expect(report.sessionsAfter).toBe(4);
    expect(report.evidence.join('\n')).toMatch(/session/);
    expect(report.todo[0]).toMatch(/^Reboot demo-r58/);
    // Nothing else was done: the recorder stays stopped.
    const state = await t.call<{ activeState: string }>('recorder.status', { deviceId: t.deviceId });
    expect(state.activeState).toBe('inactive');

    await expect(t.call('device.reboot', { deviceId: t.deviceId, confirmName: 'r58' })).rejects.toThrow(
      /Type the device's name, "demo-r58"/,
    );
    await t.call('device.reboot', { deviceId: t.deviceId, confirmName: 'demo-r58' });
    // After the reboot the kernel starts clean and the recorder brings its 4 cameras back.
    await t.until(
      'the rebooted device with its cameras',
      async () => {
        const device = (await t.emu.control.state()).device as { vpu?: { open?: number; orphaned?: number } };
        return device.vpu?.open === 4 && device.vpu.orphaned === 0 ? true : undefined;
      },
      90_000,
    );
  }, 240_000);

  it('refuses to start, saying why and what to change, when the login cannot sudo without a password', async () => {
    // sudo's last matching rule wins: `true` now asks for a password, everything else (the restore) still does not.
    await exec(
      "echo 'linaro ALL=(ALL:ALL) PASSWD: /usr/bin/true, /bin/true' | sudo -n tee -a /etc/sudoers > /dev/null",
    );
    try {
      expect(await exec('sudo -n true 2>&1 || echo refused')).toMatch(/refused/);
      const plan = await t.call<ResetPlan>('vpuReset.plan', { deviceId: t.deviceId });
      expect(plan.blocked).toMatch(/cannot use sudo without a password.*NOPASSWD/);
      await expect(t.call('vpuReset.start', { deviceId: t.deviceId, confirmed: true })).rejects.toThrow(
        /cannot use sudo without a password/,
      );
    } finally {
      await exec("sudo -n sed -i '$d' /etc/sudoers");
    }
    expect((await t.call<ResetPlan>('vpuReset.plan', { deviceId: t.deviceId })).blocked).toBeNull();
  }, 120_000);
});

/**
 * The emergency VPU reset while the scene mixer runs, on the emulated R58 through a real Console: the plan names the
 * mixer and says it comes back; the reset stops it with EOS (its decoders let go of their VPU sessions), the console
 * says why it went off, and once the reset has ended healthy the console starts it again with what was on Program.
 * Then the two ways it does not come back: the budget refuses the restart, and a reset that needs a reboot.
 * The program is 640x360 here (1280x720 in the profile) to spare this machine's two cores.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MixerState, ResetPlan, VpuReset } from '../../src-main/contract/index.js';
import { describePlan } from '../../src-main/cli-reset.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import {
  openEmulatedConsole,
  startEmulatedConsole,
  type EmulatedConsole,
} from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
/** A hardware encode started by hand on the device (one VPU session). */
const HAND_ENCODE =
  'gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! mpph264enc qp-init=26 ! fakesink';

const OUTPUT = { width: 640, height: 360, fps: 30, bitrateKbps: 1500 };

interface AuditLine {
  action: string;
  result: string;
  detail?: string;
  message?: string;
}

describe.skipIf(!ok)(`the emergency VPU reset with the scene mixer running on the emulated R58${why}`, () => {
  let t: EmulatedConsole;

  const state = (): Promise<MixerState> => t.call<MixerState>('mixer.state', { deviceId: t.deviceId });
  const exec = async (command: string): Promise<string> => {
    const r = await t.core.connections.exec(t.deviceId, sh`sh -c ${command}`, { timeoutMs: 20_000 });
    return r.stdout;
  };
  const sessions = (): number | null => t.core.monitor.currentSample(t.deviceId)?.vpu.total ?? null;
  const sessionsOf = (pid: number): number | null => t.core.monitor.sessionsOfPids(t.deviceId, [pid]);
  const alive = async (pid: number): Promise<boolean> =>
    (await exec(`kill -0 ${pid} 2>/dev/null && echo yes || echo no`)).trim() === 'yes';
  const programOnline = async (): Promise<boolean> => {
    const text = await exec('curl -s --max-time 2 http://127.0.0.1:9997/v3/paths/get/program');
    try {
      const p = JSON.parse(text) as { ready?: boolean; online?: boolean };
      return p.ready === true || p.online === true;
    } catch {
      return false;
    }
  };
  const audit = async (): Promise<AuditLine[]> =>
    (await fs.readFile(path.join(t.dataDir, 'audit.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);
  const mixerEvents = (from: number): MixerState[] =>
    t.events
      .slice(from)
      .filter((e) => e.name === 'mixer.changed')
      .map((e) => (e.payload as { state: MixerState }).state);
  /** The mixer running on 2×2 with frames flowing into `program`, its 4 decoders counted. */
  const runningOn2x2 = async (): Promise<MixerState> => {
    const started = await t.call<MixerState>('mixer.start', { deviceId: t.deviceId, sceneId: 'grid-2x2' });
    expect(started.status, started.detail).toBe('running');
    const pid = started.pid ?? 0;
    await t.until('program online', () => programOnline());
    await t.until('the 4 decoder sessions of the mixer', () => (sessionsOf(pid) === 4 ? true : undefined));
    await t.until('8 VPU sessions', () => (sessions() === 8 ? true : undefined));
    return started;
  };

  beforeAll(async () => {
    t = await startEmulatedConsole({
      cameras: 4,
      keepaliveIntervalMs: 500,
      // 4 recorder encoders + 4 mixer decoders = 8 sessions: the practical limit, which the console's budget allows.
      emulator: { vpuMaxSessions: 12 },
      console: { mixerOutput: OUTPUT },
    });
    await t.until('4 VPU sessions of the recorder', () => (sessions() === 4 ? true : undefined), 60_000);
  });
  afterAll(async () => {
    await t?.call('mixer.stop', { deviceId: t.deviceId }).catch(() => undefined);
    await t?.stop();
  });

  it('stops the mixer with EOS, frees its decoders, says why it went off, then starts it again on the same Program', async () => {
    const before = await runningOn2x2();
    const oldPid = before.pid ?? 0;

    const plan = await t.call<ResetPlan>('vpuReset.plan', { deviceId: t.deviceId });
    expect(plan.blocked).toBeNull();
    expect(plan.sessions).toBe(8);
    expect(plan.pipelines).toEqual([
      {
        jobId: expect.stringMatching(/^mixer-/),
        label: 'the scene mixer (4 input(s) → program)',
        restart: 'starts again with scene “2×2” once the reset has ended healthy',
      },
    ]);
    expect(describePlan(plan)).toContain(
      'The scene mixer (4 input(s) → program) stops with EOS and starts again with scene “2×2” once the reset has ended healthy.',
    );

    // When `program` goes away and when it is back, watched from the side while the reset runs.
    const from = t.events.length;
    const t0 = Date.now();
    let healthyAt = 0;
    const off = t.core.onEvent((name, payload) => {
      if (
        name === 'vpuReset.changed' &&
        !healthyAt &&
        (payload as { reset: VpuReset }).reset.outcome === 'healthy'
      )
        healthyAt = Date.now();
    });
    let programGoneAt = 0;
    let programBackAt = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching && !programBackAt) {
        const online = await programOnline().catch(() => false);
        if (!online && !programGoneAt) programGoneAt = Date.now();
        else if (online && programGoneAt) programBackAt = Date.now();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    let report: VpuReset;
    try {
      const begun = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
      expect(begun.restarts).toMatchObject([{ state: 'pending', plan: 'starts again with scene “2×2”' }]);
      report = await t.core.vpuReset.waitForEnd(begun.id);
      await t.until('program streamed again', () => (programBackAt ? true : undefined), 60_000);
    } finally {
      watching = false;
      off();
      await watcher;
    }
    const doneAt = Date.now();
    console.log(
      `reset with the mixer: healthy on the device after ${report.endedAt ? Date.parse(report.endedAt) - Date.parse(report.startedAt) : '?'} ms ` +
        `(device clock); the console saw it healthy ${healthyAt - t0} ms after the start; ` +
        `the reset and the mixer restart together took ${doneAt - t0} ms end to end; ` +
        `program gone ${programGoneAt - t0} ms after the start, streaming again after ${programBackAt - t0} ms ` +
        `(${programBackAt - programGoneAt} ms off air)`,
    );

    expect(report.outcome, report.summary).toBe('healthy');
    expect(report.sessionsBefore).toBe(8);
    expect(report.sessionsAfter).toBe(4);
    expect(report.steps[0]?.lines.join('\n')).toMatch(/Sent EOS \(SIGINT\) to the console's pipeline mixer-/);
    expect(report.steps[1]?.lines.join('\n')).toMatch(/All VPU sessions closed by themselves/);
    // The mixer ended by its EOS: nothing had to be killed, and its decoders let go of their sessions.
    expect(report.killed).toEqual([]);
    expect(await alive(oldPid)).toBe(false);
    await t.until('the old decoders freed', () => (sessionsOf(oldPid) === 0 ? true : undefined));

    // While it was off, the console said why and what comes next.
    const offStates = mixerEvents(from).filter((s) => s.status === 'off');
    expect(offStates.length).toBeGreaterThan(0);
    expect(offStates[0]?.detail).toMatch(
      /^Stopped by the emergency VPU reset started by .+\. It starts again with scene “2×2” once the reset has ended healthy\.$/,
    );

    // It came back on its own: a new agent, the same scene on Program, decoding all four cameras again.
    expect(report.restarts).toEqual([
      {
        jobId: plan.pipelines[0]?.jobId,
        label: 'the scene mixer (4 input(s) → program)',
        plan: 'starts again with scene “2×2”',
        state: 'done',
        detail: expect.stringMatching(
          /^The scene mixer is on air again with scene “2×2” on Program \(pid \d+\)\.$/,
        ),
      },
    ]);
    expect(report.todo).toEqual([]);
    const after = await t.until('the mixer running with frames flowing', async () => {
      const s = await state();
      return s.status === 'running' && s.health.flowing ? s : undefined;
    });
    expect(after.program?.sceneId).toBe('grid-2x2');
    expect(after.pid).not.toBe(oldPid);
    expect([...after.onProgram].sort()).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
    expect(after.detail).not.toMatch(/reset/);
    expect(await programOnline()).toBe(true);
    await t.until('the new decoders', () => (sessionsOf(after.pid ?? 0) === 4 ? true : undefined));
    // The reset stops the new agent next time, not the job of the old one.
    expect(t.core.mixer.runningJob(t.deviceId)[0]?.jobId).not.toBe(plan.pipelines[0]?.jobId);

    const lines = await t.until('the audit lines', async () => {
      const all = await audit();
      return all.some((l) => l.action === 'mixer.stop' && l.detail === report.id) ? all : undefined;
    });
    expect(lines.filter((l) => l.detail === report.id).map((l) => [l.action, l.result])).toEqual([
      ['vpu.reset', 'started'],
      ['mixer.stop', 'ok'],
      ['vpu.reset', 'ok'],
    ]);
    expect(lines.find((l) => l.action === 'mixer.stop' && l.detail === report.id)?.message).toMatch(
      /^Stopped by the emergency VPU reset started by .+ \(pid \d+, scene “2×2” on Program\)\.$/,
    );
    expect(lines.filter((l) => l.action === 'mixer.start').map((l) => l.result)).toEqual(['ok', 'ok']);
  }, 240_000);

  it('a restart the budget refuses leaves the mixer off, and the state and the report say so and what to do', async () => {
    await t.until('the mixer running', async () => ((await state()).status === 'running' ? true : undefined));
    await t.until('8 VPU sessions', () => (sessions() === 8 ? true : undefined));
    const job = t.core.mixer.runningJob(t.deviceId)[0]?.jobId;
    // A hardware encode started by hand while the cameras come back: after the reset the device has one session
    // more than the recorder's, and 4 decoders more would be over the practical limit.
    let hand = 0;
    const off = t.core.onEvent((name, payload) => {
      if (name !== 'vpuReset.changed' || hand) return;
      if ((payload as { reset: VpuReset }).reset.steps[3]?.state === 'running') {
        hand = -1;
        void exec(`nohup ${HAND_ENCODE} >/dev/null 2>&1 & echo $!`).then(
          (out) => (hand = Number(out.trim())),
        );
      }
    });
    let report: VpuReset;
    try {
      const begun = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
      report = await t.core.vpuReset.waitForEnd(begun.id);
    } finally {
      off();
    }
    try {
      expect(report.outcome, report.summary).toBe('healthy');
      expect(hand).toBeGreaterThan(0);
      // The mixer started after the last reset is the one this reset stopped with EOS (its own job).
      expect(report.steps[0]?.lines).toContain(`Sent EOS (SIGINT) to the console's pipeline ${job}.`);
      expect(report.killed).toEqual([]);
      const refusal = report.restarts[0];
      expect(refusal?.state).toBe('failed');
      expect(refusal?.detail).toMatch(
        /^The scene mixer was stopped by the emergency VPU reset started by .+, and starting it again was refused: Not started: 4 inputs \+ 4 recording encoders \+ 1 other session = 9 sessions: over the practical limit of 8\..* Start it from the Mixer tab with scene “2×2” once that is resolved\.$/,
      );
      expect(report.todo).toEqual([refusal?.detail]);
      const s = await state();
      expect(s.status).toBe('off');
      expect(s.detail).toBe(refusal?.detail);
      const lines = await audit();
      expect(lines.filter((l) => l.action === 'mixer.start').at(-1)?.result).toBe('refused');
    } finally {
      if (hand > 0) await exec(`kill ${hand}`);
    }
    // Started by hand once the budget allows: the state no longer speaks of the reset.
    await t.until('the hand encoder gone', () => (sessions() === 4 ? true : undefined));
    const again = await t.call<MixerState>('mixer.start', { deviceId: t.deviceId, sceneId: 'grid-2x2' });
    expect(again.status).toBe('running');
    expect(again.detail).not.toMatch(/reset/);
  }, 240_000);

  it('a mixer another console started is stopped with EOS but not started again by this one, and it says so', async () => {
    await t.call('mixer.stop', { deviceId: t.deviceId });
    await t.until('4 VPU sessions', () => (sessions() === 4 ? true : undefined));
    const other = await openEmulatedConsole(t.emu, { console: { mixerOutput: OUTPUT } });
    let report: VpuReset;
    try {
      const started = await other.call<MixerState>('mixer.start', {
        deviceId: other.deviceId,
        sceneId: 'pip',
      });
      expect(started.status, started.detail).toBe('running');
      await t.until('this console to see it running', async () =>
        (await state()).status === 'running' ? true : undefined,
      );
      const plan = await t.call<ResetPlan>('vpuReset.plan', { deviceId: t.deviceId });
      expect(plan.pipelines).toMatchObject([
        { label: expect.stringMatching(/^the scene mixer/), restart: null },
      ]);
      expect(describePlan(plan)).not.toMatch(/starts again/);
      const from = t.events.length;
      const begun = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
      report = await t.core.vpuReset.waitForEnd(begun.id);
      expect(report.outcome, report.summary).toBe('healthy');
      expect(report.restarts).toEqual([]);
      expect(report.todo).toEqual([
        'The reset stopped 1 pipeline(s) started from Tally; run them again if they are still needed.',
      ]);
      const s = await state();
      expect(s.status).toBe('off');
      expect(s.detail).toMatch(
        /^Stopped by the emergency VPU reset started by .+\. This console did not start it, so it does not start it again: start it from the Mixer tab with scene “Picture-in-picture” once the reset has ended\.$/,
      );
      expect(mixerEvents(from).some((m) => m.status === 'starting')).toBe(false);
    } finally {
      await other.stop();
    }
  }, 240_000);

  it('a reset that ends needing a reboot does not start the mixer again, and says why', async () => {
    await runningOn2x2();
    await t.until('8 VPU sessions', () => (sessions() === 8 ? true : undefined));
    await t.emu.control.keepSessions(true);
    const begun = await t.call<VpuReset>('vpuReset.start', { deviceId: t.deviceId, confirmed: true });
    const report = await t.core.vpuReset.waitForEnd(begun.id);
    expect(report.outcome).toBe('reboot_needed');
    expect(report.restarts[0]).toMatchObject({
      state: 'skipped',
      detail:
        'The scene mixer stays stopped: the reset ended with the device needing a reboot. Once the device is healthy, start it from the Mixer tab with scene “2×2”.',
    });
    expect(report.todo).toContain(report.restarts[0]?.detail);
    const s = await state();
    expect(s.status).toBe('off');
    expect(s.detail).toMatch(
      /^Stopped by the emergency VPU reset started by .+, and not started again: the reset ended with the device needing a reboot\. Once the device is healthy, start it from the Mixer tab with scene “2×2”\.$/,
    );
  }, 240_000);
});

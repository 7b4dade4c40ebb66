/**
 * The scene mixer through the real Console on the emulated R58 (issue 14): Tally's agent started on the device as a
 * detached job, its state read back, previews and takes (cut and fade) applied at most once within their deadline,
 * seed 002's budget refusing an over-budget take and its software fallback, two consoles taking on one mixer, an
 * H.265 camera (cam3) among the inputs, a camera that stops, a dropped link around a take, and the CLI.
 * The program is 640x360 here (1280x720 in the profile) to spare this machine's two cores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MixerPreflight, MixerState, SceneList, TakeResult } from '../../src-main/contract/index.js';
import { mixerCommand } from '../../src-main/cli-mixer.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import {
  openEmulatedConsole,
  startEmulatedConsole,
  type EmulatedConsole,
} from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const HAND_ENCODE =
  'gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! mpph264enc qp-init=26 ! fakesink';

describe.skipIf(!ok)(`the scene mixer on the emulated R58${why}`, () => {
  let t: EmulatedConsole;

  const state = (): Promise<MixerState> => t.call<MixerState>('mixer.state', { deviceId: t.deviceId });
  const take = (sceneId: string, transition: unknown = { kind: 'cut' }): Promise<TakeResult> =>
    t.call<TakeResult>('mixer.take', { deviceId: t.deviceId, sceneId, transition });
  const exec = async (command: string): Promise<string> => {
    const r = await t.core.connections.exec(t.deviceId, sh`sh -c ${command}`, { timeoutMs: 20_000 });
    return r.stdout;
  };
  /** The monitor's count of sessions a process holds. */
  const sessionsOf = (pid: number): number | null => t.core.monitor.sessionsOfPids(t.deviceId, [pid]);
  const programPath = async (): Promise<{ ready?: boolean; online?: boolean } | null> => {
    const text = await exec('curl -s --max-time 2 http://127.0.0.1:9997/v3/paths/get/program');
    try {
      return JSON.parse(text) as { ready?: boolean; online?: boolean };
    } catch {
      return null;
    }
  };

  /**
   * Connected, the mixer's state read from it (after a test that dropped or slowed the link), and every input showing
   * pictures: a take whose cameras have none is refused at its deadline, as it should be (the Mixer's Cut waits for
   * them too), and a loaded machine can stall the H.265 camera's encoder for a moment.
   */
  const connectedAndRunning = (): Promise<MixerState> =>
    t.until(
      'connected with the mixer running and its inputs playing',
      async () => {
        if (t.core.connections.status(t.deviceId).state !== 'connected') return undefined;
        const s = await state().catch(() => undefined);
        const playing = s && Object.values(s.inputs).every((i) => i.state === 'playing');
        return s?.status === 'running' && playing ? s : undefined;
      },
      90_000,
    );

  beforeAll(async () => {
    t = await startEmulatedConsole({
      cameras: 4,
      // A stalled link must stay up for the late-take case: 5 s × 3 keepalives.
      keepaliveIntervalMs: 5000,
      // The kernel takes a 9th session here, so the console's own budget (practical limit 8) is what refuses.
      emulator: { vpuMaxSessions: 12, h265Cameras: ['cam3'] },
      console: { mixerOutput: { width: 640, height: 360, fps: 30, bitrateKbps: 1500 } },
    });
    await t.until('4 VPU sessions of the recorder', () =>
      t.core.monitor.currentSample(t.deviceId)?.vpu.total === 4 ? true : undefined,
    );
  });
  afterAll(async () => {
    await t?.call('mixer.stop', { deviceId: t.deviceId }).catch(() => undefined);
    await t?.stop();
  });

  it('lists the demo scenes kept on the device; the CLI prints one a line, id first', async () => {
    const list = await t.call<SceneList>('mixer.scenes.list', { deviceId: t.deviceId });
    expect(list.scenes.map((s) => s.id)).toEqual(['cam0-full', 'grid-2x2', 'pip']);
    const out: string[] = [];
    const code = await mixerCommand(
      t.core,
      { out: (s) => out.push(s), err: () => undefined },
      'demo-r58',
      'scenes',
      { timeoutMs: 30_000 },
    );
    expect(code).toBe(0);
    const lines = out.join('').trim().split('\n');
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['cam0-full', 'grid-2x2', 'pip']);
    expect((await state()).status).toBe('off');
  });

  it('starts with the 2×2 scene: program is published at 640x360, one decoder session per input held by the agent', async () => {
    const started = await t.call<MixerState>('mixer.start', { deviceId: t.deviceId, sceneId: 'grid-2x2' });
    expect(started.status, started.detail).toBe('running');
    expect(started.output).toMatchObject({ width: 640, height: 360, path: 'program' });
    expect(started.program?.sceneId).toBe('grid-2x2');
    expect([...started.onProgram].sort()).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
    const pid = started.pid ?? 0;
    expect(pid).toBeGreaterThan(0);
    await t.until('the program path online', async () => {
      const p = await programPath();
      return p && (p.ready || p.online) ? true : undefined;
    });
    const sessions = await t.until('4 decoder sessions of the agent', () =>
      sessionsOf(pid) === 4 ? 4 : undefined,
    );
    expect(sessions).toBe(4);
    // Inputs come up one by one: flowing means the first one plays, so wait for all four.
    const s = await t.until('frames flowing from every input', async () => {
      const now = await state();
      const inputs = Object.values(now.inputs);
      return now.health.flowing && inputs.length === 4 && inputs.every((i) => i.state === 'playing')
        ? now
        : undefined;
    });
    expect(Object.values(s.inputs).every((i) => i.decoder === 'hw')).toBe(true);
    // cam3 is H.265 here: the mixer decodes it like the others.
    expect(await exec('curl -s --max-time 2 http://127.0.0.1:9997/v3/paths/get/cam3')).toMatch(/H26[5]/);
    expect(s.inputs['cam3']?.state).toBe('playing');
  });

  it('cuts to picture-in-picture and fades back to 2×2 live: same agent process, Program as the device reports it', async () => {
    const before = await connectedAndRunning();
    const cut = await take('pip');
    expect(cut.outcome, cut.message).toBe('applied');
    expect(cut.state?.program?.sceneId).toBe('pip');
    expect(cut.state?.pid).toBe(before.pid);
    const fade = await take('grid-2x2', { kind: 'fade', ms: 500 });
    expect(fade.outcome, fade.message).toBe('applied');
    expect(fade.seq).toBe(cut.seq + 1);
    const after = await t.until('the fade to end on 2×2', async () => {
      const now = await state();
      return now.program?.sceneId === 'grid-2x2' && now.onProgram.length === 4 ? now : undefined;
    });
    expect(after.pid).toBe(before.pid);
  });

  it('two consoles on one mixer: each take is applied once with its own numbers, and both show what is on air', async () => {
    await connectedAndRunning();
    const b = await openEmulatedConsole(t.emu, {
      console: { mixerOutput: { width: 640, height: 360, fps: 30, bitrateKbps: 1500 } },
    });
    try {
      const stateOf = (c: EmulatedConsole): Promise<MixerState> =>
        c.call<MixerState>('mixer.state', { deviceId: c.deviceId });
      const seen = await b.until('B to read the running mixer back', async () => {
        const s = await stateOf(b).catch(() => undefined);
        return s?.status === 'running' ? s : undefined;
      });
      expect(seen.program?.sceneId).toBe('grid-2x2');
      await expect(b.call('mixer.start', { deviceId: b.deviceId })).rejects.toThrow(/already runs/);

      const fromB = await b.call<TakeResult>('mixer.take', { deviceId: b.deviceId, sceneId: 'pip' });
      expect(fromB.outcome, fromB.message).toBe('applied');
      // A did nothing: it shows B's take because the device reports it.
      await t.until('A to show pip on Program', async () =>
        (await state()).program?.sceneId === 'pip' ? true : undefined,
      );
      // A's numbering is its own: its next take is not a duplicate of B's.
      const fromA = await take('grid-2x2');
      expect(fromA.outcome, fromA.message).toBe('applied');
      await b.until('B to show 2×2 on Program', async () =>
        (await stateOf(b)).program?.sceneId === 'grid-2x2' ? true : undefined,
      );
    } finally {
      await b.stop();
    }
    // B closing does not end the show.
    expect((await state()).status).toBe('running');
  });

  it('refuses a take over the VPU budget with the sum in words, and Program stays as it was', async () => {
    const spawn = `nohup ${HAND_ENCODE} >/dev/null 2>&1 & echo $!`;
    const hand = Number((await exec(spawn)).trim());
    try {
      await t.until('9 sessions', () =>
        (t.core.monitor.currentSample(t.deviceId)?.vpu.total ?? 0) >= 9 ? true : undefined,
      );
      const refused = await take('pip');
      expect(refused.outcome).toBe('refused_budget');
      expect(refused.message).toMatch(
        /^Not taken, Program unchanged: \d inputs? \+ 4 recording encoders \+ 1 other session = \d+ sessions: over the practical limit of 8\./,
      );
      expect((await state()).program?.sceneId).toBe('grid-2x2');
    } finally {
      await exec(`kill ${hand}`);
    }
  });

  it('a take that reaches the device after its deadline is dropped there, never applied late', async () => {
    await connectedAndRunning();
    await t.until('the hand encoder gone', () =>
      (t.core.monitor.currentSample(t.deviceId)?.vpu.total ?? 99) <= 8 ? true : undefined,
    );
    await connectedAndRunning();
    // A take on a healthy link first (the device clock is known), then the link stalls as the next one is sent:
    // it reaches the device 2 s late.
    expect((await take('grid-2x2')).outcome).toBe('applied');
    await t.emu.control.stallSsh();
    const pending = take('pip');
    await new Promise((r) => setTimeout(r, 2000));
    await t.emu.control.resumeSsh();
    const late = await pending;
    expect(late.outcome, late.message).toBe('expired');
    expect(late.message).toMatch(/after its deadline, so it was not applied/);
    expect((await state()).program?.sceneId).toBe('grid-2x2');
  });

  it('the link drops around a take: it is not confirmed, and after the reconnect the console shows what is on air', async () => {
    await connectedAndRunning();
    await t.emu.control.linkDown();
    let result: TakeResult;
    try {
      result = await take('pip');
    } finally {
      await t.emu.control.linkUp();
    }
    expect(result.outcome).toBe('not_confirmed');
    const back = await t.until(
      'the state read back after the reconnect',
      async () => {
        const s = await state().catch(() => undefined);
        return s && s.status === 'running' && s.readAt && Date.parse(s.readAt) > Date.now() - 5000
          ? s
          : undefined;
      },
      90_000,
    );
    // The take never reached the device (its connection died with the link), so 2×2 is still on air.
    expect(back.program?.sceneId).toBe('grid-2x2');
  }, 180_000);

  it('a camera that stops: its input is reported stalled, and the program keeps flowing', async () => {
    await connectedAndRunning();
    await exec('curl -s -X POST "http://127.0.0.1:8000/ingest/stop?camera=cam1"');
    try {
      const s = await t.until('cam1 stalled', async () => {
        const now = await state();
        return now.inputs['cam1'] && now.inputs['cam1'].state !== 'playing' ? now : undefined;
      });
      expect(s.health.flowing).toBe(true);
      expect(s.status).toBe('running');
    } finally {
      await exec('curl -s -X POST "http://127.0.0.1:8000/ingest/start?camera=cam1"');
    }
  });

  it('the CLI takes a scene and exits 0; stop ends the program and frees the decoders', async () => {
    await connectedAndRunning();
    const out: string[] = [];
    const code = await mixerCommand(
      t.core,
      { out: (s) => out.push(s), err: () => undefined },
      'demo-r58',
      'take',
      { scene: 'cam0-full', timeoutMs: 30_000 },
    );
    expect(code, out.join('')).toBe(0);
    expect(out.join('')).toMatch(/^applied \(seq \d+\): cam0 full is on Program\./);
    const pid = (await state()).pid ?? 0;
    const stopped = await t.call<MixerState>('mixer.stop', { deviceId: t.deviceId });
    expect(stopped.status).toBe('off');
    await t.until('the decoders freed', () => (sessionsOf(pid) === 0 ? true : undefined));
  });

  it("a start over the budget is refused with seed 002's fallback named; started with it, that camera decodes in software", async () => {
    expect((await state()).status).toBe('off');
    const spawn = `nohup ${HAND_ENCODE} >/dev/null 2>&1 & echo $!`;
    const hand = Number((await exec(spawn)).trim());
    try {
      // 4 recording encoders + 1 by hand: 4 more inputs would make 9, over the practical limit of 8.
      await t.until('5 sessions', () =>
        (t.core.monitor.currentSample(t.deviceId)?.vpu.total ?? 0) >= 5 ? true : undefined,
      );
      const check = await t.call<MixerPreflight>('mixer.preflight', {
        deviceId: t.deviceId,
        sceneId: 'grid-2x2',
      });
      expect(check.budget.verdict).toBe('refuse');
      expect(check.softwareFallback).toEqual(['cam3']);
      await expect(t.call('mixer.start', { deviceId: t.deviceId, sceneId: 'grid-2x2' })).rejects.toThrow(
        /Not started: .*over the practical limit of 8\. Decoding cam3 in software would fit/,
      );
      const started = await t.call<MixerState>('mixer.start', {
        deviceId: t.deviceId,
        sceneId: 'grid-2x2',
        softwareCameras: check.softwareFallback,
      });
      expect(started.status, started.detail).toBe('running');
      const pid = started.pid ?? 0;
      const s = await t.until('all four inputs playing', async () => {
        const now = await state();
        return Object.values(now.inputs).filter((i) => i.state === 'playing').length === 4 ? now : undefined;
      });
      expect(s.inputs['cam3']?.decoder).toBe('sw');
      expect(['cam0', 'cam1', 'cam2'].map((c) => s.inputs[c]?.decoder)).toEqual(['hw', 'hw', 'hw']);
      expect(
        await t.until('3 decoder sessions of the agent', () => (sessionsOf(pid) === 3 ? 3 : undefined)),
      ).toBe(3);
    } finally {
      await exec(`kill ${hand}`);
      await t.call('mixer.stop', { deviceId: t.deviceId }).catch(() => undefined);
    }
  });
});

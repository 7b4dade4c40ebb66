/**
 * Tally's mixer agent (resources/device/mixer/tally_mixer.py) on the emulated R58, driven as the console drives
 * it: uploaded over SSH, started as a detached job with its config on stdin, talked to through `attach` on an exec
 * channel kept open (the protocol of src-main/core/mixer/agent-protocol.ts, every line parsed with its schema).
 * What the program shows is checked on decoded frames of `program`, read over RTSP from this machine and compared
 * with what the scene says each place should show (the cameras' own frames, read the same way).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SceneList, type Scene, type SceneBox } from '../../src-main/contract/mixer.js';
import { templateScene } from '../../src-main/contract/scene-templates.js';
import { sh } from '../../src-main/core/device/quote.js';
import { RemoteJobs } from '../../src-main/core/device/remote-jobs.js';
import type { ExecInput } from '../../src-main/core/ssh/types.js';
import {
  AgentEvent,
  AgentReply,
  type AgentConfig,
  type AgentState,
} from '../../src-main/core/mixer/agent-protocol.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import { until } from '../fixtures/until.js';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const AGENT = path.resolve(HERE, '../../resources/device/mixer/tally_mixer.py');
const GRAB = path.resolve(HERE, '../fixtures/grab_frame.py');
const CAMERAS = ['cam0', 'cam1', 'cam2', 'cam3'];
const JOB = 'mixer-test-agent';

/** A WHEP offer as a browser makes it, enough for the server to answer (it never connects). */
const WHEP_OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':'),
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=setup:actpass',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  '',
].join('\r\n');

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

// ---- frames ----------------------------------------------------------------------------------------------------

interface Frame {
  width: number;
  height: number;
  rgb: Buffer;
}

async function grabFrame(url: string): Promise<Frame> {
  const file = path.join(
    os.tmpdir(),
    `tally-frame-${process.pid}-${Math.random().toString(16).slice(2)}.rgb`,
  );
  try {
    const { stdout } = await run('/usr/bin/python3', [GRAB, url, file], { timeout: 60_000 });
    const { width, height } = JSON.parse(stdout) as { width: number; height: number };
    return { width, height, rgb: await fs.readFile(file) };
  } finally {
    await fs.rm(file, { force: true });
  }
}

type Rgb = [number, number, number];

/** Mean colour of the part of a frame between normalized corners (u0, v0) and (u1, v1). */
function patchMean(f: Frame, u0: number, v0: number, u1: number, v1: number): Rgb {
  const x0 = Math.max(0, Math.floor(u0 * f.width));
  const x1 = Math.min(f.width, Math.max(x0 + 1, Math.ceil(u1 * f.width)));
  const y0 = Math.max(0, Math.floor(v0 * f.height));
  const y1 = Math.min(f.height, Math.max(y0 + 1, Math.ceil(v1 * f.height)));
  const sum: Rgb = [0, 0, 0];
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) sum[c]! += f.rgb[(y * f.width + x) * 3 + c]!;
  const n = (x1 - x0) * (y1 - y0);
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/**
 * The share of sample points where the program shows what the scene says: the topmost box's camera at that spot,
 * or the black background. Points near a box edge are left out (scaling blurs edges); a camera's moving parts
 * (cam1's ball, the time overlay) cost a few points, so a match is a high share, not all.
 */
function sceneScore(program: Frame, boxes: readonly SceneBox[], cameras: Record<string, Frame>): number {
  const half = 0.012;
  const edges = boxes.flatMap((b) => [
    ['x', b.x],
    ['x', b.x + b.w],
    ['y', b.y],
    ['y', b.y + b.h],
  ]) as ['x' | 'y', number][];
  const top = [...boxes].sort((a, b) => b.z - a.z);
  let total = 0;
  let matched = 0;
  for (let i = 0; i < 24; i++) {
    for (let j = 0; j < 14; j++) {
      const u = (i + 0.5) / 24;
      const v = (j + 0.5) / 14;
      if (edges.some(([axis, at]) => Math.abs((axis === 'x' ? u : v) - at) < half + 0.02)) continue;
      const box = top.find((b) => u >= b.x && u < b.x + b.w && v >= b.y && v < b.y + b.h);
      let want: Rgb = [0, 0, 0];
      if (box) {
        const cam = cameras[box.camera]!;
        // What of the camera's picture the box shows: all of it, less the crop.
        const sx = (1 - box.crop.left - box.crop.right) / box.w;
        const sy = (1 - box.crop.top - box.crop.bottom) / box.h;
        const cu = box.crop.left + (u - box.x) * sx;
        const cv = box.crop.top + (v - box.y) * sy;
        want = patchMean(cam, cu - half * sx, cv - half * sy, cu + half * sx, cv + half * sy);
      }
      const got = patchMean(program, u - half, v - half, u + half, v + half);
      total++;
      if (got.every((g, c) => Math.abs(g - want[c]!) <= 48)) matched++;
    }
  }
  return matched / total;
}

// ---- the agent's channel -----------------------------------------------------------------------------------------

class AgentLink {
  private nextId = 1;
  private buffer = '';
  private readonly waiting = new Map<number, (reply: AgentReply) => void>();
  readonly events: AgentState[] = [];
  private input: ExecInput | undefined;
  readonly done: Promise<unknown>;

  constructor(r58: EmulatorSsh) {
    this.done = r58.con.manager
      .exec(r58.id, sh`exec /usr/bin/python3 "$HOME"/.tally/mixer/agent.py attach`, {
        input: (channel) => (this.input = channel),
        onStdout: (chunk) => this.onData(chunk.toString()),
      })
      .catch((err: unknown) => err);
  }

  private onData(text: string): void {
    this.buffer += text;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = JSON.parse(this.buffer.slice(0, nl)) as Record<string, unknown>;
      this.buffer = this.buffer.slice(nl + 1);
      if ('event' in line) this.events.push(AgentEvent.parse(line).state);
      else {
        const reply = AgentReply.parse(line);
        this.waiting.get(reply.id)?.(reply);
        this.waiting.delete(reply.id);
      }
    }
  }

  async request(body: Record<string, unknown>): Promise<AgentReply> {
    await until('the attach channel to open', () => this.input !== undefined);
    const id = this.nextId++;
    const reply = new Promise<AgentReply>((resolve) => this.waiting.set(id, resolve));
    this.input!.write(`${JSON.stringify({ ...body, id })}\n`);
    return Promise.race([
      reply,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no answer to ${String(body.cmd)}`)), 30_000),
      ),
    ]);
  }

  async state(): Promise<AgentState> {
    const reply = await this.request({ cmd: 'state' });
    return reply.state!;
  }

  close(): void {
    this.input?.end();
  }
}

// ---- the test --------------------------------------------------------------------------------------------------

describe.skipIf(!ok)(`the mixer agent on the emulated R58${why}`, () => {
  let r58: EmulatorSsh | undefined;
  let link: AgentLink;
  let agentPid = 0;
  let seq = 0;
  const cameraFrames: Record<string, Frame> = {};

  const grid = templateScene('grid-2x2', CAMERAS, 'grid-2x2');
  // cam0 and cam3 change places: cam0's box moves to the bottom right, showing the right 70 % of its picture.
  const swapped = templateScene('grid-2x2', ['cam3', 'cam1', 'cam2', 'cam0'], 'swapped', 'Swapped');
  swapped.boxes[3]!.crop = { left: 0.3, top: 0, right: 0, bottom: 0 };
  const pip = templateScene('pip', CAMERAS, 'pip');

  const onDevice = async (cmd: ReturnType<typeof sh>, stdin?: string): Promise<string> => {
    const r = await r58!.con.manager.exec(r58!.id, cmd, { timeoutMs: 60_000, stdin });
    if (r.code !== 0) throw new Error(`${cmd.text}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const jobFile = (job: string, name: string): string =>
    path.join(r58!.emu.device.stateDir, 'home', 'linaro', '.tally', 'jobs', job, name);
  const jobs = (): RemoteJobs => new RemoteJobs(r58!.con.manager);
  /** Starts the agent as the console does (a detached job, its config on stdin) and gives the pid it says. */
  const startAgent = async (job: string): Promise<number> => {
    await jobs().start(
      r58!.id,
      sh`exec /usr/bin/python3 "$HOME"/.tally/mixer/agent.py run < "$HOME"/.tally/mixer/config.json`,
      { jobId: job },
    );
    const ready = await until(
      `the agent (${job}) to say @ready`,
      async () => {
        const out = await fs.readFile(jobFile(job, 'out'), 'utf8').catch(() => '');
        if (/^@failed/m.test(out)) throw new Error(out);
        return /^@ready (\d+)$/m.exec(out)?.[1];
      },
      90_000,
    );
    return Number(ready);
  };
  const jobExit = (job: string): Promise<string> =>
    until(
      `the agent job ${job} to end`,
      async () => (await fs.readFile(jobFile(job, 'rc'), 'utf8').catch(() => '')).trim() || undefined,
      30_000,
    );
  const url = (pathName: string): string => `rtsp://${r58!.emu.device.address}:8554/${pathName}`;
  const program = (): Promise<Frame> => grabFrame(url('program'));
  const deviceNow = async (): Promise<number> => (await link.request({ cmd: 'ping' })).now!;
  const take = async (scene: Scene | null, transition: Record<string, unknown>, deadlineMs = 10_000) =>
    link.request({
      cmd: 'take',
      console: 'c-test',
      seq: ++seq,
      deadline: (await deviceNow()) + deadlineMs,
      scene,
      transition,
    });
  /** Polls decoded program frames until they show `boxes`; the last score is printed either way. */
  const showing = async (what: string, boxes: readonly SceneBox[]): Promise<number> =>
    until(
      `program to show ${what}`,
      async () => {
        const score = sceneScore(await program(), boxes, cameraFrames);
        console.log(`[mixer] program vs ${what}: ${(score * 100).toFixed(0)} % of points match`);
        return score >= 0.85 ? score : undefined;
      },
      60_000,
      0,
    );
  const mixerSessions = async (): Promise<{ pid: number; element: string }[]> => {
    const text = await onDevice(sh`sudo -n cat /sys/kernel/debug/mpp_service/session`);
    return text
      .split('\n\n')
      .filter((block) => block.includes('session'))
      .map((block) => ({
        pid: Number(/pid=(\d+)/.exec(block)?.[1]),
        element: /element: (\S+)/.exec(block)?.[1] ?? '',
      }))
      .filter((s) => s.pid === agentPid);
  };
  const pathInfo = async (name: string) =>
    JSON.parse(await onDevice(sh`curl -sf http://127.0.0.1:9997/v3/paths/get/${name}`)) as {
      online: boolean;
      source: { id: string } | null;
      inboundBytes: number;
      tracks2: { codecProps: { width?: number; height?: number } }[];
    };

  beforeAll(async () => {
    r58 = await startEmulatorSsh({ cameras: 4 });
    await until(
      'the four cameras online',
      async () => {
        const list = JSON.parse(await onDevice(sh`curl -sf http://127.0.0.1:9997/v3/paths/list`)) as {
          items: { name: string; online: boolean }[];
        };
        return CAMERAS.every((c) => list.items.find((p) => p.name === c)?.online) ? true : undefined;
      },
      90_000,
    );
    for (const cam of CAMERAS) cameraFrames[cam] = await grabFrame(url(cam));

    await onDevice(
      sh`mkdir -p "$HOME"/.tally/mixer && cat > "$HOME"/.tally/mixer/agent.py`,
      await fs.readFile(AGENT, 'utf8'),
    );
    const config: AgentConfig = {
      output: { width: 640, height: 360, fps: 30, path: 'program', bitrateKbps: 1500 },
      rtspBase: 'rtsp://127.0.0.1:8554',
      decoder: 'mppvideodec',
      softwareDecoder: 'avdec_h264',
      softwareCameras: [],
      program: grid,
    };
    await onDevice(sh`cat > "$HOME"/.tally/mixer/config.json`, `${JSON.stringify(config)}\n`);
    agentPid = await startAgent(JOB);
    link = new AgentLink(r58);
  }, 240_000);

  afterAll(async () => {
    link?.close();
    await r58?.stop();
  }, 60_000);

  it('starts with a 2×2 scene: program online at 640x360 (RTSP and WHEP), one mppvideodec session per input with its pid', async () => {
    const info = await until('program online with its format', async () => {
      const p = await pathInfo('program');
      return p.online && p.tracks2[0]?.codecProps.width ? p : undefined;
    });
    expect(info.tracks2[0]?.codecProps).toMatchObject({ width: 640, height: 360 });
    // Served over WHEP like a camera: the answer carries the one H.264 format browsers play.
    const whep = await fetch(`${r58!.emu.ready.whep}/program/whep`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: WHEP_OFFER,
    });
    expect(whep.status).toBe(201);
    expect(await whep.text()).toMatch(/a=rtpmap:\d+ H264\/90000/);
    await fetch(new URL(whep.headers.get('location')!, r58!.emu.ready.whep), { method: 'DELETE' });

    const state = await until('every input playing', async () => {
      const s = await link.state();
      return CAMERAS.every((c) => s.inputs[c]?.state === 'playing') ? s : undefined;
    });
    expect(state.pid).toBe(agentPid);
    expect(state.output).toEqual({ width: 640, height: 360, fps: 30, path: 'program' });
    expect(state.program).toMatchObject({ sceneId: 'grid-2x2', seq: null });
    expect(state.onProgram).toEqual(CAMERAS);
    expect(state.health).toMatchObject({ flowing: true, problem: null });
    expect(await mixerSessions()).toEqual(CAMERAS.map(() => ({ pid: agentPid, element: 'mppvideodec' })));
    await showing('the 2×2 scene', grid.boxes);

    // The agent writes its state where a console reads it back after a reconnect, and pushes it on the channel.
    const saved = JSON.parse(await onDevice(sh`cat "$HOME"/.tally/mixer/state.json`)) as AgentState;
    expect(saved.pid).toBe(agentPid);
    await until('state events on the channel', () => link.events.length >= 2);

    // The demo's scenes came with the device.
    const scenes = SceneList.parse(JSON.parse(await onDevice(sh`cat "$HOME"/.tally/mixer/scenes.json`)));
    expect(scenes.rev).toBe(1);
    expect(scenes.scenes.map((x) => x.id)).toEqual(['cam0-full', 'grid-2x2', 'pip']);

    const second = await r58!.con.manager.exec(
      r58!.id,
      sh`/usr/bin/python3 "$HOME"/.tally/mixer/agent.py run < "$HOME"/.tally/mixer/config.json`,
      { timeoutMs: 30_000 },
    );
    expect([second.code, second.stdout.trim()]).toEqual([1, `@failed another mixer runs (pid ${agentPid})`]);
  });

  it('a cut moves a box: a decoded program frame shows cam0 (cropped) at its new place, and the pid stays', async () => {
    const sent = Date.now();
    const reply = await take(swapped, { kind: 'cut' });
    console.log(`[mixer] cut answered in ${Date.now() - sent} ms (ping + take over the attach channel)`);
    expect(reply).toMatchObject({ ok: true, outcome: 'applied' });
    expect(reply.state?.program).toMatchObject({ sceneId: 'swapped', seq });
    await showing('cam0 moved to the bottom right and cropped (cut)', swapped.boxes);
    const uncropped = swapped.boxes.map((b) => ({ ...b, crop: { left: 0, top: 0, right: 0, bottom: 0 } }));
    expect(sceneScore(await program(), uncropped, cameraFrames)).toBeLessThan(0.95);
    expect(sceneScore(await program(), grid.boxes, cameraFrames)).toBeLessThan(0.75);
    const state = await link.state();
    expect(state.pid).toBe(agentPid);
    expect(await onDevice(sh`kill -0 ${agentPid} && echo alive`)).toBe('alive\n');
    expect(await mixerSessions()).toHaveLength(4);
  });

  it('a take whose deadline passed answers expired and changes nothing; replaying a seq answers duplicate', async () => {
    const before = await link.state();
    const late = await link.request({
      cmd: 'take',
      console: 'c-test',
      seq: ++seq,
      deadline: (await deviceNow()) - 1,
      scene: grid,
      transition: { kind: 'cut' },
    });
    expect(late).toMatchObject({ ok: true, outcome: 'expired' });
    expect(late.state?.program).toEqual(before.program);

    const replay = await link.request({
      cmd: 'take',
      console: 'c-test',
      seq,
      deadline: (await deviceNow()) + 10_000,
      scene: grid,
      transition: { kind: 'cut' },
    });
    expect(replay).toMatchObject({ ok: true, outcome: 'duplicate' });
    expect(replay.state?.program).toEqual(before.program);
    expect(replay.state?.lastSeq['c-test']).toBe(seq);
    expect(replay.state?.takes.slice(-1)).toEqual([
      expect.objectContaining({ console: 'c-test', seq, outcome: 'expired' }),
    ]);
    await showing('still the scene before (nothing applied)', swapped.boxes);
  });

  it('a fade takes the scene on Preview to Program and reaches its layout', async () => {
    const previewed = await link.request({ cmd: 'preview', scene: pip });
    expect(previewed.state?.preview).toMatchObject({ sceneId: 'pip' });
    expect(previewed.state?.onPreview).toEqual(['cam0', 'cam1']);
    const reply = await take(null, { kind: 'fade', ms: 1000 });
    expect(reply).toMatchObject({ ok: true, outcome: 'applied' });
    expect(reply.state?.program).toMatchObject({ sceneId: 'pip', seq });
    await showing('picture-in-picture (fade)', pip.boxes);
    // Cameras in neither Program nor Preview are let go, and so are their decoders.
    await until('cam2 and cam3 disarmed', async () => {
      const s = await link.state();
      return Object.keys(s.inputs).sort().join() === 'cam0,cam1' ? true : undefined;
    });
    expect(await mixerSessions()).toHaveLength(2);
  });

  it('a camera that stops shows the layer below while the program keeps running', async () => {
    const stop = await onDevice(sh`curl -sf -X POST 'http://127.0.0.1:8000/ingest/stop?camera=cam1'`);
    expect(JSON.parse(stop)).toMatchObject({ ok: true });
    const below = pip.boxes.filter((b) => b.camera !== 'cam1');
    await showing('cam0 where cam1 was (the layer below)', below);
    const state = await link.state();
    expect(state.inputs.cam1?.state).not.toBe('playing');
    expect(state.health.flowing).toBe(true);
    expect(state.pid).toBe(agentPid);
    expect((await pathInfo('program')).online).toBe(true);

    await onDevice(sh`curl -sf -X POST 'http://127.0.0.1:8000/ingest/start?camera=cam1'`);
    await until(
      'cam1 playing again',
      async () => ((await link.state()).inputs.cam1?.state === 'playing' ? true : undefined),
      60_000,
    );
    await showing('cam1 back in its box', pip.boxes);
  });

  it('measures the agent: CPU with 4 inputs at 640x360 (printed, not asserted)', async () => {
    cameraFrames.cam1 = await grabFrame(url('cam1'));
    expect(await take(grid, { kind: 'cut' })).toMatchObject({ outcome: 'applied' });
    await until('four inputs playing', async () => {
      const s = await link.state();
      return CAMERAS.every((c) => s.inputs[c]?.state === 'playing') ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 2000));
    const out = await onDevice(
      sh`t=$(getconf CLK_TCK); a=$(cut -d' ' -f14,15 /proc/${agentPid}/stat); sleep 10; b=$(cut -d' ' -f14,15 /proc/${agentPid}/stat); echo "$t $a $b"`,
    );
    const [tck, u0, s0, u1, s1] = out.trim().split(/\s+/).map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const percent = ((u1 + s1 - u0 - s0) / tck / 10) * 100;
    const state = await link.state();
    console.log(
      `[mixer] agent CPU, 4 inputs 640x360 → program 640x360@30 (x264 superfast): ${percent.toFixed(1)} % of one ` +
        `core over 10 s; output ${state.health.outFps} fps`,
    );
  });

  it('MediaMTX kicks the program publisher: the same agent says so, rebuilds its program and pushes it again', async () => {
    const before = await link.state();
    expect(before.health).toMatchObject({ flowing: true, problem: null, restarts: 0 });
    const sessions = JSON.parse(await onDevice(sh`curl -sf http://127.0.0.1:9997/v3/rtspsessions/list`)) as {
      items: { id: string; path: string; state: string }[];
    };
    const kicked = sessions.items.find((x) => x.path === 'program' && x.state === 'publish')!.id;
    const seen = link.events.length;

    const kickedAt = Date.now();
    await onDevice(sh`curl -sf -X POST http://127.0.0.1:9997/v3/rtspsessions/kick/${kicked}`);
    const lost = await until('the agent to report the program lost', () =>
      link.events.slice(seen).find((x) => x.health.problem?.startsWith('program output lost')),
    );
    console.log(`[mixer] reported after the kick: ${lost.health.problem}`);
    expect(lost.health.flowing).toBe(false);
    expect(lost.health.problem).toMatch(
      /^program output lost \(rtspclientsink: .+\); reconnecting, attempt 1$/,
    );
    await until(
      'program pushed again by a new session',
      async () => {
        const p = await pathInfo('program');
        return p.online && p.source?.id !== kicked && p.inboundBytes > 0 ? true : undefined;
      },
      60_000,
    );
    const pushedAt = Date.now();
    const after = await until(
      'the agent to say the program flows again',
      async () => {
        const x = await link.state();
        return x.health.flowing && CAMERAS.every((c) => x.inputs[c]?.state === 'playing') ? x : undefined;
      },
      60_000,
    );
    console.log(
      `[mixer] program back ${pushedAt - kickedAt} ms after the kick (first frame at MediaMTX), flowing by the ` +
        `agent's account after ${Date.now() - kickedAt} ms`,
    );
    expect(after.pid).toBe(agentPid);
    expect(await onDevice(sh`kill -0 ${agentPid} && echo alive`)).toBe('alive\n');
    expect(after.health).toMatchObject({ problem: null, restarts: 1 });
    expect(after.program).toEqual(before.program);
    expect(after.preview).toEqual(before.preview);
    expect(after.onProgram).toEqual(CAMERAS);
    expect(after.lastSeq).toEqual(before.lastSeq);
    expect(await mixerSessions()).toHaveLength(4);
    await showing('the 2×2 scene again after the rebuild', grid.boxes);
  });

  it('stop: EOS, the push ends, the decoders are let go, the agent exits 0', async () => {
    expect(await link.request({ cmd: 'stop' })).toMatchObject({ ok: true });
    expect(await jobExit(JOB)).toBe('0');
    await until('program offline', async () => ((await pathInfo('program')).online ? undefined : true));
    expect(await mixerSessions()).toEqual([]);
    await link.done;
  });

  it('a new agent still answers a replayed take as duplicate; SIGTERM also ends it with exit 0', async () => {
    const job = `${JOB}-2`;
    agentPid = await startAgent(job);
    link = new AgentLink(r58!);
    const replay = await link.request({
      cmd: 'take',
      console: 'c-test',
      seq,
      deadline: (await deviceNow()) + 10_000,
      scene: pip,
      transition: { kind: 'cut' },
    });
    expect(replay).toMatchObject({ ok: true, outcome: 'duplicate' });
    expect(replay.state?.program).toMatchObject({ sceneId: 'grid-2x2', seq: null });
    await jobs().signal(r58!.id, job, 'TERM');
    expect(await jobExit(job)).toBe('0');
    expect(await onDevice(sh`test -e "$HOME"/.tally/mixer/ctl.sock || echo gone`)).toBe('gone\n');
    await link.done;
  });
});

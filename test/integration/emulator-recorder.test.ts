/**
 * The emulated recorder service end to end, without namespaces: recorder.py + the gst-launch wrapper + the kernel
 * model behind a stand-in daemon on a temp unix socket, pushing to a throwaway RTSP RECORD server, with a stand-in
 * for the media server's RTP forward (a real GStreamer sender).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMiniDaemon, type MiniDaemon } from '../../src-main/emulator/device/kernel/mini-daemon.js';
import { configYml, cameraSpecs, type EncoderStage } from '../../src-main/emulator/device/repo/index.js';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEVICE = path.resolve(HERE, '../../src-main/emulator/device');
const WRAPPER = path.join(DEVICE, 'gst/gst-launch.py');
const RECORDER = path.join(DEVICE, 'recorder/recorder.py');
const RTSP_SERVER = path.resolve(HERE, '../fixtures/rtsp_record_server.py');
const PYTHON = '/usr/bin/python3';

interface Status {
  summary: { total: number; streaming: number; no_signal: number; error: number };
  cameras: Record<string, string>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Kill a detached child's whole process group (the recorder and its pipelines). */
function killGroup(child: ChildProcess | undefined): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('timeout'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

let tmp: string;
let daemon: MiniDaemon;
let rtsp: ChildProcess;
let rtspPort: number;
let forwardServer: http.Server;
let forwardPort: number;
const senders = new Map<string, ChildProcess>();
const forwardCalls: string[] = [];

/** Stand-in for the media server's `POST/DELETE /internal/forward {path, port}`: a real RTP/H.264 sender. */
function startForwardStub(): Promise<void> {
  forwardServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        path?: string;
        port?: number;
      };
      forwardCalls.push(`${req.method} ${body.path} ${body.port}`);
      const key = String(body.path);
      if (req.method === 'POST' && body.port) {
        const sender = spawn(
          'gst-launch-1.0',
          [
            '-q',
            'videotestsrc',
            'is-live=true',
            'pattern=ball',
            '!',
            'video/x-raw,width=320,height=180,framerate=30/1',
            '!',
            'x264enc',
            'tune=zerolatency',
            'speed-preset=ultrafast',
            'key-int-max=15',
            '!',
            'rtph264pay',
            'config-interval=-1',
            'pt=96',
            '!',
            'udpsink',
            'host=127.0.0.1',
            `port=${body.port}`,
          ],
          { stdio: 'ignore', detached: true },
        );
        senders.set(key, sender);
      } else if (req.method === 'DELETE') {
        killGroup(senders.get(key));
        senders.delete(key);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  return new Promise((resolve) => forwardServer.listen(forwardPort, '127.0.0.1', () => resolve()));
}

interface RunningRecorder {
  child: ChildProcess;
  port: number;
  output: string[];
  status: () => Promise<Status>;
  post: (url: string) => Promise<{ status: number; body: unknown }>;
  get: (url: string) => Promise<unknown>;
}

const recorders: RunningRecorder[] = [];

async function startRecorder(
  stage: EncoderStage,
  options: { cameras?: number; resolution?: string; patch?: (yml: string) => string } = {},
): Promise<RunningRecorder> {
  let yml = configYml(stage, cameraSpecs(options.cameras ?? 4, options.resolution ?? '320x180'));
  yml = yml
    .replace('rtsp://127.0.0.1:8554', `rtsp://127.0.0.1:${rtspPort}`)
    .replace('http://127.0.0.1:9997', `http://127.0.0.1:${forwardPort}`)
    .replace('dir: /var/recordings', `dir: ${path.join(tmp, 'recordings')}`);
  if (options.patch) yml = options.patch(yml);
  const config = path.join(tmp, `config-${recorders.length}.yml`);
  await fs.writeFile(config, yml);
  const port = await freePort();
  const child = spawn(
    PYTHON,
    [RECORDER, '--config', config, '--api-port', String(port), '--host', '127.0.0.1'],
    {
      env: { ...process.env, TALLY_EMU_SOCK: daemon.socketPath, TALLY_GST_LAUNCH: `${PYTHON} ${WRAPPER}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(...d.toString('utf8').split('\n').filter(Boolean)));
  child.stderr?.on('data', (d: Buffer) => output.push(...d.toString('utf8').split('\n').filter(Boolean)));
  const base = `http://127.0.0.1:${port}`;
  const rec: RunningRecorder = {
    child,
    port,
    output,
    status: async () => (await (await fetch(`${base}/status`)).json()) as Status,
    post: async (url) => {
      const res = await fetch(`${base}${url}`, { method: 'POST' });
      return { status: res.status, body: (await res.json()) as unknown };
    },
    get: async (url) => (await (await fetch(`${base}${url}`)).json()) as unknown,
  };
  recorders.push(rec);
  await waitFor('the recorder API', async () => ((await rec.status()).summary ? true : undefined));
  return rec;
}

async function stopRecorder(rec: RunningRecorder): Promise<void> {
  rec.child.kill('SIGTERM');
  const code = await exited(rec.child, 15_000);
  if (code === 'timeout') killGroup(rec.child);
}

function debugfsCount(): number {
  return daemon.model
    .debugfsSessionText()
    .split('\n')
    .filter((l) => l.includes('session')).length;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-recorder-'));
  daemon = await startMiniDaemon(path.join(tmp, 'daemon.sock'));
  rtspPort = await freePort();
  forwardPort = await freePort();
  rtsp = spawn(PYTHON, [RTSP_SERVER, String(rtspPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    rtsp.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    rtsp.once('exit', () => reject(new Error('rtsp server exited')));
  });
  await startForwardStub();
});

afterEach(async () => {
  for (const rec of recorders.splice(0)) {
    if (rec.child.exitCode === null && rec.child.signalCode === null) await stopRecorder(rec);
  }
  await waitFor('sessions to be released', async () =>
    daemon.model.sessions().length === 0 ? true : undefined,
  );
});

afterAll(async () => {
  for (const rec of recorders) killGroup(rec.child);
  for (const s of senders.values()) killGroup(s);
  killGroup(rtsp);
  await new Promise<void>((resolve) => forwardServer.close(() => resolve()));
  await daemon.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('emulated recorder', () => {
  it('4 cameras with the proven preset stream and hold 4 VPU sessions', async () => {
    const rec = await startRecorder('h264-hw');
    const status = await waitFor('4 cameras streaming', async () => {
      const s = await rec.status();
      return s.summary.streaming === 4 ? s : undefined;
    });
    expect(status).toEqual({
      summary: { total: 4, streaming: 4, no_signal: 0, error: 0 },
      cameras: {
        cam0: 'streaming (320x180)',
        cam1: 'streaming (320x180)',
        cam2: 'streaming (320x180)',
        cam3: 'streaming (320x180)',
      },
    });
    expect((await rec.get('/api/status')) as Status).toEqual(status);
    const sessions = daemon.model.sessionViews();
    expect(sessions.map((s) => s.label).sort()).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
    expect(new Set(sessions.map((s) => s.element))).toEqual(new Set(['mpph264enc']));
    expect(debugfsCount()).toBe(4);
    expect(daemon.model.lines().some((l) => /Oops|too many sessions/.test(l.text))).toBe(false);

    // Stop: every pipeline exits, sessions are released, the service exits 0.
    rec.child.kill('SIGTERM');
    expect(await exited(rec.child, 15_000)).toBe(0);
    expect(rec.output.some((l) => l.includes('Application shutdown complete.'))).toBe(true);
    await waitFor('sessions released', async () => (debugfsCount() === 0 ? true : undefined), 5000);
  });

  it('records a camera through the media server forward and finalises the MP4 on stop', async () => {
    const rec = await startRecorder('h264-hw', { cameras: 2 });
    await waitFor('streaming', async () => ((await rec.status()).summary.streaming === 2 ? true : undefined));
    const start = await rec.post('/record/start?camera=cam1');
    expect(start.status).toBe(200);
    const file = (start.body as { started: Record<string, string> }).started.cam1 ?? '';
    expect(path.basename(file)).toMatch(/^cam1_\d{8}_\d{6}\.mp4$/);
    expect(forwardCalls.at(-1)).toMatch(/^POST cam1 \d+$/);
    await waitFor(
      'the file to grow',
      async () => ((await fs.stat(file)).size > 20_000 ? true : undefined),
      10_000,
    );
    const active = (await rec.get('/record/status')) as { recording: Record<string, { running: boolean }> };
    expect(active.recording.cam1?.running).toBe(true);
    // A recording subscriber holds no VPU session (software depay/parse/mux).
    expect(daemon.model.sessions()).toHaveLength(2);

    const stop = await rec.post('/record/stop');
    expect(stop.status).toBe(200);
    expect(forwardCalls.at(-1)).toMatch(/^DELETE cam1 \d+$/);
    // EOS finalised the file: qtdemux can read it to the end.
    await run('gst-launch-1.0', [
      '-q',
      'filesrc',
      `location=${file}`,
      '!',
      'qtdemux',
      '!',
      'h264parse',
      '!',
      'fakesink',
    ]);
    const listing = (await rec.get('/recordings')) as { recordings: Array<{ name: string; bytes: number }> };
    expect(listing.recordings.map((r) => r.name)).toContain(path.basename(file));
    // Refused for an unknown camera; recordings are never deleted.
    expect((await rec.post('/record/start?camera=cam9')).status).toBe(409);
    await stopRecorder(rec);
    expect((await fs.stat(file)).size).toBeGreaterThan(20_000);
  });

  it('the Dec 19 panic config: Oops in the kernel log, that camera in error, the others stream', async () => {
    const rec = await startRecorder('h264-hw', {
      patch: (yml) =>
        yml.replace(
          /(cam1: .*?properties: \{ )[^}]*( \})/,
          (_m, a: string, b: string) => `${a}bps: 8000000, bps-max: 16000000${b}`,
        ),
    });
    const status = await waitFor('cam1 in error', async () => {
      const s = await rec.status();
      return s.cameras.cam1 === 'error' && s.summary.streaming === 3 ? s : undefined;
    });
    expect(status.summary).toEqual({ total: 4, streaming: 3, no_signal: 0, error: 1 });
    const oops = daemon.model
      .lines()
      .filter((l) => l.text.includes('Internal error: Oops: 0000000096000005'));
    expect(oops).toHaveLength(1);
    expect(
      daemon.model
        .sessionViews()
        .map((s) => s.label)
        .sort(),
    ).toEqual(['cam0', 'cam2', 'cam3']);
    expect(rec.output.some((l) => /cam1\[\d+\]: pipeline ended \(killed by SIGKILL\)/.test(l))).toBe(true);
    // No restart loop: still one Oops a little later.
    await new Promise((r) => setTimeout(r, 1500));
    expect(daemon.model.lines().filter((l) => l.text.includes('Internal error: Oops'))).toHaveLength(1);
  });

  it('a wedged pipeline ignores SIGTERM/SIGINT and keeps the service stopping until it is SIGKILLed', async () => {
    const rec = await startRecorder('h264-hw', { cameras: 2 });
    await waitFor('streaming', async () => ((await rec.status()).summary.streaming === 2 ? true : undefined));
    const wedge = await daemon.model.wedge('cam0');
    expect(wedge.ok).toBe(true);
    const [pid] = wedge.pids;
    expect(daemon.model.sessionViews().find((s) => s.label === 'cam0')?.wedged).toBe(true);
    rec.child.kill('SIGTERM');
    expect(await exited(rec.child, 8000)).toBe('timeout');
    expect(daemon.model.sessions().map((s) => s.label)).toEqual(['cam0']);
    process.kill(pid ?? 0, 'SIGKILL');
    expect(await exited(rec.child, 8000)).toBe(0);
  });

  it('over the session limit: the 9th encoder is refused with too many sessions and an RCU stall', async () => {
    const rec = await startRecorder('h264-hw', { cameras: 9, resolution: '160x90' });
    const status = await waitFor('8 streaming and 1 error', async () => {
      const s = await rec.status();
      return s.summary.streaming === 8 && s.summary.error === 1 ? s : undefined;
    });
    expect(status.summary.total).toBe(9);
    const text = daemon.model.lines().map((l) => l.text);
    expect(text).toContain('mpp_service: error: too many sessions');
    expect(text).toContain('rkvenc: failed to allocate encoder instance');
    expect(text).toContain('rcu: INFO: rcu_preempt self-detected stall on CPU');
    expect(daemon.model.sessions()).toHaveLength(8);
    expect(rec.output.some((l) => l.includes('Could not initialize supporting library.'))).toBe(true);
  });
});

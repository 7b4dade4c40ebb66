/**
 * Test helpers for the MediaMTX stand-in: run it as the unit would (a child process), push test streams with
 * gst-launch, play WHEP in headless Chromium, and sample CPU from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(HERE, '..', 'main.ts');
const REPO = path.join(HERE, '..', '..', '..', '..');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

export interface RunningMediaServer {
  pid: number;
  ports: { rtsp: number; whep: number; api: number; iceTcp: number; hls: number };
  whepBase: string;
  apiBase: string;
  logs(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  child: ChildProcess;
}

export interface StartOptions {
  extraArgs?: string[];
  /** Run inside this network namespace (`ip netns exec`), on the R58's own ports. */
  netns?: string;
}

export async function startMediaServer(options: StartOptions | string[] = {}): Promise<RunningMediaServer> {
  const { extraArgs = [], netns } = Array.isArray(options) ? { extraArgs: options } : options;
  const ports = netns
    ? { rtsp: 8554, whep: 8889, api: 9997, iceTcp: 8189, hls: 8888 }
    : {
        rtsp: await freePort(),
        whep: await freePort(),
        api: await freePort(),
        iceTcp: await freePort(),
        hls: await freePort(),
      };
  const args = [
    '--import',
    'tsx',
    MAIN,
    '--rtsp-port',
    String(ports.rtsp),
    '--whep-port',
    String(ports.whep),
    '--whep-host',
    '0.0.0.0',
    '--api-port',
    String(ports.api),
    '--api-host',
    '127.0.0.1',
    '--ice-tcp-port',
    String(ports.iceTcp),
    '--hls-port',
    String(ports.hls),
    ...(netns ? [] : ['--ice-additional-hosts', '127.0.0.1']),
    '--paths',
    'cam0,cam1,cam2,cam3,program',
    ...extraArgs,
  ];
  // `--import tsx` resolves from the working directory, so run from the repository root.
  const command = netns
    ? ['ip', 'netns', 'exec', netns, process.execPath, ...args]
    : [process.execPath, ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (line: string): void => {
      lines.push(line);
      if (/ INF ready /.test(line)) resolve();
    };
    readline.createInterface({ input: child.stdout! }).on('line', onLine);
    readline.createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`media server exited (${code}):\n${lines.join('\n')}`)));
  });
  const timeout = sleep(20_000).then(() => {
    throw new Error(`media server did not start:\n${lines.join('\n')}`);
  });
  await Promise.race([ready, timeout]);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid!,
    ports,
    whepBase: `http://127.0.0.1:${ports.whep}`,
    apiBase: `http://127.0.0.1:${ports.api}`,
    logs: () => lines.join('\n'),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    child,
  };
}

export interface Publisher {
  child: ChildProcess;
  /** SIGINT: gst-launch -e sends EOS, rtspclientsink tears down. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function startPublisher(
  rtspPort: number,
  pathName: string,
  options: { protocols: 'tcp' | 'udp'; codec?: 'H264' | 'H265'; netns?: string },
): Publisher {
  const raw = [
    'videotestsrc',
    'is-live=true',
    '!',
    'video/x-raw,width=640,height=360,framerate=30/1,format=I420',
  ];
  const encode =
    options.codec === 'H265'
      ? [
          'x265enc',
          'tune=zerolatency',
          'speed-preset=ultrafast',
          'key-int-max=30',
          'bitrate=1500',
          '!',
          'h265parse',
        ]
      : [
          'x264enc',
          'tune=zerolatency',
          'speed-preset=ultrafast',
          'key-int-max=30',
          'bitrate=1500',
          '!',
          'video/x-h264,profile=constrained-baseline',
          '!',
          'h264parse',
        ];
  const sink = [
    'rtspclientsink',
    `location=rtsp://127.0.0.1:${rtspPort}/${pathName}`,
    `protocols=${options.protocols}`,
  ];
  const gst = ['gst-launch-1.0', '-q', '-e', ...raw, '!', ...encode, '!', ...sink];
  const command = options.netns ? ['ip', 'netns', 'exec', options.netns, ...gst] : gst;
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop: () => signal('SIGINT'), kill: () => signal('SIGKILL') };
}

export interface ApiPathItem {
  name: string;
  online: boolean;
  ready: boolean;
  source: { type: string; id: string } | null;
  tracks: string[];
  tracks2: { codec: string; codecProps: { width?: number; height?: number } }[];
  readers: { type: string; id: string }[];
  inboundBytes: number;
  outboundBytes: number;
  bytesReceived: number;
}

export async function getPath(apiBase: string, name: string): Promise<ApiPathItem> {
  const res = await fetch(`${apiBase}/v3/paths/get/${name}`);
  if (res.status !== 200) throw new Error(`GET path ${name}: ${res.status}`);
  return (await res.json()) as ApiPathItem;
}

/** utime+stime of a process in seconds (from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU use of the processes over `ms`, in percent of one core. */
export async function measureCpu(pids: number[], ms: number): Promise<Map<number, number>> {
  const before = new Map(pids.map((p) => [p, cpuSeconds(p)]));
  const t0 = Date.now();
  await sleep(ms);
  const elapsed = (Date.now() - t0) / 1000;
  return new Map(pids.map((p) => [p, ((cpuSeconds(p) - (before.get(p) ?? 0)) / elapsed) * 100]));
}

export { CHROMIUM_ARGS, launchChromium } from '../../../fixtures/chromium.js';

/** Serves the WHEP test page over http (Chromium needs an http origin, not file://). */
export async function servePlayerPage(): Promise<{ url: string; close(): Promise<void> }> {
  const html = readFileSync(path.join(HERE, 'whep-player.html'));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface PlayResult {
  status: number;
  body: string;
  location: string | null;
  answerCandidates: string[];
}

export interface PlayerStats {
  framesDecoded: number;
  firstFrameMs: number | null;
  connectionState: string;
  pair: { localProtocol: string; remoteProtocol: string; remoteAddress: string; remotePort: number } | null;
}

/** Starts WHEP playback of `pathName` in `page`; `transport: 'tcp'` keeps only TCP candidates on both sides. */
export function play(
  page: Page,
  whepUrl: string,
  transport: 'any' | 'tcp' = 'any',
  slot = 0,
): Promise<PlayResult> {
  return page.evaluate(([url, mode, s]) => (window as unknown as PlayerWindow).whepPlay(url, mode, s), [
    whepUrl,
    transport,
    slot,
  ] as const);
}

export function playerStats(page: Page, slot = 0): Promise<PlayerStats> {
  return page.evaluate((s) => (window as unknown as PlayerWindow).whepStats(s), slot);
}

export function stopPlayer(page: Page, slot = 0, sendDelete = true): Promise<number | null> {
  return page.evaluate(([s, d]) => (window as unknown as PlayerWindow).whepStop(s, d), [
    slot,
    sendDelete,
  ] as const);
}

/** The functions whep-player.html defines. */
export interface PlayerWindow {
  whepPlay(url: string, transport: 'any' | 'tcp', slot: number): Promise<PlayResult>;
  whepStats(slot: number): Promise<PlayerStats>;
  whepStop(slot: number, sendDelete: boolean): Promise<number | null>;
}

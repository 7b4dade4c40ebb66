/**
 * A stand-in for the device daemon's kernel routes, for tests that run the gst-launch wrapper or the recorder
 * without namespaces: the kernel model behind HTTP on a unix socket, with real signals and a reap timer.
 *
 *   npx tsx src-main/emulator/device/kernel/mini-daemon.ts /tmp/daemon.sock (runs until SIGINT/SIGTERM)
 */
import { promises as fs, readFileSync } from 'node:fs';
import http from 'node:http';
import { handleKernelApi } from './api.js';
import { KernelModel, type KernelModelOptions } from './model.js';
import { findPipelinePidsByLabel } from './pipeline-label.js';

export interface MiniDaemon {
  socketPath: string;
  model: KernelModel;
  close: () => Promise<void>;
}

/** Alive and not a zombie (a zombie's fds, and so its VPU sessions, are already released). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) (\S)/.exec(stat)?.[1] !== 'Z';
  } catch {
    return false;
  }
}

export async function startMiniDaemon(
  socketPath: string,
  overrides: Partial<KernelModelOptions> = {},
): Promise<MiniDaemon> {
  const model = new KernelModel({
    now: () => performance.timeOrigin + performance.now(),
    killPid: (pid, signal) => {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    },
    isAlive: processAlive,
    findPidsByLabel: (label) => findPipelinePidsByLabel(label, { socketPath }),
    ...overrides,
  });
  await fs.rm(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handleKernelApi(
        model,
        req.method ?? 'GET',
        req.url ?? '/',
        Buffer.concat(chunks).toString('utf8'),
      ).then((out) => {
        if (!out) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"ok":false,"reason":"not found"}');
          return;
        }
        res.writeHead(out.status, { 'content-type': out.contentType }).end(out.body);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  const timer = setInterval(() => model.reap(), 250);
  return {
    socketPath,
    model,
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(socketPath, { force: true });
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sock = process.argv[2] ?? '/tmp/tally-emu-daemon.sock';
  void startMiniDaemon(sock, { onLine: (text) => process.stdout.write(`${text}\n`) }).then((d) => {
    process.stderr.write(`kernel mini-daemon on ${d.socketPath}\n`);
    const stop = (): void => void d.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

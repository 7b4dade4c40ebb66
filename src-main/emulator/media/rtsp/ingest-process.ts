/**
 * The RTSP ingest child: `rtsp_ingest.py` under the system Python (gst-rtsp-server through PyGObject). It is
 * told, per path, the local UDP port to send re-payloaded RTP to, and reports publish/format/unpublish as JSON
 * lines on stdout. Its stderr goes to our log. It exits when our end of its stdin closes, so it never outlives
 * this process, even after a SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { z } from 'zod';
import { packageRoot } from '../../../paths.js';
import { emulatorFile } from '../../files.js';
import type { Logger } from '../log.js';

const SCRIPT = emulatorFile(packageRoot(), 'media', 'rtsp_ingest.py');

const ingestEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('ready'), port: z.number() }),
  z.object({
    event: z.literal('publish'),
    path: z.string(),
    id: z.string(),
    codec: z.string(),
    transport: z.string(),
    remote: z.string(),
    remotePort: z.number().optional(),
  }),
  z.object({
    event: z.literal('format'),
    path: z.string(),
    id: z.string(),
    codec: z.string(),
    width: z.number(),
    height: z.number(),
    profile: z.string(),
    level: z.string(),
  }),
  z.object({ event: z.literal('unpublish'), path: z.string(), id: z.string(), reason: z.string() }),
]);

export type IngestEvent = z.infer<typeof ingestEvent>;

export interface IngestOptions {
  python: string;
  host: string;
  port: number;
  /** path name → local UDP port for its RTP */
  targets: Map<string, number>;
  log: Logger;
}

interface IngestEvents {
  event: [IngestEvent];
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

export class IngestProcess extends EventEmitter<IngestEvents> {
  private child: ChildProcess | undefined;
  /** It reported that it listens (an exit after that is a crash, not a failed start). */
  ready = false;

  constructor(private readonly options: IngestOptions) {
    super();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child and resolves once it listens; rejects if it exits first. */
  start(): Promise<number> {
    const { options } = this;
    const args = [SCRIPT, '--host', options.host, '--port', String(options.port)];
    for (const [name, port] of options.targets) args.push('--path', `${name}=127.0.0.1:${port}`);
    const child = spawn(options.python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    readline.createInterface({ input: child.stderr! }).on('line', (line) => options.log.warn(line));
    return new Promise((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        let parsed: IngestEvent;
        try {
          parsed = ingestEvent.parse(JSON.parse(line));
        } catch {
          options.log.debug(`ingest: ${line}`);
          return;
        }
        if (parsed.event === 'ready' && !this.ready) {
          this.ready = true;
          resolve(parsed.port);
        }
        this.emit('event', parsed);
      });
      child.once('error', (error) => {
        if (!this.ready) reject(error);
        else options.log.error(`RTSP ingest: ${error.message}`);
      });
      child.once('exit', (code, signal) => {
        this.child = undefined;
        if (!this.ready)
          reject(new Error(`the RTSP ingest exited before listening (code ${code ?? signal})`));
        this.emit('exit', code, signal);
      });
    });
  }

  /** SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

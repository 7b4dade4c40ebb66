/**
 * The device daemon's HTTP API on /run/tally-emu/daemon.sock (README "Device daemon API"), plus the routes the
 * device's commands use (`GET /cmd/<name>`) and the launcher's `GET /state` and `POST /shutdown`.
 */
import http from 'node:http';
import type { CommandContext, CommandOutcome } from './command.js';
import { dmesg } from './dmesg.js';
import { journalctl } from './journalctl.js';
import { handleKernelApi, type KernelModel } from './kernel/index.js';
import type { Journal } from './journal.js';
import { systemctl } from './systemctl.js';
import { uname } from './uname.js';
import { UnitError, type ServiceManager, type Unit } from './units.js';
import type { EmulatorKind } from '../kinds/kinds.js';

const MAX_BODY = 1024 * 1024;
/** Unsent bytes a follow stream may hold before the daemon gives up on its reader. */
const MAX_BACKLOG = 8 * 1024 * 1024;

export interface ApiDeps {
  units: ServiceManager;
  journal: Journal;
  kernel: KernelModel;
  hostname: string;
  kind: EmulatorKind;
  /** Commands only this kind of box has (`docker`, `nvidia-smi`). */
  commands: Record<string, Command>;
  /** Routes only this kind of box has (its faults); undefined: not one of them. */
  routes(
    method: string,
    route: string,
    body: Record<string, unknown>,
  ): Promise<{ status: number; json: Record<string, unknown> } | undefined>;
  /** Extra fields for `GET /state`. */
  state(): Record<string, unknown>;
  /** Bring derived state up to date (VPU sessions of processes that just died, the debugfs file). */
  sync(): Promise<void>;
  /** `systemctl reboot`: start the emulated reboot; it runs on after the command has answered. */
  reboot(): void;
  shutdown(): void;
}

export type Command = (ctx: CommandContext, argv: string[]) => CommandOutcome | Promise<CommandOutcome>;
const COMMANDS: Record<string, Command> = { systemctl, journalctl, dmesg, uname };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Keep writing a command's stream until the client goes away. */
function stream(req: http.IncomingMessage, res: http.ServerResponse, outcome: CommandOutcome): void {
  if (outcome.kind === 'done') {
    // A follow request whose arguments turned out not to follow: plain output.
    sendText(res, 200, outcome.stdout);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.flushHeaders();
  const stop = outcome.follow(
    (text) => {
      if (res.destroyed) return;
      // A reader that stopped reading (a stalled SSH channel) must not make the daemon buffer without bound.
      if (res.writableLength > MAX_BACKLOG) res.destroy();
      else res.write(text);
    },
    () => res.end(),
  );
  const end = (): void => stop();
  req.on('close', end);
  res.on('close', end);
}

function unitView(unit: Unit): Record<string, unknown> {
  return {
    Id: unit.id,
    ActiveState: unit.activeState,
    SubState: unit.subState,
    MainPID: unit.mainPid,
    ActiveEnterTimestamp: unit.activeEnter ? new Date(unit.activeEnter).toISOString() : '',
    NRestarts: unit.nRestarts,
    Result: unit.result,
    ExecMainStatus: unit.execMainStatus,
  };
}

export function createApiServer(deps: ApiDeps): http.Server {
  const context = (uid: number): CommandContext => ({
    uid,
    units: deps.units,
    journal: deps.journal,
    kernel: deps.kernel,
    hostname: deps.hostname,
    kind: deps.kind,
    bootTimeMs: deps.kernel.bootTimeMs,
    reboot: deps.reboot,
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://device');
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean);

    if (method === 'GET' && parts[0] === 'cmd' && parts.length === 2) {
      const command = COMMANDS[parts[1] ?? ''] ?? deps.commands[parts[1] ?? ''];
      if (!command) throw new HttpError(404, `no such device command: ${parts[1]}`);
      const uid = Number(url.searchParams.get('uid') ?? '0');
      const argv = url.searchParams.getAll('a');
      const outcome = await command(context(Number.isInteger(uid) ? uid : 65534), argv);
      // A stop or restart just ended processes: their VPU sessions are gone by the time the command returns.
      if (outcome.kind === 'done') await deps.sync();
      if (url.searchParams.get('stream') === '1') return stream(req, res, outcome);
      if (outcome.kind === 'stream') return sendText(res, 200, '0 0 stream\n');
      const errLines = outcome.stderr === '' ? 0 : outcome.stderr.replace(/\n$/, '').split('\n').length;
      const stderr =
        outcome.stderr === '' || outcome.stderr.endsWith('\n') ? outcome.stderr : `${outcome.stderr}\n`;
      return sendText(res, 200, `${outcome.code} ${errLines} done\n${stderr}${outcome.stdout}`);
    }

    if (parts[0] === 'units' && parts[1]) {
      const unit = deps.units.get(parts[1]);
      if (!unit) throw new HttpError(404, `Unit ${parts[1]} not found.`);
      if (method === 'GET' && parts.length === 2) return sendJson(res, 200, unitView(unit));
      if (method === 'GET' && parts[2] === 'journal') {
        const follow = url.searchParams.get('follow') === '1';
        const output = url.searchParams.get('output') ?? 'short';
        const outcome = journalctl(context(0), [
          '-u',
          unit.id,
          '-o',
          output,
          ...(follow ? ['-f', '-n', 'all'] : []),
        ]);
        if (outcome.kind === 'done' && outcome.code !== 0) throw new HttpError(400, outcome.stderr.trim());
        return stream(req, res, outcome);
      }
      if (method === 'POST' && parts.length === 3) {
        const verb = parts[2];
        try {
          if (verb === 'start') await unit.start();
          else if (verb === 'stop') await unit.stop();
          else if (verb === 'restart') await unit.restart();
          else throw new HttpError(404, `unknown unit operation: ${verb} (start, stop, restart)`);
          await deps.sync();
        } catch (err) {
          if (err instanceof UnitError) return sendJson(res, 500, { ok: false, error: err.message });
          throw err;
        }
        return sendJson(res, 200, { ok: true, ...unitView(unit) });
      }
    }

    if (method === 'GET' && url.pathname === '/kernel/log' && url.searchParams.get('follow') === '1') {
      const level = url.searchParams.get('level');
      const argv = ['-w', ...(level ? ['--level', `${level === 'warning' ? 'warn' : level}+`] : [])];
      return stream(req, res, dmesg(context(0), argv));
    }
    if (method === 'GET' && url.pathname === '/kernel/journal') {
      const follow = url.searchParams.get('follow') === '1';
      return stream(
        req,
        res,
        journalctl(context(0), ['-k', '-o', 'json', ...(follow ? ['-f', '-n', 'all'] : [])]),
      );
    }
    if (method === 'GET' && url.pathname === '/state')
      return sendJson(res, 200, {
        units: Object.fromEntries(deps.units.all().map((u) => [u.spec.name, unitView(u)])),
        vpu: {
          keep: deps.kernel.keepSessions,
          maxSessions: deps.kernel.sessionLimit,
          open: deps.kernel.sessions().length,
          orphaned: deps.kernel.orphanedCount,
          sessions: deps.kernel.sessionViews(),
        },
        kernelLines: deps.kernel.log.lastSeq,
        ...deps.state(),
      });
    if (method === 'POST' && url.pathname === '/shutdown') {
      sendJson(res, 200, { ok: true });
      deps.shutdown();
      return;
    }

    const body = method === 'POST' || method === 'PUT' || method === 'DELETE' ? await readBody(req) : '';
    if (parts[0] === 'kind') {
      let parsed: unknown = {};
      try {
        parsed = body === '' ? {} : JSON.parse(body);
      } catch {
        throw new HttpError(400, 'the body is not JSON');
      }
      const reply = await deps.routes(
        method,
        url.pathname.slice('/kind'.length),
        (parsed ?? {}) as Record<string, unknown>,
      );
      if (!reply) throw new HttpError(404, `no such route on a ${deps.kind} box: ${method} ${url.pathname}`);
      return sendJson(res, reply.status, reply.json);
    }
    const kernel = await handleKernelApi(deps.kernel, method, req.url ?? '/', body);
    if (kernel) {
      res.writeHead(kernel.status, { 'content-type': kernel.contentType });
      res.end(kernel.body);
      return;
    }
    throw new HttpError(404, `no such route: ${method} ${url.pathname}`);
  };

  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (status === 500) process.stderr.write(`daemon API: ${req.method} ${req.url}: ${message}\n`);
      if (!res.headersSent) sendJson(res, status, { ok: false, error: message });
      else res.end();
    });
  });
}

/**
 * The emulator's fault control over HTTP on 127.0.0.1 (the `control` URL of the ready line). The table is in
 * src-main/emulator/README.md ("Fault control"). Bad input gets 400 with a message, unknown paths 404, a wrong method
 * 405; nothing a client sends can take the emulator down.
 */
import http from 'node:http';
import { ControlError, MAX_KERNEL_BYTES, type EmulatorControl } from './control.js';

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export type ControlHandler = (query: URLSearchParams, body: string) => Promise<Record<string, unknown>>;
/** One path of a control server: its method, and optionally what DELETE on it does. */
export type ControlRoute = { method: 'GET' | 'POST'; handle: ControlHandler; delete?: ControlHandler };

/** A query value that must be a plain non-negative integer (`-1`, `1.5`, `abc` and `` are refused). */
function intParam(query: URLSearchParams, name: string): number {
  const raw = query.get(name);
  if (raw === null) throw new ControlError(`Missing ?${name}=<whole number>.`);
  if (!/^\d{1,9}$/.test(raw))
    throw new ControlError(`${name} must be a whole number, got ${JSON.stringify(raw)}.`);
  return Number(raw);
}

function cameraParam(query: URLSearchParams): string {
  const camera = query.get('camera');
  if (camera === null) throw new ControlError('Missing ?camera=<camera name>.');
  return camera;
}

/** `?stay=1` (or `true`); absent or `0`/`false` is false; anything else is refused. */
function flagParam(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ControlError(`${name} is 1 or 0, got ${JSON.stringify(raw)}.`);
}

function routes(control: EmulatorControl): Record<string, ControlRoute> {
  return {
    '/link/down': { method: 'POST', handle: async () => (await control.linkDown(), { link: 'down' }) },
    '/link/up': { method: 'POST', handle: async () => (await control.linkUp(), { link: 'up' }) },
    '/media/block': {
      method: 'POST',
      handle: async () => (await control.blockMedia(), { media: 'blocked' }),
    },
    '/media/unblock': {
      method: 'POST',
      handle: async () => (await control.unblockMedia(), { media: 'open' }),
    },
    '/loss': {
      method: 'POST',
      handle: async (q) => {
        const percent = intParam(q, 'percent');
        await control.setLoss(percent);
        return { lossPercent: percent };
      },
    },
    '/latency': {
      method: 'POST',
      handle: async (q) => {
        const ms = intParam(q, 'ms');
        await control.setLatency(ms);
        return { latencyMs: ms };
      },
    },
    '/slow-login': {
      method: 'POST',
      handle: async (q) => {
        const ms = intParam(q, 'ms');
        await control.slowLogin(ms);
        return { slowLoginMs: ms };
      },
    },
    '/kernel': { method: 'POST', handle: async (_q, body) => control.kernel(body) },
    '/wedge': {
      method: 'POST',
      handle: async (q) => {
        const camera = q.get('camera');
        if (camera === null) throw new ControlError('Missing ?camera=camN.');
        return control.wedge(camera);
      },
    },
    '/camera-dead': {
      method: 'POST',
      handle: async (q) => {
        const camera = q.get('camera');
        if (camera === null) throw new ControlError('Missing ?camera=camN.');
        return control.cameraDead(camera, true);
      },
      // Without ?camera= every camera is cleared.
      delete: async (q) => {
        const camera = q.get('camera');
        return camera === null ? control.clearDeadCameras() : control.cameraDead(camera, false);
      },
    },
    '/temperature': {
      method: 'POST',
      handle: async (q) =>
        control.setTemperature(q.get('celsius') === 'auto' ? 'auto' : intParam(q, 'celsius')),
      delete: async () => control.setTemperature('auto'),
    },
    '/vpu/keep': {
      method: 'POST',
      handle: async () => ({ ...(await control.keepSessions(true)) }),
      delete: async () => ({ ...(await control.keepSessions(false)) }),
    },
    '/health-fail': {
      method: 'POST',
      handle: async () => ({ ...(await control.healthFail(true)) }),
      delete: async () => ({ ...(await control.healthFail(false)) }),
    },
    '/vaapi-off': {
      method: 'POST',
      handle: async () => ({ ...(await control.vaapiOff(true)) }),
      delete: async () => ({ ...(await control.vaapiOff(false)) }),
    },
    '/crash': { method: 'POST', handle: async () => ({ ...(await control.crash()) }) },
    '/camera-kill': {
      method: 'POST',
      handle: async (q) => ({ ...(await control.cameraKill(cameraParam(q), flagParam(q, 'stay'))) }),
      delete: async (q) => ({ ...(await control.cameraRevive(cameraParam(q))) }),
    },
    '/camera-stall': {
      method: 'POST',
      handle: async (q) => ({ ...(await control.cameraStall(cameraParam(q), true)) }),
      delete: async (q) => ({ ...(await control.cameraStall(cameraParam(q), false)) }),
    },
    '/output-down': {
      method: 'POST',
      handle: async (q) => ({ ...(await control.outputDown(cameraParam(q), true)) }),
      delete: async (q) => ({ ...(await control.outputDown(cameraParam(q), false)) }),
    },
    '/state': { method: 'GET', handle: async () => ({ ...(await control.state()) }) },
  };
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooBig = true;
      else chunks.push(chunk);
    });
    // Drain a too-large body rather than resetting the socket, so the client reads our 400.
    req.on('end', () =>
      tooBig
        ? reject(new ControlError(`Request body too large: at most ${limit} bytes.`))
        : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, value: Record<string, unknown>): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function startControlServer(control: EmulatorControl, port = 0): Promise<ControlServer> {
  return startRouteServer(routes(control), port);
}

/** A control server on 127.0.0.1 for these routes (the fleet's uses it too): JSON in, JSON out, errors as above. */
export async function startRouteServer(
  table: Record<string, ControlRoute>,
  port = 0,
): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://control');
      const route = table[url.pathname];
      if (!route) {
        req.resume();
        return send(res, 404, {
          ok: false,
          error: `No such control: ${url.pathname}. See src-main/emulator/README.md ("Fault control").`,
        });
      }
      const handle =
        req.method === route.method ? route.handle : req.method === 'DELETE' ? route.delete : undefined;
      if (!handle) {
        req.resume();
        const allowed = route.delete ? `${route.method}, DELETE` : route.method;
        res.setHeader('allow', allowed);
        return send(res, 405, { ok: false, error: `Use ${allowed} for ${url.pathname}.` });
      }
      const body = req.method === 'POST' ? await readBody(req, MAX_KERNEL_BYTES) : '';
      const result = await handle(url.searchParams, body);
      send(res, 200, { ok: true, ...result });
    })().catch((err: unknown) => {
      const status = err instanceof ControlError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) send(res, status, { ok: false, error: message });
      else res.end();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the control server has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

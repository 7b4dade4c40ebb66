/**
 * One misbehaving WebSocket client against the real web console (`tally web` as a child process): an oversized
 * message, a frame that is not valid UTF-8 and a message that is not a request each close that one socket with a
 * code and a reason, and the console keeps serving every other client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const ROOT = path.resolve(import.meta.dirname, '../..');

let child: ChildProcess;
let base: string;
let origin: string;
let cookie: string;
let stderr = '';

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-ws-limits-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: base };
  delete env['SSH_AUTH_SOCK'];
  // Its own process group, so stopping it stops everything it started.
  child = spawn(
    process.execPath,
    ['bin/tally.mjs', 'web', '--port', '0', '--data-dir', path.join(base, 'data')],
    { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`tally web printed no URL.\n${out}\n${stderr}`)),
      170_000,
    );
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /Tally web console: (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`tally web exited (${code}).\n${stderr}`)));
  });
  origin = new URL(url).origin;
  const login = await fetch(url, { redirect: 'manual' });
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}, 180_000);

afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  await fs.rm(base, { recursive: true, force: true });
});

function openSocket(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws`, { headers: { cookie, origin } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    ws.on('error', () => undefined); // the client side may see the reset after the close frame
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/** One request on a socket that should stay open; fails fast if the console closes it or dies. */
async function appInfo(ws: WebSocket, id: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data))));
    ws.once('close', (code) => reject(new Error(`the socket closed (${code}); console stderr:\n${stderr}`)));
    ws.send(JSON.stringify({ id, name: 'app.info', input: {} }));
  });
}

describe('a WebSocket client that sends what the console cannot take', () => {
  it('closes only that socket, says why, and keeps serving the others', async () => {
    const bystander = await openSocket();

    const big = await openSocket();
    const bigClosed = closed(big);
    big.send(Buffer.alloc(50 * 1024 * 1024));
    expect(await bigClosed).toEqual({ code: 1009, reason: 'Message too large: the limit is 4 MiB.' });

    const garbled = await openSocket();
    const garbledClosed = closed(garbled);
    // A text frame that is not UTF-8 (ws does not check what it sends).
    garbled.send(Buffer.from([0xc3, 0x28]), { binary: false });
    expect(await garbledClosed).toEqual({ code: 1007, reason: 'Invalid message: text is not valid UTF-8.' });

    const confused = await openSocket();
    const confusedClosed = closed(confused);
    confused.send('this is not a request');
    const why = await confusedClosed;
    expect(why.code).toBe(1007);
    expect(why.reason).toMatch(/^Malformed request: /);

    expect(await appInfo(bystander, 1)).toMatchObject({ id: 1, ok: true, result: { shell: 'web' } });
    const newcomer = await openSocket();
    expect(await appInfo(newcomer, 2)).toMatchObject({ id: 2, ok: true });
    expect(child.exitCode).toBeNull();
    expect(stderr).not.toMatch(/RangeError|Unhandled|Uncaught/);
    bystander.close();
    newcomer.close();
  });
});

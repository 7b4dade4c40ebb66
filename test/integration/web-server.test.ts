import http from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Console } from '../../src-main/core/console.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { startWebServer, type WebServer } from '../../src-main/web/web-server.js';

let core: Console;
let server: WebServer;
let base: string;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-web-'));
  const rendererDir = path.join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Tally</title>');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
  core = await Console.open({
    dataDir: path.join(dir, 'data'),
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 't',
    knownHostsFiles: [],
  });
  server = await startWebServer({ console: core, rendererDir, host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await core.close();
});

// fetch() will not send a forged Host header, so use http.request for the DNS-rebinding check.
function statusWithHost(host: string, cookie: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, path: '/', headers: { host, cookie } },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function openSocket(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(String(res.statusCode))));
    ws.once('error', reject);
  });
}

describe('web mode access', () => {
  it('answers 401 without the token, with a hint', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(/token/);
  });

  it('trades the token for an HttpOnly cookie and serves the page with a strict CSP', async () => {
    const res = await fetch(server.url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('refuses a wrong token, a foreign Host header and a path outside the renderer', async () => {
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(401);
    const cookie = `tally_token=${server.token}`;
    expect(await statusWithHost('evil.example:80', cookie)).toBe(421);
    expect((await fetch(`${base}/..%2fsecret.txt`, { headers: { cookie } })).status).toBe(404);
  });

  it('refuses a WebSocket from a foreign Origin or without the token, and serves the contract otherwise', async () => {
    const cookie = `tally_token=${server.token}`;
    await expect(openSocket({ cookie, origin: 'http://evil.example' })).rejects.toThrow('403');
    await expect(openSocket({ origin: base })).rejects.toThrow('401');
    const ws = await openSocket({ cookie, origin: base });
    const reply = await new Promise<{
      id: number;
      ok: boolean;
      result: { shell: string; secretsPersist: boolean };
    }>((resolve) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.send(JSON.stringify({ id: 7, name: 'app.info', input: {} }));
    });
    expect(reply).toMatchObject({ id: 7, ok: true, result: { shell: 'web', secretsPersist: false } });
    ws.close();
  });

  it('binds loopback only by default', () => {
    expect(server.url.startsWith('http://127.0.0.1:')).toBe(true);
  });
});

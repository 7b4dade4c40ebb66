/**
 * A link that dies without a reset (cable pulled, Wi-Fi gone) is noticed only by keepalive. Two ways to make
 * one: nftables drops in a network namespace (real kernel TCP), and a userspace proxy that stalls or resets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionState, DeviceStatus } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { RemoteJobs } from '../../src-main/core/device/remote-jobs.js';
import { createTestHost, netnsAvailable } from '../../src-main/emulator/netns.js';
import {
  connectAndWait,
  createSshConsole,
  endpointFor,
  identity,
  trustKnownHostsLine,
} from '../fixtures/ssh-console.js';
import { startSshd } from '../fixtures/sshd.js';
import { startTcpProxy } from '../../src-main/emulator/tcp-proxy.js';

const LOST: ConnectionState[] = ['disconnected', 'connecting', 'unreachable'];
const LINES = 80;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Every line 1..n exactly once, in order. */
function expectAllLines(text: string, n: number): void {
  const lines = text.split('\n').filter(Boolean);
  expect(lines).toEqual(Array.from({ length: n }, (_, i) => `line ${i + 1}`));
}

function numberedJob(n: number) {
  return sh`i=1; while [ $i -le ${n} ]; do echo "line $i"; i=$((i+1)); sleep 0.1; done`;
}

async function keepaliveConsole() {
  const con = await createSshConsole({
    keepalive: { intervalMs: 1000, countMax: 3 },
    reconnect: { baseMs: 200, maxMs: 1000 },
  });
  cleanups.push(() => con.close());
  return con;
}

const ok = await netnsAvailable();
const why = ok
  ? ''
  : ' [skipped: this process cannot create network namespaces (needs root, iproute2, nftables)]';

describe('dropped link', () => {
  it.skipIf(!ok)(
    `netns link down during a detached job: detected by keepalive, reconnects, output complete${why}`,
    async () => {
      const host = await createTestHost();
      cleanups.push(() => host.destroy());
      const server = await startSshd({ netns: host.name, user: 'linaro' });
      cleanups.push(() => server.stop());
      const con = await keepaliveConsole();
      await trustKnownHostsLine(con, server, server.knownHostsLine);
      const endpoint = endpointFor(server, identity(server.identityFile));
      await connectAndWait(con, endpoint);

      const jobs = new RemoteJobs(con.manager);
      const { jobId } = await jobs.start(endpoint.id, numberedJob(LINES));
      let out = '';
      const attached = jobs.attach(endpoint.id, jobId, (c) => (out += c));
      attached.catch(() => undefined);
      const deadline = Date.now() + 10_000;
      while (!out.includes('line 5\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(out).toContain('line 5\n');

      const downAt = Date.now();
      await host.linkDown();
      const lost = await con.manager.waitFor(endpoint.id, LOST, 20_000);
      const detectedMs = Date.now() - downAt;
      expect(lost.detail).toMatch(/keepalive|lost/i);
      // Keepalive 1 s x 3 should notice in about 4 s; the bound is loose for busy machines.
      expect(detectedMs).toBeLessThan(15_000);
      const linesBeforeUp = out.split('\n').filter(Boolean).length;

      await new Promise((r) => setTimeout(r, 1000));
      await host.linkUp();
      await con.manager.waitFor(endpoint.id, ['connected', 'degraded'], 30_000);
      const { exitCode } = await attached;
      expect(exitCode).toBe(0);
      expectAllLines(out, LINES);
      expect(linesBeforeUp).toBeLessThan(LINES);
      console.info(`netns: link loss noticed after ${detectedMs} ms`);
    },
    90_000,
  );

  it('proxy stall: keepalive notices, a command in flight fails cleanly, resume reconnects', async () => {
    const server = await startSshd({ user: 'linaro' });
    cleanups.push(() => server.stop());
    const proxy = await startTcpProxy({ host: server.host, port: server.port });
    cleanups.push(() => proxy.close());
    const con = await keepaliveConsole();
    const at = { host: '127.0.0.1', port: proxy.port, user: server.user };
    await trustKnownHostsLine(con, at, server.knownHostsLine);
    const endpoint = endpointFor(at, identity(server.identityFile));
    await connectAndWait(con, endpoint);

    const inFlight = con.manager.exec(endpoint.id, sh`sleep 30`);
    inFlight.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const stalledAt = Date.now();
    proxy.stall();
    const lost = await con.manager.waitFor(endpoint.id, LOST, 20_000);
    console.info(`proxy stall: noticed after ${Date.now() - stalledAt} ms (${lost.detail})`);
    expect(lost.detail).toMatch(/keepalive/);
    // Through every retry the status says since when the device was silent and which attempt runs.
    expect(lost.linkLost?.attempt).toBeGreaterThanOrEqual(1);
    expect(lost.linkLost?.since).toBeLessThanOrEqual(stalledAt);
    await expect(inFlight).rejects.toMatchObject({ code: 'unavailable' });
    await expect(con.manager.exec(endpoint.id, sh`true`)).rejects.toThrow(
      /reconnecting by itself \(attempt \d+\)/,
    );

    await new Promise((r) => setTimeout(r, 1000));
    proxy.resume();
    const back = await con.manager.waitFor(endpoint.id, ['connected', 'degraded'], 30_000);
    expect(back.linkLost).toBeUndefined();
    expect((await con.manager.exec(endpoint.id, sh`echo back`)).stdout).toBe('back\n');
  }, 90_000);

  it('proxy reset: the connection drops at once and comes back; a job attached across it loses nothing', async () => {
    const server = await startSshd({ user: 'linaro' });
    cleanups.push(() => server.stop());
    const proxy = await startTcpProxy({ host: server.host, port: server.port });
    cleanups.push(() => proxy.close());
    const con = await keepaliveConsole();
    const at = { host: '127.0.0.1', port: proxy.port, user: server.user };
    await trustKnownHostsLine(con, at, server.knownHostsLine);
    const endpoint = endpointFor(at, identity(server.identityFile));
    await connectAndWait(con, endpoint);

    const jobs = new RemoteJobs(con.manager);
    const { jobId } = await jobs.start(endpoint.id, numberedJob(40));
    let out = '';
    const attached = jobs.attach(endpoint.id, jobId, (c) => (out += c));
    attached.catch(() => undefined);

    const seen: DeviceStatus[] = [];
    con.manager.onStatus((id, status) => id === endpoint.id && seen.push(status));
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 700));
      proxy.resetAll();
      await con.manager.waitFor(endpoint.id, LOST, 20_000);
      await con.manager.waitFor(endpoint.id, ['connected', 'degraded'], 30_000);
    }
    expect((await attached).exitCode).toBe(0);
    expectAllLines(out, 40);
    expect(seen.filter((s) => s.state === 'connected').length).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it('proxy latency: the link turns degraded, then connected again when it recovers', async () => {
    const server = await startSshd({ user: 'linaro' });
    cleanups.push(() => server.stop());
    const proxy = await startTcpProxy({ host: server.host, port: server.port });
    cleanups.push(() => proxy.close());
    const con = await keepaliveConsole();
    const at = { host: '127.0.0.1', port: proxy.port, user: server.user };
    await trustKnownHostsLine(con, at, server.knownHostsLine);
    const endpoint = endpointFor(at, identity(server.identityFile));
    await connectAndWait(con, endpoint);

    proxy.setLatency(700); // ~1.4 s round trip
    const slow = await con.manager.waitFor(endpoint.id, ['degraded'], 40_000);
    expect(slow.detail).toMatch(/slow/i);
    expect(con.manager.status(endpoint.id).state).toBe('degraded');
    proxy.setLatency(0);
    const back = await con.manager.waitFor(endpoint.id, ['connected'], 40_000);
    expect(back.rttMs).toBeLessThan(1000);
  }, 120_000);
});

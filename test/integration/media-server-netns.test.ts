/**
 * The MediaMTX stand-in as the device runs it: inside a network namespace joined to this machine by a veth pair,
 * on the R58's own ports, with the publisher inside too. Chromium on this machine (the laptop) plays WHEP from the
 * namespace's address directly, over UDP and over ICE-TCP on 8189. The API stays on the namespace's loopback.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHost, netnsAvailable, type TestHost } from '../../src-main/emulator/netns.js';
import {
  launchChromium,
  play,
  playerStats,
  servePlayerPage,
  startMediaServer,
  startPublisher,
  waitFor,
  type Publisher,
  type RunningMediaServer,
} from '../fixtures/media-server/harness.js';

const ok = await netnsAvailable();
const why = ok
  ? ''
  : ' [skipped: this process cannot create network namespaces (needs root, iproute2, nftables)]';

let host: TestHost;
let server: RunningMediaServer;
let publisher: Publisher;
let browser: Browser;
let playerPage: { url: string; close(): Promise<void> };

async function apiPath(name: string): Promise<{ online: boolean; readers: unknown[] }> {
  const out = await host.exec(['curl', '-s', `http://127.0.0.1:9997/v3/paths/get/${name}`]);
  return JSON.parse(out) as { online: boolean; readers: unknown[] };
}

describe.skipIf(!ok)(`media server in a network namespace${why}`, () => {
  beforeAll(async () => {
    host = await createTestHost();
    server = await startMediaServer({ netns: host.name });
    publisher = startPublisher(8554, 'cam0', { protocols: 'udp', netns: host.name });
    await waitFor('cam0 online', async () => (await apiPath('cam0')).online);
    browser = await launchChromium();
    playerPage = await servePlayerPage();
  });

  afterAll(async () => {
    await publisher?.kill();
    await browser?.close();
    await playerPage?.close();
    await server?.stop();
    await host?.destroy();
  });

  it('offers the namespace address as host candidate (werift alone would skip the veth interface)', () => {
    expect(server.logs()).toContain(`host candidates on ${host.nsAddress}`);
  });

  it('is not reachable on the API port from outside the namespace', async () => {
    await expect(fetch(`http://${host.nsAddress}:9997/v3/paths/list`)).rejects.toThrow();
  });

  for (const transport of ['any', 'tcp'] as const) {
    it(`plays from the laptop over ${transport === 'tcp' ? 'ICE-TCP on 8189' : 'UDP'}`, async () => {
      const page = await browser.newPage();
      await page.goto(playerPage.url);
      const result = await play(page, `http://${host.nsAddress}:8889/cam0/whep`, transport);
      expect(result.status).toBe(201);
      const stats = await waitFor('frames decoded', async () => {
        const s = await playerStats(page);
        return s.framesDecoded > 0 ? s : undefined;
      });
      expect(stats.pair?.remoteAddress).toBe(host.nsAddress);
      if (transport === 'tcp') expect(stats.pair).toMatchObject({ remoteProtocol: 'tcp', remotePort: 8189 });
      else expect(stats.pair?.remoteProtocol).toBe('udp');
      expect((await apiPath('cam0')).readers).toHaveLength(1);
      await page.close();
      await waitFor('no readers', async () => (await apiPath('cam0')).readers.length === 0, 20_000);
    });
  }

  it('drops a reader whose link goes down (no RTCP for the reader timeout)', async () => {
    const page = await browser.newPage();
    await page.goto(playerPage.url);
    expect((await play(page, `http://${host.nsAddress}:8889/cam0/whep`)).status).toBe(201);
    await waitFor('frames decoded', async () => (await playerStats(page)).framesDecoded > 0);
    await host.linkDown();
    try {
      // The API is on the namespace's loopback, so it still answers with the link down.
      await waitFor('reader dropped', async () => (await apiPath('cam0')).readers.length === 0, 25_000, 500);
    } finally {
      await host.linkUp();
      await page.close();
    }
  });
});

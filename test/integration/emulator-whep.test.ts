// The emulated R58's cameras in headless Chromium over WHEP, as a producer's console will see them: the media
// crosses the emulated device link, over UDP and over ICE-TCP on the one port MediaMTX offers for it.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  play,
  playerStats,
  servePlayerPage,
  stopPlayer,
  waitFor,
} from '../fixtures/media-server/harness.js';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';

const ok = await emulatorAvailable();

let emu: Emulator;
let browser: Browser;
let player: { url: string; close(): Promise<void> };

beforeAll(async () => {
  if (!ok) return;
  [emu, browser, player] = await Promise.all([
    startEmulator({ cameras: 2 }),
    launchChromium(),
    servePlayerPage(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await player?.close();
  await emu?.stop();
});

async function playing(page: Page, transport: 'any' | 'tcp'): Promise<void> {
  // The recorder brings the cameras up after start; WHEP answers 404 until cam0 publishes.
  await waitFor(
    'cam0 answers WHEP',
    async () => {
      const r = await play(page, `${emu.ready.whep}/cam0/whep`, transport);
      if (r.status === 201) return true;
      await stopPlayer(page, 0, false);
      return undefined;
    },
    60_000,
  );
}

describe.skipIf(!ok)('emulated R58 cameras in Chromium over WHEP', () => {
  it('plays cam0 over UDP with decoded frames rising', async () => {
    const page = await browser.newPage();
    await page.goto(player.url);
    await playing(page, 'any');
    const first = await waitFor('frames decoded', async () => {
      const s = await playerStats(page);
      return s.framesDecoded > 0 ? s : undefined;
    });
    expect(first.pair?.remoteAddress).toBe(new URL(emu.ready.whep).hostname);
    await waitFor('more frames', async () =>
      (await playerStats(page)).framesDecoded > first.framesDecoded + 10 ? true : undefined,
    );
    await page.close();
  });

  it('plays cam0 over ICE-TCP only, on the port the device offers for it', async () => {
    const page = await browser.newPage();
    await page.goto(player.url);
    await playing(page, 'tcp');
    const stats = await waitFor('frames decoded over TCP', async () => {
      const s = await playerStats(page);
      return s.framesDecoded > 0 ? s : undefined;
    });
    expect(stats.pair).toMatchObject({ localProtocol: 'tcp', remoteProtocol: 'tcp', remotePort: 8189 });
    await page.close();
  });

  it('link down stops the picture; link up lets a new session play again', async () => {
    const page = await browser.newPage();
    await page.goto(player.url);
    await playing(page, 'any');
    await waitFor('frames decoded', async () =>
      (await playerStats(page)).framesDecoded > 0 ? true : undefined,
    );
    await emu.control.linkDown();
    try {
      // Frames stop: two readings a second apart no longer differ.
      await waitFor('frames to stop', async () => {
        const a = (await playerStats(page)).framesDecoded;
        await new Promise((r) => setTimeout(r, 1000));
        return (await playerStats(page)).framesDecoded === a ? true : undefined;
      });
    } finally {
      await emu.control.linkUp();
    }
    await stopPlayer(page, 0, false);
    await playing(page, 'any');
    await waitFor('frames after link up', async () =>
      (await playerStats(page)).framesDecoded > 0 ? true : undefined,
    );
    await page.close();
  });
});

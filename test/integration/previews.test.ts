// Live previews through the console, against the emulated R58: `previews.list` picks direct or the SSH tunnel, and a
// real WebRTC client (werift) plays a camera through the web server's WHEP proxy on both routes, over ICE-TCP in the
// tunnel. DELETE through the proxy ends the reader on the device; offline and unknown paths pass their status on.
import { promises as fs, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type { PreviewList, Reply } from '../../src-main/contract/index.js';
import { Console } from '../../src-main/core/console.js';
import { ICE_TCP_HINT } from '../../src-main/core/previews/mediamtx-config.js';
import { listCandidates } from '../../src-main/core/previews/sdp-candidates.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { DEMO_DEVICE, seedDemoDevice } from '../../src-main/demo.js';
import { startWebServer, type WebServer } from '../../src-main/web/web-server.js';
import {
  emulatorAvailable,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from '../../src-main/emulator/index.js';
import {
  launchChromium,
  play as playInPage,
  playerStats,
  stopPlayer,
} from '../fixtures/media-server/harness.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();

/** A console connected to an emulated R58, with the web server in front (the fixture takes no emulator options). */
interface Rig {
  emu: Emulator;
  core: Console;
  deviceId: string;
  web: WebServer;
  base: string;
  headers: Record<string, string>;
  rendererDir: string;
  stop(): Promise<void>;
}

async function startRig(emuOpts: EmulatorOptions): Promise<Rig> {
  const emu = await startEmulator(emuOpts);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-previews-'));
  try {
    await seedDemoDevice(path.join(dir, 'data'), emu);
    const core = await Console.open({
      dataDir: path.join(dir, 'data'),
      shell: 'web',
      secrets: new MemorySecretStore(),
      version: 'test',
      knownHostsFiles: [],
      reconnect: { baseMs: 200, maxMs: 1000 },
    });
    const device = core.store.devices().find((d) => d.name === DEMO_DEVICE);
    if (!device) throw new Error('the demo device was not added');
    await core.invoke('devices.connect', { id: device.id }, { owner: 'test' });
    await core.connections.waitFor(device.id, ['connected'], 30_000);
    mkdirSync(path.join(dir, 'renderer'));
    writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>Tally</title>');
    const web = await startWebServer({
      console: core,
      rendererDir: path.join(dir, 'renderer'),
      host: '127.0.0.1',
      port: 0,
    });
    const base = `http://127.0.0.1:${web.port}`;
    return {
      emu,
      core,
      deviceId: device.id,
      web,
      base,
      headers: { cookie: `tally_token=${web.token}`, origin: base },
      rendererDir: path.join(dir, 'renderer'),
      async stop() {
        await web.close();
        await core.close();
        await emu.stop();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await emu.stop();
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

let rig: Rig;
const figures: string[] = [];

beforeAll(async () => {
  if (!ok) return;
  rig = await startRig({ cameras: 2, h265Cameras: ['cam1'] });
}, 120_000);

afterAll(async () => {
  if (figures.length) console.log(`previews: ${figures.join('; ')}`);
  await rig?.stop();
});

async function call<T>(r: Rig, name: string, input: unknown): Promise<T> {
  const reply: Reply = await r.core.invoke(name, input, { owner: 'test' });
  if (!reply.ok) throw new Error(`${name}: ${reply.error.message}`);
  return reply.result as T;
}

function list(route?: 'direct' | 'tunnel', r: Rig = rig): Promise<PreviewList> {
  return call<PreviewList>(r, 'previews.list', { deviceId: r.deviceId, ...(route ? { route } : {}) });
}

interface Playing {
  status: number;
  answer: string;
  location: string | null;
  route: string | null;
  firstRtpMs: Promise<number>;
  packets(): number;
  close(): Promise<void>;
}

async function play(whepUrl: string, tcp: boolean, r: Rig = rig): Promise<Playing> {
  const h264 = new RTCRtpCodecParameters({
    mimeType: 'video/H264',
    clockRate: 90000,
    rtcpFeedback: [],
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  });
  const pc = new RTCPeerConnection({ codecs: { video: [h264] }, iceUseTcp: tcp });
  pc.addTransceiver('video', { direction: 'recvonly' });
  let packets = 0;
  const started = Date.now();
  const firstRtpMs = new Promise<number>((resolve) =>
    pc.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe(() => {
        if (packets++ === 0) resolve(Date.now() - started);
      }),
    ),
  );
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(`${r.base}${whepUrl}`, {
    method: 'POST',
    headers: { ...r.headers, 'content-type': 'application/sdp' },
    body: pc.localDescription?.sdp,
  });
  const answer = await res.text();
  if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return {
    status: res.status,
    answer,
    location: res.headers.get('location'),
    route: res.headers.get('x-tally-route'),
    firstRtpMs,
    packets: () => packets,
    close: () => pc.close(),
  };
}

async function readers(pathName: string): Promise<number | null> {
  return (await list()).sources.find((s) => s.path === pathName)?.readers ?? null;
}

describe.skipIf(!ok)('previews through the console', () => {
  it('lists the paths and reaches the emulator directly at its own address (SSH goes through a loopback proxy)', async () => {
    const l = await until(
      'cam0 online',
      async () => {
        const r = await list();
        return r.sources.find((s) => s.path === 'cam0')?.online ? r : undefined;
      },
      60_000,
    );
    expect(l.reach.route).toBe('direct');
    expect(l.reach.detail).toContain(new URL(rig.emu.ready.whep).hostname);
    const cam0 = l.sources.find((s) => s.path === 'cam0');
    expect(cam0).toMatchObject({
      codec: 'H264',
      webrtcPlayable: true,
      whepUrl: `/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`,
      program: false,
    });
    expect(l.sources.find((s) => s.path === 'program')?.program).toBe(true);
  });

  it('plays cam0 directly through the proxy; DELETE through the proxy ends the reader on the device', async () => {
    const p = await play(`/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`, false);
    try {
      expect(p.status).toBe(201);
      expect(p.route).toBe('direct');
      expect(p.location).toMatch(new RegExp(`^/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep/`));
      const ms = await p.firstRtpMs;
      figures.push(`direct first RTP ${ms} ms`);
      await until('reader listed', async () => ((await readers('cam0')) === 1 ? true : undefined));
      const del = await fetch(`${rig.base}${p.location ?? ''}`, { method: 'DELETE', headers: rig.headers });
      expect(del.status).toBe(200);
      await until('reader gone', async () => ((await readers('cam0')) === 0 ? true : undefined));
    } finally {
      await p.close();
    }
  });

  it('an offline path gives 404 and an unknown one the device’s own refusal, with MediaMTX’s body', async () => {
    const offlinePath = (await list()).sources.find((src) => !src.online)?.path ?? 'program';
    const offline = await play(`/previews/${encodeURIComponent(rig.deviceId)}/${offlinePath}/whep`, false);
    await offline.close();
    expect(offline.status).toBe(404);
    expect(offline.answer).toContain(`no stream is available on path '${offlinePath}'`);
    const unknown = await play(`/previews/${encodeURIComponent(rig.deviceId)}/nope/whep`, false);
    await unknown.close();
    expect([400, 404]).toContain(unknown.status);
    expect(unknown.answer).toContain('nope');
    const noDevice = await fetch(`${rig.base}/previews/no-such-device/cam0/whep`, {
      method: 'POST',
      headers: { ...rig.headers, 'content-type': 'application/sdp' },
      body: 'v=0\r\n',
    });
    expect(noDevice.status).toBe(404);
  });

  it('H.265: listed as not playable over WebRTC, WHEP refuses it with 400 and why, HLS carries it', async () => {
    const cam1 = await until(
      'cam1 online in H.265',
      async () => (await list()).sources.find((src) => src.path === 'cam1' && src.online),
      60_000,
    );
    expect(cam1).toMatchObject({ codec: 'H265', webrtcPlayable: false });
    expect(cam1.reason).toContain('H.265 does not play over WebRTC');
    const refused = await play(cam1.whepUrl, false);
    await refused.close();
    expect(refused.status).toBe(400);
    const body = JSON.parse(refused.answer) as { error: string; detail: string };
    expect(body.error).toMatch(/supported codec/);
    expect(body.detail).toMatch(/H\.265/);
    const playlist = await until(
      'cam1 HLS playlist',
      async () => {
        const res = await fetch(`${rig.base}${cam1.hlsUrl}`, { headers: rig.headers });
        const text = await res.text();
        return res.status === 200 ? text : undefined;
      },
      30_000,
    );
    expect(playlist).toContain('#EXTM3U');
  });

  it('refuses a WHEP POST from another origin or without the token', async () => {
    const url = `${rig.base}/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`;
    const foreign = await fetch(url, {
      method: 'POST',
      headers: { ...rig.headers, origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const anonymous = await fetch(url, { method: 'POST', headers: { origin: rig.base } });
    expect(anonymous.status).toBe(401);
  });

  it('through the SSH tunnel: the answer points at the local ICE-TCP forward only, and RTP arrives', async () => {
    const l = await list('tunnel');
    expect(l.reach.route).toBe('tunnel');
    expect(l.reach.detail).toMatch(/through SSH/i);
    const p = await play(`/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`, true);
    try {
      expect(p.status).toBe(201);
      expect(p.route).toBe('tunnel');
      const candidates = listCandidates(p.answer);
      expect(candidates.length).toBeGreaterThan(0);
      for (const c of candidates)
        expect(c).toMatchObject({ transport: 'tcp', address: '127.0.0.1', tcptype: 'passive' });
      const ms = await p.firstRtpMs;
      figures.push(`tunnel first RTP ${ms} ms`);
      const del = await fetch(`${rig.base}${p.location ?? ''}`, { method: 'DELETE', headers: rig.headers });
      expect(del.status).toBe(200);
      await until('reader gone', async () => ((await readers('cam0')) === 0 ? true : undefined));
    } finally {
      await p.close();
    }
    // Back to choosing by itself: the emulator's address answers, so direct again.
    expect((await list()).reach.route).toBe('direct');
  });

  it('media ports closed, SSH open: the console falls back to the tunnel by itself and RTP still arrives', async () => {
    expect((await list()).reach.route).toBe('direct');
    await rig.emu.control.blockMedia();
    try {
      // A session started before anyone lists again: the proxy gives up on direct by itself.
      const early = await play(`/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`, true);
      try {
        expect(early.status).toBe(201);
        expect(early.route).toBe('tunnel');
        figures.push(`direct refused mid-use, POST falls back, first RTP ${await early.firstRtpMs} ms`);
        await fetch(`${rig.base}${early.location ?? ''}`, { method: 'DELETE', headers: rig.headers });
      } finally {
        await early.close();
      }
      const l = await list();
      expect(l.reach.route).toBe('tunnel');
      expect(l.reach.detail).toMatch(/^Direct to .* failed; through SSH/);
      const p = await play(`/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`, true);
      try {
        expect(p.status).toBe(201);
        expect(p.route).toBe('tunnel');
        figures.push(`fallback tunnel first RTP ${await p.firstRtpMs} ms`);
        await fetch(`${rig.base}${p.location ?? ''}`, { method: 'DELETE', headers: rig.headers });
      } finally {
        await p.close();
      }
    } finally {
      await rig.emu.control.unblockMedia();
    }
    expect((await list()).reach.route).toBe('direct');
  });

  it('time to first RTP, five joins on each route (printed)', async () => {
    const url = `/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`;
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    for (const route of ['direct', 'tunnel'] as const) {
      await list(route);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await play(url, route === 'tunnel');
        try {
          expect(p.status).toBe(201);
          times.push(await p.firstRtpMs);
          await fetch(`${rig.base}${p.location ?? ''}`, { method: 'DELETE', headers: rig.headers });
        } finally {
          await p.close();
        }
      }
      figures.push(`${route} x5 first RTP median ${median(times)} ms (${times.join(', ')})`);
    }
    await list();
  });

  it('the tunnel survives a dropped link: after the reconnect a new session plays through it again', async () => {
    expect((await list('tunnel')).reach.route).toBe('tunnel');
    await rig.emu.control.linkDown();
    try {
      await rig.core.connections.waitFor(rig.deviceId, ['unreachable', 'connecting'], 30_000);
    } finally {
      await rig.emu.control.linkUp();
    }
    await rig.core.connections.waitFor(rig.deviceId, ['connected'], 30_000);
    const l = await list('tunnel');
    expect(l.reach.route).toBe('tunnel');
    const p = await play(`/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`, true);
    try {
      expect(p.status).toBe(201);
      figures.push(`tunnel after reconnect first RTP ${await p.firstRtpMs} ms`);
      await fetch(`${rig.base}${p.location ?? ''}`, { method: 'DELETE', headers: rig.headers });
    } finally {
      await p.close();
    }
    await list();
  }, 90_000);

  it('web mode on a LAN address: a browser there gets the tunnel’s ICE-TCP on that address, not loopback', async () => {
    const lanHost = rig.emu.device.hostAddress;
    const lanWeb = await startWebServer({
      console: rig.core,
      rendererDir: rig.rendererDir,
      host: lanHost,
      port: 0,
    });
    const lanBase = `http://${lanHost}:${lanWeb.port}`;
    const lan: Rig = {
      ...rig,
      base: lanBase,
      headers: { cookie: `tally_token=${lanWeb.token}`, origin: lanBase },
    };
    try {
      expect((await list('tunnel')).reach.route).toBe('tunnel');
      const p = await play(`/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`, true, lan);
      try {
        expect(p.status).toBe(201);
        const candidates = listCandidates(p.answer);
        expect(candidates.length).toBeGreaterThan(0);
        for (const c of candidates) expect(c).toMatchObject({ transport: 'tcp', address: lanHost });
        figures.push(`tunnel via LAN relay first RTP ${await p.firstRtpMs} ms`);
        await fetch(`${lanBase}${p.location ?? ''}`, { method: 'DELETE', headers: lan.headers });
      } finally {
        await p.close();
      }
    } finally {
      await lanWeb.close();
      await list();
    }
  });

  it('HLS through the proxy plays cam0: playlist, media playlist and an MPEG-TS segment', async () => {
    const cam0 = (await list()).sources.find((s) => s.path === 'cam0');
    const url = `/previews/${encodeURIComponent(rig.deviceId)}/cam0/hls/index.m3u8`;
    expect(cam0?.hlsUrl).toBe(url);
    const get = (p: string): Promise<Response> => fetch(`${rig.base}${p}`, { headers: rig.headers });
    // The device starts its HLS muxer on the first request and answers 404 until the first segment is cut.
    const index = await until(
      'cam0 HLS playlist',
      async () => {
        const res = await get(url);
        return res.status === 200 ? res : undefined;
      },
      40_000,
      500,
    );
    expect(index.headers.get('x-tally-route')).toBe('direct');
    expect(index.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const text = await index.text();
    expect(text).toMatch(/^#EXTM3U/);
    expect(text).toMatch(/#EXT-X-STREAM-INF:.*CODECS="avc1\./);
    // hls.js resolves what the playlists name against their own URL: through the proxy too.
    const dir = url.slice(0, url.lastIndexOf('/') + 1);
    const mediaName = text.split('\n').find((l) => l.endsWith('.m3u8'));
    const media = await get(`${dir}${mediaName ?? ''}`);
    expect(media.status).toBe(200);
    const playlist = await media.text();
    const segmentName = playlist.split('\n').find((l) => l.endsWith('.ts'));
    expect(segmentName).toBeTruthy();
    const segment = await get(`${dir}${segmentName ?? ''}`);
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
    const bytes = new Uint8Array(await segment.arrayBuffer());
    // MPEG-TS: 188-byte packets, each starting with the sync byte 0x47.
    expect(bytes.length).toBeGreaterThan(188);
    expect(bytes[0]).toBe(0x47);
    expect(bytes[188]).toBe(0x47);
  });
});

describe.skipIf(!ok)('previews through the console in Chromium', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    // The media tests' player page, served by the console's web server: its script as a file, for the CSP.
    const html = readFileSync(new URL('../fixtures/media-server/whep-player.html', import.meta.url), 'utf8');
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    writeFileSync(path.join(rig.rendererDir, 'player.js'), script);
    writeFileSync(
      path.join(rig.rendererDir, 'player.html'),
      html.replace(/<script>[\s\S]*<\/script>/, '<script src="/player.js"></script>'),
    );
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${rig.base}/player.html?token=${rig.web.token}`);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await list();
  });

  for (const route of ['direct', 'tunnel'] as const) {
    it(`plays cam0 ${route === 'direct' ? 'directly' : 'through the SSH tunnel over ICE-TCP'}: frames decoded`, async () => {
      expect((await list(route)).reach.route).toBe(route);
      const r = await playInPage(
        page,
        `${rig.base}/previews/${encodeURIComponent(rig.deviceId)}/cam0/whep`,
        route === 'tunnel' ? 'tcp' : 'any',
      );
      expect(r.status).toBe(201);
      const stats = await until('frames decoded', async () => {
        const st = await playerStats(page);
        return st.framesDecoded > 0 && st.firstFrameMs !== null ? st : undefined;
      });
      figures.push(`Chromium ${route} first frame ${Math.round(stats.firstFrameMs ?? NaN)} ms`);
      if (route === 'tunnel')
        expect(stats.pair).toMatchObject({
          localProtocol: 'tcp',
          remoteProtocol: 'tcp',
          remoteAddress: '127.0.0.1',
        });
      else expect(stats.pair?.remoteAddress).toBe(new URL(rig.emu.ready.whep).hostname);
      await stopPlayer(page, 0, true);
      await until('reader gone', async () => ((await readers('cam0')) === 0 ? true : undefined));
    });
  }
});

describe.skipIf(!ok)('previews when the device’s MediaMTX offers no ICE-TCP', () => {
  let off: Rig;
  beforeAll(async () => {
    off = await startRig({ cameras: 1, iceTcp: false });
  }, 120_000);
  afterAll(async () => {
    await off?.stop();
  });

  it('says so, names the setting, and the proxy refuses a tunnelled session it could never carry', async () => {
    const l = await until(
      'cam0 online',
      async () => {
        const r = await list('tunnel', off);
        return r.sources.find((src) => src.path === 'cam0')?.online ? r : undefined;
      },
      60_000,
    );
    expect(l.reach).toMatchObject({ route: 'tunnel', iceTcp: false, iceTcpHint: ICE_TCP_HINT });
    expect(l.reach.detail).toContain('offers no ICE-TCP');
    const p = await play(`/previews/${encodeURIComponent(off.deviceId)}/cam0/whep`, true, off);
    await p.close();
    expect(p.status).toBe(502);
    expect(JSON.parse(p.answer)).toMatchObject({ detail: `${ICE_TCP_HINT}.` });
    await until('no reader left on the device', async () => {
      const cam0 = (await list('tunnel', off)).sources.find((src) => src.path === 'cam0');
      return cam0?.readers === 0 ? true : undefined;
    });
  });
});

/**
 * The emulated R58's MediaMTX stand-in (src-main/emulator/media), run as its unit would run it, on host loopback
 * ports: RTSP pushes from gst-launch (TCP, UDP, H.265), the v3 API, WHEP played by headless Chromium over UDP
 * and over ICE-TCP only, errors, the recorder's internal forward, and a 4-camera load measurement (printed).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childPids,
  freePort,
  getPath,
  launchChromium,
  measureCpu,
  play,
  playerStats,
  servePlayerPage,
  sleep,
  startMediaServer,
  startPublisher,
  stopPlayer,
  waitFor,
  type Publisher,
  type RunningMediaServer,
} from '../fixtures/media-server/harness.js';

const H265_ERROR =
  "the stream doesn't contain any supported codec, which are currently AV1, VP9, VP8, H264, Opus, G722, G711";

let server: RunningMediaServer;
let browser: Browser;
let playerPage: { url: string; close(): Promise<void> };
const publishers: Publisher[] = [];

function publish(pathName: string, protocols: 'tcp' | 'udp', codec: 'H264' | 'H265' = 'H264'): Publisher {
  const p = startPublisher(server.ports.rtsp, pathName, { protocols, codec });
  publishers.push(p);
  return p;
}

async function waitOnline(pathName: string, online = true): Promise<void> {
  await waitFor(
    `${pathName} online=${online}`,
    async () => (await getPath(server.apiBase, pathName)).online === online,
  );
}

async function openPlayer(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(playerPage.url);
  return page;
}

beforeAll(async () => {
  server = await startMediaServer();
  browser = await launchChromium();
  playerPage = await servePlayerPage();
});

afterAll(async () => {
  await Promise.allSettled(publishers.map((p) => p.kill()));
  await browser?.close();
  await playerPage?.close();
  await server?.stop();
});

describe('API v3', () => {
  it('lists every configured path, offline, with MediaMTX field names', async () => {
    const res = await fetch(`${server.apiBase}/v3/paths/list`);
    expect(res.status).toBe(200);
    const list = (await res.json()) as {
      pageCount: number;
      itemCount: number;
      items: Record<string, unknown>[];
    };
    expect(list.pageCount).toBe(1);
    expect(list.itemCount).toBe(5);
    expect(list.items.map((i) => i['name'])).toEqual(['cam0', 'cam1', 'cam2', 'cam3', 'program']);
    const cam0 = list.items[0]!;
    for (const key of [
      'confName',
      'source',
      'online',
      'onlineTime',
      'tracks',
      'inboundBytes',
      'outboundBytes',
    ]) {
      expect(cam0).toHaveProperty(key);
    }
    for (const key of ['ready', 'readyTime', 'bytesReceived', 'bytesSent', 'readers'])
      expect(cam0).toHaveProperty(key);
    expect(cam0['online']).toBe(false);
    expect(cam0['source']).toBeNull();
  });

  it('answers 404 JSON for an unknown path, and HLS says 404 too', async () => {
    const res = await fetch(`${server.apiBase}/v3/paths/get/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'path not found' });
    const hls = await fetch(`http://127.0.0.1:${server.ports.hls}/cam0/index.m3u8`);
    expect(hls.status).toBe(404);
    expect(((await hls.json()) as { error: string }).error).toMatch(/no stream is available on path 'cam0'/);
  });
});

describe('RTSP ingest', () => {
  it('takes an rtspclientsink push over TCP: online, H264 640x360, inbound bytes growing', async () => {
    publish('cam0', 'tcp');
    await waitOnline('cam0');
    const first = await getPath(server.apiBase, 'cam0');
    expect(first.tracks).toEqual(['H264']);
    expect(first.source?.type).toBe('rtspSession');
    expect(first.ready).toBe(true);
    await waitFor(
      'cam0 format',
      async () => (await getPath(server.apiBase, 'cam0')).tracks2[0]?.codecProps.width,
    );
    const withFormat = await getPath(server.apiBase, 'cam0');
    expect(withFormat.tracks2[0]?.codecProps).toMatchObject({ width: 640, height: 360 });
    const before = withFormat.inboundBytes;
    await sleep(1000);
    const after = await getPath(server.apiBase, 'cam0');
    expect(after.inboundBytes).toBeGreaterThan(before);
    expect(after.bytesReceived).toBe(after.inboundBytes);
  });

  it('takes a push over UDP (as the R58 recorder does); stopping it makes the path offline, a new push works', async () => {
    const first = publish('cam1', 'udp');
    await waitOnline('cam1');
    const id1 = (await getPath(server.apiBase, 'cam1')).source?.id;
    await first.stop();
    await waitOnline('cam1', false);
    const second = publish('cam1', 'udp');
    await waitOnline('cam1');
    const id2 = (await getPath(server.apiBase, 'cam1')).source?.id;
    expect(id2).not.toBe(id1);
    // a publisher that dies without TEARDOWN: its RTSP connection closes, and that is enough
    await second.kill();
    await waitOnline('cam1', false);
    publish('cam1', 'udp');
    await waitOnline('cam1');
  });

  it('kicks a publisher through the API as MediaMTX does: 200 and the path offline at once; 404 and 400 otherwise', async () => {
    const publisher = publish('program', 'tcp');
    await waitOnline('program');
    const id = (await getPath(server.apiBase, 'program')).source!.id;
    const kick = (sessionId: string) =>
      fetch(`${server.apiBase}/v3/rtspsessions/kick/${sessionId}`, { method: 'POST' });
    const kicked = await kick(id);
    expect([kicked.status, await kicked.text()]).toEqual([200, '']);
    expect((await getPath(server.apiBase, 'program')).online).toBe(false);
    const sessions = (await (await fetch(`${server.apiBase}/v3/rtspsessions/list`)).json()) as {
      items: { id: string }[];
    };
    expect(sessions.items.map((x) => x.id)).not.toContain(id);
    expect((await kick(id)).status).toBe(404);
    expect((await kick('not-a-uuid')).status).toBe(400);
    // rtspclientsink only warns that the server closed the connection, and stays
    await publisher.kill();
  });

  it('takes H.265, and WHEP refuses it with 400 as MediaMTX does', async () => {
    publish('cam2', 'tcp', 'H265');
    await waitOnline('cam2');
    expect((await getPath(server.apiBase, 'cam2')).tracks).toEqual(['H265']);
    const page = await openPlayer();
    const result = await play(page, `${server.whepBase}/cam2/whep`);
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body)).toEqual({ error: H265_ERROR });
    await page.close();
  });
});

describe('WHEP errors and headers', () => {
  const offer = [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':'),
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'c=IN IP4 0.0.0.0',
    'a=mid:0',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=setup:actpass',
    'a=recvonly',
    'a=rtcp-mux',
    'a=rtpmap:96 H264/90000',
    'a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    '',
  ].join('\r\n');

  const post = (pathName: string, body: string, type = 'application/sdp'): Promise<Response> =>
    fetch(`${server.whepBase}/${pathName}/whep`, { method: 'POST', headers: { 'Content-Type': type }, body });

  it('404 with MediaMTX wording when nobody publishes; 400 for a path that is not configured', async () => {
    const offline = await post('cam3', offer);
    expect(offline.status).toBe(404);
    expect(await offline.json()).toEqual({ error: "no stream is available on path 'cam3'" });
    expect(offline.headers.get('access-control-allow-origin')).toBe('*');
    const unknown = await post('nope', offer);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: "path 'nope' is not configured" });
  });

  it('400 for garbage, a wrong content type, a huge body and an offer without H264, and keeps running', async () => {
    await waitOnline('cam0');
    for (const [body, type] of [
      ['hello', 'application/sdp'],
      ['v=0\r\nthis is not sdp\r\n', 'application/sdp'],
      [offer, 'text/plain'],
      ['v=0\r\n' + 'a=x:'.padEnd(2_000_000, 'y') + '\r\n', 'application/sdp'],
      [offer.replace(/H264/g, 'VP8'), 'application/sdp'],
      [offer.replace(/a=fingerprint:.*\r\n/, ''), 'application/sdp'],
    ] as const) {
      const res = await post('cam0', body, type);
      expect(res.status, body.slice(0, 30)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
    const raw = await fetch(`${server.whepBase}/cam0/whep`, {
      method: 'POST',
      body: new Uint8Array([0, 255, 1]),
    });
    expect(raw.status).toBe(400);
    expect((await fetch(`${server.apiBase}/v3/paths/list`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });

  it('answers CORS preflight and method errors like MediaMTX', async () => {
    const pre = await fetch(`${server.whepBase}/cam0/whep`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(pre.headers.get('access-control-allow-headers')).toContain('Content-Type');
    expect((await fetch(`${server.whepBase}/cam0/whep`)).status).toBe(405);
    const badSecret = await fetch(`${server.whepBase}/cam0/whep/xyz`, { method: 'DELETE' });
    expect(badSecret.status).toBe(400);
    const gone = await fetch(`${server.whepBase}/cam0/whep/00000000-0000-4000-8000-000000000000`, {
      method: 'DELETE',
    });
    expect(gone.status).toBe(404);
  });
});

describe('WHEP in Chromium', () => {
  it('plays over UDP: answer headers, frames decoded, one reader while playing, none after DELETE', async () => {
    await waitOnline('cam0');
    const page = await openPlayer();
    const result = await play(page, `${server.whepBase}/cam0/whep`);
    expect(result.status).toBe(201);
    expect(result.location).toMatch(/^\/cam0\/whep\/[0-9a-f-]{36}$/);
    expect(result.answerCandidates.some((c) => / udp .* typ host/.test(c))).toBe(true);
    expect(
      result.answerCandidates.some(
        (c) => c.includes(`tcp`) && c.includes(` ${server.ports.iceTcp} typ host tcptype passive`),
      ),
    ).toBe(true);
    expect(result.answerCandidates.some((c) => /tcptype active/.test(c))).toBe(false);

    const stats = await waitFor('frames decoded', async () => {
      const s = await playerStats(page);
      return s.framesDecoded > 0 && s.firstFrameMs !== null ? s : undefined;
    });
    expect(stats.pair?.localProtocol).toBe('udp');
    console.log(`[media] WHEP over UDP: first frame ${stats.firstFrameMs?.toFixed(0)} ms after POST`);
    expect((await getPath(server.apiBase, 'cam0')).readers).toEqual([
      expect.objectContaining({ type: 'webRTCSession' }),
    ]);
    const sessions = (await (await fetch(`${server.apiBase}/v3/webrtcsessions/list`)).json()) as {
      items: { peerConnectionEstablished: boolean; path: string }[];
    };
    expect(sessions.items).toEqual([
      expect.objectContaining({ peerConnectionEstablished: true, path: 'cam0' }),
    ]);
    // After the keyframe-cache burst the reader waits for the next keyframe (up to one GOP, 1 s), so poll.
    const before = (await getPath(server.apiBase, 'cam0')).outboundBytes;
    await waitFor(
      'outbound bytes growing',
      async () => (await getPath(server.apiBase, 'cam0')).outboundBytes > before || undefined,
      5000,
    );

    expect(await stopPlayer(page, 0, true)).toBe(200);
    await waitFor(
      'no readers',
      async () => (await getPath(server.apiBase, 'cam0')).readers.length === 0,
      5000,
    );
    await page.close();
  });

  it('plays over ICE-TCP only (UDP candidates removed on both sides); closing the page drops the reader', async () => {
    await waitOnline('cam0');
    const page = await openPlayer();
    const result = await play(page, `${server.whepBase}/cam0/whep`, 'tcp');
    expect(result.status).toBe(201);
    const stats = await waitFor('frames decoded over TCP', async () => {
      const s = await playerStats(page);
      return s.framesDecoded > 0 && s.firstFrameMs !== null ? s : undefined;
    });
    expect(stats.pair).toMatchObject({
      localProtocol: 'tcp',
      remoteProtocol: 'tcp',
      remotePort: server.ports.iceTcp,
    });
    console.log(`[media] WHEP over ICE-TCP: first frame ${stats.firstFrameMs?.toFixed(0)} ms after POST`);
    expect((await getPath(server.apiBase, 'cam0')).readers).toHaveLength(1);
    await page.close();
    await waitFor(
      'no readers',
      async () => (await getPath(server.apiBase, 'cam0')).readers.length === 0,
      15_000,
    );
  });

  it('trickle PATCH is accepted (204) and checked (400, 404)', async () => {
    await waitOnline('cam0');
    const page = await openPlayer();
    const result = await play(page, `${server.whepBase}/cam0/whep`);
    expect(result.status).toBe(201);
    const url = `${server.whepBase}${result.location ?? ''}`;
    const frag =
      'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n';
    const ok = await fetch(url, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
      body: frag,
    });
    expect(ok.status).toBe(204);
    const wrongType = await fetch(url, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/sdp' },
      body: frag,
    });
    expect(wrongType.status).toBe(400);
    const gone = await fetch(`${server.whepBase}/cam0/whep/00000000-0000-4000-8000-000000000000`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
      body: frag,
    });
    expect(gone.status).toBe(404);
    await stopPlayer(page, 0, true);
    await page.close();
  });

  it('closes readers when the publisher goes away (as MediaMTX does)', async () => {
    const p = publish('cam3', 'tcp');
    await waitOnline('cam3');
    const page = await openPlayer();
    expect((await play(page, `${server.whepBase}/cam3/whep`)).status).toBe(201);
    await waitFor('frames', async () => (await playerStats(page)).framesDecoded > 0);
    await p.stop();
    await waitOnline('cam3', false);
    expect((await getPath(server.apiBase, 'cam3')).readers).toEqual([]);
    await page.close();
  });
});

describe('internal forward for the recorder', () => {
  it('sends the path RTP to a local port, starting at a keyframe, recordable to MP4', async () => {
    await waitOnline('cam0');
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-forward-'));
    const file = path.join(dir, 'rec.mp4');
    const caps = 'application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=96';
    const recorder = spawn(
      'gst-launch-1.0',
      [
        '-e',
        '-v',
        'udpsrc',
        `port=${port}`,
        `caps=${caps}`,
        '!',
        'rtph264depay',
        '!',
        'h264parse',
        '!',
        'mp4mux',
        '!',
        'filesink',
        `location=${file}`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    recorder.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => recorder.once('exit', () => resolve()));
    try {
      await sleep(500);
      const body = JSON.stringify({ path: 'cam0', port });
      const add = await fetch(`${server.apiBase}/internal/forward`, { method: 'POST', body });
      expect(add.status).toBe(201);
      expect((await getPath(server.apiBase, 'cam0')).readers).toContainEqual(
        expect.objectContaining({ type: 'rtspSession' }),
      );
      await sleep(3000);
      const del = await fetch(`${server.apiBase}/internal/forward`, { method: 'DELETE', body });
      expect(del.status).toBe(200);
      expect((await fetch(`${server.apiBase}/internal/forward`, { method: 'DELETE', body })).status).toBe(
        404,
      );
      recorder.kill('SIGINT');
      await exited;
      expect(out).toMatch(/video\/x-h264.*width=\(int\)640, height=\(int\)360/);
      expect(statSync(file).size).toBeGreaterThan(50_000);
      expect(readFileSync(file).includes(Buffer.from('moov'))).toBe(true);
      const bad = await fetch(`${server.apiBase}/internal/forward`, {
        method: 'POST',
        body: '{"path":"cam0"}',
      });
      expect(bad.status).toBe(400);
    } finally {
      recorder.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RTSP playback', () => {
  it('plays a path to rtspsrc over TCP-interleaved as an rtspSession reader; 404 offline; closed when the publisher leaves', async () => {
    const reader = (pathName: string, frames?: number): ReturnType<typeof spawn> =>
      spawn(
        'gst-launch-1.0',
        [
          '-v',
          'rtspsrc',
          `location=rtsp://127.0.0.1:${server.ports.rtsp}/${pathName}`,
          'protocols=tcp',
          'latency=100',
          '!',
          'rtph264depay',
          '!',
          'h264parse',
          '!',
          'avdec_h264',
          '!',
          'fakesink',
          ...(frames ? [`num-buffers=${frames}`] : []),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
    const run = (pathName: string): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const child = reader(pathName, 30);
        let out = '';
        child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });

    const p = publish('cam1', 'tcp');
    await waitOnline('cam1');
    const played = await run('cam1');

    expect(played.out).toMatch(/Got EOS from element/);
    expect(played.out).toMatch(/video\/x-raw.*width=\(int\)640, height=\(int\)360/);
    expect(played.code).toBe(0);

    const offline = await run('program');
    expect(offline.code).not.toBe(0);
    expect(offline.out).toMatch(/Not Found/);

    const long = reader('cam1');
    let longOut = '';
    long.stdout?.on('data', (d: Buffer) => (longOut += d.toString()));
    long.stderr?.resume();
    const ended = new Promise<number | null>((resolve) => long.once('exit', (code) => resolve(code)));
    try {
      await waitFor('an rtspSession reader on cam1', async () =>
        (await getPath(server.apiBase, 'cam1')).readers.some((r) => r.type === 'rtspSession')
          ? true
          : undefined,
      );
      // Decoding (a connection closed before the first frame is only a warning to rtspsrc, which then waits).
      await waitFor('frames decoded from cam1', () =>
        /avdec_h264.*src: caps/.test(longOut) ? true : undefined,
      );
      await p.stop();
      await waitOnline('cam1', false);
      // rtspsrc takes the closed connection for the end of the stream.
      expect(await ended).toBe(0);
      expect((await getPath(server.apiBase, 'cam1')).readers).toEqual([]);
    } finally {
      long.kill('SIGKILL');
    }
    // The load test below counts on cam1 being live.
    publish('cam1', 'tcp');
    await waitOnline('cam1');
  }, 120_000);
});

describe('load (measured, not asserted)', () => {
  it('4 pushed 640x360@30 streams with one Chromium reader each: time to first frame and CPU', async () => {
    const names = ['cam0', 'cam1', 'cam2', 'cam3'];
    // cam0 and cam1 are already live from earlier tests; cam2 carries H.265, so replace it, and start cam3.
    publish('cam2', 'udp');
    publish('cam3', 'udp');
    await waitFor('cam2 is H264', async () => (await getPath(server.apiBase, 'cam2')).tracks[0] === 'H264');
    for (const name of names) await waitOnline(name);
    await sleep(1500);
    const idle = await measureCpu([server.pid, ...childPids(server.pid)], 5000);

    const page = await openPlayer();
    const firstFrames: number[] = [];
    for (const [slot, name] of names.entries()) {
      expect((await play(page, `${server.whepBase}/${name}/whep`, 'any', slot)).status).toBe(201);
    }
    for (const slot of names.keys()) {
      const s = await waitFor(`frames on slot ${slot}`, async () => {
        const st = await playerStats(page, slot);
        return st.firstFrameMs !== null ? st : undefined;
      });
      firstFrames.push(s.firstFrameMs ?? NaN);
    }
    await sleep(1500);
    const pids = [server.pid, ...childPids(server.pid)];
    const busy = await measureCpu(pids, 10_000);
    for (const slot of names.keys()) expect((await playerStats(page, slot)).framesDecoded).toBeGreaterThan(0);
    const fmt = (m: Map<number, number>): string =>
      [...m.entries()]
        .map(([pid, pct]) => `${pid === server.pid ? 'node' : 'python'} ${pct.toFixed(1)}%`)
        .join(', ');
    console.log(
      `[media] 4 streams, 4 readers: first frame ${firstFrames.map((t) => t.toFixed(0)).join('/')} ms; ` +
        `CPU ingest only: ${fmt(idle)}; with readers: ${fmt(busy)} (of one core, ${os.cpus().length} cores)`,
    );
    await page.close();
  });
});

describe('service behaviour', () => {
  it('exits 0 on SIGTERM and takes its Python child with it', async () => {
    const own = await startMediaServer();
    const kids = childPids(own.pid);
    expect(kids.length).toBeGreaterThan(0);
    expect(await own.stop()).toBe(0);
    for (const pid of kids) {
      await waitFor(
        `child ${pid} gone`,
        () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        5000,
      );
    }
  });
});

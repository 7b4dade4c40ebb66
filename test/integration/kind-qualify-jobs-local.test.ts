/**
 * The qualification jobs' shell, run for real on this machine (dash, a home folder of its own): fake camera
 * processes for seed 004's CPU test, a local HTTP server streaming a small MPEG-TS for seed 003's transcode test.
 * What the emulated boxes check end to end, here in seconds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadAnyProfile,
  type TranscoderProfile,
  type VmsProfile,
} from '../../src-main/core/device/profile.js';
import { qualifyMeta } from '../../src-main/core/kind-qualify/kind-qualify-service.js';
import { cpuJobScript, transcodeJobScript } from '../../src-main/core/kind-qualify/qualify-job.js';
import { parseKindQualifyOutput } from '../../src-main/core/kind-qualify/qualify-report.js';

const tools = ['dash', 'flock', 'pgrep', 'ffmpeg', 'ffprobe', 'curl'].every(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
);

function runJob(text: string, home: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('dash', ['-s'], {
      env: { ...process.env, HOME: home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
    child.stdin.end(text);
  });
}

const base = { deviceId: 'd1', device: 'box', who: 'test', startedAt: new Date().toISOString() };

describe.skipIf(!tools)('qualification jobs on this machine', () => {
  let home: string;
  const cams: ChildProcess[] = [];

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-kq-'));
  });
  afterAll(async () => {
    for (const c of cams) c.kill('SIGKILL');
    await fs.rm(home, { recursive: true, force: true });
  });

  it('seed 004’s CPU test: finds the cameras from the processes’ arguments, records the baseline on the first run, compares on the next', async () => {
    const dir = path.join(home, 'rec');
    // Stand-ins for the cameras' ffmpeg: a shell whose arguments carry the segment pattern (and a live URL), forking
    // a hundred times a second so it always takes some CPU.
    const proc = 'dash';
    for (const cam of ['camA', 'camB'])
      cams.push(
        spawn(
          proc,
          [
            '-c',
            'while :; do sleep 0.01; done',
            `${dir}/${cam}_%Y%m%d_%H%M%S.mp4`,
            `rtsp://127.0.0.1:8554/live/${cam}`,
          ],
          {
            stdio: 'ignore',
          },
        ),
      );
    await new Promise((r) => setTimeout(r, 300));
    const vms = loadAnyProfile('vms') as VmsProfile;
    const profile: VmsProfile = {
      ...vms,
      cameras: { process: proc },
      recordings: { ...vms.recordings, dir },
      cpu: { ...vms.cpu, samples: 2, everyS: 1, budgetPerCameraPercent: 50, tolerance: 10 },
    };
    const run = async (id: string, newBaseline: boolean) => {
      const r = await runJob(
        cpuJobScript({ jobId: id, profile, newBaseline, leaseInfo: `id=${id}` }).text,
        home,
      );
      return parseKindQualifyOutput(r.out, qualifyMeta(profile, { ...base, id }, null), r.code);
    };
    const first = await run('kindqualify-first-000001', false);
    expect(first.outcome, first.summary + first.log.join('\n')).toBe('passed');
    expect(first.cpu?.cameras).toEqual(['camA', 'camB']);
    expect(first.cpu?.samples).toHaveLength(2);
    expect(first.cpu?.samples.every((s) => s.total !== null)).toBe(true);
    expect(first.cpu?.recordedBaseline).toBe(true);
    expect(first.summary).toMatch(/This run recorded the box’s baseline/);
    const kept = JSON.parse(await fs.readFile(path.join(home, '.tally', 'baseline-vms.json'), 'utf8')) as {
      perCamera: Record<string, number>;
      samples: number;
    };
    expect(Object.keys(kept.perCamera)).toEqual(['camA', 'camB']);
    expect(kept.samples).toBe(2);

    const second = await run('kindqualify-second-00001', false);
    expect(second.cpu?.recordedBaseline).toBe(false);
    expect(second.cpu?.baseline?.perCamera).toEqual(kept.perCamera);
    expect(second.checks.find((c) => c.id === 'total')?.limit).toMatch(/^≤ .* \(baseline .* \+ 1000 %\)$/);

    // A baseline far below what the cameras take: the comparison fails, naming it.
    await fs.writeFile(
      path.join(home, '.tally', 'baseline-vms.json'),
      JSON.stringify({
        recordedAt: 'x',
        totalPercent: 0.01,
        perCamera: { camA: 0.01, camB: 0.01 },
        samples: 2,
        everyS: 1,
      }),
    );
    const tight = await run('kindqualify-third-000001', false);
    expect(tight.outcome).toBe('failed');
    expect(tight.checks.find((c) => c.id === 'total')?.limit).toBe('≤ 0.1 % (baseline 0.0 % + 1000 %)');
  }, 30_000);

  it('seed 003’s transcode test: reads the stream unbuffered until its time limit, probes the capture', async () => {
    const ts = path.join(home, 'src.ts');
    const made = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x90:rate=25',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '6',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-f',
      'mpegts',
      ts,
    ]);
    expect(made.status, made.stderr.toString()).toBe(0);
    const data = await fs.readFile(ts);
    // Serves the file at 2× real time (6 s of media over 3 s), in small pieces, like a transcoder ahead of real time.
    const server = http.createServer((req, res) => {
      if (!req.url?.startsWith('/transcode?source_url=')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      let at = 0;
      const step = Math.ceil(data.length / 30);
      const timer = setInterval(() => {
        if (at >= data.length) return;
        res.write(data.subarray(at, at + step));
        at += step;
      }, 100);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const id = 'kindqualify-transcode-0001';
      const transcoder = loadAnyProfile('transcoder') as TranscoderProfile;
      const profile: TranscoderProfile = { ...transcoder, qualify: { ...transcoder.qualify, seconds: 3 } };
      const url = `http://127.0.0.1:${port}/transcode?source_url=${encodeURIComponent('http://127.0.0.1:17999/test.ts')}`;
      const r = await runJob(
        transcodeJobScript({ jobId: id, url, seconds: 3, leaseInfo: `id=${id}` }).text,
        home,
      );
      const q = parseKindQualifyOutput(
        r.out,
        qualifyMeta(profile, { ...base, id }, 'http://127.0.0.1:17999/test.ts'),
        r.code,
      );
      expect(r.out).toMatch(/^@curl 28 /m);
      expect(q.outcome, `${q.summary}\n${r.out.slice(0, 2000)}`).toBe('passed');
      expect(q.transcode).toMatchObject({ httpStatus: 200, format: 'mpegts', video: 'h264', audio: 'aac' });
      expect(q.transcode?.speed).toBeGreaterThan(1);
    } finally {
      server.close();
    }
  }, 30_000);
});

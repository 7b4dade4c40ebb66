/**
 * The swap job's shell, run for real on this machine (dash, a home of its own) against stand-ins: a `docker` that
 * keeps its tags in files and a /health server that answers for the image running (transcoder); a `systemctl` that
 * runs the installed "binary", whose cameras are shells named ffmpeg writing segments (VMS). What the emulated
 * boxes check end to end, here in seconds and without root.
 */
import { spawn, spawnSync } from 'node:child_process';
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
import { swapJobScript } from '../../src-main/core/known-good/swap-job.js';
import { parseSwapOutput } from '../../src-main/core/known-good/swap-report.js';

const tools = ['dash', 'flock', 'pgrep', 'curl', 'sha256sum'].every(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
);

let root: string;
let bin: string;

function runJob(text: string): Promise<{ code: number; out: string }> {
  // Root's commands run as the job's user here: the stand-ins need no sudo.
  const script = text.replace('asroot() { sudo -n "$@"; }', 'asroot() { "$@"; }');
  return new Promise((resolve) => {
    const child = spawn('dash', ['-s'], {
      env: { ...process.env, HOME: root, PATH: `${bin}:${process.env['PATH'] ?? ''}`, STATE: root },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
    child.stdin.end(script);
  });
}

const FAKE_DOCKER = `#!/bin/sh
# tags/<repo:tag> holds an image id; "running" the id the container runs.
T="$STATE/tags"
resolve() { if [ -f "$T/$1" ]; then cat "$T/$1"; else for f in "$T"/*; do [ "$(cat "$f")" = "$1" ] && { cat "$f"; return 0; }; done; return 1; fi; }
case "$1" in
  tag) id=$(resolve "$2") || { echo "No such image: $2" >&2; exit 1; }; printf '%s' "$id" > "$T/$3";;
  image) id=$(resolve "$3") || { echo "Error: No such image: $3" >&2; exit 1; }; printf '[\\n    {\\n        "Id": "%s"\\n    }\\n]\\n' "$id";;
  inspect) printf '[\\n    {\\n        "Image": "%s",\\n        "RestartCount": 0,\\n        "State": {\\n            "Status": "running",\\n            "Running": true,\\n            "Restarting": false\\n        },\\n        "Config": {\\n            "ExposedPorts": {},\\n            "Image": "xg2g-gpu-transcoder:production"\\n        }\\n    }\\n]\\n' "$(cat "$STATE/running")";;
  compose) resolve xg2g-gpu-transcoder:production > "$STATE/running"; echo " Container xg2g-transcoder  Recreated";;
  *) echo "fake docker: $*" >&2; exit 125;;
esac
`;

const FAKE_SYSTEMCTL = `#!/bin/sh
case "$1" in
  restart) [ -f "$STATE/unit.pid" ] && pkill -g "$(cat "$STATE/unit.pid")" 2>/dev/null; sleep 0.2
    setsid sh -c 'echo $$ > "$STATE/unit.pid"; exec "$STATE/opt/vms-recorder"' > /dev/null 2>&1 < /dev/null &
    sleep 0.3;;
  is-active) echo active;;
esac
`;

const FAKE_FFPROBE = `#!/bin/sh
echo h264
`;

/** A "binary": a camera process per camera (a shell named ffmpeg, writing a segment at start), or nothing. */
const recorder = (good: boolean, marker: string): string => `#!/bin/sh
# ${marker}
${good ? '' : 'exec sleep 1000'}
for c in camA camB; do
  "$STATE/bin/ffmpeg" -c 'touch "$STATE/rec/$0_$(date +%Y%m%d_%H%M%S).mp4"; while :; do sleep 0.5; done' "$c" "$STATE/rec/\${c}_%Y%m%d_%H%M%S.mp4" &
done
wait
`;

describe.skipIf(!tools)('swap job on this machine', () => {
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-swap-'));
    bin = path.join(root, 'bin');
    await fs.mkdir(bin);
    await fs.mkdir(path.join(root, 'tags'));
    await fs.mkdir(path.join(root, 'rec'));
    await fs.mkdir(path.join(root, 'opt'));
    for (const [name, text] of [
      ['docker', FAKE_DOCKER],
      ['systemctl', FAKE_SYSTEMCTL],
      ['ffprobe', FAKE_FFPROBE],
    ] as const)
      await fs.writeFile(path.join(bin, name), text, { mode: 0o755 });
    await fs.copyFile('/bin/dash', path.join(bin, 'ffmpeg'));
    await fs.chmod(path.join(bin, 'ffmpeg'), 0o755);
  });
  afterAll(async () => {
    const pid = await fs.readFile(path.join(root, 'unit.pid'), 'utf8').catch(() => '');
    if (pid.trim()) spawnSync('pkill', ['-g', pid.trim()]);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('transcoder: broken goes back by itself to what ran; previous passes; both keep what ran under a tag', async () => {
    const ids = {
      production: `sha256:${'a'.repeat(64)}`,
      previous: `sha256:${'b'.repeat(64)}`,
      broken: `sha256:${'c'.repeat(64)}`,
    };
    for (const [tag, id] of Object.entries(ids))
      await fs.writeFile(path.join(root, 'tags', `xg2g-gpu-transcoder:${tag}`), id);
    await fs.writeFile(path.join(root, 'running'), ids.production);
    const health = http.createServer((_req, res) => {
      void fs.readFile(path.join(root, 'running'), 'utf8').then((running) => {
        const bad = running === ids.broken;
        res.writeHead(bad ? 503 : 200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            bad
              ? { status: 'unhealthy', vaapi_available: false, error: 'VAAPI device not available' }
              : { status: 'healthy', vaapi_available: true, active_streams: 0, version: '1' },
          ),
        );
      });
    });
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    try {
      const base = loadAnyProfile('transcoder') as TranscoderProfile;
      const port = (health.address() as AddressInfo).port;
      const profile: TranscoderProfile = {
        ...base,
        health: { ...base.health, url: `http://127.0.0.1:${port}/health` },
      };
      const run = async (jobId: string, target: string) => {
        const r = await runJob(
          swapJobScript({
            jobId,
            profile,
            target,
            title: `to ${target}`,
            probationMs: 2000,
            startMs: 3000,
            leaseInfo: `id=${jobId}`,
          }).text,
        );
        const meta = {
          id: jobId,
          deviceId: 'd',
          device: 'box',
          who: 't',
          unit: 'image' as const,
          startedAt: '',
          target,
          probationMs: 2000,
        };
        return { code: r.code, out: r.out, report: parseSwapOutput(r.out, meta, r.code) };
      };

      const bad = await run('knowngood-local-broken1', 'broken');
      expect(bad.report.outcome, bad.out).toBe('reverted');
      expect(bad.code).toBe(5);
      expect(bad.report.from).toBe('xg2g-gpu-transcoder:production');
      expect(bad.report.fromId).toBe('a'.repeat(12));
      expect(bad.report.health[0]?.text).toMatch(
        /running, restarts 0, \/health 503, vaapi_available not true \(VAAPI device not available\)/,
      );
      expect(bad.report.recheck.every((h) => h.healthy)).toBe(true);
      expect(await fs.readFile(path.join(root, 'running'), 'utf8')).toBe(ids.production);
      expect(
        await fs.readFile(
          path.join(root, 'tags', 'xg2g-gpu-transcoder:tally-keep-knowngood-local-broken1'),
          'utf8',
        ),
      ).toBe(ids.production);

      const good = await run('knowngood-local-previous', 'previous');
      expect(good.report.outcome, good.out).toBe('healthy');
      expect(good.code).toBe(0);
      expect(
        good.report.health.every((h) => h.healthy && /running, restarts 0, \/health 200/.test(h.text)),
      ).toBe(true);
      expect(good.report.endedOn).toBe('b'.repeat(12));
      expect(await fs.readFile(path.join(root, 'running'), 'utf8')).toBe(ids.previous);

      const missing = await run('knowngood-local-missing', 'nightly');
      expect(missing.report.outcome).toBe('refused');
      expect(missing.report.summary).toBe(
        'There is no image xg2g-gpu-transcoder:nightly on the box. Nothing was changed.',
      );
      // The lease went with each job.
      expect(await fs.readFile(path.join(root, '.tally', 'lease', 'info'), 'utf8').catch(() => '')).toBe('');
    } finally {
      health.close();
    }
  }, 60_000);

  it('VMS: the broken build records nothing and goes back by itself; the backup passes; the binary is kept beside', async () => {
    const opt = path.join(root, 'opt');
    const installed = path.join(opt, 'vms-recorder');
    await fs.writeFile(installed, recorder(true, 'phase3'), { mode: 0o755 });
    await fs.writeFile(`${installed}.before-phase3`, recorder(true, 'phase1'), { mode: 0o755 });
    await fs.writeFile(`${installed}.broken-build`, recorder(false, 'broken'), { mode: 0o755 });
    spawnSync('systemctl', ['restart', 'vms-recorder'], {
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, STATE: root },
    });
    await new Promise((r) => setTimeout(r, 500));
    const base = loadAnyProfile('vms') as VmsProfile;
    const profile: VmsProfile = {
      ...base,
      binary: { path: installed },
      recordings: { ...base.recordings, dir: path.join(root, 'rec') },
    };
    const run = async (jobId: string, target: string) => {
      const r = await runJob(
        swapJobScript({
          jobId,
          profile,
          target,
          title: `to ${target}`,
          probationMs: 2000,
          startMs: 3000,
          leaseInfo: `id=${jobId}`,
        }).text,
      );
      const meta = {
        id: jobId,
        deviceId: 'd',
        device: 'box',
        who: 't',
        unit: 'binary' as const,
        startedAt: '',
        target,
        probationMs: 2000,
      };
      return { code: r.code, out: r.out, report: parseSwapOutput(r.out, meta, r.code) };
    };
    const text = (f: string): Promise<string> => fs.readFile(f, 'utf8');

    const bad = await run('knowngood-local-vmsbad1', 'vms-recorder.broken-build');
    expect(bad.report.outcome, bad.out).toBe('reverted');
    expect(bad.report.steps[0]?.lines[0]).toBe('Cameras to watch: camA camB');
    expect(bad.report.health[0]?.text).toBe('camA: no process; camB: no process');
    expect(bad.report.recheck.at(-1)?.text).toBe(
      'camA: up, new segment, live h264; camB: up, new segment, live h264',
    );
    expect(await text(installed)).toMatch(/# phase3/);
    expect(await text(`${installed}.tally-knowngood-local-vmsbad1`)).toMatch(/# phase3/);
    expect(await text(`${installed}.broken-build`)).toMatch(/# broken/);

    const good = await run('knowngood-local-vmsgood', 'vms-recorder.before-phase3');
    expect(good.report.outcome, good.out).toBe('healthy');
    expect(await text(installed)).toMatch(/# phase1/);
    expect(await text(`${installed}.before-phase3`)).toMatch(/# phase1/);
    expect(await text(`${installed}.tally-knowngood-local-vmsgood`)).toMatch(/# phase3/);
    expect((await fs.readdir(opt)).filter((f) => f.includes('tally-new'))).toEqual([]);
  }, 60_000);
});

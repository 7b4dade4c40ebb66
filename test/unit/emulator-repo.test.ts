import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createRecorderRepo, type RecorderRepo } from '../../src-main/emulator/device/repo/index.js';

interface CameraConfig {
  codec: string;
  resolution: string;
  encoder: { element: string; properties: Record<string, string | number> };
}
interface RecorderConfig {
  cameras: Record<string, CameraConfig>;
  recording: { dir: string; container: string };
  mediamtx: { rtsp: string };
}

let tmp: string;
let repo: RecorderRepo;

function git(args: string[], cwd = repo.dir): string {
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();
}

function configAt(sha: string): RecorderConfig {
  return parse(git(['show', `${sha}:config.yml`])) as RecorderConfig;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-repo-'));
  repo = await createRecorderRepo(path.join(tmp, 'preke-r58-recorder'), { cameras: 4, uid: 4321, gid: 4322 });
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('recorder repo', () => {
  it('has the December 2025 history by Preke R58, ending at the proven H.264 switch', () => {
    const log = git(['log', '--reverse', '--format=%an <%ae>|%aI|%s']).split('\n');
    expect(log).toHaveLength(8);
    for (const line of log) expect(line.startsWith('Preke R58 <dev@preke.no>|2025-12-')).toBe(true);
    const subjects = log.map((l) => l.split('|')[2]);
    expect(subjects).toContain('Roll back to x264enc after kernel panic');
    expect(subjects).toContain('Document H.265/WebRTC incompatibility');
    expect(subjects.at(-1)).toBe('Switch to H.264 hardware encoding (mpph264enc)');
    expect(git(['rev-parse', 'HEAD'])).toBe(repo.head);
    expect(git(['status', '--porcelain'])).toBe('');
    expect(git(['show', '-s', '--format=%aI', repo.byKey['mpp-panic'].sha])).toMatch(/^2025-12-19T/);
    expect(git(['show', '-s', '--format=%aI', repo.head])).toMatch(/^2025-12-22T/);
  });

  it('config.yml picks the encoder per commit: x264, the panic config, H.265, the proven H.264', () => {
    const initial = configAt(repo.byKey.initial.sha);
    expect(Object.keys(initial.cameras)).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
    expect(initial.cameras.cam0?.encoder.element).toBe('x264enc');

    const panic = configAt(repo.byKey['mpp-panic'].sha).cameras.cam0;
    expect(panic?.encoder).toEqual({
      element: 'mpph264enc',
      properties: { bps: 8000000, 'bps-max': 16000000 },
    });

    expect(configAt(repo.byKey['rollback-x264'].sha).cameras.cam1?.encoder.element).toBe('x264enc');

    const h265 = configAt(repo.byKey['h265-doc'].sha);
    expect(h265.cameras.cam2?.codec).toBe('h265');
    expect(h265.cameras.cam2?.encoder.element).toBe('mpph265enc');
    expect(h265.recording.container).toBe('mkv');

    const head = configAt(repo.head);
    expect(head.cameras.cam3).toEqual({
      device: '/dev/video33',
      resolution: '640x360',
      framerate: 30,
      codec: 'h264',
      encoder: {
        element: 'mpph264enc',
        properties: { 'qp-init': 26, 'qp-min': 10, 'qp-max': 51, gop: 30, 'rc-mode': 'cbr', bps: 8000000 },
      },
    });
    expect(head.recording).toEqual({ dir: '/var/recordings', container: 'mp4' });
    expect(head.mediamtx.rtsp).toBe('rtsp://127.0.0.1:8554');
  });

  it('src/pipelines.py follows seed 001 at HEAD and the panic config at Dec 19', async () => {
    const pipelines = await fs.readFile(path.join(repo.dir, 'src/pipelines.py'), 'utf8');
    expect(pipelines).toContain('def get_h264_hardware_encoder(bitrate: int) -> tuple[str, str, str]:');
    expect(pipelines).toContain('caps_str = "video/x-h264,stream-format=byte-stream"');
    expect(pipelines).toContain('rtph264depay ! h264parse ! mp4mux');
    expect(git(['show', `${repo.byKey['mpp-panic'].sha}:src/pipelines.py`])).toContain(
      'f"mpph264enc bps={bps} bps-max={bps * 2}"',
    );
    expect(git(['show', `${repo.byKey.h265.sha}:src/mixer/core.py`])).toContain('mpph265enc');
    expect(git(['show', `${repo.byKey.initial.sha}:src/pipelines.py`])).toContain('rtmpsink');
    expect(git(['show', '-s', '--format=%B', repo.byKey['rollback-x264'].sha])).toContain(
      'Internal error: Oops: 0000000096000005 [#29] SMP',
    );
  });

  it('is owned by the given uid/gid and has the same ids every time', async () => {
    for (const rel of ['.', '.git', 'config.yml', 'src/mixer/core.py', '.git/HEAD']) {
      const st = await fs.stat(path.join(repo.dir, rel));
      expect([rel, st.uid, st.gid]).toEqual([rel, 4321, 4322]);
    }
    const again = await createRecorderRepo(path.join(tmp, 'again'), { cameras: 4 });
    expect(again.commits.map((c) => c.sha)).toEqual(repo.commits.map((c) => c.sha));
    await expect(createRecorderRepo(repo.dir, { cameras: 4 })).rejects.toThrow(/not empty/);
  });

  it('scales the camera list', async () => {
    const two = await createRecorderRepo(path.join(tmp, 'two'), { cameras: 2, resolution: '1280x720' });
    const config = parse(await fs.readFile(path.join(two.dir, 'config.yml'), 'utf8')) as RecorderConfig;
    expect(Object.keys(config.cameras)).toEqual(['cam0', 'cam1']);
    expect(config.cameras.cam1?.resolution).toBe('1280x720');
  });
});

const MINI_YAML = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../src-main/emulator/device/recorder/mini_yaml.py',
);

/** The recorder's fallback parser (used where python3-yaml is missing). */
function miniYaml(text: string): unknown {
  const script = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("mini_yaml", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
print(json.dumps(mod.loads(sys.stdin.read())))
`;
  return JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', script, MINI_YAML], { input: text, encoding: 'utf8' }),
  ) as unknown;
}

describe('config.yml without PyYAML', () => {
  it('the fallback parser reads every commit of config.yml as a YAML parser does', () => {
    for (const c of repo.commits) {
      const text = git(['show', `${c.sha}:config.yml`]);
      expect([c.key, miniYaml(text)]).toEqual([c.key, parse(text) as unknown]);
    }
  });

  it('handles block nesting, comments, quotes, lists and scalars', () => {
    const text = [
      '# top',
      'a:',
      '  b: { x: 1, y: "two, three", z: [1, 2.5, true, null] }  # trailing',
      '  c: rtsp://127.0.0.1:8554/cam0',
      "d: 'it''s'",
      'e: -3',
      '',
    ].join('\n');
    expect(miniYaml(text)).toEqual(parse(text) as unknown);
  });
});

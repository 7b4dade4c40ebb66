// The mixer agent's pure parts, run in Debian's Python (the agent imports gi only in `run`): which cameras its
// tally lists name, and `attach` when no agent runs.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { templateScene } from '../../src-main/contract/scene-templates.js';
import type { SceneBox } from '../../src-main/contract/mixer.js';

const run = promisify(execFile);
const AGENT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../resources/device/mixer');

async function visible(boxes: SceneBox[]): Promise<string[]> {
  const code =
    'import json, sys, tally_mixer; print(json.dumps(tally_mixer.visible_cameras(json.loads(sys.argv[1]))))';
  const { stdout } = await run('/usr/bin/python3', ['-c', code, JSON.stringify(boxes)], {
    cwd: AGENT_DIR,
    env: { PATH: '/usr/bin:/bin', PYTHONDONTWRITEBYTECODE: '1' },
  });
  return JSON.parse(stdout) as string[];
}

function box(camera: string, x: number, y: number, w: number, h: number, z: number): SceneBox {
  return {
    id: `b-${camera}-${z}`,
    camera,
    x,
    y,
    w,
    h,
    z,
    crop: { left: 0, top: 0, right: 0, bottom: 0 },
    locked: false,
  };
}

describe('mixer agent: cameras on Program/Preview', () => {
  it('every box of a 2×2 and of a picture-in-picture shows', async () => {
    const cams = ['cam0', 'cam1', 'cam2', 'cam3'];
    expect(await visible(templateScene('grid-2x2', cams, 'g').boxes)).toEqual(cams);
    expect(await visible(templateScene('pip', cams, 'p').boxes)).toEqual(['cam0', 'cam1']);
  });

  it('a box wholly covered by the boxes above it is not on air, even when no single box covers it', async () => {
    expect(await visible([box('cam0', 0, 0, 1, 1, 2), box('cam1', 0.2, 0.2, 0.3, 0.3, 1)])).toEqual(['cam0']);
    const halves = [box('cam1', 0, 0, 0.5, 1, 3), box('cam2', 0.5, 0, 0.5, 1, 4)];
    expect(await visible([box('cam0', 0.25, 0.25, 0.5, 0.5, 0), ...halves])).toEqual(['cam1', 'cam2']);
    // Below, but peeking out on one side: on air.
    expect(await visible([box('cam0', 0, 0, 1, 1, 0), box('cam1', 0, 0, 0.9, 1, 1)])).toEqual([
      'cam0',
      'cam1',
    ]);
  });
});

describe('mixer agent: attach', () => {
  it('exits 3 and says so when no agent runs', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-mixer-home-'));
    try {
      const result = await run('/usr/bin/python3', [path.join(AGENT_DIR, 'tally_mixer.py'), 'attach'], {
        env: { HOME: home, PATH: '/usr/bin:/bin' },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
      );
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/^no mixer runs \(.*ctl\.sock: /);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});

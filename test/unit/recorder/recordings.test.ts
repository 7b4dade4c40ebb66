import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import type { ShellCommand } from '../../../src-main/core/device/quote.js';
import {
  deleteRecording,
  listCommand,
  parseDiscoverer,
  parseFfprobe,
  parseListing,
  recordingsFrom,
} from '../../../src-main/core/recorder/recordings.js';
import type { ConnectionManager } from '../../../src-main/core/ssh/connection-manager.js';
import type { ExecResult } from '../../../src-main/core/ssh/types.js';

const run = promisify(execFile);
const profile = loadProfile('r58');

const FFPROBE_MP4 =
  'codec_name=h264\ncodec_type=video\nformat_name=mov,mp4,m4a,3gp,3g2,mj2\nduration=3.324667';
const FFPROBE_MKV_H265 =
  'codec_name=opus\ncodec_type=audio\ncodec_name=hevc\ncodec_type=video\nformat_name=matroska,webm\nduration=N/A';
const FFPROBE_CUT =
  '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x560b6904ba00] moov atom not found\n/var/recordings/cam1_20261121_140126.mp4: Invalid data found when processing input';

// gst-discoverer-1.0 prints "Done discovering", then either a verdict line or nothing, then the properties.
const DISCOVERER_OK = `Analyzing file:///var/recordings/cam0_20261121_140126.mp4
Done discovering file:///var/recordings/cam0_20261121_140126.mp4

Properties:
  Duration: 0:01:03.324666666
  Seekable: yes
  Live: no
  container #0: Quicktime
    video #1: H.264 (High Profile)
      Stream ID: 5b7a4f…/001
      Width: 1920
      Height: 1080
      Depth: 24
      Frame rate: 30/1
      Tags:
        video codec: H.264 / AVC
        container format: ISO MP4/M4A
`;
const DISCOVERER_OLD_MKV = `Analyzing file:///var/recordings/cam3.mkv
Done discovering file:///var/recordings/cam3.mkv

Topology:
  container: Matroska
    video: H.265 (Main Profile)

Properties:
  Duration: 0:00:10.000000000
  Seekable: yes
  Live: no
`;
const DISCOVERER_CUT = `Analyzing file:///var/recordings/cam1_20261121_140126.mp4
Done discovering file:///var/recordings/cam1_20261121_140126.mp4
An error was encountered while discovering the file
 This file is incomplete and cannot be played.
`;
const DISCOVERER_TIMEOUT = `Analyzing file:///var/recordings/cam2.mp4
Done discovering file:///var/recordings/cam2.mp4
Analyzing URI timed out

Properties:
  Duration: 99:99:99.999999999
`;

describe('ffprobe output', () => {
  it('reads duration, video codec and container', () => {
    expect(parseFfprobe(FFPROBE_MP4, 0)).toEqual({
      durationS: 3.324667,
      codec: 'h264',
      container: 'mp4',
      error: null,
    });
    expect(parseFfprobe(FFPROBE_MKV_H265, 0)).toEqual({
      durationS: null,
      codec: 'h265',
      container: 'matroska',
      error: null,
    });
  });

  it('gives the reason for a file without an index', () => {
    expect(parseFfprobe(FFPROBE_CUT, 1)).toEqual({
      durationS: null,
      codec: null,
      container: null,
      error: 'moov atom not found',
    });
    expect(parseFfprobe('', 124).error).toBe('timed out');
  });
});

describe('gst-discoverer-1.0 output', () => {
  it('reads duration, codec and container in both layouts', () => {
    expect(parseDiscoverer(DISCOVERER_OK, 0)).toEqual({
      durationS: 63.324666666,
      codec: 'h264',
      container: 'mp4',
      error: null,
    });
    expect(parseDiscoverer(DISCOVERER_OLD_MKV, 0)).toEqual({
      durationS: 10,
      codec: 'h265',
      container: 'matroska',
      error: null,
    });
  });

  it('takes the verdict line although the tool exits 0', () => {
    expect(parseDiscoverer(DISCOVERER_CUT, 0)).toEqual({
      durationS: null,
      codec: null,
      container: null,
      error: 'This file is incomplete and cannot be played.',
    });
    expect(parseDiscoverer(DISCOVERER_TIMEOUT, 0)).toMatchObject({
      durationS: null,
      error: 'Analyzing URI timed out',
    });
  });
});

describe('the listing', () => {
  const listing = [
    '@@tool ffprobe',
    '@@file 1902263 1795269689 cam0_20261121_140126.mp4',
    FFPROBE_MP4,
    '',
    '@@rc 0',
    '@@file 4625675 1795269841 cam1_20261121_140126.mp4',
    FFPROBE_CUT,
    '',
    '@@rc 1',
    '@@file 2 1795269000 cam2_20261121_130000.mp4',
    FFPROBE_CUT,
    '',
    '@@rc 1',
    '@@file 0 1795269001 cam3_20261121_130000.mp4',
    '',
    '@@rc 1',
    '@@file 5 1795269002 .hidden',
    '',
    '@@rc 0',
  ].join('\n');

  it('parses files with their size, time and tool output', () => {
    const parsed = parseListing(listing);
    expect(parsed.state).toBe('ok');
    expect(parsed.tool).toBe('ffprobe');
    expect(parsed.files.map((f) => [f.name, f.sizeBytes, f.mtimeS, f.code])).toEqual([
      ['cam0_20261121_140126.mp4', 1902263, 1795269689, 0],
      ['cam1_20261121_140126.mp4', 4625675, 1795269841, 1],
      ['cam2_20261121_130000.mp4', 2, 1795269000, 1],
      ['cam3_20261121_130000.mp4', 0, 1795269001, 1],
      ['.hidden', 5, 1795269002, 0],
    ]);
    expect(parseListing('@@missing\n')).toEqual({ state: 'missing', tool: 'none', files: [] });
  });

  it('marks the active file and explains each file that cannot be read, newest first', () => {
    const recs = recordingsFrom(parseListing(listing), '/var/recordings', [
      '/var/recordings/cam1_20261121_140126.mp4',
    ]);
    expect(recs.map((r) => r.name)).toEqual([
      'cam1_20261121_140126.mp4',
      'cam0_20261121_140126.mp4',
      'cam3_20261121_130000.mp4',
      'cam2_20261121_130000.mp4',
    ]);
    const [active, done, empty, cut] = recs;
    expect(active).toMatchObject({ active: true, durationS: null, sizeBytes: 4625675 });
    expect(active?.problem).toBe(
      'Being recorded now: the file grows until the recording stops; its duration is known once it is finalised.',
    );
    expect(done).toEqual({
      name: 'cam0_20261121_140126.mp4',
      path: '/var/recordings/cam0_20261121_140126.mp4',
      sizeBytes: 1902263,
      modified: new Date(1795269689_000).toISOString(),
      durationS: 3.324667,
      codec: 'h264',
      container: 'mp4',
      active: false,
      problem: null,
    });
    expect(empty?.problem).toBe('Empty: the recording wrote nothing. Check the camera’s signal.');
    expect(cut?.problem).toBe(
      'Not finalised (ffprobe: moov atom not found). The recording was cut off before its index was written ' +
        '(recorder killed or power lost); it will not play as it is.',
    );
  });

  it('walks a real folder with hostile file names in the real /bin/sh without running any of them', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-recs-'));
    try {
      const names = ['cam0_a.mp4', '$(touch pwned)', "it's; touch pwned2", 'a b.mp4', '-rf'];
      for (const name of names) await fs.writeFile(path.join(dir, name), 'x'.repeat(name.length));
      await fs.mkdir(path.join(dir, 'sub'));
      const { stdout } = await run('/bin/sh', ['-c', listCommand(dir).text], { cwd: dir, encoding: 'utf8' });
      const parsed = parseListing(stdout);
      expect(parsed.files.map((f) => [f.name, f.sizeBytes]).sort()).toEqual(
        names.map((n) => [n, n.length]).sort(),
      );
      await expect(fs.stat(path.join(dir, 'pwned'))).rejects.toThrow();
      await expect(fs.stat(path.join(dir, 'pwned2'))).rejects.toThrow();
      // Only names a recording can have are shown.
      expect(recordingsFrom(parsed, dir, []).map((r) => r.name)).toEqual(['cam0_a.mp4']);
      const missing = await run('/bin/sh', ['-c', listCommand(path.join(dir, 'nope')).text], {
        encoding: 'utf8',
      });
      expect(parseListing(missing.stdout).state).toBe('missing');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('deleteRecording', () => {
  function fake(stdout = '', code = 0, stderr = ''): { connections: ConnectionManager; sent: string[] } {
    const sent: string[] = [];
    const connections = {
      exec: (_id: string, cmd: ShellCommand): Promise<ExecResult> => {
        sent.push(cmd.text);
        return Promise.resolve({ code, signal: null, stdout, stderr, durationMs: 1 });
      },
    } as unknown as ConnectionManager;
    return { connections, sent };
  }

  it('removes exactly one quoted path, as the login or through sudo -n', async () => {
    const { connections, sent } = fake();
    await deleteRecording(connections, 'd', profile, 'cam0_x.mp4', 'cam0_x.mp4', []);
    expect(sent).toEqual([
      'f=/var/recordings/cam0_x.mp4; d=/var/recordings; if [ ! -e "$f" ] && [ ! -L "$f" ]; then echo @@missing; exit 0; fi; ' +
        'if [ ! -f "$f" ] || [ -L "$f" ]; then echo @@notfile; exit 0; fi; if [ -w "$d" ]; then rm -- /var/recordings/cam0_x.mp4; else sudo -n rm -- /var/recordings/cam0_x.mp4; fi',
    ]);
  });

  it('refuses before the device: a mismatched confirmation, a path, a command, an active file', async () => {
    const { connections, sent } = fake();
    await expect(
      deleteRecording(connections, 'd', profile, 'cam0_x.mp4', 'cam0_y.mp4', []),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
    for (const name of ['../etc/passwd', '$(reboot)', 'a/b', '.x', '-rf', 'x'.repeat(202)])
      await expect(deleteRecording(connections, 'd', profile, name, name, [])).rejects.toMatchObject({
        code: 'invalid_input',
      });
    await expect(
      deleteRecording(connections, 'd', profile, 'cam0_x.mp4', 'cam0_x.mp4', ['/var/recordings/cam0_x.mp4']),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(sent).toEqual([]);
  });

  it('says when the file is gone, or sudo wants a password', async () => {
    await expect(
      deleteRecording(fake('@@missing\n').connections, 'd', profile, 'cam0_x.mp4', 'cam0_x.mp4', []),
    ).rejects.toMatchObject({
      code: 'not_found',
      message: 'There is no cam0_x.mp4 in /var/recordings any more. Refresh the list.',
    });
    await expect(
      deleteRecording(
        fake('', 1, 'sudo: a password is required\n').connections,
        'd',
        profile,
        'cam0_x.mp4',
        'cam0_x.mp4',
        [],
      ),
    ).rejects.toMatchObject({
      code: 'refused',
      message:
        'cam0_x.mp4 was not deleted: /var/recordings is not writable by linaro and sudo asks linaro for a password, ' +
        'and Tally never types one. Allow linaro passwordless sudo, or delete it in a terminal.',
    });
  });
});

/**
 * The history reader on real git output: the device command (device/repo-log.ts) runs here with `sh` against a
 * copy of the emulator's seed repo (seeds 000/001), then is parsed and interpreted (history/history-read.ts).
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  historyBadges,
  QUALIFY_NOTES_REF,
  type History,
  type QualificationNote,
} from '../../../src-main/contract/index.js';
import {
  parseCatFileBatch,
  parseRepoLog,
  repoLogCommand,
  type RepoLogQuery,
} from '../../../src-main/core/device/repo-log.js';
import {
  buildHistory,
  madeBy,
  parseQualificationNote,
  summariseEncoders,
} from '../../../src-main/core/history/history-read.js';
import { createRecorderRepo, type RecorderRepo } from '../../../src-main/emulator/device/repo/index.js';

const PANIC = 'mpph264enc bps=8000000 bps-max=16000000';
const PROVEN = 'mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000';

let tmp: string;
let repo: RecorderRepo;

const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  LANG: 'C',
  GIT_AUTHOR_NAME: 'Someone',
  GIT_AUTHOR_EMAIL: 'someone@example.org',
  GIT_COMMITTER_NAME: 'Someone',
  GIT_COMMITTER_EMAIL: 'someone@example.org',
};

function git(args: string[], extra: Record<string, string> = {}): string {
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], {
    cwd: repo.dir,
    encoding: 'utf8',
    env: { ...env, ...extra },
  }).trim();
}

function query(limit = 50): RepoLogQuery {
  return {
    repo: repo.dir,
    file: 'config.yml',
    paths: ['config.yml', 'src/pipelines.py'],
    notesRef: QUALIFY_NOTES_REF,
    limit,
  };
}

function read(limit = 50): History {
  const stdout = execFileSync('sh', ['-c', repoLogCommand(query(limit)).text], { encoding: 'utf8', env });
  return buildHistory(parseRepoLog(stdout, limit), {
    deviceId: 'd1',
    repo: repo.dir,
    file: 'config.yml',
    files: ['config.yml', 'src/pipelines.py'],
    limit,
  });
}

function note(over: Partial<QualificationNote> & { commit: string }): QualificationNote {
  return {
    schema: 1,
    encoder: PROVEN,
    kernel: '5.10.160-rockchip-rk3588',
    variant: 'quick',
    date: '2026-12-06T02:30:00.000Z',
    verdict: 'pass',
    reason: null,
    evidence: 'Test 1 10 s: 300 frames in 1.1 s; Test 2 60 s: no kernel faults; Test 3: cam0 online',
    ...over,
  };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-history-'));
  // Owned by another user, as after a `sudo git pull` by hand: git refuses such a checkout unless told it is safe.
  repo = await createRecorderRepo(path.join(tmp, 'preke-r58-recorder'), { cameras: 4, uid: 4321, gid: 4322 });
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('the encoder history of the seed repo', () => {
  it('lists the commits that touch config.yml or pipelines.py, newest first, HEAD on top', () => {
    const h = read();
    const keys = ['h264-hw', 'h265', 'rollback-x264', 'mpp-panic', 'initial'] as const;
    expect(h.commits.map((c) => c.sha)).toEqual(keys.map((k) => repo.byKey[k].sha));
    expect(h.head).toBe(repo.head);
    expect(h.commits[0]?.head).toBe(true);
    expect(h.commits.slice(1).some((c) => c.head)).toBe(false);
    expect(h.truncated).toBe(false);
    expect(h.dirtyFiles).toEqual([]);
    expect(h.dirtyDiff).toBe('');
    const top = h.commits[0];
    expect(top).toMatchObject({
      short: repo.byKey['h264-hw'].sha.slice(0, 7),
      subject: 'Switch to H.264 hardware encoding (mpph264enc)',
      date: '2025-12-22T15:17:03+01:00',
      author: { name: 'Preke R58', email: 'dev@preke.no' },
      encoder: PROVEN,
      madeBy: 'hand',
      danger: null,
      configChanged: true,
      configProblem: null,
    });
    expect(top?.encoders.map((e) => e.camera)).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
  });

  it('flags the Dec 19 panic commit dangerous and shows its config.yml diff to the commit before', () => {
    const panic = read().commits.find((c) => c.sha === repo.byKey['mpp-panic'].sha);
    expect(panic?.encoder).toBe(PANIC);
    expect(panic?.danger).toMatchObject({ camera: 'cam0', seed: '000' });
    expect(panic?.diff).toContain('--- a/config.yml');
    expect(panic?.diff).toMatch(/^\+.*mpph264enc/m);
    expect(panic?.diff).toMatch(/^-.*x264enc/m);
    expect(historyBadges(panic!).map((b) => b.id)).toEqual(['dangerous', 'hand']);
    // The root commit's diff is the whole file, added.
    const initial = read().commits.at(-1);
    expect(initial?.diff).toMatch(/^\+cameras:/m);
  });

  it('caps the list and says there are more', () => {
    const h = read(2);
    expect(h.commits).toHaveLength(2);
    expect(h.truncated).toBe(true);
  });

  it('reads qualification notes under the notes ref, newest first, and badges them', () => {
    const good = repo.byKey['h264-hw'].sha;
    const bad = repo.byKey['mpp-panic'].sha;
    const add = (n: QualificationNote): void => {
      git(['notes', `--ref=${QUALIFY_NOTES_REF}`, 'append', '-m', JSON.stringify(n), n.commit], {
        GIT_AUTHOR_NAME: 'Tally',
        GIT_AUTHOR_EMAIL: 'tally@localhost',
        GIT_COMMITTER_NAME: 'Tally',
        GIT_COMMITTER_EMAIL: 'tally@localhost',
      });
    };
    add(note({ commit: good, date: '2026-12-01T10:00:00.000Z', verdict: 'fail', reason: 'an old failure' }));
    add(note({ commit: good, date: '2026-12-06T02:30:00.000Z' }));
    add(
      note({
        commit: bad,
        encoder: PANIC,
        verdict: 'fail',
        reason: 'Test 1: Internal error: Oops: 0000000096000005 [#1] SMP',
      }),
    );
    git(['notes', `--ref=${QUALIFY_NOTES_REF}`, 'append', '-m', 'a line written by hand', bad]);
    const h = read();
    const top = h.commits[0]!;
    expect(top.qualifications.map((q) => q.verdict)).toEqual(['pass', 'fail']);
    expect(historyBadges(top).map((b) => b.id)).toEqual(['head', 'known-good', 'hand']);
    const panic = h.commits.find((c) => c.sha === bad)!;
    const failed = historyBadges(panic).find((b) => b.id === 'failed');
    expect(failed?.detail).toContain('Internal error: Oops');
    expect(h.unreadableNotes).toBe(1);
  });

  it('shows a dirty config.yml and its uncommitted diff', async () => {
    const file = path.join(repo.dir, 'config.yml');
    const before = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, before.replace('gop: 30', 'gop: 60'));
    try {
      const h = read();
      expect(h.dirtyFiles).toEqual(['config.yml']);
      expect(h.dirtyDiff).toMatch(/^\+.*gop: 60/m);
    } finally {
      await fs.writeFile(file, before);
    }
  });
});

describe('history parsing pieces', () => {
  it('splits git cat-file --batch output by byte sizes, multi-byte text included', () => {
    const a = 'cameras:\n  cam0: {}\n';
    const b = 'note — with a dash\n';
    const out =
      `${'a'.repeat(40)} blob ${Buffer.byteLength(a)}\n${a}\n` +
      `deadbeef missing\n` +
      `${'b'.repeat(40)} blob ${Buffer.byteLength(b)}\n${b}\n`;
    const blobs = parseCatFileBatch(out);
    expect(blobs.get('a'.repeat(40))).toBe(a);
    expect(blobs.get('b'.repeat(40))).toBe(b);
  });

  it('summarises one encoder for all cameras, else groups cameras by encoder', () => {
    expect(
      summariseEncoders([
        { camera: 'cam0', encoder: 'x264enc' },
        { camera: 'cam1', encoder: 'x264enc' },
      ]),
    ).toBe('x264enc');
    expect(
      summariseEncoders([
        { camera: 'cam0', encoder: PROVEN },
        { camera: 'cam1', encoder: PROVEN },
        { camera: 'cam3', encoder: 'mpph265enc rc-mode=cbr' },
      ]),
    ).toBe(`cam0, cam1: ${PROVEN}; cam3: mpph265enc rc-mode=cbr`);
    expect(summariseEncoders([])).toBeNull();
  });

  it('tells a Tally commit from one made by hand by subject and author', () => {
    expect(madeBy({ subject: 'Tally: apply h264-hw to all cameras', authorEmail: 'tally@localhost' })).toBe(
      'tally',
    );
    expect(madeBy({ subject: 'Tally: looks like one', authorEmail: 'dev@preke.no' })).toBe('hand');
    expect(madeBy({ subject: 'Switch to H.264', authorEmail: 'tally@localhost' })).toBe('hand');
  });

  it('keeps only notes for the commit they are attached to', () => {
    const sha = 'c'.repeat(40);
    const text = [
      JSON.stringify(note({ commit: sha })),
      JSON.stringify(note({ commit: 'd'.repeat(40) })),
      '{',
    ].join('\n\n');
    const r = parseQualificationNote(text, sha);
    expect(r.notes).toHaveLength(1);
    expect(r.unreadable).toBe(2);
  });

  it('refuses a notes ref or limit that is not one', () => {
    expect(() => repoLogCommand({ ...query(), notesRef: 'refs/heads/x; rm -rf /' })).toThrow(/notes ref/);
    expect(() => repoLogCommand({ ...query(), limit: 0 })).toThrow(/limit/);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../../fixtures/until.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import { parseResetOutput } from '../../../src-main/core/vpu-reset/reset-report.js';
import { resetScript } from '../../../src-main/core/vpu-reset/reset-script.js';

const meta = {
  id: 'vpu-reset-20261121t120000-abcd1234',
  deviceId: 'd1',
  device: 'r58-stage',
  who: 'producer@laptop (web)',
  startedAt: '2026-11-21T12:00:00.000Z',
};
const T = 1_795_000_000_000;

const HEALTHY = [
  `@begin ${T} ${meta.id}`,
  '@plan rec /var/recordings/cam1_20261121_120000.mp4',
  `@step 1 begin ${T + 10}`,
  '@say 1 VPU sessions open: 9.',
  '@sessions before 9',
  '@rec finalised 12.480000 /var/recordings/cam1_20261121_120000.mp4',
  `@step 1 end ok ${T + 2010} 1500`,
  `@step 2 begin ${T + 2020}`,
  '@kill 412 TERM 1 gst-launch-1.0',
  '@kill 412 KILL 1 gst-launch-1.0',
  `@step 2 end ok ${T + 4100} 2050`,
  `@step 3 begin ${T + 4110}`,
  `@step 3 end ok ${T + 4130} 0`,
  `@step 4 begin ${T + 4140}`,
  '@camera cam0 online 1 streaming; 1 VPU session(s) open',
  '@camera cam1 online 2 streaming; 2 VPU session(s) open',
  '@sessions after 2',
  `@step 4 end ok ${T + 6140} 900`,
  `@outcome healthy ${T + 6150} All cameras back online with 2 VPU session(s) open.`,
  '',
].join('\n');

describe('VPU reset report from the job output', () => {
  it('reads steps with durations and waits, kills, recordings, cameras and the outcome', () => {
    const r = parseResetOutput(HEALTHY, meta, 0);
    expect(r.outcome).toBe('healthy');
    expect(r.summary).toBe('All cameras back online with 2 VPU session(s) open.');
    expect(r.steps.map((s) => [s.state, s.durationMs, s.waitedMs])).toEqual([
      ['done', 2000, 1500],
      ['done', 2080, 2050],
      ['done', 20, 0],
      ['done', 2000, 900],
    ]);
    expect(r.steps[0]?.lines).toEqual(['VPU sessions open: 9.']);
    expect([r.sessionsBefore, r.sessionsAfter]).toEqual([9, 2]);
    expect(r.killed).toEqual([
      { pid: 412, signal: 'TERM', sessions: 1, name: 'gst-launch-1.0' },
      { pid: 412, signal: 'KILL', sessions: 1, name: 'gst-launch-1.0' },
    ]);
    expect(r.recordings).toEqual([
      {
        file: '/var/recordings/cam1_20261121_120000.mp4',
        state: 'finalised',
        durationS: 12.48,
        detail: 'plays, 12.5 s',
      },
    ]);
    expect(r.cameras.map((c) => [c.camera, c.state, c.sessionsAfter])).toEqual([
      ['cam0', 'online', 1],
      ['cam1', 'online', 2],
    ]);
    expect(r.startedAt).toBe(new Date(T).toISOString());
    expect(r.endedAt).toBe(new Date(T + 6150).toISOString());
    expect(r.todo).toEqual([expect.stringMatching(/stopped 1 recording\(s\) and does not restart them/)]);
  });

  it('is running with the step in progress while the output is partial, and ignores a half-written line', () => {
    const cut = HEALTHY.indexOf('@kill 412 KILL');
    const r = parseResetOutput(HEALTHY.slice(0, cut + 8), meta);
    expect(r.outcome).toBe('running');
    expect(r.steps.map((s) => s.state)).toEqual(['done', 'running', 'pending', 'pending']);
    expect(r.killed).toHaveLength(1);
    expect(r.summary).toMatch(/^Step 2 of 4/);
    expect(r.todo).toEqual([]);
  });

  it('a job that ended without an outcome is a failure that says so, and unreached steps are skipped', () => {
    const cut = HEALTHY.indexOf(`@step 2 end`);
    const r = parseResetOutput(`${HEALTHY.slice(0, cut)}sh: 1: curl: not found\n`, meta, 127);
    expect(r.outcome).toBe('failed');
    expect(r.summary).toMatch(/exit code 127 before it finished.*curl: not found/);
    expect(r.steps.map((s) => s.state)).toEqual(['done', 'failed', 'skipped', 'skipped']);
  });

  it('a damaged recording keeps its reason and is named in what is left to do', () => {
    const out = `@rec damaged - /var/recordings/cam0_x.mp4 | moov atom not found\n@outcome failed ${T} Stopped at cam0.\n`;
    const r = parseResetOutput(out, meta, 1);
    expect(r.recordings[0]).toMatchObject({
      state: 'damaged',
      durationS: null,
      detail: 'moov atom not found',
    });
    expect(r.todo.join('\n')).toMatch(/Check \/var\/recordings\/cam0_x\.mp4: it may be damaged/);
  });

  it('a reboot-needed end puts the reboot first in what is left to do', () => {
    const r = parseResetOutput(
      `@outcome reboot_needed ${T} The kernel still holds 4 VPU session(s).\n`,
      meta,
      3,
    );
    expect(r.outcome).toBe('reboot_needed');
    expect(r.todo[0]).toMatch(/^Reboot r58-stage/);
  });

  it('what the console starts again after the reset is in the report, and only left to do when it did not happen', () => {
    const out = `@plan job mixer-20261121t115500-aaaa1111\n@plan job 20261121115600-bbbb2222\n@outcome healthy ${T} All cameras back online with 4 VPU session(s) open.\n`;
    const restart = {
      jobId: 'mixer-20261121t115500-aaaa1111',
      label: 'the scene mixer (4 input(s) → program)',
      plan: 'starts again with scene “2×2”',
      state: 'pending' as const,
      detail: 'This console starts it again with scene “2×2” once the reset has ended healthy.',
    };
    const pending = parseResetOutput(out, { ...meta, restarts: [restart] }, 0);
    expect(pending.restarts).toEqual([restart]);
    // Only the ad-hoc pipeline is left to run again by hand.
    expect(pending.todo).toEqual([
      expect.stringMatching(/^The reset stopped 1 pipeline\(s\) started from Tally/),
    ]);
    const done = parseResetOutput(
      out,
      { ...meta, restarts: [{ ...restart, state: 'done', detail: 'On air.' }] },
      0,
    );
    expect(done.todo).toHaveLength(1);
    const refused = {
      ...restart,
      state: 'failed' as const,
      detail: 'Starting it again was refused: over budget.',
    };
    const failed = parseResetOutput(out, { ...meta, restarts: [refused] }, 0);
    expect(failed.todo.at(-1)).toBe('Starting it again was refused: over budget.');
    // The meta is the service's to change: the report holds a copy.
    expect(failed.restarts[0]).not.toBe(refused);
    // A report from before restarts existed reads with none.
    expect(parseResetOutput(out, meta, 0).restarts).toEqual([]);
  });

  it('a reset refused on the device (another one holds the lock) says which', () => {
    const r = parseResetOutput('@refused vpu-reset-20261121t115900-ffff0000\n', meta, 4);
    expect(r.outcome).toBe('failed');
    expect(r.summary).toMatch(/another reset \(vpu-reset-20261121t115900-ffff0000\) is running/);
  });
});

describe('VPU reset job script', () => {
  const profile = loadProfile('r58');
  const input = {
    jobId: meta.id,
    profile,
    sessionFile: '/sys/kernel/debug/mpp_service/session',
    recordings: ['cam1_20261121_120000.mp4'],
    pipelineJobs: ['20261121120000-deadbeef'],
    lease: { info: `id=${meta.id}\nkind=vpu.reset\nwhat=Emergency VPU reset`, interrupt: null },
  };

  it('is valid POSIX sh (dash -n) and carries the values as quoted variables', () => {
    const text = resetScript(input).text;
    expect(() => execFileSync('dash', ['-n'], { input: text })).not.toThrow();
    expect(text).toMatch(/^RECS=\/var\/recordings\/cam1_20261121_120000\.mp4$/m);
    expect(text).toMatch(/^CAMS='cam0 cam1 cam2 cam3'$/m);
    expect(text).toMatch(/^HOLD=\/run\/preke-recorder\/hold-cameras$/m);
    // Holders are killed by PID from the session file, never by a name match.
    expect(text).not.toMatch(/pkill|killall/);
  });

  it('runs with a hostile recording name as text, and stops before changing anything when sudo needs a password', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-reset-'));
    try {
      const bin = path.join(home, 'bin');
      await fs.mkdir(bin);
      await fs.writeFile(
        path.join(bin, 'sudo'),
        '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n',
        {
          mode: 0o755,
        },
      );
      const text = resetScript({ ...input, recordings: ['$(touch pwned) *.mp4'] }).text;
      const r = spawnSync('sh', ['-c', text], {
        cwd: home,
        env: { HOME: home, PATH: `${bin}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      const report = parseResetOutput(r.stdout, meta, r.status);
      expect(r.stdout).toContain('@plan rec /var/recordings/$(touch pwned) *.mp4\n');
      await expect(fs.access(path.join(home, 'pwned'))).rejects.toThrow();
      expect(r.status).toBe(1);
      expect(report.outcome).toBe('failed');
      expect(report.summary).toMatch(/Nothing was changed: .* needs passwordless sudo/);
      expect(report.steps.map((s) => s.state)).toEqual(['failed', 'skipped', 'skipped', 'skipped']);
      // The device's lease went with the job, for the next operation.
      const leaseInfo = path.join(home, '.tally', 'lease', 'info');
      await until('the lease to be let go', async () => !(await fs.stat(leaseInfo).catch(() => null)), 5_000);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });

  it('without the profile’s ingest control, starts the recorder with every camera (no hold file)', () => {
    const { ingest: _ingest, ...api } = profile.recorderApi;
    const text = resetScript({ ...input, profile: { ...profile, recorderApi: api } }).text;
    expect(text).toMatch(/^HOLD=''$/m);
  });
});

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import { parseRollbackOutput, type RollbackMeta } from '../../../src-main/core/rollback/rollback-report.js';
import { rollbackScript } from '../../../src-main/core/rollback/rollback-script.js';

const meta: RollbackMeta = {
  id: 'rollback-20261206t020000-ab12cd34',
  deviceId: 'd1',
  device: 'demo-r58',
  who: 'alice@laptop (web)',
  startedAt: '2026-12-06T02:00:00.000Z',
  target: 'b'.repeat(40),
  probationMs: 10_000,
};
const OLD = 'a'.repeat(40);
const NEW = 'c'.repeat(40);
const T = 1_796_522_400_000;

const unhealthyThenBack = [
  `@begin ${T} ${meta.id}`,
  `@head ${OLD}`,
  `@step 1 begin ${T}`,
  `@ref refs/tally/backup/${meta.id}`,
  `@step 1 end ok ${T + 20}`,
  `@step 2 begin ${T + 20}`,
  `@made ${NEW}`,
  `@step 2 end ok ${T + 60}`,
  `@step 3 begin ${T + 60}`,
  '@say 3 preke-recorder is active.',
  `@step 3 end ok ${T + 700}`,
  `@step 4 begin ${T + 700}`,
  '@health 4 0 4 4 4 0 -',
  '@health 4 1000 3 4 3 1 cam2',
  '@evidence [  12.5] Internal error: Oops: 96000005 [#1] SMP',
  '@say 4 Unhealthy: new kernel fault: Internal error: Oops',
  `@step 4 end failed ${T + 2000}`,
  `@step 5 begin ${T + 2000}`,
  `@ref refs/tally/failed/${meta.id}`,
  `@step 5 end ok ${T + 2600}`,
  `@step 6 begin ${T + 2600}`,
  '@health 6 0 4 4 4 0 -',
  '@health 6 10000 4 4 4 0 -',
  `@step 6 end ok ${T + 13000}`,
  `@ended ${OLD}`,
  `@outcome reverted ${T + 13000} bbbbbbb was unhealthy (new kernel fault); went back to aaaaaaa by itself, healthy again.`,
].join('\n');

describe('rollback report', () => {
  it('reads an unhealthy target that went back by itself: both windows, the refs that keep every commit, the evidence', () => {
    const r = parseRollbackOutput(unhealthyThenBack, meta, 5);
    expect(r.outcome).toBe('reverted');
    expect(r.summary).toMatch(/went back to aaaaaaa by itself/);
    expect(r.from).toBe(OLD);
    expect(r.made).toBe(NEW);
    expect(r.endedOn).toBe(OLD);
    expect(r.refs).toEqual([`refs/tally/backup/${meta.id}`, `refs/tally/failed/${meta.id}`]);
    expect(r.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'failed', 'done', 'done']);
    expect(r.steps[2]?.durationMs).toBe(640);
    expect(r.health).toHaveLength(2);
    expect(r.health[1]).toEqual({
      atMs: 1000,
      streaming: 3,
      cameras: 4,
      sessions: 3,
      kernelFaults: 1,
      stalled: ['cam2'],
    });
    expect(r.recheck).toHaveLength(2);
    expect(r.evidence[0]).toMatch(/Internal error: Oops/);
  });

  it('while it runs, the summary names the current step; a job that died without an outcome is a failure that says so', () => {
    const partial = unhealthyThenBack.split('\n').slice(0, 13).join('\n');
    expect(parseRollbackOutput(partial, meta).summary).toBe(
      'Probation: cameras, VPU sessions, kernel, encoders…',
    );
    const died = parseRollbackOutput(partial, meta, 137);
    expect(died.outcome).toBe('failed');
    expect(died.summary).toMatch(/exit code 137 before it finished.*refs\/tally/);
  });
});

describe('rollback job script', () => {
  const input = {
    jobId: meta.id,
    profile: loadProfile('r58'),
    sessionFile: '/sys/kernel/debug/mpp_service/session',
    target: meta.target,
    targetSubject: "Roll back to x264 $(touch /tmp/pwned) 'quoted'",
    targetCameras: ['cam0', 'cam1'],
    targetSessions: 0,
    headCameras: ['cam0', 'cam1'],
    headSessions: 2,
    recordings: true,
    probationMs: 10_000,
    leaseInfo: `id=${meta.id}\nkind=rollback`,
  };

  it('is valid POSIX sh (dash -n) with every value a quoted variable, a hostile subject staying text', () => {
    const text = rollbackScript(input).text;
    expect(() => execFileSync('dash', ['-n'], { input: text })).not.toThrow();
    expect(text).toMatch(/^TARGET=b{40}$/m);
    expect(text).toMatch(/^CAMS='cam0 cam1'$/m);
    expect(text).toContain(
      `MESSAGE='Tally: roll back to bbbbbbb (Roll back to x264 $(touch /tmp/pwned) '\\''quoted'\\'')`,
    );
    // The old HEAD is never reset away without a ref keeping the rollback's commit.
    expect(text.indexOf('refs/tally/failed/$JOB')).toBeLessThan(
      text.indexOf('g reset -q --hard "$OLD"\nsay'),
    );
  });

  it('refuses a target that is not a commit id before anything is built', () => {
    expect(() => rollbackScript({ ...input, target: 'HEAD~1; reboot' })).toThrow(/Commit id/);
  });
});

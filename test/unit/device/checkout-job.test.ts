import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import { checkoutJobScript, gitBlobId } from '../../../src-main/core/device/checkout-job.js';
import {
  holdsLease,
  parseCheckoutOutput,
  type CheckoutMeta,
} from '../../../src-main/core/device/checkout-report.js';
import { operationOf } from '../../../src-main/core/recorder/apply-report.js';

const meta: CheckoutMeta = {
  kind: 'tree',
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
    const r = parseCheckoutOutput(unhealthyThenBack, meta, 5);
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
    expect(parseCheckoutOutput(partial, meta).summary).toBe(
      'Probation: cameras, VPU sessions, kernel, encoders…',
    );
    const died = parseCheckoutOutput(partial, meta, 137);
    expect(died.outcome).toBe('failed');
    expect(died.summary).toMatch(/exit code 137 before it finished.*refs\/tally/);
  });
});

describe('rollback job script', () => {
  const input = {
    jobId: meta.id,
    profile: loadProfile('r58'),
    sessionFile: '/sys/kernel/debug/mpp_service/session',
    change: {
      kind: 'tree' as const,
      target: meta.target,
      targetSubject: "Roll back to x264 $(touch /tmp/pwned) 'quoted'",
    },
    title: 'Roll back demo-r58 to bbbbbbb',
    targetCameras: ['cam0', 'cam1'],
    targetSessions: 0,
    headCameras: ['cam0', 'cam1'],
    headSessions: 2,
    recordings: true,
    probationMs: 10_000,
    leaseInfo: `id=${meta.id}\nkind=rollback`,
  };

  it('is valid POSIX sh (dash -n) with every value a quoted variable, a hostile subject staying text', () => {
    const text = checkoutJobScript(input).text;
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
    expect(() =>
      checkoutJobScript({ ...input, change: { ...input.change, target: 'HEAD~1; reboot' } }),
    ).toThrow(/Commit id/);
  });
});

describe('config apply job', () => {
  const text = "cameras:\n  cam0:\n    encoder: mpph264enc bps=6000000 # $(reboot) 'x'\n";
  const input = {
    jobId: 'apply-20261206t020000-ab12cd34',
    profile: loadProfile('r58'),
    sessionFile: '/sys/kernel/debug/mpp_service/session',
    change: {
      kind: 'write' as const,
      text,
      expectBlob: 'd'.repeat(40),
      newBlob: gitBlobId(text),
      message: 'Tally: cam0 → h264-hw',
    },
    title: 'Apply h264-hw to cam0 on demo-r58',
    check: { ms: 120, text: '4 sessions: within the safe limit.' },
    targetCameras: ['cam0'],
    targetSessions: 1,
    headCameras: ['cam0'],
    headSessions: 0,
    recordings: false,
    probationMs: 30_000,
    leaseInfo: 'id=apply-20261206t020000-ab12cd34\nkind=config.apply',
  };

  it('carries the new config.yml as one quoted value, checked by its blob id before and after the write', () => {
    const script = checkoutJobScript(input).text;
    expect(() => execFileSync('dash', ['-n'], { input: script })).not.toThrow();
    expect(script).toMatch(/^MODE=write$/m);
    expect(script).toContain(
      `NEW_TEXT='cameras:\n  cam0:\n    encoder: mpph264enc bps=6000000 # $(reboot) '\\''x'\\''\n'`,
    );
    expect(script).toMatch(new RegExp(`^NEW_BLOB=${gitBlobId(text)}$`, 'm'));
    // git's own blob id of the text, so the device can check it wrote exactly this.
    expect(gitBlobId(text)).toBe(
      execFileSync('git', ['hash-object', '--stdin'], { input: text }).toString().trim(),
    );
  });

  it('refuses a blob id that is not one', () => {
    expect(() => checkoutJobScript({ ...input, change: { ...input.change, expectBlob: 'HEAD' } })).toThrow(
      /Not a blob id/,
    );
  });

  const applyMeta: CheckoutMeta = {
    ...meta,
    kind: 'write',
    id: input.jobId,
    target: '',
    probationMs: 30_000,
  };
  const healthy = [
    `@begin ${T} ${input.jobId}`,
    '@title Apply h264-hw to cam0 on demo-r58',
    '@check 120 4 sessions: within the safe limit.',
    `@head ${OLD}`,
    `@step 1 begin ${T}`,
    `@step 1 end ok ${T + 20}`,
    `@step 2 begin ${T + 20}`,
    '@say 2 config.yml written (temp file, checked, renamed).',
    `@made ${NEW}`,
    `@step 2 end ok ${T + 60}`,
    `@step 3 begin ${T + 60}`,
    `@step 3 end ok ${T + 700}`,
    `@step 4 begin ${T + 700}`,
    '@health 4 12000 1 1 1 0 -',
  ];

  it("shows as an operation: the console's check, then the device's steps; going back only when it happened", () => {
    const running = operationOf(parseCheckoutOutput(healthy.join('\n'), applyMeta));
    expect(running.title).toBe('Apply h264-hw to cam0 on demo-r58');
    expect(running.state).toBe('running');
    expect(running.steps.map((s) => s.name)).toEqual([
      'Check the change',
      'Keep HEAD under a backup ref',
      'Write config.yml and commit it',
      'Restart the recorder',
      'Watch: cameras, VPU sessions, kernel, encoders',
    ]);
    expect(running.steps[0]).toMatchObject({
      state: 'done',
      detail: '4 sessions: within the safe limit.',
      durationMs: 120,
    });
    expect(running.steps[4]?.detail).toBe('1 of 1 streaming, 1 VPU sessions, no kernel fault (12 of 30 s)');
    expect(running.previousCommit).toBe(OLD);
    expect(running.commit).toBe(NEW);
    expect(holdsLease(parseCheckoutOutput(healthy.slice(0, 4).join('\n'), applyMeta))).toBe(false);
    expect(holdsLease(parseCheckoutOutput(healthy.join('\n'), applyMeta))).toBe(true);

    const reverted = operationOf(parseCheckoutOutput(unhealthyThenBack, applyMeta, 5));
    expect(reverted.state).toBe('reverted');
    expect(reverted.steps.map((s) => s.state)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'failed',
      'done',
      'done',
    ]);
    expect(reverted.refs).toContain(`refs/tally/failed/${meta.id}`);
  });
});

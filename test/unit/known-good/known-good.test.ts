import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  loadAnyProfile,
  type TranscoderProfile,
  type VmsProfile,
} from '../../../src-main/core/device/profile.js';
import {
  dockerTime,
  parseTranscoderCandidates,
  parseVmsCandidates,
  runningImage,
  transcoderCandidatesCommand,
  vmsCandidatesCommand,
} from '../../../src-main/core/known-good/candidates.js';
import { gateLines, stopsText } from '../../../src-main/core/known-good/known-good-service.js';
import { keptBinary, keptImage, swapJobScript } from '../../../src-main/core/known-good/swap-job.js';
import {
  parseSwapOutput,
  swapHoldsLease,
  type SwapMeta,
} from '../../../src-main/core/known-good/swap-report.js';

const transcoder = loadAnyProfile('transcoder') as TranscoderProfile;
const vms = loadAnyProfile('vms') as VmsProfile;
const JOB = 'knowngood-20261206t150000-ab12cd34';
const T = 1_796_562_000_000;

const sections = (parts: Record<string, [string, number]>): string =>
  Object.entries(parts)
    .map(([name, [text, rc]]) => `@@tally-section ${name}\n${text}\n@@tally-rc ${rc}`)
    .join('\n');

const image = (tag: string, id: string, created: string): string =>
  JSON.stringify({
    Containers: 'N/A',
    CreatedAt: created,
    CreatedSince: '2 days ago',
    Digest: '<none>',
    ID: id,
    Repository: 'xg2g-gpu-transcoder',
    SharedSize: 'N/A',
    Size: '1.21GB',
    Tag: tag,
    UniqueSize: 'N/A',
    VirtualSize: '1.21GB',
  });

const inspect = JSON.stringify(
  [
    {
      Id: 'f'.repeat(64),
      Name: '/xg2g-transcoder',
      RestartCount: 0,
      Image: `sha256:aaaaaaaaaaaa${'0'.repeat(52)}`,
      State: {
        Status: 'running',
        Running: true,
        Restarting: false,
        Pid: 4242,
        ExitCode: 0,
        StartedAt: '2026-12-06T14:00:00.000000000Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Config: { ExposedPorts: { '8081/tcp': {} }, Image: 'xg2g-gpu-transcoder:production' },
    },
  ],
  null,
  4,
);

describe('known-good candidates', () => {
  it('lists the repository’s other tags with the running image marked, the kept ones named by their switch, newest first', () => {
    const out = sections({
      images: [
        [
          image('production', 'aaaaaaaaaaaa', '2026-12-05 10:00:00 +0000 UTC'),
          image('previous', 'bbbbbbbbbbbb', '2026-11-20 10:00:00 +0000 UTC'),
          image('broken', 'cccccccccccc', '2026-12-06 09:00:00 +0000 UTC'),
          image(`tally-keep-${JOB}`, 'aaaaaaaaaaaa', '2026-12-05 10:00:00 +0000 UTC'),
          JSON.stringify({ Repository: 'debian', Tag: 'bookworm', ID: 'dddddddddddd' }),
          JSON.stringify({ Repository: 'xg2g-gpu-transcoder', Tag: '<none>', ID: 'eeeeeeeeeeee' }),
        ].join('\n'),
        0,
      ],
      inspect: [inspect, 0],
    });
    const c = parseTranscoderCandidates('d1', 'xg2g', transcoder, out);
    expect(c.unit).toBe('image');
    expect(c.slot).toBe('xg2g-gpu-transcoder:production');
    expect(c.running).toEqual({ ref: 'xg2g-gpu-transcoder:production', id: 'aaaaaaaaaaaa' });
    expect(c.candidates.map((x) => x.name)).toEqual(['broken', `tally-keep-${JOB}`, 'previous']);
    expect(c.candidates.find((x) => x.name === 'previous')).toMatchObject({
      ref: 'xg2g-gpu-transcoder:previous',
      current: false,
      created: '2026-11-20T10:00:00.000Z',
      keptBySwitch: null,
    });
    expect(c.candidates.find((x) => x.name.startsWith('tally-keep'))).toMatchObject({
      current: true,
      keptBySwitch: JOB,
    });
  });

  it('says what to check when docker cannot be asked', () => {
    const out = sections({ images: ['sudo: a password is required', 1], inspect: ['', 1] });
    expect(() => parseTranscoderCandidates('d1', 'xg2g', transcoder, out)).toThrow(
      /docker images did not answer on xg2g: sudo asks for a password; allow the login user passwordless sudo for docker\. Check that ops may run "sudo -n docker"/,
    );
  });

  it('reads docker’s times and a missing or odd inspect without throwing', () => {
    expect(dockerTime('2026-12-05 10:00:00 +0100 CET')).toBe('2026-12-05T09:00:00.000Z');
    expect(dockerTime('yesterday')).toBeNull();
    expect(runningImage('[]', 0)).toEqual({ ref: null, id: null });
    expect(runningImage('Error: No such object: xg2g-transcoder', 1)).toEqual({ ref: null, id: null });
  });

  it('lists the VMS binary’s backups with checksums; the deployed one is marked where a backup is the same file', () => {
    const out = [
      '151000 1796500000\t111111111111\t/opt/vms/vms-recorder',
      '149000 1796400000\t222222222222\t/opt/vms/vms-recorder.before-phase3',
      '150000 1796450000\t333333333333\t/opt/vms/vms-recorder.broken-build',
      `151000 1796560000\t111111111111\t/opt/vms/vms-recorder.tally-${JOB}`,
    ].join('\n');
    const c = parseVmsCandidates('d2', 'vms1', vms, out);
    expect(c.unit).toBe('binary');
    expect(c.running).toEqual({ ref: '/opt/vms/vms-recorder', id: '111111111111' });
    expect(c.candidates.map((x) => [x.name, x.current, x.keptBySwitch])).toEqual([
      [`vms-recorder.tally-${JOB}`, true, JOB],
      ['vms-recorder.broken-build', false, null],
      ['vms-recorder.before-phase3', false, null],
    ]);
    expect(c.candidates[2]).toMatchObject({ ref: '/opt/vms/vms-recorder.before-phase3', size: '149000' });
    expect(() => parseVmsCandidates('d2', 'vms1', vms, '')).toThrow(/vms1 has no \/opt\/vms\/vms-recorder/);
  });

  it('reads the device with sudo -n docker / a glob beside the binary, valid sh', () => {
    const t = transcoderCandidatesCommand(transcoder).text;
    expect(t).toContain("sudo -n docker images --format '{{json .}}'");
    expect(t).toContain('sudo -n docker inspect xg2g-transcoder');
    const v = vmsCandidatesCommand(vms).text;
    expect(v).toContain('/opt/vms/vms-recorder /opt/vms/vms-recorder.*;');
    for (const text of [t, v]) expect(() => execFileSync('dash', ['-n'], { input: text })).not.toThrow();
  });
});

describe('known-good plan words', () => {
  it('says what stops, for how long, and what the probation watches, for each kind', () => {
    expect(stopsText(transcoder, 'previous', 20, 60)).toMatch(
      /container xg2g-transcoder is recreated from xg2g-gpu-transcoder:previous: every transcode running now is cut.*within 60 s.*20 s probation.*goes back by itself/,
    );
    expect(stopsText(vms, 'vms-recorder.before-phase3', 20, 60)).toMatch(
      /unit vms-recorder restarts with vms-recorder.before-phase3.*live outputs drop for about a second/,
    );
    expect(gateLines(transcoder)).toEqual([
      'xg2g-transcoder running, its RestartCount flat',
      'http://127.0.0.1:8081/health answers 200 with vaapi_available true',
    ]);
    expect(gateLines(vms)[1]).toBe('a new segment per camera in /var/vms/recordings after the restart');
  });
});

describe('swap job script', () => {
  const input = { jobId: JOB, probationMs: 20_000, startMs: 30_000, leaseInfo: 'id=x\nkind=knownGood' };

  it('is valid POSIX sh for both kinds, keeps what runs under its own name, a hostile title stays text', () => {
    const title = `Switch "x" to $(reboot) \`id\` 'y'`;
    const t = swapJobScript({ ...input, profile: transcoder, target: 'previous', title }).text;
    const v = swapJobScript({ ...input, profile: vms, target: 'vms-recorder.before-phase3', title }).text;
    for (const text of [t, v]) {
      expect(() => execFileSync('dash', ['-n'], { input: text })).not.toThrow();
      expect(text).toContain(`TITLE='Switch "x" to $(reboot) \`id\` '\\''y'\\'''`);
      expect(text).toContain('lease_take "$JOB"');
    }
    expect(t).toContain(`KEPT=xg2g-gpu-transcoder:tally-keep-${JOB}`);
    expect(t).toContain('TARGET_REF=xg2g-gpu-transcoder:previous');
    expect(t).toContain('COMPOSE=/opt/xg2g/docker-compose.minimal.yml');
    expect(t).toContain('D compose -f "$COMPOSE" up -d --force-recreate "$SERVICE"');
    expect(v).toContain(`KEPT=/opt/vms/vms-recorder.tally-${JOB}`);
    expect(v).toContain('TARGET_REF=/opt/vms/vms-recorder.before-phase3');
    expect(keptImage(transcoder, JOB)).toBe(`xg2g-gpu-transcoder:tally-keep-${JOB}`);
    expect(keptBinary(vms, JOB)).toBe(`/opt/vms/vms-recorder.tally-${JOB}`);
  });

  it('refuses a target that is a path or carries shell text', () => {
    for (const target of ['../../etc/passwd', 'previous; reboot', '-rf', ''])
      expect(() => swapJobScript({ ...input, profile: transcoder, target, title: 't' })).toThrow(
        /Not a tag or backup name/,
      );
  });
});

const meta: SwapMeta = {
  id: JOB,
  deviceId: 'd1',
  device: 'xg2g',
  who: 'alice@laptop (web)',
  unit: 'image',
  startedAt: '2026-12-06T15:00:00.000Z',
  target: 'xg2g-gpu-transcoder:broken',
  probationMs: 20_000,
};

const revertedRun = [
  `@begin ${T} ${JOB}`,
  '@title Switch xg2g to xg2g-gpu-transcoder:broken',
  `@step 1 begin ${T}`,
  '@from xg2g-gpu-transcoder:production aaaaaaaaaaaa',
  `@kept xg2g-gpu-transcoder:tally-keep-${JOB}`,
  `@say 1 The running image aaaaaaaaaaaa is kept as xg2g-gpu-transcoder:tally-keep-${JOB}.`,
  `@step 1 end ok ${T + 100}`,
  `@step 2 begin ${T + 100}`,
  `@step 2 end ok ${T + 200}`,
  `@step 3 begin ${T + 200}`,
  '@say 3 docker compose up -d --force-recreate transcoder: exit 0.',
  `@step 3 end ok ${T + 1500}`,
  `@step 4 begin ${T + 1500}`,
  '@health 4 0 0 running, restarts 0, /health 503, vaapi_available not true (VAAPI device not available)',
  '@say 4 Unhealthy: not healthy 10 s after the restart: running, restarts 0, /health 503',
  `@step 4 end failed ${T + 11_500}`,
  `@step 5 begin ${T + 11_500}`,
  `@step 5 end ok ${T + 13_000}`,
  `@step 6 begin ${T + 13_000}`,
  '@health 6 0 1 running, restarts 0, /health 200',
  '@health 6 20000 1 running, restarts 0, /health 200',
  `@step 6 end ok ${T + 34_000}`,
  '@ended aaaaaaaaaaaa',
  `@outcome reverted ${T + 34_000} xg2g-gpu-transcoder:broken was unhealthy (not healthy 10 s after the restart); reverted by itself to what ran before (xg2g-gpu-transcoder:tally-keep-${JOB}), healthy again.`,
].join('\n');

describe('swap report', () => {
  it('reads a switch that reverted by itself: both windows, what was kept, why', () => {
    const r = parseSwapOutput(revertedRun, meta, 5);
    expect(r.outcome).toBe('reverted');
    expect(r.summary).toMatch(/reverted by itself/);
    expect(r.from).toBe('xg2g-gpu-transcoder:production');
    expect(r.fromId).toBe('aaaaaaaaaaaa');
    expect(r.kept).toBe(`xg2g-gpu-transcoder:tally-keep-${JOB}`);
    expect(r.endedOn).toBe('aaaaaaaaaaaa');
    expect(r.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'failed', 'done', 'done']);
    expect(r.steps[2]?.durationMs).toBe(1300);
    expect(r.health).toEqual([
      {
        atMs: 0,
        healthy: false,
        text: 'running, restarts 0, /health 503, vaapi_available not true (VAAPI device not available)',
      },
    ]);
    expect(r.recheck).toHaveLength(2);
    expect(r.evidence[0]).toMatch(/\/health 503/);
  });

  it('holds the lease once a step began; until the job exits it is still running; a job that died says so', () => {
    const lines = revertedRun.split('\n');
    expect(swapHoldsLease(parseSwapOutput(lines.slice(0, 2).join('\n'), meta))).toBe(false);
    const partial = parseSwapOutput(lines.slice(0, 13).join('\n'), meta);
    expect(swapHoldsLease(partial)).toBe(true);
    expect(partial.outcome).toBe('running');
    expect(partial.summary).toBe('Probation: the box’s own health…');
    expect(parseSwapOutput(revertedRun, meta, null).outcome).toBe('running');
    const died = parseSwapOutput(lines.slice(0, 13).join('\n'), meta, 137);
    expect(died.outcome).toBe('failed');
    expect(died.summary).toMatch(/exit code 137 before it finished.*kept as xg2g-gpu-transcoder:tally-keep-/);
    expect(died.steps[3]?.state).toBe('failed');
  });

  it('a refused switch changed nothing and says who holds the device', () => {
    const r = parseSwapOutput(
      [
        `@begin ${T} ${JOB}`,
        '@busy Restart xg2g-transcoder',
        '@ended aaaaaaaaaaaa',
        `@outcome refused ${T + 50} Another operation holds the device: Restart xg2g-transcoder. Nothing was changed.`,
      ].join('\n'),
      meta,
      2,
    );
    expect(r.outcome).toBe('refused');
    expect(r.steps.every((s) => s.state === 'pending')).toBe(true);
    expect(r.evidence).toEqual(['The device was busy: Restart xg2g-transcoder']);
  });
});

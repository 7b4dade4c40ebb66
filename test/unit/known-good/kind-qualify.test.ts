import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  loadAnyProfile,
  type TranscoderProfile,
  type VmsProfile,
} from '../../../src-main/core/device/profile.js';
import { qualifyMeta } from '../../../src-main/core/kind-qualify/kind-qualify-service.js';
import {
  cpuJobScript,
  transcodeJobScript,
  transcodeUrl,
} from '../../../src-main/core/kind-qualify/qualify-job.js';
import {
  frameRate,
  parseKindQualifyOutput,
  readProbe,
} from '../../../src-main/core/kind-qualify/qualify-report.js';

const transcoder = loadAnyProfile('transcoder') as TranscoderProfile;
const vms = loadAnyProfile('vms') as VmsProfile;
const T = 1_796_562_000_000;
const base = {
  id: 'kindqualify-20261206t150000-ab12cd34',
  deviceId: 'd1',
  device: 'box',
  who: 'alice',
  startedAt: '2026-12-06T15:00:00.000Z',
};
const tMeta = qualifyMeta(transcoder, base, 'http://127.0.0.1:17999/test.ts');
const vMeta = qualifyMeta(vms, base, null);

const probe = (
  over: { video?: string; audio?: string | null; frames?: number; format?: string } = {},
): string =>
  JSON.stringify({
    programs: [],
    streams: [
      {
        codec_name: over.video ?? 'h264',
        profile: 'High',
        codec_type: 'video',
        r_frame_rate: '25/1',
        avg_frame_rate: '25/1',
        nb_read_frames: String(over.frames ?? 225),
      },
      ...(over.audio === null
        ? []
        : [{ codec_name: over.audio ?? 'aac', profile: 'LC', codec_type: 'audio', r_frame_rate: '0/0' }]),
    ],
    format: { format_name: over.format ?? 'mpegts', duration: '9.020000' },
  });

const transcodeRun = (curl: string, probeJson: string): string =>
  [
    `@begin ${T} ${base.id}`,
    '@say Reading http://127.0.0.1:8081/transcode?source_url=… for 10 s, unbuffered (curl -N).',
    '@progress 1000 0',
    '@progress 2000 150000',
    `@curl ${curl}`,
    `@probe ${probeJson}`,
    `@end ${T + 11_000}`,
  ].join('\n');

describe('transcoder qualification (seed 003)', () => {
  it('builds the /transcode URL from the health URL’s origin, the source encoded', () => {
    expect(transcodeUrl(transcoder, 'http://127.0.0.1:17999/test.ts')).toBe(
      'http://127.0.0.1:8081/transcode?source_url=http%3A%2F%2F127.0.0.1%3A17999%2Ftest.ts',
    );
  });

  it('the job reads unbuffered with a time limit, probes with -count_frames, and is valid sh', () => {
    const text = transcodeJobScript({
      jobId: base.id,
      url: transcodeUrl(transcoder, 'http://127.0.0.1:17999/test.ts?x=1&y=2'),
      seconds: 10,
      leaseInfo: 'id=x',
    }).text;
    expect(text).toContain('curl -N -sS --max-time "$READ_S"');
    expect(text).toContain('ffprobe -v error -count_frames');
    expect(text).toContain("URL='http://127.0.0.1:8081/transcode?source_url=");
    expect(() => execFileSync('dash', ['-n'], { input: text })).not.toThrow();
    expect(() =>
      transcodeJobScript({
        jobId: base.id,
        url: 'http://example.com/transcode?x',
        seconds: 10,
        leaseInfo: '',
      }),
    ).toThrow(/loopback/);
  });

  it('passes MPEG-TS with H.264 + AAC at real time; curl’s exit 28 at the time limit is expected', () => {
    // 225 frames at 25 fps = 9 s of media in the 10 − 1.2 = 8.8 s after the first byte.
    const r = parseKindQualifyOutput(transcodeRun('28 1.200000 1500000 200', probe()), tMeta, 0);
    expect(r.outcome, r.summary).toBe('passed');
    expect(r.transcode).toMatchObject({
      startupS: 1.2,
      bytes: 1_500_000,
      httpStatus: 200,
      format: 'mpegts',
      video: 'h264',
      videoProfile: 'High',
      audio: 'aac',
      frames: 225,
      mediaS: 9,
      speed: 1.02,
    });
    expect(r.checks.map((c) => [c.id, c.state])).toEqual([
      ['answer', 'passed'],
      ['startup', 'passed'],
      ['format', 'passed'],
      ['video', 'passed'],
      ['audio', 'passed'],
      ['speed', 'passed'],
    ]);
    expect(r.summary).toMatch(
      /Passed seed 003’s test: MPEG-TS with h264 \+ aac, first byte in 1\.20 s, 1\.02× real time/,
    );
  });

  it('fails slow output, a late start, the wrong codec and a missing audio track, each with its figure', () => {
    const slow = parseKindQualifyOutput(
      transcodeRun('28 1.000000 900000 200', probe({ frames: 150 })),
      tMeta,
      0,
    );
    expect(slow.outcome).toBe('failed');
    expect(slow.checks.find((c) => c.id === 'speed')).toMatchObject({
      state: 'failed',
      value: '0.67× (6.0 s of media in 9.0 s)',
      limit: '≥ 1× real time',
    });
    expect(slow.summary).toMatch(/^Failed: speed/);
    const late = parseKindQualifyOutput(transcodeRun('28 4.500000 900000 200', probe()), tMeta, 0);
    expect(late.checks.find((c) => c.id === 'startup')).toMatchObject({ state: 'failed', value: '4.50 s' });
    const hevc = parseKindQualifyOutput(
      transcodeRun('28 1.0 900000 200', probe({ video: 'mpeg2video', audio: null })),
      tMeta,
      0,
    );
    expect(hevc.checks.filter((c) => c.state === 'failed').map((c) => c.id)).toEqual(['video', 'audio']);
  });

  it('a transcoder that does not answer fails every check, and says so', () => {
    const r = parseKindQualifyOutput(
      [`@begin ${T} x`, '@curl 7 0.000000 0 000', '@say curl: (7) Failed to connect', `@end ${T + 100}`].join(
        '\n',
      ),
      tMeta,
      0,
    );
    expect(r.outcome).toBe('failed');
    expect(r.checks.find((c) => c.id === 'answer')).toMatchObject({
      state: 'failed',
      value: 'HTTP none, 0 bytes',
    });
    expect(r.transcode?.startupS).toBeNull();
    expect(r.log).toContain('curl: (7) Failed to connect');
  });

  it('while it runs the checks are pending and the progress grows; a refused run measured nothing', () => {
    const running = parseKindQualifyOutput(
      transcodeRun('28 1.2 1 200', probe()).split('\n').slice(0, 4).join('\n'),
      tMeta,
      null,
    );
    expect(running.outcome).toBe('running');
    expect(running.elapsedS).toBe(2);
    expect(running.checks.every((c) => c.state === 'pending')).toBe(true);
    const refused = parseKindQualifyOutput(
      [
        `@begin ${T} x`,
        '@busy Switch box',
        `@refused ${T + 10} Another operation holds the device: Switch box.`,
      ].join('\n'),
      tMeta,
      2,
    );
    expect(refused.outcome).toBe('refused');
    expect(refused.summary).toBe('Another operation holds the device: Switch box. Nothing was measured.');
  });

  it('reads ffprobe’s frame rates and falls back to the format duration', () => {
    expect(frameRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(frameRate('0/0')).toBeNull();
    expect(frameRate(undefined)).toBeNull();
    expect(
      readProbe(
        JSON.stringify({
          streams: [{ codec_type: 'video', codec_name: 'h264' }],
          format: { format_name: 'mpegts', duration: '7.5' },
        }),
      ).mediaS,
    ).toBe(7.5);
    expect(readProbe('Invalid data found when processing input').error).toMatch(
      /ffprobe could not read the stream/,
    );
  });
});

/** A VMS run: per camera `pid:ticks` at each snapshot, 100 ticks a second, 5 s apart. */
const cpuRun = (
  ticks: [number, number][],
  opts: { baseline?: string; recorded?: string; pidsB?: string[] } = {},
): string =>
  [
    `@begin ${T} ${base.id}`,
    '@clk 100',
    '@cameras Duc_Tai_Dendo_1 Duc_Tai_Dendo_2',
    ...(opts.baseline ? [`@baseline ${opts.baseline}`] : []),
    '@say Sampling the cameras’ CPU 6 times, 5 s apart (percent of one core).',
    ...ticks.map(
      ([a, b], i) =>
        `@snap ${T + 1000 + i * 5000} Duc_Tai_Dendo_1:101613:${a} Duc_Tai_Dendo_2:${opts.pidsB?.[i] ?? '101614'}:${b}`,
    ),
    ...(opts.recorded ? [`@recorded ${opts.recorded}`] : []),
    `@end ${T + 32_000}`,
  ].join('\n');

/** Seed 004's figures: ~23.4 % of one core a camera = 117 ticks per 5 s at 100 ticks/s. */
const steady = Array.from({ length: 7 }, (_, i) => [1000 + i * 117, 2000 + i * 117] as [number, number]);
const baseline = JSON.stringify({
  recordedAt: '2026-12-01T10:00:00Z',
  totalPercent: 46.7,
  perCamera: { Duc_Tai_Dendo_1: 23.4, Duc_Tai_Dendo_2: 23.3 },
  samples: 6,
  everyS: 5,
});

describe('VMS qualification (seed 004)', () => {
  it('the job samples /proc/<pid>/stat of the cameras’ processes and keeps its baseline in ~/.tally; valid sh', () => {
    const text = cpuJobScript({ jobId: base.id, profile: vms, newBaseline: false, leaseInfo: 'id=x' }).text;
    expect(text).toContain('SAMPLES=6');
    expect(text).toContain('EVERY=5');
    expect(text).toContain('BASELINE="$HOME"/.tally/baseline-vms.json');
    expect(() => execFileSync('dash', ['-n'], { input: text })).not.toThrow();
  });

  it('six readings over 30 s, total and per camera, within the box’s own baseline: passed', () => {
    const r = parseKindQualifyOutput(cpuRun(steady, { baseline }), vMeta, 0);
    expect(r.outcome, r.summary).toBe('passed');
    expect(r.cpu?.samples).toHaveLength(6);
    expect(r.cpu?.samples[0]).toEqual({
      atMs: 6000,
      total: 46.8,
      perCamera: { Duc_Tai_Dendo_1: 23.4, Duc_Tai_Dendo_2: 23.4 },
    });
    expect(r.cpu?.totalPercent).toBe(46.8);
    expect(r.cpu?.recordedBaseline).toBe(false);
    expect(r.checks.find((c) => c.id === 'total')).toMatchObject({
      state: 'passed',
      value: '46.8 %',
      limit: '≤ 53.7 % (baseline 46.7 % + 15 %)',
    });
    expect(r.summary).toBe('Passed seed 004’s test: 46.8 % for 2 cameras within the box’s baseline.');
  });

  it('CPU crept above its own baseline: failed, naming the figure and the limit', () => {
    const hot = Array.from({ length: 7 }, (_, i) => [1000 + i * 117, 2000 + i * 200] as [number, number]);
    const r = parseKindQualifyOutput(cpuRun(hot, { baseline }), vMeta, 0);
    expect(r.outcome).toBe('failed');
    expect(r.checks.find((c) => c.id === 'camera:Duc_Tai_Dendo_2')).toMatchObject({
      state: 'failed',
      value: '40.0 %',
      limit: '≤ 26.8 % (baseline 23.3 % + 15 %)',
    });
    expect(r.checks.find((c) => c.id === 'budget')).toMatchObject({
      state: 'failed',
      value: 'over: Duc_Tai_Dendo_2 40.0 %',
    });
    expect(r.summary).toMatch(/^Failed: CPU of all cameras/);
  });

  it('the first run records the baseline and says so', () => {
    const recorded = baseline.replace('46.7', '46.8');
    const r = parseKindQualifyOutput(cpuRun(steady, { recorded }), vMeta, 0);
    expect(r.outcome).toBe('passed');
    expect(r.cpu?.recordedBaseline).toBe(true);
    expect(r.cpu?.baseline?.totalPercent).toBe(46.8);
    expect(r.checks.find((c) => c.id === 'total')?.limit).toBe('baseline recorded now');
    expect(r.summary).toMatch(
      /This run recorded the box’s baseline \(46\.8 % for 2 cameras\); later runs compare with it\./,
    );
  });

  it('a camera whose process changed during the test fails the run; its readings are unknown, not zero', () => {
    const r = parseKindQualifyOutput(
      cpuRun(steady, {
        baseline,
        pidsB: ['101614', '101614', '101614', '101999', '101999', '101999', '101999'],
      }),
      vMeta,
      0,
    );
    expect(r.outcome).toBe('failed');
    expect(r.cpu?.samples[2]?.perCamera['Duc_Tai_Dendo_2']).toBeNull();
    expect(r.cpu?.samples[2]?.total).toBeNull();
    expect(r.cpu?.samples[3]?.perCamera['Duc_Tai_Dendo_2']).toBe(23.4);
    expect(r.checks[0]).toMatchObject({
      id: 'cameras',
      state: 'failed',
      value: 'restarted or gone: Duc_Tai_Dendo_2',
    });
  });

  it('a camera of the baseline that is gone, or a new one without a baseline, fails with what to do', () => {
    const three = JSON.stringify({
      ...JSON.parse(baseline),
      perCamera: { Duc_Tai_Dendo_1: 23.4, Duc_Tai_Dendo_3: 23.3 },
    });
    const r = parseKindQualifyOutput(cpuRun(steady, { baseline: three }), vMeta, 0);
    expect(r.checks.find((c) => c.id === 'camera:Duc_Tai_Dendo_2')).toMatchObject({
      state: 'failed',
      limit: 'no baseline for it: record a new one',
    });
    expect(r.checks.find((c) => c.id === 'missing')).toMatchObject({
      state: 'failed',
      value: 'missing: Duc_Tai_Dendo_3',
    });
  });
});

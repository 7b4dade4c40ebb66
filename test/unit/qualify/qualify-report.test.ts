/**
 * The qualification job's program (valid POSIX sh, every value a quoted variable) and the parser of its `@` lines.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { qualifyProgressS } from '../../../src-main/contract/index.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import { buildPipeline } from '../../../src-main/core/media/pipeline-builder.js';
import { parseQualifyOutput, type QualifyMeta } from '../../../src-main/core/qualify/qualify-report.js';
import { qualifyScript, type QualifyScriptInput } from '../../../src-main/core/qualify/qualify-script.js';

const meta: QualifyMeta = {
  id: 'qualify-20261206t030000-abcd1234',
  deviceId: 'd1',
  device: 'r58-stage',
  who: 'op@laptop (cli)',
  startedAt: '2026-12-06T03:00:00.000Z',
  subject: {
    kind: 'head',
    label: 'HEAD aaaaaaa (x)',
    commit: 'a'.repeat(40),
    encoder: 'mpph264enc bps=8000000',
  },
  variant: 'quick',
  durationsS: [10, 60, 10],
  inputFps: 30,
  rtspPath: 'cam0',
};

const T0 = 1_796_000_000_000;

describe('parseQualifyOutput', () => {
  it('reads a passing run: samples, peaks, sessions opened, rate, probe, memory, MediaMTX bytes and the note', () => {
    const out = [
      `@begin ${T0} ${meta.id}`,
      '@kernel 5.10.160-rockchip-rk3588',
      '@recorder before active',
      '@say Stopped preke-recorder for the tests; it starts again at the end.',
      `@test 1 begin ${T0 + 100} 0`,
      '@mem 1 start 20480',
      '@sample 1 1000 35 47500 1',
      '@sample 1 2000 52 48200 1',
      '@mem 1 end 24576',
      '@kline 1 [  12.000000] rk_vcodec: fdc38100.rkvenc-core: resetting',
      '@rate 1 300 10020',
      '@probe 1 h264 10.000000 300 ffprobe',
      `@test 1 end passed ${T0 + 11_200}`,
      `@test 2 begin ${T0 + 11_300} 0`,
      `@test 2 end passed ${T0 + 72_000}`,
      `@test 3 begin ${T0 + 72_100} 0`,
      '@mtx 3 offline -',
      '@mtx 3 online 40000',
      '@mtx 3 online 90000',
      `@test 3 end passed ${T0 + 83_000}`,
      '@recorder after active',
      `@note written ${'a'.repeat(40)} Kept as a git note under refs/notes/tally-qualify on aaaaaaa.`,
      `@outcome passed ${T0 + 84_000} Passed all three tests.`,
    ].join('\n');
    const q = parseQualifyOutput(out, meta, 0);
    expect(q.outcome).toBe('passed');
    expect(q.kernel).toBe('5.10.160-rockchip-rk3588');
    expect(q.recorderBefore).toBe('active');
    expect(q.recorderAfter).toBe('active');
    const [t1, , t3] = q.tests;
    expect(t1).toMatchObject({
      state: 'passed',
      frames: 300,
      encodeFps: 29.9,
      inputFps: 30,
      peakCpu: 52,
      peakTempC: 48.2,
      sessionsOpened: 1,
      memStartKb: 20480,
      memEndKb: 24576,
      kernelFaults: 0,
      probe: { codec: 'h264', durationS: 10, frames: 300, tool: 'ffprobe' },
    });
    expect(t1?.kernelLines).toHaveLength(1);
    expect(t3?.mediamtx).toEqual({ path: 'cam0', online: true, bytesFirst: 40000, bytesLast: 90000 });
    expect(q.note).toEqual({
      commit: 'a'.repeat(40),
      written: true,
      text: 'Kept as a git note under refs/notes/tally-qualify on aaaaaaa.',
    });
    expect(qualifyProgressS(q)).toBe(80);
  });

  it('reads a failing run: the Oops as evidence, the later tests skipped, the reason kept', () => {
    const oops = '[  99.100000] Internal error: Oops: 0000000096000005 [#1] SMP';
    const out = [
      `@begin ${T0} ${meta.id}`,
      `@test 1 begin ${T0 + 100} 0`,
      '@sample 1 1000 20 - 1',
      `@fault 1 ${oops}`,
      '@kline 1 [  99.100100] pc : rkvenc_run+0x1c/0x2b0',
      `@test 1 end failed ${T0 + 2500} kernel fault: ${oops}`,
      `@test 2 end skipped ${T0 + 2600}`,
      `@test 3 end skipped ${T0 + 2600}`,
      `@outcome failed ${T0 + 4000} Failed Test 1: kernel fault: ${oops}`,
    ].join('\n');
    const q = parseQualifyOutput(out, meta, 1);
    expect(q.outcome).toBe('failed');
    expect(q.tests.map((t) => t.state)).toEqual(['failed', 'skipped', 'skipped']);
    expect(q.tests[0]?.kernelFaults).toBe(1);
    expect(q.tests[0]?.reason).toContain('Internal error: Oops');
    expect(q.tests[0]?.peakTempC).toBeNull();
    expect(q.summary).toMatch(/^Failed Test 1/);
  });

  it('says which test runs while it runs, and that a job which died left no outcome', () => {
    const running = parseQualifyOutput(`@begin ${T0} x\n@test 2 begin ${T0} 0\n@sample 2 5000 10 - 0`, meta);
    expect(running.outcome).toBe('running');
    expect(running.summary).toBe('Test 2: sustained encode (60 s)…');
    expect(qualifyProgressS(running)).toBe(5);
    const died = parseQualifyOutput(`@begin ${T0} x\n@test 1 begin ${T0} 0\nKilled`, meta, 137);
    expect(died.outcome).toBe('failed');
    expect(died.summary).toContain('exit code 137');
    expect(died.tests[0]?.state).toBe('failed');
  });
});

describe('qualifyScript', () => {
  const profile = loadProfile('r58');
  const encoder = { element: 'mpph264enc', properties: { bps: 8_000_000, 'bps-max': 16_000_000 } };
  const test = (n: number, sink: 'file' | 'rtsp') => ({
    pipeline: buildPipeline({
      kind: 'test-encode',
      encoder,
      width: 640,
      height: 360,
      framerate: 30,
      buffers: 90,
      live: true,
      sink:
        sink === 'file'
          ? { kind: 'file', location: `/var/tmp/q/test${n}.mp4`, mux: 'mp4mux' }
          : { kind: 'rtsp', url: 'rtsp://127.0.0.1:8554/cam0' },
    }),
    durationS: 3,
    frames: 90,
    file: sink === 'file' ? `/var/tmp/q/test${n}.mp4` : null,
    mtxPath: sink === 'rtsp' ? 'cam0' : null,
  });
  const input: QualifyScriptInput = {
    jobId: meta.id,
    profile,
    sessionFile: '/sys/kernel/debug/mpp_service/session',
    inputFps: 30,
    tests: [test(1, 'file'), test(2, 'file'), test(3, 'rtsp')],
    workDir: '/var/tmp/q',
    recordings: true,
    noteCommit: 'a'.repeat(40),
    noteHead: `{"schema":1,"commit":"${'a'.repeat(40)}","encoder":"x264enc $(touch /tmp/pwned) 'q'","variant":"quick"`,
    leaseInfo: `id=${meta.id}\nkind=qualify`,
  };

  it('is valid POSIX sh (dash -n) with every value a quoted variable, a hostile value staying text', () => {
    const text = qualifyScript(input).text;
    expect(() => execFileSync('dash', ['-n'], { input: text })).not.toThrow();
    expect(text).toMatch(/^NOTE_COMMIT=a{40}$/m);
    expect(text).toContain(
      `NOTE_HEAD='{"schema":1,"commit":"${'a'.repeat(40)}","encoder":"x264enc $(touch /tmp/pwned) '\\''q'\\''","variant":"quick"'`,
    );
    expect(text).toMatch(
      /^pipe1\(\) \{ exec gst-launch-1.0 -e videotestsrc num-buffers=90 is-live=true '!' .* mpph264enc bps=8000000 bps-max=16000000 '!' .* mp4mux '!' filesink location=\/var\/tmp\/q\/test1.mp4; \}$/m,
    );
    expect(text).toMatch(
      /^pipe3\(\) \{ .* rtspclientsink location=rtsp:\/\/127.0.0.1:8554\/cam0 protocols=tcp; \}$/m,
    );
    // Pipelines are stopped by the PID the job started, never by name.
    expect(text).not.toMatch(/pkill|killall/);
  });

  it('refuses a note commit that is not a commit id, and a test file path with control characters', () => {
    expect(() => qualifyScript({ ...input, noteCommit: 'HEAD; reboot' })).toThrow(/Commit id/);
    expect(() =>
      qualifyScript({
        ...input,
        tests: [{ ...test(1, 'file'), file: '/tmp/a\nb' }, test(2, 'file'), test(3, 'rtsp')],
      }),
    ).toThrow(/control characters/);
  });
});

/**
 * Reads the qualification job's `@` lines (qualify-script.ts) into its report. Pure: the whole output so far in,
 * the report out, so a console that reattaches after a dropped link or a restart rebuilds the same report.
 */
import {
  QUALIFY_TESTS,
  type Qualification,
  type QualifyOutcome,
  type QualifySubject,
  type QualifyTestReport,
  type QualifyVariant,
} from '../../contract/index.js';
import { isoFromMs } from '../device/job-lines.js';

export interface QualifyMeta {
  id: string;
  deviceId: string;
  device: string;
  who: string;
  startedAt: string;
  subject: QualifySubject;
  variant: QualifyVariant;
  durationsS: [number, number, number];
  inputFps: number;
  rtspPath: string;
}

const OUTCOMES: readonly QualifyOutcome[] = ['passed', 'failed', 'refused', 'interrupted'];
const MAX_KERNEL_LINES = 40;
const MAX_SAMPLES = 900;

function num(word: string | undefined): number | null {
  if (word === undefined || word === '-' || word === '') return null;
  const n = Number(word);
  return Number.isFinite(n) ? n : null;
}

function emptyTest(n: number, durationS: number, inputFps: number): QualifyTestReport {
  const def = QUALIFY_TESTS[n - 1] ?? QUALIFY_TESTS[0];
  return {
    n,
    id: def.id,
    title: def.title,
    durationS,
    state: 'pending',
    startedAt: null,
    elapsedMs: 0,
    reason: null,
    kernelLines: [],
    kernelFaults: 0,
    sessionsOpened: null,
    frames: null,
    encodeFps: null,
    inputFps,
    probe: null,
    peakCpu: null,
    peakTempC: null,
    memStartKb: null,
    memEndKb: null,
    mediamtx: null,
    samples: [],
  };
}

const max = (a: number | null, b: number | null): number | null =>
  b === null ? a : a === null ? b : Math.max(a, b);

/** `jobExit` is the job's exit code once it ended (null while it runs or when unknown). */
export function parseQualifyOutput(
  output: string,
  meta: QualifyMeta,
  jobExit: number | null = null,
): Qualification {
  const tests = meta.durationsS.map((d, i) => emptyTest(i + 1, d, meta.inputFps));
  const begun = new Map<number, number>();
  const before = new Map<number, number | null>();
  const report: Qualification = {
    id: meta.id,
    deviceId: meta.deviceId,
    device: meta.device,
    who: meta.who,
    startedAt: meta.startedAt,
    endedAt: null,
    outcome: 'running',
    summary: 'Starting the qualification on the device…',
    subject: meta.subject,
    variant: meta.variant,
    totalS: meta.durationsS.reduce((a, b) => a + b, 0),
    kernel: null,
    recorderBefore: null,
    recorderAfter: null,
    note: null,
    tests,
    log: [],
    following: true,
  };
  const unparsed: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('@')) {
      if (line.trim()) unparsed.push(line.trim());
      continue;
    }
    const [tag = '', ...rest] = line.slice(1).split(' ');
    const test = tests.find((t) => t.n === Number(rest[0]));
    switch (tag) {
      case 'begin':
        report.startedAt = isoFromMs(rest[0]) ?? report.startedAt;
        break;
      case 'kernel':
        report.kernel = rest.join(' ') || null;
        break;
      case 'recorder':
        if (rest[0] === 'before') report.recorderBefore = rest[1] ?? null;
        else if (rest[0] === 'after') report.recorderAfter = rest[1] || 'unknown';
        break;
      case 'say':
        report.log.push(rest.join(' '));
        break;
      case 'test':
        if (!test) break;
        if (rest[1] === 'begin') {
          test.state = 'running';
          test.startedAt = isoFromMs(rest[2]);
          begun.set(test.n, Number(rest[2]));
          before.set(test.n, num(rest[3]));
        } else if (rest[1] === 'end') {
          const state = rest[2];
          if (state === 'passed' || state === 'failed' || state === 'skipped') test.state = state;
          const from = begun.get(test.n);
          if (from !== undefined && Number.isFinite(Number(rest[3]))) test.elapsedMs = Number(rest[3]) - from;
          if (state === 'failed') test.reason = rest.slice(4).join(' ') || 'failed';
        }
        break;
      case 'sample': {
        if (!test) break;
        const atMs = num(rest[1]);
        if (atMs === null) break;
        const milli = num(rest[3]);
        const sample = {
          atMs,
          cpu: num(rest[2]),
          tempC: milli === null ? null : Math.round(milli / 100) / 10,
          sessions: num(rest[4]),
        };
        if (test.samples.length < MAX_SAMPLES) test.samples.push(sample);
        test.elapsedMs = Math.max(test.elapsedMs, atMs);
        test.peakCpu = max(test.peakCpu, sample.cpu);
        test.peakTempC = max(test.peakTempC, sample.tempC);
        if (sample.sessions !== null) {
          const opened = sample.sessions - (before.get(test.n) ?? 0);
          test.sessionsOpened = Math.max(test.sessionsOpened ?? 0, opened);
        }
        break;
      }
      case 'mem':
        if (!test) break;
        if (rest[1] === 'start') test.memStartKb = num(rest[2]);
        else if (rest[1] === 'end') test.memEndKb = num(rest[2]);
        break;
      case 'kline':
      case 'fault':
        if (!test) break;
        if (tag === 'fault') test.kernelFaults += 1;
        if (test.kernelLines.length < MAX_KERNEL_LINES) test.kernelLines.push(rest.slice(1).join(' '));
        break;
      case 'rate': {
        if (!test) break;
        const frames = num(rest[1]);
        const ms = num(rest[2]);
        test.frames = frames;
        test.encodeFps = frames !== null && ms ? Math.round((frames * 10_000) / ms) / 10 : null;
        break;
      }
      case 'probe':
        if (!test) break;
        test.probe = {
          codec: rest[1] && rest[1] !== '-' ? rest[1] : null,
          durationS: num(rest[2]),
          frames: num(rest[3]),
          tool: rest.slice(4).join(' '),
        };
        break;
      case 'mtx': {
        if (!test) break;
        const bytes = num(rest[2]);
        const m = test.mediamtx ?? { path: meta.rtspPath, online: false, bytesFirst: null, bytesLast: null };
        test.mediamtx = {
          ...m,
          online: m.online || rest[1] === 'online',
          bytesFirst: m.bytesFirst ?? bytes,
          bytesLast: bytes ?? m.bytesLast,
        };
        break;
      }
      case 'note': {
        const commit = rest[1] && rest[1] !== '-' ? rest[1] : null;
        report.note = { commit, written: rest[0] === 'written', text: rest.slice(2).join(' ') };
        break;
      }
      case 'busy':
        report.log.push(`The device was busy: ${rest.join(' ')}`);
        break;
      case 'outcome': {
        const o = rest[0] as QualifyOutcome;
        if (OUTCOMES.includes(o)) report.outcome = o;
        report.endedAt = isoFromMs(rest[1]);
        report.summary = rest.slice(2).join(' ');
        break;
      }
      default:
        unparsed.push(line);
    }
  }
  if (report.outcome === 'running') {
    const current = tests.find((t) => t.state === 'running');
    if (jobExit !== null) {
      report.outcome = 'failed';
      report.summary = `The qualification job ended with exit code ${jobExit} before it finished.${unparsed.length ? ` Last output: ${unparsed.slice(-2).join(' / ')}` : ''} Check the recorder unit on the device.`;
    } else if (current) report.summary = `${current.title} (${current.durationS} s)…`;
    else {
      const last = [...tests].reverse().find((t) => t.state !== 'pending');
      if (last)
        report.summary =
          last.n < tests.length && last.state === 'passed'
            ? `${last.title}: passed; next, ${tests[last.n]?.title ?? 'the next test'}…`
            : `${last.title}: ${last.state}; restoring the recorder and keeping the result…`;
    }
  }
  if (report.outcome !== 'running') for (const t of tests) if (t.state === 'running') t.state = 'failed';
  return report;
}

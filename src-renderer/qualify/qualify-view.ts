/** Words and looks for a qualification's plan and report. */
import type { QualifyOutcome, QualifyTestReport } from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status.js';

export const OUTCOME_LOOK: Record<QualifyOutcome, { banner: string; tone: Tone }> = {
  running: { banner: 'Qualifying…', tone: 'busy' },
  passed: { banner: 'Passed: known-good on this board', tone: 'ok' },
  failed: { banner: 'Failed qualification', tone: 'bad' },
  refused: { banner: 'Refused: nothing was changed', tone: 'idle' },
  interrupted: { banner: 'Interrupted by the emergency VPU reset: no verdict', tone: 'warn' },
};

export const TEST_LOOK: Record<QualifyTestReport['state'], { word: string; icon: string; tone: Tone }> = {
  pending: { word: 'waiting', icon: '○', tone: 'idle' },
  running: { word: 'running', icon: '◐', tone: 'busy' },
  passed: { word: 'passed', icon: '✓', tone: 'ok' },
  failed: { word: 'failed', icon: '✕', tone: 'bad' },
  skipped: { word: 'skipped', icon: '–', tone: 'idle' },
};

/** `m:ss` for a number of seconds. */
export function clock(s: number): string {
  const whole = Math.max(0, Math.floor(s));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

const dash = (v: number | null, unit = ''): string => (v === null ? '—' : `${v}${unit}`);

/** The figures of one test, each as label and value, for the report's table. */
export function testFigures(t: QualifyTestReport): { label: string; value: string }[] {
  const rows = [
    { label: 'Encode rate', value: `${dash(t.encodeFps, ' fps')} (input ${t.inputFps} fps)` },
    { label: 'VPU sessions opened', value: dash(t.sessionsOpened) },
    { label: 'Peak CPU', value: dash(t.peakCpu, ' %') },
    { label: 'Peak temperature', value: dash(t.peakTempC, ' °C') },
    { label: 'Encoder memory', value: `${dash(t.memStartKb, ' kB')} → ${dash(t.memEndKb, ' kB')}` },
    {
      label: 'Kernel',
      value:
        t.kernelFaults > 0
          ? `${t.kernelFaults} fault line(s)`
          : `${t.kernelLines.length} new line(s), no fault`,
    },
  ];
  if (t.probe)
    rows.push({
      label: `Output (${t.probe.tool})`,
      value: `${t.probe.codec ?? '?'}, ${dash(t.probe.durationS, ' s')}, ${dash(t.probe.frames, ' frames')}`,
    });
  if (t.mediamtx)
    rows.push({
      label: `MediaMTX ${t.mediamtx.path}`,
      value: `${t.mediamtx.online ? 'online' : 'offline'}, ${dash(t.mediamtx.bytesFirst)} → ${dash(t.mediamtx.bytesLast)} bytes in`,
    });
  return rows;
}

/**
 * Kernel-log throughput on one core: parse + classify + assemble reports, in a plain loop over a realistic mix
 * (mostly benign lines, some VPU and video driver lines, now and then an Oops or an RCU stall), for both sources
 * the console reads (`dmesg -r` text and `journalctl -k -o json`).
 */
import { classify } from '../../src-main/core/monitor/kernel-classifier.js';
import {
  parseDmesgLine,
  parseJournalLine,
  type RawKernelLine,
} from '../../src-main/core/monitor/kernel-parse.js';
import { ReportAssembler } from '../../src-main/core/monitor/kernel-reports.js';
import { levelPriority } from '../../src-main/emulator/device/kernel/log.js';
import { bootLines, oopsLines, tooManySessionsLines } from '../../src-main/emulator/device/kernel/text.js';
import { percentile, table, type BenchReport } from './stats.js';

const TARGET_LINES_PER_SECOND = 200_000;

interface Line {
  priority: number;
  text: string;
}

const BENIGN: Line[] = [
  ...bootLines().map((l) => ({ priority: levelPriority(l.level), text: l.text })),
  { priority: 6, text: 'random: crng init done' },
  { priority: 6, text: 'systemd[1]: Started Journal Service.' },
  { priority: 6, text: 'systemd[1]: Starting Load Kernel Modules...' },
  {
    priority: 5,
    text: 'audit: type=1400 audit(1766400000.123:42): apparmor="STATUS" operation="profile_load"',
  },
  { priority: 6, text: 'EXT4-fs (mmcblk0p6): re-mounted. Opts: (null)' },
  { priority: 6, text: 'usb 3-1: new high-speed USB device number 2 using xhci-hcd' },
  { priority: 6, text: 'IPv6: ADDRCONF(NETDEV_CHANGE): enP4p65s0: link becomes ready' },
  { priority: 4, text: 'cfg80211: failed to load regulatory.db' },
  { priority: 6, text: 'Freeing unused kernel memory: 6336K' },
  { priority: 6, text: 'cpu cpu4: pvtm=1530 sel=5, volt_sel=3' },
];

const DRIVERS: Line[] = [
  { priority: 6, text: 'mpp_rkvenc2 fdbd0000.rkvenc-core: session 12 attach' },
  { priority: 3, text: 'mpp_rkvdec2 fdc38100.rkvdec-core: task 418 timeout' },
  {
    priority: 4,
    text: 'rk_hdmirx fdee0000.hdmirx-controller: hdmirx_wait_lock_and_get_timing signal not lock',
  },
  { priority: 6, text: 'rkcif-mipi-lvds2: stream[0] start streaming' },
  { priority: 3, text: 'mpp_service: error: too many sessions' },
  { priority: 4, text: 'thermal thermal_zone0: soc-thermal: throttling cpu4-7 to 1800000 kHz' },
];

/** A mix where roughly one line in 400 belongs to a report. */
function mix(count: number): Line[] {
  const out: Line[] = [];
  let i = 0;
  while (out.length < count) {
    i += 1;
    if (i % 1500 === 0) {
      const oops = oopsLines({
        count: i,
        pid: 1000 + (i % 3000),
        comm: 'gst-launch-1.0',
        cpu: i % 8,
        traceId: 'f00d',
      });
      for (const l of oops) out.push({ priority: levelPriority(l.level), text: l.text });
      out.push({ priority: 0, text: 'Kernel panic - not syncing: Oops: Fatal exception' });
    } else if (i % 1000 === 0) {
      const stall = tooManySessionsLines({
        kind: 'enc',
        pid: i % 4000,
        comm: 'gst-launch-1.0',
        cpu: 2,
        sessions: 9,
        jiffies: i,
      });
      for (const l of stall) out.push({ priority: levelPriority(l.level), text: l.text });
    } else if (i % 10 === 0) {
      out.push(DRIVERS[(i / 10) % DRIVERS.length] as Line);
    } else {
      out.push(BENIGN[i % BENIGN.length] as Line);
    }
  }
  return out.slice(0, count);
}

function stamp(usec: number): string {
  const seconds = Math.floor(usec / 1_000_000);
  return `[${String(seconds).padStart(5, ' ')}.${String(usec % 1_000_000).padStart(6, '0')}]`;
}

function asDmesg(lines: Line[]): string[] {
  return lines.map((l, i) => `<${l.priority}>${stamp(10_000_000 + i * 137)} ${l.text}`);
}

function asJournal(lines: Line[]): string[] {
  return lines.map((l, i) =>
    JSON.stringify({
      __CURSOR: `s=1f2e;i=${(i + 1).toString(16)};b=9a;m=${i.toString(16)};t=0;x=0`,
      __REALTIME_TIMESTAMP: String(1_766_400_000_000_000 + i * 137),
      __MONOTONIC_TIMESTAMP: String(10_000_000 + i * 137),
      _TRANSPORT: 'kernel',
      PRIORITY: String(l.priority),
      SYSLOG_FACILITY: '0',
      SYSLOG_IDENTIFIER: 'kernel',
      _SOURCE_MONOTONIC_TIMESTAMP: String(10_000_000 + i * 137),
      MESSAGE: l.text,
    }),
  );
}

/** One pass: returns elapsed ms and a checksum so the work cannot be optimised away. */
function pass(
  input: string[],
  parse: (line: string) => RawKernelLine | null,
): { ms: number; events: number } {
  const assembler = new ReportAssembler({ idPrefix: 'bench' });
  let events = 0;
  const start = performance.now();
  for (let i = 0; i < input.length; i++) {
    const raw = parse(input[i] as string);
    if (raw === null) continue;
    const c = classify(raw.text, raw.priority);
    const step = assembler.push({
      seq: i + 1,
      usec: raw.usec,
      text: raw.text,
      severity: c.severity,
      category: c.category,
    });
    if (step.event && !step.event.open) events += 1;
    if (step.closed) events += 1;
  }
  events += assembler.finish().length;
  return { ms: performance.now() - start, events };
}

export async function classifierThroughput(
  opts: { lines?: number; runs?: number } = {},
): Promise<BenchReport> {
  const count = opts.lines ?? 300_000;
  const runs = opts.runs ?? 7;
  const lines = mix(count);
  const sources: Array<[string, string[], (line: string) => RawKernelLine | null]> = [
    ['dmesg -r', asDmesg(lines), parseDmesgLine],
    ['journalctl -k -o json', asJournal(lines), parseJournalLine],
  ];
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const [name, input, parse] of sources) {
    pass(input, parse); // warm-up: lets the JIT settle before the measured runs
    const rates: number[] = [];
    let events = 0;
    for (let r = 0; r < runs; r++) {
      const result = pass(input, parse);
      rates.push(count / (result.ms / 1000));
      events = result.events;
    }
    const median = percentile(rates, 50);
    const ratio = median / TARGET_LINES_PER_SECOND;
    rows.push([name, fmt(median), fmt(Math.min(...rates)), fmt(Math.max(...rates)), String(events)]);
    verdicts.push(
      `${name.padEnd(22)} ${fmt(median)} lines/s = ${ratio.toFixed(1)}x the target ` +
        `(>= 200k lines/s on one core: ${ratio >= 1 ? 'met' : 'NOT met'})`,
    );
  }
  await Promise.resolve();
  return {
    title: `Kernel log: parse + classify + assemble, ${count} lines, median of ${runs} runs, one core`,
    lines: [table(['source', 'median lines/s', 'min', 'max', 'reports'], rows), '', ...verdicts],
  };
}

function fmt(rate: number): string {
  return `${Math.round(rate / 1000)}k`;
}

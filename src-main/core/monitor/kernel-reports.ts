/**
 * Putting multi-line kernel reports together: an arm64 Oops (or BUG/WARNING splat) with its registers and call
 * trace, an RCU stall with its task dump, a `Kernel panic - not syncing` with its trailer. Lines go in one at a
 * time, in order; a report stays open until its end marker, a line that cannot belong to it, or MAX_REPORT_LINES.
 *
 * Which lines can continue a report is a whitelist per kind (the shapes printk uses for these reports, and any
 * indented line), so an unrelated driver line closes the report instead of being swallowed.
 */
import type { KernelCategory, KernelEvent, Severity } from '../../contract/index.js';
import { HEAD_CHARS, worse } from './kernel-classifier.js';

export interface ClassifiedLine {
  seq: number;
  usec: number;
  text: string;
  severity: Severity;
  category: KernelCategory;
}

export interface ReportStep {
  /** Set when the line belongs to a multi-line report; the caller stores it on the KernelLine. */
  eventId?: string;
  /** The line's category/severity after assembly (continuation lines of an Oops take the report's category). */
  category: KernelCategory;
  severity: Severity;
  /** A report that started, grew or closed with this line: a fresh KernelEvent object each time. */
  event?: KernelEvent;
  /** A report that was closed because this line does not continue it (emitted with open:false). */
  closed?: KernelEvent;
}

/** A report longer than this is closed with its last line; what follows stands alone. */
export const MAX_REPORT_LINES = 400;
/** Frames kept per report, and characters kept per frame and per title. */
export const MAX_FRAMES = 128;
const MAX_FIELD_CHARS = 240;
/** How far (in lines) a panic may follow an Oops and still name the Oops's process. */
const PANIC_AFTER_OOPS_LINES = 8;

type Kind = 'oops' | 'rcu_stall' | 'panic';

/** What a report's first (or headline) line is; the rank orders title candidates. */
type Starter =
  | 'cut_here'
  | 'unable'
  | 'bug'
  | 'kernel_bug'
  | 'warning'
  | 'internal'
  | 'rcu_header'
  | 'rcu_starved'
  | 'panic';

const TITLE_RANK: Readonly<Record<Starter, number>> = {
  cut_here: 0,
  unable: 1,
  rcu_starved: 1,
  bug: 2,
  kernel_bug: 2,
  warning: 2,
  rcu_header: 3,
  internal: 3,
  panic: 3,
};

const RCU_HEADER = /^(?:rcu: )?INFO: rcu_\w{1,16} (?:self-)?detected (?:expedited )?stalls?\b/;
const RCU_STARVED = /^(?:rcu: )?rcu_\w{1,16} kthread (?:starved|timer wakeup didn't happen)/;
const CUT_HERE = /^-{4,40}\[ cut here \]-{4,40}$/;
const BUG = /^(?:watchdog: )?BUG: /;
const WARNING = /^WARNING: (?:CPU: \d{1,5} PID: \d{1,10} )?at /;

/** Lines printed by die()/__show_regs()/dump_stack() on arm64 (and the older `[<addr>]` frame style). */
const OOPS_CONTINUES = new RegExp(
  '^(?:\\s|Mem abort info:|Data abort info:|(?:user|swapper) pgtable:|\\[[0-9a-f]{8,16}\\] pgd=|' +
    'Modules linked in:|CPU: \\d{1,5} PID: |Hardware name:|Workqueue:|Tainted:|pstate:|pc : |lr : |sp : |' +
    'pmr_save:|x\\d{1,2}\\s{0,2}: |Call trace:|Backtrace:|Exception stack|Code: |---\\[ end trace|' +
    'Process .{0,24}\\(pid: |irq event stamp:|hardirqs last|softirqs last|\\[<[0-9a-f]{8,16}>\\])',
);

/** print_cpu_stall()/rcu_check_gp_kthread_starvation() and the task dumps and backtraces they trigger. */
const RCU_CONTINUES = new RegExp(
  '^(?:\\s|rcu: |\\(detected by|\\(t=\\d|Task dump for CPU|task:|Sending NMI|NMI backtrace|' +
    'CPU: \\d{1,5} PID: |Hardware name:|Workqueue:|Tainted:|Modules linked in:|pstate:|pc : |lr : |sp : |' +
    'pmr_save:|x\\d{1,2}\\s{0,2}: |Call trace:|Backtrace:|Exception stack|Code: |\\[<[0-9a-f]{8,16}>\\])',
);

/** panic() on arm64: an optional stack dump, then the trailer up to `---[ end Kernel panic`. */
const PANIC_CONTINUES = new RegExp(
  '^(?:\\s|SMP: stopping secondary CPUs|Kernel Offset:|PHYS_OFFSET:|CPU features: 0x|Memory Limit:|' +
    'CPU: \\d{1,5} PID: |Hardware name:|Workqueue:|Tainted:|Call trace:|Backtrace:|\\[<[0-9a-f]{8,16}>\\]|' +
    'Rebooting in \\d|---\\[ end Kernel panic)',
);

const CPU_LINE = /^CPU: \d{1,5} PID: (\d{1,10}) Comm: (?:(.{1,20}?) (?:Not tainted|Tainted)|(\S{1,20}))/;
const TASK_LINE = /^task:(\S.{0,19}?) {0,16}state:.{0,80}?\bpid: {0,8}(\d{1,10})/;
const WARNING_PID = /^WARNING: CPU: \d{1,5} PID: (\d{1,10}) /;
/** A call trace frame: `func+0x1c4/0x3b0 [module]`, `[<ffffffc0…>] func+…`, `? func+…`, or a bare address. */
const FRAME =
  /^\s{0,16}(?:\[<[0-9a-f]{8,16}>\]\s{0,4})?((?:\? )?(?:[\w.$]{1,200}\+0x[0-9a-f]{1,16}\/0x[0-9a-f]{1,16}(?: \[[\w-]{1,64}\])?|0x[0-9a-f]{8,16}\b).{0,64})$/;

interface OpenReport {
  id: string;
  kind: Kind;
  severity: Severity;
  title: string;
  titleRank: number;
  /** The oops headline seen so far (Internal error, BUG, WARNING); a report takes one, bar `kernel BUG` + Oops. */
  headline: Starter | null;
  firstSeq: number;
  lastSeq: number;
  usec: number;
  process?: string;
  pid?: number;
  callTrace: string[];
  inCallTrace: boolean;
  lines: number;
}

interface RecentOops {
  process?: string;
  pid?: number;
  /** Value of the line counter when the Oops closed. */
  at: number;
}

export class ReportAssembler {
  private readonly idPrefix: string;
  private nextId = 1;
  private open: OpenReport | null = null;
  private lineCount = 0;
  private recentOops: RecentOops | null = null;

  constructor(opts: { idPrefix: string }) {
    this.idPrefix = opts.idPrefix;
  }

  push(line: ClassifiedLine): ReportStep {
    this.lineCount += 1;
    const text = line.text.length > HEAD_CHARS ? line.text.slice(0, HEAD_CHARS) : line.text;
    const starter = starterOf(text, line.category);
    let closed: KernelEvent | undefined;
    const current = this.open;

    if (current) {
      const absorbs = starter === null ? continues(current.kind, text) : absorbsStarter(current, starter);
      if (absorbs) return this.grow(current, line, text, starter);
      closed = this.close(current);
    }

    if (starter === null) {
      const step: ReportStep = { category: line.category, severity: line.severity };
      if (closed) step.closed = closed;
      return step;
    }
    const report = this.start(line, text, starter);
    const step = this.stepFor(report, line, text);
    if (closed) step.closed = closed;
    return step;
  }

  finish(): KernelEvent[] {
    const current = this.open;
    return current ? [this.close(current)] : [];
  }

  private start(line: ClassifiedLine, text: string, starter: Starter): OpenReport {
    const kind: Kind = starter === 'panic' ? 'panic' : starter.startsWith('rcu_') ? 'rcu_stall' : 'oops';
    const report: OpenReport = {
      id: `${this.idPrefix}-${this.nextId++}`,
      kind,
      severity: line.severity,
      title: clip(text.trim()),
      titleRank: TITLE_RANK[starter],
      headline: isHeadline(starter) ? starter : null,
      firstSeq: line.seq,
      lastSeq: line.seq,
      usec: line.usec,
      callTrace: [],
      inCallTrace: false,
      lines: 0,
    };
    const oops = this.recentOops;
    // panic() runs in the task that oopsed, so a panic right after an Oops names the same process.
    if (kind === 'panic' && oops && this.lineCount - oops.at <= PANIC_AFTER_OOPS_LINES) {
      if (oops.process !== undefined) report.process = oops.process;
      if (oops.pid !== undefined) report.pid = oops.pid;
    }
    this.open = report;
    return report;
  }

  private grow(report: OpenReport, line: ClassifiedLine, text: string, starter: Starter | null): ReportStep {
    report.lastSeq = Math.max(report.lastSeq, line.seq);
    report.severity = worse(report.severity, line.severity);
    if (starter !== null) {
      if (isHeadline(starter)) report.headline = starter;
      if (TITLE_RANK[starter] > report.titleRank) {
        report.title = clip(text.trim());
        report.titleRank = TITLE_RANK[starter];
      }
    }
    return this.stepFor(report, line, text);
  }

  /** Read what the line tells about the report, count it, and close the report at its end or the cap. */
  private stepFor(report: OpenReport, line: ClassifiedLine, text: string): ReportStep {
    report.lines += 1;
    this.readFields(report, text);
    const ended =
      (report.kind === 'oops' && text.startsWith('---[ end trace')) ||
      (report.kind === 'panic' && text.startsWith('---[ end Kernel panic')) ||
      report.lines >= MAX_REPORT_LINES;
    const event = ended ? this.close(report) : snapshot(report, true);
    return { eventId: report.id, category: report.kind, severity: line.severity, event };
  }

  private readFields(report: OpenReport, text: string): void {
    if (text.startsWith('Call trace:') || text.startsWith('Backtrace:')) {
      report.inCallTrace = true;
      return;
    }
    if (report.inCallTrace) {
      const frame = FRAME.exec(text);
      if (frame?.[1] !== undefined) {
        if (report.callTrace.length < MAX_FRAMES) report.callTrace.push(clip(frame[1].trim()));
        return;
      }
      report.inCallTrace = false;
    }
    // The first CPU:/task: line names the faulting (or stalled) task; later ones are other CPUs' backtraces.
    if (report.process !== undefined) return;
    if (text.startsWith('CPU: ')) {
      const m = CPU_LINE.exec(text);
      if (m) {
        report.pid = Number(m[1]);
        const comm = (m[2] ?? m[3] ?? '').trim();
        if (comm.length > 0) report.process = comm;
      }
    } else if (text.startsWith('task:')) {
      const m = TASK_LINE.exec(text);
      if (m?.[1] !== undefined) {
        report.process = m[1].trim();
        report.pid = Number(m[2]);
      }
    } else if (report.pid === undefined && text.startsWith('WARNING: CPU:')) {
      const m = WARNING_PID.exec(text);
      if (m) report.pid = Number(m[1]);
    }
  }

  private close(report: OpenReport): KernelEvent {
    this.open = null;
    if (report.kind === 'oops') {
      const recent: RecentOops = { at: this.lineCount };
      if (report.process !== undefined) recent.process = report.process;
      if (report.pid !== undefined) recent.pid = report.pid;
      this.recentOops = recent;
    }
    return snapshot(report, false);
  }
}

function starterOf(text: string, category: KernelCategory): Starter | null {
  switch (category) {
    case 'oops':
      if (text.startsWith('Internal error: ') || text.startsWith('SError Interrupt on CPU'))
        return 'internal';
      if (text.startsWith('Unable to handle kernel ')) return 'unable';
      if (text.startsWith('kernel BUG at ')) return 'kernel_bug';
      if (BUG.test(text)) return 'bug';
      if (WARNING.test(text)) return 'warning';
      if (CUT_HERE.test(text)) return 'cut_here';
      return null;
    case 'rcu_stall':
      if (RCU_HEADER.test(text)) return 'rcu_header';
      if (RCU_STARVED.test(text)) return 'rcu_starved';
      return null;
    case 'panic':
      return text.startsWith('Kernel panic - not syncing') ? 'panic' : null;
    default:
      return null;
  }
}

function isHeadline(starter: Starter): boolean {
  return starter === 'internal' || starter === 'bug' || starter === 'kernel_bug' || starter === 'warning';
}

/** Whether a line that could start a report belongs to the open one instead. */
function absorbsStarter(report: OpenReport, starter: Starter): boolean {
  switch (starter) {
    // `cut here`, a data abort and a panic always begin something new.
    case 'cut_here':
    case 'unable':
    case 'panic':
    case 'rcu_header':
      return false;
    // `kernel BUG at` is followed by `Internal error: Oops - BUG`; an abort's headline follows its `Unable to…`.
    case 'internal':
      return report.kind === 'oops' && (report.headline === null || report.headline === 'kernel_bug');
    case 'bug':
    case 'kernel_bug':
    case 'warning':
      return report.kind === 'oops' && report.headline === null;
    // The starved-kthread note is the tail of a stall report.
    case 'rcu_starved':
      return report.kind === 'rcu_stall';
  }
}

function continues(kind: Kind, text: string): boolean {
  switch (kind) {
    case 'oops':
      return OOPS_CONTINUES.test(text);
    case 'rcu_stall':
      return RCU_CONTINUES.test(text);
    case 'panic':
      return PANIC_CONTINUES.test(text);
  }
}

function clip(text: string): string {
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS - 1)}…` : text;
}

function snapshot(report: OpenReport, open: boolean): KernelEvent {
  const event: KernelEvent = {
    id: report.id,
    category: report.kind,
    severity: report.severity,
    title: report.title,
    firstSeq: report.firstSeq,
    lastSeq: report.lastSeq,
    usec: report.usec,
    callTrace: report.callTrace.slice(),
    open,
  };
  if (report.process !== undefined) event.process = report.process;
  if (report.pid !== undefined) event.pid = report.pid;
  return event;
}

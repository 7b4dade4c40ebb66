/**
 * One device's live monitor: the kernel log (classified, reports assembled, batched for the UI), the 1 Hz sampler,
 * and the alarms both raise. It runs while the device's connection is up and resumes after a reconnect.
 */
import type {
  KernelEvent,
  KernelLine,
  MonitorLimits,
  MonitorSample,
  MonitorSnapshot,
  MonitorStatus,
} from '../../contract/index.js';
import type { DeviceProfile } from '../device/profile.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { Threshold, type AlarmCenter, type AlarmInput } from './alarm-center.js';
import { classify } from './kernel-classifier.js';
import { KernelFollower, SOURCE_LABEL } from './kernel-follower.js';
import type { RawKernelLine } from './kernel-parse.js';
import { ReportAssembler } from './kernel-reports.js';
import { Ring } from './ring.js';
import { SampleHistory } from './sample-history.js';
import { SampleParser } from './sampler-parse.js';
import { samplerCommand } from './sampler-script.js';

export interface MonitorSink {
  kernel(deviceId: string, lines: KernelLine[], events: KernelEvent[]): void;
  sample(deviceId: string, sample: MonitorSample): void;
  status(deviceId: string, status: MonitorStatus): void;
}

export interface DeviceMonitorOptions {
  deviceId: string;
  deviceName: () => string;
  profile: DeviceProfile;
  connections: ConnectionManager;
  alarms: AlarmCenter;
  sink: MonitorSink;
  /** How often batched kernel lines go out (ms). */
  flushMs?: number;
  logCapacity?: number;
  sampleCapacity?: number;
  /** Wait before restarting a stream that ended while the link is still up. */
  retryMs?: number;
}

const REPORT_ALARMS = { oops: 'Kernel Oops', panic: 'Kernel panic', rcu_stall: 'RCU stall' } as const;
const EVENT_CAPACITY = 200;
const REPORT_SETTLE_MS = 500;
const SEVERE = new Set(['critical', 'error']);

export class DeviceMonitor {
  private readonly lines: Ring<KernelLine>;
  private readonly samples: SampleHistory;
  private readonly events = new Map<string, KernelEvent>();
  private readonly assembler: ReportAssembler;
  private readonly follower: KernelFollower;
  private readonly limits: MonitorLimits;
  /** Null on kinds of box without a VPU session count. */
  private readonly safe: Threshold | null;
  private readonly practical: Threshold | null;
  private readonly vpuFiles: string[];
  private readonly hot: Threshold;
  private readonly critical: Threshold;
  private seq = 0;
  private pendingLines: KernelLine[] = [];
  private readonly pendingEvents = new Map<string, KernelEvent>();
  private readonly reportTimers = new Map<string, NodeJS.Timeout>();
  private readonly raisedReports = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private samplerAbort: AbortController | undefined;
  private retryTimers = new Set<NodeJS.Timeout>();
  private active = false;
  private statusValue: MonitorStatus = {
    kernelLog: { state: 'stopped', source: null, detail: 'Waiting for the connection.' },
    sampler: { state: 'stopped', detail: 'Waiting for the connection.' },
  };

  constructor(private readonly opts: DeviceMonitorOptions) {
    this.lines = new Ring(opts.logCapacity ?? 20_000);
    this.samples = new SampleHistory(opts.sampleCapacity ?? 900);
    this.assembler = new ReportAssembler({ idPrefix: `${opts.deviceId}-k` });
    const p = opts.profile;
    const vpu = p.kind === 'r58' ? p.vpu : null;
    this.limits = {
      vpuSafe: vpu?.safeLimit ?? null,
      vpuPractical: vpu?.practicalLimit ?? null,
      temperatureWarnC: p.thermal.warnC,
      temperatureCriticalC: p.thermal.criticalC,
      cpuWarnPercent: cpuWarnPercent(p),
    };
    this.vpuFiles = vpu?.sessionFiles ?? [];
    this.safe = vpu ? new Threshold(vpu.safeLimit) : null;
    this.practical = vpu ? new Threshold(vpu.practicalLimit) : null;
    this.hot = new Threshold(p.thermal.warnC, 3);
    this.critical = new Threshold(p.thermal.criticalC, 3);
    this.follower = new KernelFollower(
      opts.deviceId,
      opts.deviceName,
      opts.connections,
      {
        lines: (raw) => this.onLines(raw),
        following: (source) =>
          this.setStatus({
            kernelLog: {
              state: 'following',
              source: SOURCE_LABEL[source],
              detail: `Following the kernel log with ${SOURCE_LABEL[source]}.`,
            },
          }),
        unavailable: (detail) =>
          this.setStatus({ kernelLog: { state: 'unavailable', source: null, detail } }),
        ended: (detail) => {
          this.setStatus({
            kernelLog: { ...this.statusValue.kernelLog, state: 'waiting', detail },
          });
          this.retry(() => this.follower.start());
        },
      },
      p.monitor.backlogLines,
    );
  }

  get status(): MonitorStatus {
    return this.statusValue;
  }

  get latest(): MonitorSample | undefined {
    return this.samples.last();
  }

  /** The samples that arrived at or after `at` (console clock, ms), oldest first. */
  samplesSince(at: number): MonitorSample[] {
    return this.samples.since(at);
  }

  snapshot(): MonitorSnapshot {
    return {
      deviceId: this.opts.deviceId,
      status: this.statusValue,
      limits: this.limits,
      lines: [...this.lines.toArray(), ...this.pendingLines],
      events: [...this.events.values()],
      samples: this.samples.toArray(),
    };
  }

  /** The connection is up: follow the log and sample. Safe to call again after every reconnect. */
  start(): void {
    const resuming = !this.active;
    this.active = true;
    // Every live status of the link calls this (each new round trip too): only a real (re)start says "starting",
    // or a log that is being followed would read "Connecting to the kernel log." for good.
    if (resuming && this.statusValue.kernelLog.state !== 'unavailable')
      this.setStatus({
        kernelLog: {
          ...this.statusValue.kernelLog,
          state: 'starting',
          detail: 'Connecting to the kernel log.',
        },
      });
    this.follower.start();
    this.startSampler();
  }

  /** The link is down: the streams end by themselves; say we are waiting for it. */
  pause(detail: string): void {
    this.active = false;
    this.clearRetries();
    this.flush();
    const closed = this.assembler.finish();
    for (const event of closed) this.noteEvent(event);
    this.flush();
    this.setStatus({
      kernelLog: {
        ...this.statusValue.kernelLog,
        state: this.statusValue.kernelLog.state === 'unavailable' ? 'unavailable' : 'waiting',
        detail:
          this.statusValue.kernelLog.state === 'unavailable' ? this.statusValue.kernelLog.detail : detail,
      },
      sampler: { state: 'waiting', detail },
    });
  }

  stop(): void {
    this.active = false;
    this.clearRetries();
    for (const timer of this.reportTimers.values()) clearTimeout(timer);
    this.reportTimers.clear();
    this.follower.stop();
    this.samplerAbort?.abort();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private retry(fn: () => void): void {
    if (!this.active) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.active) fn();
    }, this.opts.retryMs ?? 5000);
    this.retryTimers.add(timer);
  }

  private clearRetries(): void {
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private setStatus(change: Partial<MonitorStatus>): void {
    this.statusValue = { ...this.statusValue, ...change };
    this.opts.sink.status(this.opts.deviceId, this.statusValue);
  }

  // ---- kernel log ---------------------------------------------------------------------------------------------

  private onLines(raw: RawKernelLine[]): void {
    for (const r of raw) {
      const seq = ++this.seq;
      const { severity, category } = classify(r.text, r.priority);
      const step = this.assembler.push({ seq, usec: r.usec, text: r.text, severity, category });
      const line: KernelLine = {
        seq,
        usec: r.usec,
        priority: r.priority,
        severity: step.severity,
        category: step.category,
        text: r.text,
        ...(r.wallMs !== undefined ? { wallMs: r.wallMs } : {}),
        ...(step.eventId !== undefined ? { eventId: step.eventId } : {}),
      };
      this.pendingLines.push(line);
      if (step.closed) this.noteEvent(step.closed);
      if (step.event) this.noteEvent(step.event);
      if (!step.eventId && step.category === 'vpu' && SEVERE.has(step.severity)) this.vpuErrorAlarm(line);
    }
    if (this.pendingLines.length >= 2000) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.opts.flushMs ?? 200);
  }

  private noteEvent(event: KernelEvent): void {
    this.events.set(event.id, event);
    if (this.events.size > EVENT_CAPACITY) {
      const oldest = this.events.keys().next().value;
      if (oldest !== undefined) this.events.delete(oldest);
    }
    this.pendingEvents.set(event.id, event);
    if (event.category === 'oops' || event.category === 'panic' || event.category === 'rcu_stall')
      this.reportAlarmWhenComplete(event);
    else if (event.category === 'vpu' && SEVERE.has(event.severity))
      this.raise({
        kind: 'vpu_error',
        severity: 'critical',
        title: `VPU error: ${event.title}`,
        detail: 'The VPU driver reported an error. Check the sessions and consider the recovery actions.',
        evidence: [event.title, ...event.callTrace],
        recovery: true,
        occurrence: event.id,
      });
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingLines.length === 0 && this.pendingEvents.size === 0) return;
    const lines = this.pendingLines;
    const events = [...this.pendingEvents.values()];
    this.pendingLines = [];
    this.pendingEvents.clear();
    this.lines.push(...lines);
    this.opts.sink.kernel(this.opts.deviceId, lines, events);
  }

  /**
   * A report's headline, process and call trace arrive over several lines: raise its alarm once it is complete
   * (its end marker) or a moment after it started, whichever is first, so the alarm and the audit entry name the
   * process and the faulting function. Later growth updates the same alarm.
   */
  private reportAlarmWhenComplete(event: KernelEvent): void {
    const pending = this.reportTimers.get(event.id);
    if (!event.open || this.raisedReports.has(event.id)) {
      if (pending) clearTimeout(pending);
      this.reportTimers.delete(event.id);
      this.raisedReports.add(event.id);
      this.reportAlarm(event);
      return;
    }
    if (pending) return;
    this.reportTimers.set(
      event.id,
      setTimeout(() => {
        this.reportTimers.delete(event.id);
        this.raisedReports.add(event.id);
        this.reportAlarm(this.events.get(event.id) ?? this.pendingEvents.get(event.id) ?? event);
      }, REPORT_SETTLE_MS),
    );
  }

  private reportAlarm(event: KernelEvent): void {
    const category = event.category as keyof typeof REPORT_ALARMS;
    const where = event.process
      ? ` in ${event.process}${event.pid !== undefined ? ` (pid ${event.pid})` : ''}`
      : '';
    const frame = event.callTrace[0];
    const members = this.linesOf(event);
    const vpuRelated = /rkvenc|rkvdec|mpp|vepu|vdpu/i.test([event.title, ...event.callTrace].join('\n'));
    this.raise({
      kind: category,
      severity: 'critical',
      title: `${REPORT_ALARMS[category]}${where}${frame ? ` at ${frame.split(' ')[0]}` : ''}`,
      detail:
        `${event.title} at ${(event.usec / 1e6).toFixed(6)} s after boot.` +
        (vpuRelated
          ? ' The call trace is in the VPU driver: stop the pipelines before the board locks up.'
          : ''),
      evidence: members.length > 0 ? members : [event.title, ...event.callTrace],
      recovery: vpuRelated || category === 'rcu_stall',
      occurrence: event.id,
    });
  }

  private linesOf(event: KernelEvent): string[] {
    const out: string[] = [];
    for (const source of [this.lines.toArray(), this.pendingLines]) {
      for (const line of source) if (line.eventId === event.id) out.push(line.text);
    }
    return out;
  }

  private vpuErrorAlarm(line: KernelLine): void {
    this.raise({
      kind: 'vpu_error',
      severity: 'critical',
      title: `VPU error: ${line.text.slice(0, 120)}`,
      detail:
        'The VPU driver reported an error. Too many sessions or a failed allocation usually comes before a lock-up: ' +
        'reduce the encoders or use the recovery actions.',
      evidence: [line.text],
      recovery: true,
      occurrence: `line-${line.seq}`,
    });
  }

  private raise(input: Omit<AlarmInput, 'deviceId' | 'device'>): void {
    this.opts.alarms.raise({ ...input, deviceId: this.opts.deviceId, device: this.opts.deviceName() });
  }

  // ---- sampler ------------------------------------------------------------------------------------------------

  private startSampler(): void {
    if (this.samplerAbort && !this.samplerAbort.signal.aborted) return;
    const abort = new AbortController();
    this.samplerAbort = abort;
    const { profile } = this.opts;
    const parser = new SampleParser({ vpuFiles: this.vpuFiles });
    const decoder = new TextDecoder('utf-8');
    this.setStatus({ sampler: { state: 'starting', detail: 'Starting the sampler.' } });
    const done = (detail: string): void => {
      abort.abort();
      if (this.samplerAbort !== abort) return;
      this.setStatus({ sampler: { state: 'waiting', detail } });
      this.retry(() => this.startSampler());
    };
    this.opts.connections
      .exec(
        this.opts.deviceId,
        samplerCommand({ intervalMs: profile.monitor.sampleIntervalMs, vpuFiles: this.vpuFiles }),
        {
          signal: abort.signal,
          maxBufferBytes: 16 * 1024,
          onStdout: (chunk) => {
            for (const sample of parser.push(decoder.decode(chunk, { stream: true }))) this.onSample(sample);
          },
        },
      )
      .then(
        (result) => {
          if (abort.signal.aborted) return;
          const why = result.stderr.trim().split('\n').at(-1);
          done(
            `The sampler on ${this.opts.deviceName()} stopped${why ? `: ${why}` : ` (exit ${result.code ?? result.signal})`}.`,
          );
        },
        (err: Error) => {
          if (!abort.signal.aborted) done(err.message);
        },
      );
  }

  private onSample(sample: MonitorSample): void {
    if (this.statusValue.sampler.state !== 'following')
      this.setStatus({
        sampler: {
          state: 'following',
          detail: `Sampling every ${this.opts.profile.monitor.sampleIntervalMs / 1000} s.`,
        },
      });
    this.samples.push(sample);
    this.opts.sink.sample(this.opts.deviceId, sample);
    const total = sample.vpu.total;
    const byProcess = sample.vpu.byProcess.map((p) => `${p.name} (pid ${p.pid}): ${p.sessions}`);
    if (this.practical?.check(total))
      this.raise({
        kind: 'vpu_sessions_practical',
        severity: 'critical',
        title: `${total} VPU sessions: at or above the practical limit of ${this.limits.vpuPractical}`,
        detail:
          'Past the practical limit the VPU driver refuses sessions and the kernel can stall (seed 002). Stop a ' +
          'pipeline or use the recovery actions.',
        evidence: byProcess,
        recovery: true,
        occurrence: `sample-${sample.at}`,
      });
    if (this.safe?.check(total))
      this.raise({
        kind: 'vpu_sessions_safe',
        severity: 'warning',
        title: `${total} VPU sessions: at or above the safe limit of ${this.limits.vpuSafe}`,
        detail: 'The board is running above its safe VPU load. Avoid starting more encoders or previews.',
        evidence: byProcess,
        recovery: true,
        occurrence: `sample-${sample.at}`,
      });
    const temp = sample.temperatureC;
    const critical = this.critical.check(temp);
    if (this.hot.check(temp) || critical) {
      const hottest = [...sample.zones].sort((a, b) => b.celsius - a.celsius)[0];
      const isCritical = temp !== null && temp >= this.limits.temperatureCriticalC;
      this.raise({
        kind: 'temperature',
        severity: isCritical ? 'critical' : 'warning',
        title: `${temp?.toFixed(1)} °C${hottest ? ` (${hottest.name})` : ''}: over the ${isCritical ? this.limits.temperatureCriticalC : this.limits.temperatureWarnC} °C threshold`,
        detail:
          'The SoC throttles when hot, which drops frames. Check the fan and airflow, or reduce the load.',
        evidence: sample.zones.map((z) => `${z.name}: ${z.celsius.toFixed(1)} °C`),
        recovery: false,
        occurrence: `sample-${sample.at}`,
      });
    }
  }
}

/** The CPU figure (percent of the whole box) past which the box counts as busy; null where CPU is budgeted otherwise. */
function cpuWarnPercent(p: DeviceProfile): number | null {
  if (p.kind === 'r58') return p.cpu?.practicalPercent ?? null;
  if (p.kind === 'transcoder') return p.load.cpuWarnPercent;
  return null;
}

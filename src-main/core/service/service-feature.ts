/**
 * The service doing a transcoder's or VMS host's work: its state read every couple of seconds while the box is live,
 * its log followed, start/stop/restart under the device's lease (stop and restart ask first while it runs), and an
 * alarm when it restarts by itself while watched.
 */
import {
  ContractError,
  isLive,
  type DeviceStatus,
  type ServiceAction,
  type ServiceControlResult,
  type ServiceLogLine,
  type ServiceState,
} from '../../contract/index.js';
import { DevicePoll } from '../device/device-poll.js';
import type { AlarmSink } from '../device/kind-alarms.js';
import type { DeviceLeases } from '../device/lease.js';
import { anyProfile, deviceKind } from '../device/profile.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { StateStore } from '../store/state-store.js';
import { ServiceLogs, parseJournalJson } from './service-logs.js';
import { logsCommand, parseLogLine } from '../device/docker.js';
import { sh, unitName } from '../device/quote.js';
import {
  controlCommandOf,
  controlProblem,
  serviceName,
  serviceReadCommand,
  serviceStateFrom,
  type ServiceProfile,
} from './service-read.js';

export interface ServiceFeatureOptions {
  connections: ConnectionManager;
  store: StateStore;
  leases: DeviceLeases;
  alarms: AlarmSink;
  events: {
    state(deviceId: string, state: ServiceState): void;
    log(deviceId: string, lines: ServiceLogLine[]): void;
  };
  /** What stopping the service would interrupt now, one phrase each ("2 transcodes", "recording Cam_1"). */
  interrupts?(deviceId: string): string[];
  everyMs?: number;
  /** How long the service must run without restarting again before its restart alarm is closed (default 60 s). */
  restartsQuietMs?: number;
  /** How long a control waits for the service to reach where the action leads (default 30 s). */
  settleMs?: number;
}

interface Watch {
  restarts: number | null;
  lastRiseAt: number;
  raised: boolean;
}

const ACTION_WORDS: Record<ServiceAction, { doing: string; done: string }> = {
  start: { doing: 'Starting', done: 'started' },
  stop: { doing: 'Stopping', done: 'stopped' },
  restart: { doing: 'Restarting', done: 'restarted' },
};

export class ServiceFeature {
  private readonly poll: DevicePoll;
  private readonly logs = new Map<string, ServiceLogs>();
  private readonly states = new Map<string, ServiceState>();
  private readonly watches = new Map<string, Watch>();
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: ServiceFeatureOptions) {
    this.poll = new DevicePoll({ read: (id) => this.read(id), everyMs: opts.everyMs ?? 2000 });
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  private name(deviceId: string): string {
    return this.opts.store.device(deviceId)?.name ?? deviceId;
  }

  /** The profile of a transcoder or VMS host; an R58 is refused with where its service is. */
  profileOf(deviceId: string): ServiceProfile {
    const profile = anyProfile(this.opts.store, deviceId);
    if (profile.kind === 'r58')
      throw new ContractError(
        'invalid_input',
        `${this.name(deviceId)} is an R58 recorder: its recorder service is on the Recorder tab.`,
      );
    return profile;
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    if (!this.opts.store.device(deviceId)) return;
    const kind = deviceKind(this.opts.store, deviceId);
    if (kind !== 'transcoder' && kind !== 'vms') return;
    if (isLive(status.state)) {
      this.poll.start(deviceId);
      this.follower(deviceId).start();
    } else {
      this.poll.stop(deviceId);
      this.logs.get(deviceId)?.pause();
      // Restarts while the console could not see are not "while watched": the count is taken afresh.
      this.watches.delete(deviceId);
    }
  }

  private follower(deviceId: string): ServiceLogs {
    let logs = this.logs.get(deviceId);
    if (!logs) {
      logs = new ServiceLogs({
        connections: this.opts.connections,
        deviceId,
        profile: this.profileOf(deviceId),
        deviceName: () => this.name(deviceId),
        onLines: (lines) => this.opts.events.log(deviceId, lines),
      });
      this.logs.set(deviceId, logs);
    }
    return logs;
  }

  /** The service read now (a read: no lease). */
  async read(deviceId: string): Promise<ServiceState> {
    const profile = this.profileOf(deviceId);
    const result = await this.opts.connections.exec(deviceId, serviceReadCommand(profile), {
      timeoutMs: 20_000,
    });
    const state = serviceStateFrom(deviceId, profile, result.stdout);
    const before = this.states.get(deviceId);
    this.states.set(deviceId, state);
    if (this.poll.isRunning(deviceId)) this.checkRestarts(deviceId, profile, state);
    if (!before || changed(before, state)) this.opts.events.state(deviceId, state);
    return state;
  }

  private checkRestarts(deviceId: string, profile: ServiceProfile, state: ServiceState): void {
    const now = Date.now();
    const watch = this.watches.get(deviceId) ?? { restarts: null, lastRiseAt: 0, raised: false };
    this.watches.set(deviceId, watch);
    const svc = serviceName(profile);
    const name = this.name(deviceId);
    if (state.restarts !== null && watch.restarts !== null && state.restarts > watch.restarts) {
      const n = state.restarts - watch.restarts;
      watch.lastRiseAt = now;
      watch.raised = true;
      this.opts.alarms.raise({
        deviceId,
        device: name,
        kind: 'service_restarts',
        severity: 'warning',
        title: `${svc} restarted by itself`,
        detail:
          `${svc} on ${name} restarted ${n === 1 ? 'once' : `${n} times`} while Tally watched ` +
          `(${profile.kind === 'transcoder' ? 'RestartCount' : 'NRestarts'} ${state.restarts}` +
          `${state.restartPolicy ? `, restart policy ${state.restartPolicy}` : ''}). It is ${state.state} now. ` +
          'Its log on the Service tab shows why it exited; a count that keeps rising is a restart loop.',
        evidence: [
          `${svc}: ${state.detail}`,
          ...(state.exitCode !== null ? [`exit code ${state.exitCode}`] : []),
          ...(state.runs ? [`runs ${state.runs}`] : []),
        ],
        recovery: false,
        occurrence: `restarts-${state.restarts}`,
      });
    } else if (
      watch.raised &&
      state.state === 'running' &&
      now - watch.lastRiseAt >= (this.opts.restartsQuietMs ?? 60_000)
    ) {
      watch.raised = false;
      this.opts.alarms.resolve(
        deviceId,
        'service_restarts',
        `Tally: ${svc} has run without restarting since`,
      );
    }
    if (state.restarts !== null) watch.restarts = state.restarts;
  }

  /** The last state read, without asking the box. */
  latest(deviceId: string): ServiceState | undefined {
    return this.states.get(deviceId);
  }

  async control(deviceId: string, action: ServiceAction, confirmed: boolean): Promise<ServiceControlResult> {
    const profile = this.profileOf(deviceId);
    const svc = serviceName(profile);
    const name = this.name(deviceId);
    const words = ACTION_WORDS[action];
    const before = await this.read(deviceId);
    const live = ['running', 'starting', 'restarting'].includes(before.state);
    if (action !== 'start' && live && !confirmed) {
      const what = this.opts.interrupts?.(deviceId) ?? [];
      const interrupts =
        what.length > 0
          ? `It interrupts ${what.join(', ')}.`
          : profile.kind === 'transcoder'
            ? 'Every transcode it serves ends.'
            : 'Every camera stops recording until it runs again.';
      const after =
        action === 'stop'
          ? profile.kind === 'transcoder'
            ? ` The container stays stopped until it is started (its restart policy ${before.restartPolicy ?? 'unknown'} does not bring back a container stopped by hand).`
            : ' The unit stays stopped until it is started.'
          : '';
      return {
        kind: 'confirm',
        state: before,
        message: `${words.doing} ${svc} on ${name}: ${interrupts}${after}`,
      };
    }
    return this.opts.leases.run(
      deviceId,
      {
        kind: `service.${action}`,
        what: `${words.doing} ${svc}`,
        follow: `Open ${name}'s Service tab to see ${svc}'s state and log.`,
      },
      async () => {
        const result = await this.opts.connections.exec(deviceId, controlCommandOf(profile, action), {
          timeoutMs: 120_000,
        });
        if (result.code !== 0) {
          const problem = controlProblem(profile, `${result.stderr}\n${result.stdout}`, result.code);
          throw new ContractError(
            /sudo asks/.test(problem) ? 'refused' : 'device_error',
            `Tally could not ${action} ${svc} on ${name}: ${problem.replace(/\.?$/, '.')} Its log on the Service tab may say why.`,
          );
        }
        const state = await this.settle(deviceId, action, before);
        const reached =
          action === 'stop'
            ? !['running', 'starting', 'restarting'].includes(state.state)
            : state.state === 'running';
        return {
          kind: 'done',
          state,
          message: reached
            ? `${svc} on ${name} ${words.done}: ${state.detail}.`
            : `${svc} on ${name} was ${words.done}, but is ${state.state} now (${state.detail}). Its log on the Service tab may say why.`,
        };
      },
    );
  }

  /** Read until the service is where the action leads (a restart: running again, as a new process), bounded. */
  private async settle(deviceId: string, action: ServiceAction, before: ServiceState): Promise<ServiceState> {
    const deadline = Date.now() + (this.opts.settleMs ?? 30_000);
    for (;;) {
      const state = await this.read(deviceId);
      const done =
        action === 'stop'
          ? !['running', 'starting', 'restarting'].includes(state.state)
          : state.state === 'running' &&
            (action === 'start' || state.pid !== before.pid || state.since !== before.since);
      if (done || state.state === 'failed' || Date.now() >= deadline) return state;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** The last `count` log lines: those followed, or read now when none were. */
  async logLines(deviceId: string, count: number): Promise<ServiceLogLine[]> {
    const profile = this.profileOf(deviceId);
    const kept = this.logs.get(deviceId)?.lines() ?? [];
    if (kept.length > 0) return kept.slice(-count);
    const cmd =
      profile.kind === 'transcoder'
        ? logsCommand(profile.service.container, { tail: count })
        : sh`journalctl -u ${unitName(profile.service.unit)} -o json -a --no-pager -n ${count}`;
    const result = await this.opts.connections.exec(deviceId, cmd, {
      timeoutMs: 20_000,
      maxBufferBytes: 4 * 1024 * 1024,
    });
    const lines = result.stdout.split('\n');
    if (profile.kind === 'transcoder') return lines.filter((l) => l.trim() !== '').map(parseLogLine);
    return lines.flatMap((l) => {
      const parsed = parseJournalJson(l);
      return parsed ? [parsed.line] : [];
    });
  }

  forget(deviceId: string): void {
    this.poll.stop(deviceId);
    this.logs.get(deviceId)?.close();
    this.logs.delete(deviceId);
    this.states.delete(deviceId);
    this.watches.delete(deviceId);
  }

  close(): void {
    this.unsubscribe();
    this.poll.close();
    for (const logs of this.logs.values()) logs.close();
  }
}

function changed(a: ServiceState, b: ServiceState): boolean {
  const { at: _a, ...x } = a;
  const { at: _b, ...y } = b;
  return JSON.stringify(x) !== JSON.stringify(y);
}

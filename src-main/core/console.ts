import os from 'node:os';
import path from 'node:path';
import {
  AUTO_PROFILE,
  ContractError,
  commands,
  fieldErrors,
  isCommandName,
  type CommandName,
  type CommandParsedInput,
  type CommandResult,
  type EventName,
  type EventPayload,
  type Reply,
  type Scene,
} from '../contract/index.js';
import { AuditLog } from './audit/audit-log.js';
import { DeviceService, parseJump } from './devices/device-service.js';
import { HistoryService } from './history/history-service.js';
import { readSshConfigCandidates } from './devices/ssh-config-import.js';
import { DeviceLeases } from './device/lease.js';
import { anyProfile, deviceProfile, loadAnyProfile, type R58Profile } from './device/profile.js';
import { KindService } from './kinds/kind-service.js';
import { HealthFeature } from './health/health-feature.js';
import { SegmentsFeature } from './segments/segments-feature.js';
import { ServiceFeature } from './service/service-feature.js';
import { UnsafeValueError } from './device/quote.js';
import { ConnectionManager } from './ssh/connection-manager.js';
import { fingerprint, keyAlgorithm, keyTypeLabel } from './ssh/fingerprint.js';
import { StoreHostKeyPolicy } from './ssh/host-key-policy.js';
import { MonitorService } from './monitor/monitor-service.js';
import { AdhocPipelines } from './pipelines/adhoc-jobs.js';
import { PreviewService } from './previews/preview-service.js';
import { RecorderFeature } from './recorder/recorder-feature.js';
import { QualifyService, type QualifyDurations, type QualifyFrame } from './qualify/qualify-service.js';
import { RollbackService } from './rollback/rollback-service.js';
import { KindOps } from './kind-ops.js';
import { RemoteJobs } from './device/remote-jobs.js';
import type { SecretStore } from './store/secrets.js';
import { StateStore } from './store/state-store.js';
import { TerminalService } from './terminal/terminal-service.js';
import type { ResetTimeouts } from './vpu-reset/reset-script.js';
import { VpuResetService } from './vpu-reset/vpu-reset-service.js';
import { MixerService } from './mixer/mixer-service.js';
import { DeviceRepo } from './device/repo.js';
import { parseRecorderConfig } from './media/recorder-config.js';

export interface ConsoleOptions {
  dataDir: string;
  shell: 'electron' | 'web' | 'cli';
  secrets: SecretStore;
  version: string;
  /** Extra known_hosts files to trust; defaults to ~/.ssh/known_hosts. */
  knownHostsFiles?: string[];
  agentSocket?: string | undefined;
  reconnect?: { baseMs: number; maxMs: number };
  /** Wait before restarting a monitor stream that ended while the link stayed up (default 5 s). */
  monitorRetryMs?: number;
  /** An applied config change's probation window (default 30 s). */
  applyWatchMs?: number;
  /** How long the cameras have to stream after an apply's restart, before its window (default 20 s). */
  applyCamerasMs?: number;
  /** For every camera to stream after a rollback's restart, before its probation window (default 30 s). */
  rollbackCamerasMs?: number;
  /** Shorter qualification tests than the variants' (Test 1, 2, 3 in seconds; tests and demos shorten them). */
  qualifyDurationsS?: Partial<Record<'full' | 'quick', QualifyDurations>>;
  /** The qualification's test source (default 1920x1080@30, seed 001). */
  qualifyFrame?: QualifyFrame;
  /** The mixer's program size instead of the profile's (tests and demos on a small machine). */
  mixerOutput?: { width?: number; height?: number; fps?: number; bitrateKbps?: number };
  /** Limits of the VPU reset's waits on the device (tests shorten them). */
  resetTimeouts?: Partial<ResetTimeouts>;
  /** The transcoder's and VMS host's watch paces and alarm waits (tests with short segments shorten them). */
  kindTimings?: KindTimings;
  /** A known-good switch's time to look healthy after its restart (default 60 s; tests shorten it). */
  knownGoodStartS?: number;
  /** Fewer or closer CPU samples for a VMS host's qualification than its profile's (tests shorten it). */
  vmsCpuSampling?: { samples: number; everyS: number };
}

export interface KindTimings {
  /** A VMS segment may be this late (s) instead of the profile's grace. */
  segmentGraceS?: number;
  /** Live RTSP outputs checked this often (default 15 s). */
  liveEveryMs?: number;
  /** A service or FFmpeg restart alarm closes after this long without another (default 60 s). */
  restartsQuietMs?: number;
  /** A camera down this long is an alarm (default 5 s). */
  cameraDownMs?: number;
  /** CPU over budget on average over this window is an alarm (default 30 s). */
  cpuWindowMs?: number;
}

/** Who is calling: a window or a browser tab. Terminals belong to their owner and close with it. */
export interface CallContext {
  owner: string;
}

type EventListener = (name: EventName, payload: unknown, owner?: string) => void;

type Handler<N extends CommandName> = (
  input: CommandParsedInput<N>,
  ctx: CallContext,
) => Promise<CommandResult<N>>;
type Handlers = { [N in CommandName]: Handler<N> };

/** The one object that owns devices and operations. Both shells talk to it only through `invoke` and events. */
export class Console {
  readonly connections: ConnectionManager;
  readonly jobs: RemoteJobs;
  readonly devices: DeviceService;
  readonly audit: AuditLog;
  readonly monitor: MonitorService;
  readonly leases: DeviceLeases;
  readonly recorder: RecorderFeature;
  readonly pipelines: AdhocPipelines;
  readonly previews: PreviewService;
  readonly vpuReset: VpuResetService;
  readonly rollback: RollbackService;
  readonly history: HistoryService;
  readonly qualify: QualifyService;
  /** Known-good and qualification for the transcoder and the VMS host (issue 17). */
  readonly kindOps: KindOps;
  readonly mixer: MixerService;
  readonly kinds: KindService;
  readonly service: ServiceFeature;
  readonly health: HealthFeature;
  readonly segments: SegmentsFeature;
  private readonly terminals: TerminalService;
  private readonly hostKeys: StoreHostKeyPolicy;
  private readonly listeners = new Set<EventListener>();
  private readonly handlers: Handlers;

  private constructor(
    readonly store: StateStore,
    private readonly opts: ConsoleOptions,
  ) {
    this.audit = new AuditLog(opts.dataDir, opts.shell);
    this.hostKeys = new StoreHostKeyPolicy(
      store,
      opts.knownHostsFiles ?? [path.join(os.homedir(), '.ssh', 'known_hosts')],
    );
    const settings = store.settings();
    this.connections = new ConnectionManager({
      hostKeys: this.hostKeys,
      keepalive: { intervalMs: settings.keepaliveIntervalMs, countMax: settings.keepaliveCountMax },
      ...(opts.reconnect ? { reconnect: opts.reconnect } : {}),
    });
    this.jobs = new RemoteJobs(this.connections);
    const deviceName = (id: string): string => store.device(id)?.name ?? id;
    const profileOf = (id: string): R58Profile => deviceProfile(store, id);
    const audit = this.audit.forDevices((id) => store.device(id)?.name);
    this.leases = new DeviceLeases({
      connections: this.connections,
      deviceName,
      who: this.audit.who,
      audit,
      onChange: (deviceId, lease) => this.emit('lease.changed', { deviceId, lease }),
    });
    this.devices = new DeviceService(store, opts.secrets, this.connections, opts.agentSocket);
    this.terminals = new TerminalService(this.connections, (id) => this.devices.get(id).name, {
      data: (owner, terminalId, data) => this.emit('terminal.data', { terminalId, data }, owner),
      exit: (owner, terminalId, code, reason) =>
        this.emit('terminal.exit', { terminalId, code, reason }, owner),
    });
    this.connections.onStatus((id, status) => this.emit('device.status', { id, status }));
    this.monitor = new MonitorService({
      connections: this.connections,
      store,
      sink: {
        kernel: (deviceId, lines, events) => this.emit('monitor.kernel', { deviceId, lines, events }),
        sample: (deviceId, sample) => this.emit('monitor.sample', { deviceId, sample }),
        status: (deviceId, status) => this.emit('monitor.status', { deviceId, status }),
      },
      onAlarms: (alarms) => this.emit('alarms.changed', { alarms }),
      onAlarmRaised: (alarm) =>
        void this.audit
          .record({
            deviceId: alarm.deviceId,
            device: alarm.device,
            action: `alarm.${alarm.kind}`,
            detail: alarm.evidence.slice(0, 3).join(' | ').slice(0, 500),
            result: 'error',
            message: alarm.title,
          })
          .catch(() => undefined),
      onAlarmAcknowledged: (alarm) =>
        void this.audit
          .record({
            deviceId: alarm.deviceId,
            device: alarm.device,
            action: 'alarm.acknowledge',
            detail: alarm.kind,
            result: 'ok',
            message: alarm.title,
          })
          .catch(() => undefined),
      onAlarmResolved: (alarm) =>
        void this.audit
          .record({
            deviceId: alarm.deviceId,
            device: alarm.device,
            action: 'alarm.resolved',
            detail: alarm.kind,
            result: 'ok',
            message: `${alarm.title} (${alarm.acknowledged?.by ?? 'Tally'})`,
          })
          .catch(() => undefined),
      // The recorder is built after the monitor; the alarm asks only once a link has been lost.
      recordingsOf: (id) => this.recorder.lastRecordings(id),
      ...(opts.monitorRetryMs !== undefined ? { retryMs: opts.monitorRetryMs } : {}),
    });
    const liveSessions = (id: string): number | null => this.monitor.currentSample(id)?.vpu.total ?? null;
    this.recorder = new RecorderFeature({
      connections: this.connections,
      store,
      audit,
      leases: this.leases,
      liveSessions,
      cpuNow: (id) => this.monitor.cpuNow(id),
      jobs: this.jobs,
      dataDir: opts.dataDir,
      who: this.audit.who,
      events: {
        probed: (probe) => this.emit('device.probed', { probe }),
        state: (deviceId, state) => this.emit('recorder.state', { deviceId, state }),
        journal: (deviceId, entries) => this.emit('recorder.journal', { deviceId, entries }),
        operation: (operation) => this.emit('operation.changed', { operation }),
      },
      ...(opts.applyWatchMs !== undefined ? { applyWatchMs: opts.applyWatchMs } : {}),
      ...(opts.applyCamerasMs !== undefined ? { applyCamerasMs: opts.applyCamerasMs } : {}),
    });
    this.pipelines = new AdhocPipelines({
      connections: this.connections,
      jobs: this.jobs,
      profileOf,
      liveSessions,
      sessionsOfPids: (id, pids) => this.monitor.sessionsOfPids(id, pids),
      onJob: (job) => this.emit('pipelines.changed', { job }),
      audit,
      leases: this.leases,
    });
    this.previews = new PreviewService({
      connections: this.connections,
      hostOf: (id) => this.devices.get(id).host,
      profileOf,
    });
    this.vpuReset = new VpuResetService({
      connections: this.connections,
      jobs: this.jobs,
      audit: this.audit,
      dataDir: opts.dataDir,
      deviceName,
      profileOf,
      leases: this.leases,
      probe: (id) => this.recorder.probe(id, false),
      sessions: (id) => this.monitor.currentSample(id)?.vpu.total ?? null,
      activeRecordings: (id) => this.recorder.activeRecordings(id),
      consoleJobs: (id) => [
        ...this.pipelines
          .list(id)
          .filter((j) => j.state === 'running')
          .map((j) => ({
            jobId: j.id,
            label: j.command.length > 80 ? `${j.command.slice(0, 77)}…` : j.command,
          })),
        // The mixer this console started comes back once the reset has ended healthy, with what was on Program.
        ...this.mixer.runningJob(id).map(({ jobId, label, program, startedHere }) => ({
          jobId,
          label,
          owner: {
            restartPlan: !startedHere
              ? null
              : program
                ? `starts again with scene “${program}”`
                : 'starts again with an empty Program',
            stopping: (by: string, resetId: string) => this.mixer.stoppingFor(id, by, resetId, startedHere),
            restart: () => this.mixer.startAgain(id),
            leave: (why: string | null) => this.mixer.leaveStopped(id, why),
          },
        })),
      ],
      onChange: (reset) => this.emit('vpuReset.changed', { reset }),
      ...(opts.resetTimeouts ? { timeouts: opts.resetTimeouts } : {}),
    });
    this.rollback = new RollbackService({
      connections: this.connections,
      jobs: this.jobs,
      leases: this.leases,
      audit,
      dataDir: opts.dataDir,
      who: this.audit.who,
      deviceName,
      profileOf,
      probe: (id) => this.recorder.probe(id, false),
      liveSessions,
      activeRecordings: (id) => this.recorder.activeRecordings(id),
      onChange: (rollback) => this.emit('rollback.changed', { rollback }),
      ...(opts.rollbackCamerasMs !== undefined ? { camerasMs: opts.rollbackCamerasMs } : {}),
    });
    this.qualify = new QualifyService({
      connections: this.connections,
      jobs: this.jobs,
      leases: this.leases,
      audit,
      dataDir: opts.dataDir,
      who: this.audit.who,
      deviceName,
      profileOf,
      probe: (id) => this.recorder.probe(id, false),
      activeRecordings: (id) => this.recorder.activeRecordings(id),
      onChange: (qualification) => this.emit('qualify.changed', { qualification }),
      ...(opts.qualifyDurationsS ? { durationsS: opts.qualifyDurationsS } : {}),
      ...(opts.qualifyFrame ? { frame: opts.qualifyFrame } : {}),
    });
    this.kindOps = new KindOps({
      connections: this.connections,
      jobs: this.jobs,
      leases: this.leases,
      audit,
      dataDir: opts.dataDir,
      who: this.audit.who,
      deviceName,
      profileOf: (id) => anyProfile(store, id),
      emit: (name, payload) => this.emit(name, payload),
      ...(opts.knownGoodStartS !== undefined ? { knownGoodStartS: opts.knownGoodStartS } : {}),
      ...(opts.vmsCpuSampling ? { vmsCpuSampling: opts.vmsCpuSampling } : {}),
    });
    // Reads the device repo only, so it takes no lease.
    this.history = new HistoryService({ connections: this.connections, profileOf, deviceName });
    const repo = new DeviceRepo(this.connections, deviceName);
    this.mixer = new MixerService({
      connections: this.connections,
      jobs: this.jobs,
      leases: this.leases,
      audit,
      profileOf,
      deviceName,
      liveSessions,
      sessionsOfPids: (id, pids) => this.monitor.sessionsOfPids(id, pids),
      recorderConfig: async (id) => {
        const { path: dir, config } = profileOf(id).repo;
        return parseRecorderConfig((await repo.readFile(id, dir, config)).text);
      },
      onChange: (state) => this.emit('mixer.changed', { state }),
      ...(opts.mixerOutput ? { output: opts.mixerOutput } : {}),
    });
    this.kinds = new KindService({
      connections: this.connections,
      store,
      found: (finding) => this.emit('device.kind', { finding }),
      // Every capability took the device as it was at connect: give it the found profile and log in again with it.
      adopt: async (deviceId, profileId, why) => {
        const device = await this.devices.setProfile(deviceId, profileId);
        await this.recordDeviceChange('changed', {
          deviceId,
          device: device.name,
          action: 'device.profile',
          detail: `auto → ${profileId}`,
          result: 'ok',
          message: why,
        });
        await this.broadcastDevices();
        await this.connections.drop(deviceId);
        this.connections.connect(this.devices.endpoint(deviceId));
      },
    });
    // Issue 17: the transcoder's and the VMS host's own capabilities, each for its kind of box, alarms in the one centre.
    const timings = opts.kindTimings ?? {};
    this.health = new HealthFeature({
      connections: this.connections,
      store,
      alarms: this.monitor.alarms,
      onSample: (deviceId, sample) => this.emit('health.sample', { deviceId, sample }),
      ...(timings.restartsQuietMs !== undefined ? { restartsQuietMs: timings.restartsQuietMs } : {}),
    });
    this.segments = new SegmentsFeature({
      connections: this.connections,
      store,
      alarms: this.monitor.alarms,
      onState: (state) => this.emit('segments.state', { state }),
      ...(timings.segmentGraceS !== undefined ? { graceS: timings.segmentGraceS } : {}),
      ...(timings.liveEveryMs !== undefined ? { liveEveryMs: timings.liveEveryMs } : {}),
      ...(timings.cameraDownMs !== undefined ? { downForMs: timings.cameraDownMs } : {}),
      ...(timings.cpuWindowMs !== undefined ? { cpuWindowMs: timings.cpuWindowMs } : {}),
    });
    this.service = new ServiceFeature({
      connections: this.connections,
      store,
      leases: this.leases,
      alarms: this.monitor.alarms,
      events: {
        state: (deviceId, state) => this.emit('service.state', { deviceId, state }),
        log: (deviceId, lines) => this.emit('service.log', { deviceId, lines }),
      },
      interrupts: (id) => {
        const sessions = this.health.latest(id)?.sessions;
        if (sessions)
          return [sessions === 1 ? '1 transcode running now' : `${sessions} transcodes running now`];
        const recording = this.segments.latest(id)?.cameras.filter((c) => c.state !== 'down') ?? [];
        return recording.length > 0 ? [`the recording of ${recording.map((c) => c.camera).join(', ')}`] : [];
      },
      ...(timings.restartsQuietMs !== undefined ? { restartsQuietMs: timings.restartsQuietMs } : {}),
    });
    this.handlers = this.makeHandlers();
  }

  static async open(opts: ConsoleOptions): Promise<Console> {
    const store = await StateStore.open(opts.dataDir);
    return new Console(store, opts);
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<N extends EventName>(name: N, payload: EventPayload<N>, owner?: string): void {
    for (const listener of this.listeners) listener(name, payload, owner);
  }

  private async broadcastDevices(): Promise<void> {
    this.emit('devices.changed', { devices: await this.devices.list() });
  }

  /** Validate and run one command. Never throws: every failure becomes a reply with a message for a person. */
  async invoke(name: unknown, rawInput: unknown, ctx: CallContext): Promise<Reply> {
    if (!isCommandName(name))
      return { ok: false, error: { code: 'invalid_input', message: `Unknown command ${String(name)}.` } };
    const parsed = commands[name].input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      const fields = fieldErrors(parsed.error.issues);
      const first = Object.entries(fields)[0];
      return {
        ok: false,
        error: {
          code: 'invalid_input',
          message: first ? `Check ${first[0]}: ${first[1]}` : 'Invalid input.',
          fields,
        },
      };
    }
    try {
      const handler = this.handlers[name] as Handler<typeof name>;
      const result = await handler(parsed.data as never, ctx);
      return { ok: true, result };
    } catch (err) {
      if (err instanceof ContractError) return { ok: false, error: err.toShape() };
      if (err instanceof UnsafeValueError)
        return { ok: false, error: { code: 'invalid_input', message: err.message } };
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        error: { code: 'internal', message: `Tally hit an unexpected problem: ${message}` },
      };
    }
  }

  /**
   * Record a host key that is known out of band (the demo started its emulator and read the key itself), so
   * the user is not asked about it. Everything else goes through the fingerprint prompt.
   */
  /**
   * Connect again every device the producer left connected when the console last ran (the shells call this once
   * at start; the login gate spreads a fleet's logins). Returns their ids.
   */
  resumeConnections(): string[] {
    const ids = this.store
      .devices()
      .filter((d) => d.connect)
      .map((d) => d.id);
    for (const id of ids) this.connections.connect(this.devices.endpoint(id));
    return ids;
  }

  async trustKnownHostKey(host: string, port: number, keyBase64: string): Promise<void> {
    const blob = Buffer.from(keyBase64, 'base64');
    await this.hostKeys.trust(host, port, {
      fingerprint: fingerprint(blob),
      keyType: keyTypeLabel(keyAlgorithm(blob)),
      key: keyBase64,
    });
  }

  /** A window or tab went away. */
  release(owner: string): void {
    this.terminals.releaseOwner(owner);
  }

  async close(): Promise<void> {
    await this.previews.close();
    this.vpuReset.close();
    this.rollback.close();
    this.qualify.close();
    this.kindOps.close();
    this.mixer.close();
    this.kinds.dispose();
    this.service.close();
    this.health.close();
    this.segments.close();
    this.pipelines.close();
    this.recorder.close();
    this.leases.close();
    this.monitor.close();
    this.terminals.closeAll();
    await this.connections.closeAll();
    // A CLI exits right after this: every audit line already recorded must be on disk first.
    await this.audit.flush();
  }

  private async record(
    deviceId: string,
    action: string,
    result: 'ok' | 'error' | 'refused' | 'started',
    message?: string,
  ): Promise<void> {
    const device = this.store.device(deviceId);
    await this.audit.record({
      deviceId,
      ...(device ? { device: device.name } : {}),
      action,
      result,
      ...(message ? { message } : {}),
    });
  }

  /**
   * Audit a change to the device list that is already stored. A failed audit write must not turn the reply into an
   * error (the device list did change, and the user would be told otherwise): it is reported as a store problem,
   * which every window shows, and the change stands.
   */
  private async recordDeviceChange(
    done: 'added' | 'changed' | 'removed',
    entry: Parameters<AuditLog['record']>[0],
  ): Promise<void> {
    try {
      await this.audit.record(entry);
    } catch (err) {
      const message =
        `${entry.device ?? entry.deviceId} was ${done}, but the audit log could not record it: ` +
        `${(err as Error).message}. Check that ${this.audit.file} is a writable file.`;
      this.emit('store.problem', { message });
    }
  }

  /** The id of a device in the list; a clear error otherwise. */
  private known(deviceId: string): string {
    this.devices.get(deviceId);
    return deviceId;
  }

  /** A scene given whole (edited, maybe unsaved) or by its id among the device's saved scenes. */
  private async sceneOf(deviceId: string, sceneId?: string, scene?: Scene): Promise<Scene | null> {
    if (scene) return scene;
    if (!sceneId) return null;
    const found = await this.mixer.scene(this.known(deviceId), sceneId);
    if (!found) throw new ContractError('not_found', `There is no scene ${sceneId} on this device.`);
    return found;
  }

  private makeHandlers(): Handlers {
    return {
      'app.info': async () => ({
        version: this.opts.version,
        shell: this.opts.shell,
        secretsPersist: this.opts.secrets.persistent,
        dataDir: this.opts.dataDir,
        storeProblems: [...this.store.problems],
      }),
      'devices.list': () => this.devices.list(),
      'devices.add': async (input) => {
        checkProfile(input.profile);
        const device = await this.devices.add(input);
        await this.recordDeviceChange('added', {
          deviceId: device.id,
          device: device.name,
          action: 'device.add',
          detail: `${device.user}@${device.host}:${device.port}`,
          result: 'ok',
        });
        await this.broadcastDevices();
        return this.devices.view(device);
      },
      'devices.update': async (input) => {
        const { id, ...rest } = input;
        checkProfile(rest.profile);
        const wasWanted = ['connected', 'degraded', 'connecting'].includes(this.connections.status(id).state);
        const { device, reachChanged } = await this.devices.update(id, rest);
        await this.recordDeviceChange('changed', {
          deviceId: id,
          device: device.name,
          action: 'device.update',
          detail: `${device.user}@${device.host}:${device.port}`,
          result: 'ok',
        });
        if (reachChanged) {
          await this.connections.drop(id);
          if (wasWanted) this.connections.connect(this.devices.endpoint(id));
        }
        await this.broadcastDevices();
        return this.devices.view(device);
      },
      'devices.remove': async ({ id }) => {
        const device = await this.devices.remove(id);
        this.monitor.forget(id);
        this.recorder.forget(id);
        this.service.forget(id);
        this.health.forget(id);
        this.segments.forget(id);
        void this.previews.forget(id);
        await this.recordDeviceChange('removed', {
          deviceId: id,
          device: device.name,
          action: 'device.remove',
          result: 'ok',
        });
        await this.broadcastDevices();
        return { ok: true as const };
      },
      'devices.connect': async ({ id }) => {
        this.devices.get(id);
        await this.devices.setWanted([id], true);
        await this.record(id, 'connect', 'started');
        this.connections.connect(this.devices.endpoint(id));
        return { ok: true as const };
      },
      'devices.connectAll': async () => {
        // A changed or unknown host key waits for the producer's own look; connecting all must not skip that.
        const idle = new Set(['disconnected', 'unreachable', 'auth_failed']);
        const started = this.store
          .devices()
          .filter((d) => idle.has(this.connections.status(d.id).state))
          .map((d) => d.id);
        await this.devices.setWanted(started, true);
        for (const id of started) {
          await this.record(id, 'connect', 'started');
          this.connections.connect(this.devices.endpoint(id));
        }
        return { started };
      },
      'devices.disconnect': async ({ id }) => {
        this.devices.get(id);
        await this.devices.setWanted([id], false);
        await this.connections.disconnect(id);
        await this.record(id, 'disconnect', 'ok');
        return { ok: true as const };
      },
      'devices.importSshConfig': async ({ path: file }) => readSshConfigCandidates(file),
      'hostkeys.trust': async ({ id, fingerprint }) => {
        const device = this.devices.get(id);
        const presented = this.connections.presentedKey(id);
        // The key may be the jump host's: each hop is checked, and shown, on its own.
        const jump = device.proxyJump ? parseJump(device.proxyJump, device.user) : undefined;
        const isHop = (h: { host: string; port: number } | undefined) =>
          h !== undefined &&
          presented !== undefined &&
          presented.host === h.host &&
          presented.port === h.port;
        if (!presented || !(isHop(device) || isHop(jump)))
          throw new ContractError(
            'conflict',
            'There is no host key waiting to be trusted for this device. Connect first.',
          );
        if (presented.fingerprint !== fingerprint)
          throw new ContractError(
            'conflict',
            'The device now presents a different key than the one shown. Nothing was trusted; check the new fingerprint.',
          );
        if (this.connections.status(id).state === 'hostkey_mismatch')
          throw new ContractError(
            'refused',
            'This device’s key does not match the recorded one. Forget the old key first, after checking why it changed.',
          );
        await this.hostKeys.trust(presented.host, presented.port, presented);
        await this.record(id, 'hostkey.trust', 'ok', `${presented.keyType} ${presented.fingerprint}`);
        this.connections.connect(this.devices.endpoint(id));
        await this.broadcastDevices();
        return { ok: true as const };
      },
      'hostkeys.forget': async ({ id }) => {
        const device = this.devices.get(id);
        const key = this.store.hostKey(device.host, device.port);
        if (!key) {
          const status = this.connections.status(id);
          if (status.state === 'hostkey_mismatch')
            // The recorded key is the user's own known_hosts: that file is theirs to edit, not ours.
            throw new ContractError(
              'refused',
              `The old key is recorded outside Tally (${status.detail.includes('known_hosts') ? 'in your known_hosts file' : 'in a known_hosts file'}). After checking why it changed, remove it with: ssh-keygen -R ${device.port === 22 ? device.host : `'[${device.host}]:${device.port}'`}`,
            );
        }
        await this.hostKeys.forget(device.host, device.port);
        await this.record(
          id,
          'hostkey.forget',
          'ok',
          key ? `${key.keyType} ${key.fingerprint}` : 'none recorded',
        );
        this.connections.resetStatus(
          id,
          'The old host key was forgotten. Connect to check and trust the new one.',
        );
        await this.broadcastDevices();
        return { ok: true as const };
      },
      'terminal.open': async ({ target, cols, rows }, ctx) => {
        const info = await this.terminals.open(ctx.owner, target, cols, rows);
        if (target.kind === 'device') await this.record(target.deviceId, 'terminal.open', 'ok');
        return info;
      },
      'terminal.input': async ({ terminalId, data }, ctx) => {
        this.terminals.input(ctx.owner, terminalId, data);
        return { ok: true as const };
      },
      'terminal.resize': async ({ terminalId, cols, rows }, ctx) => {
        this.terminals.resize(ctx.owner, terminalId, cols, rows);
        return { ok: true as const };
      },
      'terminal.ack': async ({ terminalId, bytes }, ctx) => {
        this.terminals.ack(ctx.owner, terminalId, bytes);
        return { ok: true as const };
      },
      'terminal.close': async ({ terminalId }, ctx) => {
        this.terminals.close(ctx.owner, terminalId);
        return { ok: true as const };
      },
      'settings.get': async () => this.store.settings(),
      'settings.update': async (input) => {
        await this.store.update((draft) => {
          draft.settings = input;
        });
        this.connections.setKeepalive({
          intervalMs: input.keepaliveIntervalMs,
          countMax: input.keepaliveCountMax,
        });
        return this.store.settings();
      },
      'audit.tail': ({ limit }) => this.audit.tail(limit),
      'monitor.snapshot': async ({ deviceId }) => this.monitor.snapshot(deviceId),
      'monitor.summary': async () => this.monitor.summary(),
      'alarms.list': async () => this.monitor.alarms.list(),
      'alarms.acknowledge': async ({ id }) => this.monitor.alarms.acknowledge(id, this.audit.who),
      'alarms.acknowledgeDevice': async ({ deviceId }) => {
        this.devices.get(deviceId);
        const open = this.monitor.alarms.list().filter((a) => a.deviceId === deviceId && !a.acknowledged);
        return {
          acknowledged: open.map((a) => this.monitor.alarms.acknowledge(a.id, this.audit.who)),
        };
      },
      'device.probe': ({ deviceId, refresh }) => this.recorder.probe(this.known(deviceId), refresh),
      'recorder.status': ({ deviceId }) => this.recorder.recorder.status(this.known(deviceId)),
      'recorder.control': async ({ deviceId, action, confirmed }) => {
        const id = this.known(deviceId);
        // The outcome goes to the audit log before the reply, so a CLI that exits on the reply leaves it recorded.
        const audit = (result: 'ok' | 'error' | 'refused', message: string): Promise<void> =>
          this.record(id, `recorder.${action}`, result, message).catch(() => undefined);
        try {
          const reply = await this.recorder.control(id, action, confirmed);
          if (reply.kind === 'done')
            await audit('ok', `${reply.state.unit}: ${reply.state.activeState} (${reply.state.subState})`);
          return reply;
        } catch (err) {
          const refused = err instanceof ContractError && err.code === 'refused';
          await audit(refused ? 'refused' : 'error', err instanceof Error ? err.message : String(err));
          throw err;
        }
      },
      'recorder.journal': async ({ deviceId }) => this.recorder.recorder.journal(this.known(deviceId)),
      'cameras.list': ({ deviceId }) => this.recorder.cameraList(this.known(deviceId)),
      'presets.list': async () => this.recorder.presets(),
      'budget.check': ({ deviceId, plan }) => this.recorder.budget(this.known(deviceId), plan),
      'config.preview': (change) =>
        this.recorder.preview({ ...change, deviceId: this.known(change.deviceId) }),
      'config.apply': (change) => this.recorder.apply({ ...change, deviceId: this.known(change.deviceId) }),
      'operations.list': ({ deviceId }) => this.recorder.applier.list(this.known(deviceId)),
      'pipelines.run': (request) =>
        this.pipelines.run({ ...request, deviceId: this.known(request.deviceId) }),
      'pipelines.list': async ({ deviceId }) => this.pipelines.list(this.known(deviceId)),
      'pipelines.stop': ({ deviceId, jobId }) => this.pipelines.stop(this.known(deviceId), jobId),
      'recordings.list': ({ deviceId }) => this.recorder.recordings(this.known(deviceId)),
      'recordings.start': ({ deviceId, cameras }) =>
        this.recorder.startRecording(this.known(deviceId), cameras),
      'recordings.stop': ({ deviceId, cameras, confirmed }) =>
        this.recorder.stopRecording(this.known(deviceId), cameras, confirmed),
      'recordings.delete': async ({ deviceId, name, confirmName }) => {
        await this.recorder.deleteRecording(this.known(deviceId), name, confirmName);
        return { ok: true as const };
      },
      'previews.list': ({ deviceId, route }) => this.previews.list(this.known(deviceId), route),
      'vpuReset.plan': ({ deviceId }) => this.vpuReset.plan(this.known(deviceId)),
      'vpuReset.start': ({ deviceId, interrupt }) =>
        this.vpuReset.start(this.known(deviceId), this.audit.who, interrupt),
      'vpuReset.get': ({ deviceId, id }) => this.vpuReset.get(this.known(deviceId), id),
      'vpuReset.list': ({ deviceId }) => this.vpuReset.list(this.known(deviceId)),
      'lease.get': ({ deviceId }) => this.leases.read(this.known(deviceId)),
      'rollback.plan': ({ deviceId, to, probationS }) =>
        this.rollback.plan(this.known(deviceId), to, probationS),
      'rollback.start': ({ deviceId, to, probationS, overrideBudget }) =>
        this.rollback.start(this.known(deviceId), { to, probationS, overrideBudget }),
      'rollback.get': ({ deviceId, id }) => this.rollback.get(this.known(deviceId), id),
      'rollback.list': ({ deviceId }) => this.rollback.list(this.known(deviceId)),
      'history.list': ({ deviceId }) => this.history.list(this.known(deviceId)),
      'qualify.plan': ({ deviceId, target, variant }) =>
        this.qualify.plan(this.known(deviceId), target, variant),
      'qualify.start': ({ deviceId, target, variant }) =>
        this.qualify.start(this.known(deviceId), { target, variant }),
      'qualify.get': ({ deviceId, id }) => this.qualify.get(this.known(deviceId), id),
      'qualify.list': ({ deviceId }) => this.qualify.list(this.known(deviceId)),
      ...this.kindOps.handlers((id) => this.known(id)),
      'mixer.state': ({ deviceId }) => this.mixer.state(this.known(deviceId)),
      'mixer.start': ({ deviceId, sceneId, softwareCameras }) =>
        this.mixer.start(this.known(deviceId), sceneId, softwareCameras),
      'mixer.stop': ({ deviceId }) => this.mixer.stop(this.known(deviceId)),
      'mixer.scenes.list': ({ deviceId }) => this.mixer.listScenes(this.known(deviceId)),
      'mixer.scenes.save': ({ deviceId, scene, rev }) =>
        this.mixer.saveScene(this.known(deviceId), scene, rev),
      'mixer.scenes.delete': ({ deviceId, sceneId, rev }) =>
        this.mixer.deleteScene(this.known(deviceId), sceneId, rev),
      'mixer.preview': async ({ deviceId, sceneId, scene }) =>
        this.mixer.preview(this.known(deviceId), await this.sceneOf(deviceId, sceneId, scene)),
      'mixer.preflight': async ({ deviceId, sceneId, scene }) =>
        this.mixer.preflight(this.known(deviceId), await this.sceneOf(deviceId, sceneId, scene)),
      'mixer.take': async ({ deviceId, sceneId, scene, transition }) =>
        this.mixer.take(
          this.known(deviceId),
          sceneId || scene ? await this.sceneOf(deviceId, sceneId, scene) : null,
          transition,
        ),
      'device.reboot': async ({ deviceId, confirmName }) => {
        await this.vpuReset.reboot(this.known(deviceId), confirmName);
        return { ok: true as const };
      },
      'profiles.list': async () => this.kinds.profiles(),
      'device.kind': async ({ deviceId }) => this.kinds.finding(this.known(deviceId)),
      'service.state': ({ deviceId }) => this.service.read(this.known(deviceId)),
      'service.control': async ({ deviceId, action, confirmed }) => {
        const id = this.known(deviceId);
        const audit = (result: 'ok' | 'error' | 'refused', message: string): Promise<void> =>
          this.record(id, `service.${action}`, result, message).catch(() => undefined);
        try {
          const reply = await this.service.control(id, action, confirmed);
          if (reply.kind !== 'confirm') await audit('ok', reply.message);
          return reply;
        } catch (err) {
          const refused = err instanceof ContractError && (err.code === 'refused' || err.code === 'busy');
          await audit(refused ? 'refused' : 'error', err instanceof Error ? err.message : String(err));
          throw err;
        }
      },
      'service.logs': ({ deviceId, lines }) => this.service.logLines(this.known(deviceId), lines),
      'health.history': async ({ deviceId }) => this.health.historyOf(this.known(deviceId)),
      'segments.state': ({ deviceId }) => this.segments.state(this.known(deviceId)),
    };
  }
}

/** A device's profile must be one that loads, or `auto`; said at the form's field. */
function checkProfile(profile: string): void {
  if (profile === AUTO_PROFILE) return;
  try {
    loadAnyProfile(profile);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ContractError('invalid_input', message, { profile: message });
  }
}

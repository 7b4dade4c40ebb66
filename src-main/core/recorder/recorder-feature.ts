/**
 * The recorder capability put together for one Console: the probe on connect, the recorder unit and its journal,
 * cameras, recordings, presets and the VPU budget, and config changes. The Console's command handlers call only
 * this. Everything here that changes the device takes the device's lease.
 */
import {
  ContractError,
  isLive,
  type BudgetPlan,
  type BudgetResult,
  type CameraView,
  type ConfigChange,
  type ConfigPreview,
  type DeviceProbe,
  type DeviceStatus,
  type JournalEntry,
  type Operation,
  type Preset,
  type Recording,
  type RecorderControlResult,
  type RecorderState,
} from '../../contract/index.js';
import type { DeviceAudit } from '../audit/audit-log.js';
import type { DeviceLeases } from '../device/lease.js';
import type { RemoteJobs } from '../device/remote-jobs.js';
import {
  DEFAULT_PROFILE,
  deviceKind,
  deviceProfile,
  loadProfile,
  type R58Profile,
} from '../device/profile.js';
import { presetsFor } from '../media/presets.js';
import { parseRecorderConfig, planFromConfig } from '../media/recorder-config.js';
import { checkBudget } from '../media/vpu-budget.js';
import { withCpu, type CpuReading } from '../media/cpu-budget.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { StateStore } from '../store/state-store.js';
import { CameraReader } from './cameras.js';
import { ConfigApplier } from './config-applier.js';
import { DeviceRepo } from '../device/repo.js';
import { probeDevice } from './probe.js';
import { RecorderApi } from './recorder-api.js';
import { endingRecordingsMessage, RecorderService } from './recorder-service.js';
import { RecorderWatch } from './recorder-watch.js';
import { deleteRecording, listRecordings } from './recordings.js';

export interface RecorderFeatureEvents {
  probed(probe: DeviceProbe): void;
  state(deviceId: string, state: RecorderState): void;
  journal(deviceId: string, entries: JournalEntry[]): void;
  operation(op: Operation): void;
}

export interface RecorderFeatureOptions {
  connections: ConnectionManager;
  store: StateStore;
  audit: DeviceAudit;
  leases: DeviceLeases;
  /** The monitor's latest VPU session count for the device; null when unknown. */
  liveSessions(deviceId: string): number | null;
  /** The board's CPU over the last 30 s (the monitor's readings); null when there are none. */
  cpuNow(deviceId: string): CpuReading | null;
  /** Detached jobs on the device (a config apply runs as one), and where their reports are kept. */
  jobs: RemoteJobs;
  dataDir: string;
  /** `user@host (shell)`. */
  who: string;
  events: RecorderFeatureEvents;
  /** An applied change's probation window (default 30 s, from the issue). */
  applyWatchMs?: number;
  /** How long the cameras have to stream after an apply's restart (default 20 s). */
  applyCamerasMs?: number;
  /** How often a connected device's recorder state is read again, for REC on every screen (default 2 s). */
  watchMs?: number;
}

const FOLLOW_SHORT = 'It takes a few seconds; the Recorder tab shows the outcome.';

export class RecorderFeature {
  readonly recorder: RecorderService;
  readonly cameras: CameraReader;
  readonly applier: ConfigApplier;
  private readonly repo: DeviceRepo;
  private readonly probes = new Map<string, DeviceProbe>();
  private readonly probing = new Map<string, Promise<DeviceProbe>>();
  /** The last state read from each device, kept through a lost link: what it was doing when last seen. */
  private readonly states = new Map<string, RecorderState>();
  private readonly watch: RecorderWatch;
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: RecorderFeatureOptions) {
    const profileOf = (id: string): R58Profile => this.profileOf(id);
    const deviceName = (id: string): string => opts.store.device(id)?.name ?? id;
    const audit = opts.audit;
    this.recorder = new RecorderService({
      connections: opts.connections,
      profileOf,
      deviceName,
      onState: (id, state) => {
        this.states.set(id, state);
        opts.events.state(id, state);
      },
      onJournal: (id, entries) => opts.events.journal(id, entries),
    });
    this.cameras = new CameraReader(opts.connections, profileOf);
    this.repo = new DeviceRepo(opts.connections, deviceName);
    this.applier = new ConfigApplier({
      connections: opts.connections,
      jobs: opts.jobs,
      dataDir: opts.dataDir,
      who: opts.who,
      profileOf,
      deviceName,
      recorder: this.recorder,
      probe: (id) => this.probe(id, false),
      liveSessions: (id) => opts.liveSessions(id),
      cpuNow: (id) => opts.cpuNow(id),
      audit,
      leases: opts.leases,
      onOperation: (op) => opts.events.operation(op),
      ...(opts.applyWatchMs !== undefined ? { watchMs: opts.applyWatchMs } : {}),
      ...(opts.applyCamerasMs !== undefined ? { camerasTimeoutMs: opts.applyCamerasMs } : {}),
    });
    this.watch = new RecorderWatch({
      read: (id) => this.recorder.status(id),
      ...(opts.watchMs !== undefined ? { everyMs: opts.watchMs } : {}),
    });
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  /** The recordings running when the device was last read (through a lost link: the last known). */
  lastRecordings(deviceId: string): RecorderState['recordings'] | undefined {
    return this.states.get(deviceId)?.recordings;
  }

  profileOf(deviceId: string): R58Profile {
    return deviceProfile(this.opts.store, deviceId);
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    if (!this.opts.store.device(deviceId)) return;
    // The recorder, its journal and its probe are the R58's; other kinds of box have their own capabilities.
    if (deviceKind(this.opts.store, deviceId) !== 'r58') return;
    if (isLive(status.state)) {
      this.recorder.startJournal(deviceId);
      this.watch.start(deviceId);
      // Probe once per connection; a failed probe is retried on the next request.
      if (!this.probing.has(deviceId)) void this.probe(deviceId, true).catch(() => undefined);
    } else {
      this.recorder.pauseJournal(deviceId);
      this.watch.stop(deviceId);
      this.probing.delete(deviceId);
    }
  }

  async probe(deviceId: string, refresh: boolean): Promise<DeviceProbe> {
    const known = this.probes.get(deviceId);
    if (known && !refresh) return known;
    const running = this.probing.get(deviceId);
    if (running && !refresh) return running;
    const name = this.opts.store.device(deviceId)?.name ?? deviceId;
    const work = probeDevice(this.opts.connections, deviceId, this.profileOf(deviceId), name).then(
      (probe) => {
        this.probes.set(deviceId, probe);
        this.opts.events.probed(probe);
        return probe;
      },
      (err: unknown) => {
        // A failed probe is not remembered: the next request tries again.
        if (this.probing.get(deviceId) === work) this.probing.delete(deviceId);
        throw err;
      },
    );
    this.probing.set(deviceId, work);
    return work;
  }

  /** The presets, each with its CPU figure on the default profile's board. */
  presets(): Preset[] {
    return presetsFor(loadProfile(DEFAULT_PROFILE));
  }

  /**
   * The given plan, or the device's current one from its config.yml, against the profile's limits: VPU sessions, and
   * CPU where the profile has figures. What the rest of the board takes is measured when the monitor has readings:
   * then the current config and the recorder's state are read too, as the measurement includes its streams.
   */
  async budget(deviceId: string, plan: BudgetPlan | undefined): Promise<BudgetResult> {
    const profile = this.profileOf(deviceId);
    const limits = { safe: profile.vpu.safeLimit, practical: profile.vpu.practicalLimit };
    const reading = profile.cpu ? this.opts.cpuNow(deviceId) : null;
    const currentPlan = async (): Promise<BudgetPlan> => {
      const { text } = await this.repo.readFile(deviceId, profile.repo.path, profile.repo.config);
      return planFromConfig(parseRecorderConfig(text));
    };
    const [current, state] = await Promise.all([
      plan ? (reading ? currentPlan().catch(() => null) : null) : currentPlan(),
      reading ? this.recorder.status(deviceId).catch(() => null) : null,
    ]);
    const checked = plan ?? current ?? { cameras: [], mixerOutput: null };
    // An unknown recorder state counts as running: counting its streams twice could refuse the way out of a load.
    const running = state === null || state.activeState === 'active' ? current : null;
    return withCpu(
      checkBudget(checked, limits, this.opts.liveSessions(deviceId)),
      checked,
      profile,
      reading,
      running,
    );
  }

  preview(change: ConfigChange): Promise<ConfigPreview> {
    return this.applier.preview(change);
  }

  apply(change: ConfigChange): Promise<Operation> {
    return this.applier.apply(change);
  }

  control(
    deviceId: string,
    action: 'start' | 'stop' | 'restart',
    confirmed: boolean,
  ): Promise<RecorderControlResult> {
    const unit = this.profileOf(deviceId).units.recorder;
    const verb = { start: 'Start', stop: 'Stop', restart: 'Restart' }[action];
    return this.opts.leases.run(
      deviceId,
      { kind: `recorder.${action}`, what: `${verb} ${unit}`, follow: FOLLOW_SHORT },
      () => this.recorder.control(deviceId, action, confirmed),
    );
  }

  cameraList(deviceId: string): Promise<CameraView[]> {
    return this.cameras.list(deviceId);
  }

  private api(deviceId: string): RecorderApi {
    return new RecorderApi(this.opts.connections, deviceId, this.profileOf(deviceId));
  }

  /** Files being written now; with `strict`, a recorder API that does not answer is an error, not "none". */
  private async activeFiles(deviceId: string, strict = false): Promise<string[]> {
    try {
      return (await this.api(deviceId).recordStatus()).map((r) => r.file);
    } catch (err) {
      if (!strict) return [];
      throw new ContractError(
        'unavailable',
        `The recorder API does not answer, so Tally cannot tell whether the file is still being written; nothing ` +
          `was deleted. Start the recorder or try again. (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }

  /** Recordings running now, from the recorder API; throws when it does not answer. */
  activeRecordings(deviceId: string): Promise<{ camera: string; file: string }[]> {
    return this.api(deviceId).recordStatus();
  }

  async recordings(deviceId: string): Promise<Recording[]> {
    return listRecordings(
      this.opts.connections,
      deviceId,
      this.profileOf(deviceId),
      await this.activeFiles(deviceId),
    );
  }

  startRecording(deviceId: string, cameras: string[] | undefined): Promise<RecorderState> {
    return this.recording(deviceId, 'start', cameras);
  }

  /**
   * Ends recordings (all, or the cameras named). Unconfirmed, it stops nothing and answers with the recordings that
   * would end, read now from the recorder API; confirmed, it stops them (EOS, so each file is finalised).
   */
  async stopRecording(
    deviceId: string,
    cameras: string[] | undefined,
    confirmed: boolean,
  ): Promise<RecorderControlResult> {
    if (!confirmed) {
      const ending = (await this.activeRecordings(deviceId)).filter(
        (r) => cameras === undefined || cameras.includes(r.camera),
      );
      if (ending.length > 0) {
        const name = this.opts.store.device(deviceId)?.name ?? deviceId;
        return {
          kind: 'confirm',
          message: endingRecordingsMessage(
            `Stopping the recording on ${name}`,
            ending,
            (n) =>
              `${n === 1 ? 'The file is' : 'Each file is'} finalised and stays on the device; the cameras keep streaming.`,
          ),
          recordings: ending,
        };
      }
    }
    return { kind: 'done', state: await this.recording(deviceId, 'stop', cameras) };
  }

  private recording(
    deviceId: string,
    action: 'start' | 'stop',
    cameras: string[] | undefined,
  ): Promise<RecorderState> {
    const verb = action === 'start' ? 'Start' : 'Stop';
    return this.opts.leases.run(
      deviceId,
      {
        kind: `recordings.${action}`,
        what: `${verb} recording ${cameras?.join(', ') ?? 'all cameras'}`,
        follow: FOLLOW_SHORT,
      },
      async () => {
        const api = this.api(deviceId);
        await (action === 'start' ? api.startRecording(cameras) : api.stopRecording(cameras));
        await this.audit(deviceId, `recordings.${action}`, cameras?.join(',') ?? 'all');
        return this.recorder.status(deviceId);
      },
    );
  }

  deleteRecording(deviceId: string, name: string, confirmName: string): Promise<void> {
    return this.opts.leases.run(
      deviceId,
      { kind: 'recordings.delete', what: `Delete the recording ${name}`, follow: FOLLOW_SHORT },
      async () => {
        await deleteRecording(
          this.opts.connections,
          deviceId,
          this.profileOf(deviceId),
          name,
          confirmName,
          await this.activeFiles(deviceId, true),
        );
        await this.audit(deviceId, 'recordings.delete', name);
      },
    );
  }

  private audit(deviceId: string, action: string, detail: string): Promise<void> {
    return this.opts.audit({ deviceId, action, detail, result: 'ok' });
  }

  forget(deviceId: string): void {
    this.watch.stop(deviceId);
    this.states.delete(deviceId);
    this.recorder.forget(deviceId);
    this.cameras.forget(deviceId);
    this.probes.delete(deviceId);
    this.probing.delete(deviceId);
  }

  close(): void {
    this.unsubscribe();
    this.watch.close();
    this.recorder.close();
    this.applier.close();
  }
}

/**
 * Known-good and qualification for the transcoder and the VMS host (issue 17), put together for the Console: both
 * services and their command handlers, so the Console wires them in one place.
 */
import type { CommandParsedInput, CommandResult, EventPayload } from '../contract/index.js';
import type { DeviceAudit } from './audit/audit-log.js';
import type { DeviceLeases } from './device/lease.js';
import type { DeviceProfile } from './device/profile.js';
import type { RemoteJobs } from './device/remote-jobs.js';
import { KindQualifyService } from './kind-qualify/kind-qualify-service.js';
import { KnownGoodService } from './known-good/known-good-service.js';
import type { ConnectionManager } from './ssh/connection-manager.js';

export interface KindOpsOptions {
  connections: ConnectionManager;
  jobs: RemoteJobs;
  leases: DeviceLeases;
  audit: DeviceAudit;
  dataDir: string;
  who: string;
  deviceName(deviceId: string): string;
  profileOf(deviceId: string): DeviceProfile;
  emit<N extends 'knownGood.changed' | 'kindQualify.changed'>(name: N, payload: EventPayload<N>): void;
  /** A switch's time to look healthy after its restart (default 60 s; tests shorten it). */
  knownGoodStartS?: number;
  /** Fewer or closer CPU samples than the VMS profile's for its qualification (tests shorten it). */
  vmsCpuSampling?: { samples: number; everyS: number };
}

type KindOpsCommand =
  | 'knownGood.candidates'
  | 'knownGood.plan'
  | 'knownGood.start'
  | 'knownGood.get'
  | 'knownGood.list'
  | 'kindQualify.plan'
  | 'kindQualify.start'
  | 'kindQualify.get'
  | 'kindQualify.list';

export type KindOpsHandlers = {
  [N in KindOpsCommand]: (input: CommandParsedInput<N>) => Promise<CommandResult<N>>;
};

export class KindOps {
  readonly knownGood: KnownGoodService;
  readonly qualify: KindQualifyService;

  constructor(opts: KindOpsOptions) {
    const common = {
      connections: opts.connections,
      jobs: opts.jobs,
      leases: opts.leases,
      audit: opts.audit,
      dataDir: opts.dataDir,
      who: opts.who,
      deviceName: opts.deviceName,
      profileOf: opts.profileOf,
    };
    this.knownGood = new KnownGoodService({
      ...common,
      onChange: (report) => opts.emit('knownGood.changed', { switch: report }),
      ...(opts.knownGoodStartS !== undefined ? { startS: opts.knownGoodStartS } : {}),
    });
    this.qualify = new KindQualifyService({
      ...common,
      onChange: (qualification) => opts.emit('kindQualify.changed', { qualification }),
      ...(opts.vmsCpuSampling ? { cpuSampling: opts.vmsCpuSampling } : {}),
    });
  }

  /** `known` checks the device is in the list (a clear error otherwise) and gives its id back. */
  handlers(known: (deviceId: string) => string): KindOpsHandlers {
    return {
      'knownGood.candidates': ({ deviceId }) => this.knownGood.candidates(known(deviceId)),
      'knownGood.plan': ({ deviceId, to, probationS }) =>
        this.knownGood.plan(known(deviceId), to, probationS),
      'knownGood.start': ({ deviceId, to, probationS }) =>
        this.knownGood.start(known(deviceId), { to, probationS }),
      'knownGood.get': ({ deviceId, id }) => this.knownGood.get(known(deviceId), id),
      'knownGood.list': ({ deviceId }) => this.knownGood.list(known(deviceId)),
      'kindQualify.plan': (input) => this.qualify.plan({ ...input, deviceId: known(input.deviceId) }),
      'kindQualify.start': (input) => this.qualify.start({ ...input, deviceId: known(input.deviceId) }),
      'kindQualify.get': ({ deviceId, id }) => this.qualify.get(known(deviceId), id),
      'kindQualify.list': ({ deviceId }) => this.qualify.list(known(deviceId)),
    };
  }

  close(): void {
    this.knownGood.close();
    this.qualify.close();
  }
}

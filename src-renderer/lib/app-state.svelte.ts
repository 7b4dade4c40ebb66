import { SvelteSet } from 'svelte/reactivity';
import {
  ContractError,
  type AppInfo,
  type DeviceStatus,
  type DeviceView,
} from '../../src-main/contract/index.js';
import { AlarmStore } from '../alarms/alarm-store.svelte.js';
import { MonitorStore } from '../monitor/monitor-store.svelte.js';
import { RecorderStore } from '../recorder/recorder-store.svelte.js';
import { ServiceStore } from '../service/service-store.svelte.js';
import { KindStore } from './kind-store.svelte.js';
import { LeaseStore } from './lease-store.svelte.js';
import { TallyStore } from './tally-store.svelte.js';
import { createClient, type Client } from './client.js';

/** The selection key of the laptop itself (local terminals). Device ids never start with a colon. */
export const LOCAL = ':local';
/** The selection key of the fleet overview (every device at once). */
export const FLEET = ':fleet';

export type View = 'overview' | 'previews' | 'mixer' | 'monitor' | 'recorder' | 'service' | 'terminal';

export interface Notice {
  id: number;
  tone: 'error' | 'info';
  text: string;
}

/** What is open as a modal over the app. One at a time; the host key prompt is separate (it can pop over anything). */
export type Modal =
  | { kind: 'add' }
  | { kind: 'edit'; deviceId: string }
  | { kind: 'remove'; deviceId: string }
  | { kind: 'import' }
  | undefined;

export function messageOf(err: unknown): string {
  if (err instanceof ContractError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The renderer's one store: what the core told us, and what the operator is looking at. */
/** How often held device statuses are applied (ms): a burst from many devices costs one recompute. */
const STATUS_FLUSH_MS = 50;

export class AppState {
  readonly client: Client;
  /** Open and recently acknowledged alarms of every device. */
  readonly alarms: AlarmStore;
  /** Kernel log, reports and samples per device, and the fleet's latest readings. */
  readonly monitor: MonitorStore;
  /** Probe, recorder service, cameras, recordings, config operations and pipeline jobs per device. */
  readonly recorder: RecorderStore;
  /** Who holds each device's operation lease: buttons that would be refused say so before they are pressed. */
  readonly leases: LeaseStore;
  /** What each device's mixer reports on Program and Preview: the tally lights on camera tiles. */
  readonly tally: TallyStore;
  /** The profiles, and what each box was found to be at connect: its kind and tabs. */
  readonly kinds: KindStore;
  /** A transcoder's or VMS host's service, health and cameras. */
  readonly service: ServiceStore;
  info = $state<AppInfo | undefined>();
  /** Store problems from app.info plus any `store.problem` events since. */
  problems = $state<string[]>([]);
  devices = $state<DeviceView[]>([]);
  /** False until the first device list arrived. */
  loaded = $state(false);
  /** Whether the link to the core (WebSocket or IPC) is up. */
  coreOnline = $state(true);
  selected = $state<string | undefined>();
  view = $state<View>('overview');
  modal = $state<Modal>();
  notices = $state<Notice[]>([]);
  /** Wall clock, ticking while a countdown is on screen. */
  now = $state(Date.now());
  /** Host key prompts the operator dismissed, as `id fingerprint`, so they do not pop up again at once. */
  private readonly dismissedTrust = new SvelteSet<string>();
  /** Devices whose changed host key the operator forgot, while they still show the mismatch. */
  readonly forgottenKey = new SvelteSet<string>();
  private noticeId = 0;

  readonly selectedDevice = $derived(this.devices.find((d) => d.id === this.selected));

  /** The first device waiting for a host key decision that was not dismissed: shown as a dialog. */
  readonly pendingTrust = $derived(
    this.devices.find(
      (d) =>
        d.status.state === 'hostkey_unknown' &&
        d.status.presentedKey !== undefined &&
        !this.dismissedTrust.has(`${d.id} ${d.status.presentedKey.fingerprint}`),
    ),
  );

  readonly anyRetry = $derived(this.devices.some((d) => d.status.retry !== undefined));

  constructor(client: Client = createClient()) {
    this.client = client;
    this.alarms = new AlarmStore(client);
    this.monitor = new MonitorStore(client);
    this.recorder = new RecorderStore(client);
    this.leases = new LeaseStore(client);
    this.tally = new TallyStore(client);
    this.kinds = new KindStore(client);
    this.service = new ServiceStore(client);
  }

  /** Subscribe to the core and load the first state. Returns the unsubscribe function. */
  start(): () => void {
    const offs = [
      this.client.on('devices.changed', ({ devices }) => this.setDevices(devices)),
      this.client.on('device.status', ({ id, status }) => this.setStatus(id, status)),
      this.client.on('store.problem', ({ message }) => {
        if (!this.problems.includes(message)) this.problems.push(message);
      }),
      this.client.onConnectionState((state) => {
        const wasOffline = !this.coreOnline;
        this.coreOnline = state === 'open';
        if (state === 'open' && wasOffline) {
          void this.refresh();
          this.monitor.reloadAll();
        }
      }),
      this.alarms.subscribe(),
      this.monitor.subscribe(),
      this.recorder.subscribe(),
      this.leases.subscribe(),
      this.tally.subscribe(),
      this.kinds.subscribe(),
      this.service.subscribe(),
    ];
    void this.refresh();
    return () => offs.forEach((off) => off());
  }

  async refresh(): Promise<void> {
    try {
      const [info, devices] = await Promise.all([
        this.client.invoke('app.info', {}),
        this.client.invoke('devices.list', {}),
      ]);
      this.info = info;
      for (const p of info.storeProblems) if (!this.problems.includes(p)) this.problems.push(p);
      this.setDevices(devices);
      this.loaded = true;
    } catch (err) {
      this.notify('error', `Could not load the device list: ${messageOf(err)}`);
      return;
    }
    await Promise.all([
      this.alarms
        .load()
        .catch((err: unknown) => this.notify('error', `Could not load the alarms: ${messageOf(err)}`)),
      this.monitor
        .loadSummaries()
        .catch((err: unknown) =>
          this.notify('error', `Could not load the device readings: ${messageOf(err)}`),
        ),
    ]);
  }

  setDevices(devices: DeviceView[]): void {
    // A full list is newer than any status still waiting.
    this.pendingStatus.clear();
    for (const d of devices) this.forgetDismissals(d.id, d.status);
    this.devices = devices;
    this.monitor.retain(devices.map((d) => d.id));
    this.recorder.retain(devices.map((d) => d.id));
    this.leases.retain(devices.map((d) => d.id));
    this.tally.retain(devices.map((d) => d.id));
    this.kinds.retain(devices.map((d) => d.id));
    this.service.retain(devices.map((d) => d.id));
    for (const d of devices) this.kinds.load(d.id);
    if (
      this.selected &&
      this.selected !== LOCAL &&
      this.selected !== FLEET &&
      !devices.some((d) => d.id === this.selected)
    ) {
      // The selected device was removed: show another one rather than an empty page.
      this.selected = devices[0]?.id;
      this.view = 'overview';
    }
    // At start: one device is shown itself; several, side by side in the fleet overview.
    if (this.selected === undefined && devices.length > 0 && !this.loaded)
      this.selected = devices.length > 1 ? FLEET : devices[0]?.id;
  }

  /** Statuses that arrived since the last flush, the newest per device. Plain on purpose: nothing renders it. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly pendingStatus = new Map<string, DeviceStatus>();
  private statusTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * A fleet coming back after a blip sends a few statuses per box within seconds; every screen that sums the fleet
   * would recompute on each. They are applied together, at most every STATUS_FLUSH_MS.
   */
  setStatus(id: string, status: DeviceStatus): void {
    if (!this.devices.some((d) => d.id === id)) return;
    this.forgetDismissals(id, status);
    this.pendingStatus.set(id, status);
    this.statusTimer ??= setTimeout(() => this.flushStatus(), STATUS_FLUSH_MS);
  }

  private flushStatus(): void {
    this.statusTimer = undefined;
    for (const [id, status] of this.pendingStatus) {
      const device = this.devices.find((d) => d.id === id);
      if (device) device.status = status;
    }
    this.pendingStatus.clear();
  }

  /** Once a device leaves the host key question, a later question about it should pop up again. */
  private forgetDismissals(id: string, status: DeviceStatus): void {
    if (status.state !== 'hostkey_mismatch') this.forgottenKey.delete(id);
    if (status.state === 'hostkey_unknown') return;
    for (const key of this.dismissedTrust) if (key.startsWith(`${id} `)) this.dismissedTrust.delete(key);
  }

  dismissTrust(id: string, fingerprint: string): void {
    this.dismissedTrust.add(`${id} ${fingerprint}`);
  }

  select(id: string, view?: View): void {
    this.selected = id;
    if (view) this.view = view;
  }

  notify(tone: Notice['tone'], text: string): void {
    const id = ++this.noticeId;
    this.notices.push({ id, tone, text });
    if (tone === 'info') setTimeout(() => this.dismissNotice(id), 6000);
  }

  dismissNotice(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Run an action for the operator; a failure becomes a visible notice instead of an unhandled rejection. */
  async act(what: string, action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (err) {
      this.notify('error', `${what}: ${messageOf(err)}`);
      return false;
    }
  }

  connect(device: DeviceView): Promise<boolean> {
    return this.act(`Could not connect ${device.name}`, () =>
      this.client.invoke('devices.connect', { id: device.id }),
    );
  }

  disconnect(device: DeviceView): Promise<boolean> {
    return this.act(`Could not disconnect ${device.name}`, () =>
      this.client.invoke('devices.disconnect', { id: device.id }),
    );
  }
}

export const app = new AppState();

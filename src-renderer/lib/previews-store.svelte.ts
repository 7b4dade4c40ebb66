/**
 * What the renderer knows about each device's previews: the last `previews.list` (sources and the route in use),
 * the route the operator forced, which tile is large, and whether the fleet list shows live tiles. Sessions live in
 * the tiles themselves, so closing a view closes them.
 */
import { untrack } from 'svelte';
import type { PreviewList, PreviewRoute } from '../../src-main/contract/index.js';
import { app, messageOf } from './app-state.svelte.js';
import type { Client } from './client.js';

export class DevicePreviews {
  list = $state.raw<PreviewList | undefined>();
  problem = $state('');
  busy = $state(false);
  /** The route the operator chose; undefined lets the console decide. */
  route = $state<PreviewRoute | undefined>();

  constructor(readonly deviceId: string) {}
}

export class PreviewsStore {
  /** Off by default, so the fleet view costs nothing unless asked. */
  fleetTiles = $state(false);
  /** `deviceId/path` of the enlarged tile. */
  large = $state<string | undefined>();
  private known = $state(0);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- `known` carries the reactivity, as in RecorderStore.
  private readonly devices = new Map<string, DevicePreviews>();

  constructor(private readonly client: Client) {}

  /**
   * The device's entry, made the first time. A derived value that makes it cannot track the state it just made (Svelte
   * does not track state created in the same run), so `known` is read here and bumped once the entry exists: that
   * derived runs again and from then on follows the entry's list.
   */
  of(deviceId: string): DevicePreviews {
    void this.known;
    let d = this.devices.get(deviceId);
    if (!d) {
      d = new DevicePreviews(deviceId);
      this.devices.set(deviceId, d);
      queueMicrotask(() => (this.known += 1));
    }
    return d;
  }

  /** Ask the console for the device's paths and route. Views call it from effects: it tracks nothing. */
  async load(deviceId: string): Promise<void> {
    const d = untrack(() => this.of(deviceId));
    if (untrack(() => d.busy)) return;
    d.busy = true;
    try {
      const route = untrack(() => d.route);
      d.list = await this.client.invoke('previews.list', route ? { deviceId, route } : { deviceId });
      d.problem = '';
    } catch (err) {
      d.problem = messageOf(err);
    } finally {
      d.busy = false;
    }
  }

  setRoute(deviceId: string, route: PreviewRoute | undefined): Promise<void> {
    const d = this.of(deviceId);
    d.route = route;
    return this.load(deviceId);
  }

  toggleLarge(key: string): void {
    this.large = this.large === key ? undefined : key;
  }
}

export const previews = new PreviewsStore(app.client);

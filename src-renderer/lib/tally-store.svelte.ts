/**
 * Each device's mixer state as the device reports it (`mixer.changed`, or read once with `mixer.state` when a light
 * is first shown), for the tally lights on camera tiles everywhere; and what this console last sent to Program, for
 * the mismatch note.
 */
import { SvelteMap } from 'svelte/reactivity';
import { isLive, type DeviceStatus, type MixerState } from '../../src-main/contract/index.js';
import type { Client } from './client.js';
import { programMismatch, replaces, tallyOf, isStale, type SentProgram, type Tally } from './tally.js';

export class TallyStore {
  private readonly states = new SvelteMap<string, MixerState>();
  private readonly sent = new SvelteMap<string, SentProgram>();
  /** Devices read (or being read) since they last connected, so each is asked once. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping for `load`, never shown.
  private readonly asked = new Set<string>();

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    const offs = [
      this.client.on('mixer.changed', ({ state }) => this.set(state)),
      this.client.on('device.status', ({ id, status }) => this.onStatus(id, status)),
    ];
    return () => offs.forEach((off) => off());
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    // Read again after the next connect; until then the lights stay, marked as the last known.
    if (!isLive(status.state)) this.asked.delete(deviceId);
  }

  /** A reading from an event or a command's answer; an older one than held is ignored. */
  set(state: MixerState): void {
    if (replaces(this.states.get(state.deviceId), state)) this.states.set(state.deviceId, state);
  }

  /** Ask the device once per connection (a light or the Mixer is shown); events keep it current afterwards. */
  async load(deviceId: string): Promise<void> {
    if (this.asked.has(deviceId)) return;
    this.asked.add(deviceId);
    try {
      this.set(await this.client.invoke('mixer.state', { deviceId }));
    } catch {
      // Not connected, or no mixer on this device: no lights.
      this.asked.delete(deviceId);
    }
  }

  state(deviceId: string): MixerState | undefined {
    return this.states.get(deviceId);
  }

  of(deviceId: string, camera: string): Tally {
    return tallyOf(this.states.get(deviceId), camera);
  }

  stale(deviceId: string): boolean {
    return isStale(this.states.get(deviceId));
  }

  /** What this console put on Program last (null: forget it, e.g. the mixer was stopped). */
  expect(deviceId: string, program: SentProgram | null): void {
    if (program) this.sent.set(deviceId, program);
    else this.sent.delete(deviceId);
  }

  mismatch(deviceId: string): string | null {
    return programMismatch(this.sent.get(deviceId), this.states.get(deviceId));
  }

  retain(ids: readonly string[]): void {
    for (const id of [...this.states.keys()]) if (!ids.includes(id)) this.states.delete(id);
    for (const id of [...this.sent.keys()]) if (!ids.includes(id)) this.sent.delete(id);
    for (const id of [...this.asked]) if (!ids.includes(id)) this.asked.delete(id);
  }
}

/**
 * What the renderer holds about each device's mixer: its state as the device reports it (`mixer.changed`, read
 * again with `mixer.state`), the scenes saved on the device (`mixer.scenes.list`, with the revision a save must
 * name), the scenes being edited with their undo history, the last take's outcome and the budget preflight.
 * Edits stay here when the Mixer tab closes. Edits to the scene on Preview go to Preview; edits to the scene on
 * Program go on air only with "Edit live", each as a cut.
 */
import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import {
  ContractError,
  type MixerPreflight,
  type MixerState,
  type Scene,
  type SceneList,
  type Transition,
} from '../../src-main/contract/index.js';
import { app, messageOf } from '../lib/app-state.svelte.js';
import type { Client } from '../lib/client.js';
import { replaces } from '../lib/tally.js';
import { takeErrorView, takeView, type TakeView } from './format.js';
import { canRedo, canUndo, commit, redo, startHistory, undo, type History } from './history.js';
import { sameScene } from './scene-edit.js';

/** Unsaved edits of the scene on Preview go there after this pause (a drag is one edit already). */
const PREVIEW_DELAY_MS = 250;
export const DEFAULT_FADE_MS = 800;

/** A scene as the scenes bar lists it: what is edited now, what is saved, and whether they differ. */
export interface SceneEntry {
  scene: Scene;
  saved: Scene | undefined;
  dirty: boolean;
}

export class DeviceMixer {
  state = $state.raw<MixerState | undefined>();
  stateProblem = $state('');
  scenes = $state.raw<SceneList | undefined>();
  scenesProblem = $state('');
  /** Set when a save or delete met another console's change; cleared by reading the scenes again. */
  conflict = $state('');
  /** Scenes opened in the editor, by id, with their undo history; a new scene lives only here until saved. */
  readonly drafts = new SvelteMap<string, History<Scene>>();
  /** The scene open in the editor. */
  editing = $state<string | undefined>();
  preflight = $state.raw<MixerPreflight | undefined>();
  preflightProblem = $state('');
  lastTake = $state.raw<TakeView | undefined>();
  taking = $state(false);
  starting = $state(false);
  stopping = $state(false);
  /** The last failed start, stop or preview, in words. */
  error = $state('');
  /** Each committed edit of the scene on Program is taken at once, as a cut. */
  editLive = $state(false);
  fadeMs = $state(DEFAULT_FADE_MS);

  constructor(readonly deviceId: string) {}

  /** Saved scenes in their order, then new ones not saved yet; each as edited now. */
  get entries(): SceneEntry[] {
    const saved = this.scenes?.scenes ?? [];
    const out: SceneEntry[] = saved.map((s) => {
      const draft = this.drafts.get(s.id)?.present;
      return { scene: draft ?? s, saved: s, dirty: draft !== undefined && !sameScene(draft, s) };
    });
    for (const [id, h] of this.drafts) {
      if (!saved.some((s) => s.id === id)) out.push({ scene: h.present, saved: undefined, dirty: true });
    }
    return out;
  }

  get current(): SceneEntry | undefined {
    return this.entries.find((e) => e.scene.id === this.editing);
  }
}

export class MixerStore {
  private known = $state(0);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- `known` carries the reactivity, as in RecorderStore.
  private readonly devices = new Map<string, DeviceMixer>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- timers, not state.
  private readonly previewTimers = new Map<string, ReturnType<typeof setTimeout>>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- the newest scene waiting for a live take, not state.
  private readonly liveWaiting = new Map<string, Scene>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- devices with a live take on its way, not state.
  private readonly liveSending = new Set<string>();

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    const off = this.client.on('mixer.changed', ({ state }) => this.setState(state));
    return () => off();
  }

  peek(deviceId: string): DeviceMixer | undefined {
    void this.known;
    return this.devices.get(deviceId);
  }

  /** The device's entry, made the first time. Safe in derived values: it writes no reactive state right away. */
  of(deviceId: string): DeviceMixer {
    let d = this.devices.get(deviceId);
    if (d) return d;
    d = new DeviceMixer(deviceId);
    this.devices.set(deviceId, d);
    queueMicrotask(() => this.known++);
    return d;
  }

  private setState(state: MixerState): void {
    const d = this.of(state.deviceId);
    if (
      replaces(
        untrack(() => d.state),
        state,
      )
    )
      d.state = state;
    app.tally.set(state);
  }

  /** Read the mixer's state and the saved scenes (a view opened, or the device came back). */
  load(deviceId: string): Promise<void> {
    return Promise.all([this.loadState(deviceId), this.loadScenes(deviceId)]).then(() => undefined);
  }

  async loadState(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    try {
      this.setState(await this.client.invoke('mixer.state', { deviceId }));
      d.stateProblem = '';
    } catch (err) {
      d.stateProblem = messageOf(err);
    }
  }

  async loadScenes(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    try {
      const list = await this.client.invoke('mixer.scenes.list', { deviceId });
      d.scenes = list;
      d.scenesProblem = '';
      d.conflict = '';
      const editing = untrack(() => d.editing);
      if (editing === undefined || !untrack(() => d.entries).some((e) => e.scene.id === editing))
        d.editing = list.scenes[0]?.id ?? untrack(() => [...d.drafts.keys()][0]);
    } catch (err) {
      d.scenesProblem = messageOf(err);
    }
  }

  // The editor.

  /** Open a scene in the editor (its draft is kept with its history). */
  open(deviceId: string, sceneId: string): void {
    this.of(deviceId).editing = sceneId;
  }

  /** A new scene (from a template) opened in the editor; it exists only here until saved. */
  create(deviceId: string, scene: Scene): void {
    const d = this.of(deviceId);
    d.drafts.set(scene.id, startHistory(scene));
    d.editing = scene.id;
  }

  history(deviceId: string): History<Scene> | undefined {
    const d = this.of(deviceId);
    const current = d.current;
    if (!current) return undefined;
    return d.drafts.get(current.scene.id) ?? startHistory(current.scene);
  }

  /**
   * One committed edit of the scene in the editor (a drag when it ends, a nudge, a typed value). `key` merges
   * repeated steps (an arrow held down) into one undo step.
   */
  edit(deviceId: string, next: Scene, key: string | null = null): void {
    const d = this.of(deviceId);
    const h = this.history(deviceId);
    if (!h) return;
    const after = commit(h, next, key);
    if (after === h) return;
    d.drafts.set(next.id, after);
    this.edited(deviceId, after.present);
  }

  canUndo(deviceId: string): boolean {
    const h = this.history(deviceId);
    return h !== undefined && canUndo(h);
  }

  canRedo(deviceId: string): boolean {
    const h = this.history(deviceId);
    return h !== undefined && canRedo(h);
  }

  undo(deviceId: string): void {
    this.step(deviceId, undo);
  }

  redo(deviceId: string): void {
    this.step(deviceId, redo);
  }

  private step(deviceId: string, move: (h: History<Scene>) => History<Scene>): void {
    const h = this.history(deviceId);
    if (!h) return;
    const after = move(h);
    if (after === h) return;
    this.of(deviceId).drafts.set(after.present.id, after);
    this.edited(deviceId, after.present);
  }

  /** Back to the saved scene (a new scene is dropped). */
  discard(deviceId: string, sceneId: string): void {
    const d = this.of(deviceId);
    d.drafts.delete(sceneId);
    if (d.editing === sceneId && !d.scenes?.scenes.some((s) => s.id === sceneId))
      d.editing = d.scenes?.scenes[0]?.id;
    const saved = d.scenes?.scenes.find((s) => s.id === sceneId);
    if (saved) this.edited(deviceId, saved);
  }

  /** After an edit: the scene on Program goes on air with "Edit live"; the scene on Preview shows it there. */
  private edited(deviceId: string, scene: Scene): void {
    const d = this.of(deviceId);
    const state = d.state;
    if (state?.status !== 'running') return;
    if (d.editLive && state.program?.sceneId === scene.id) {
      void this.liveTake(deviceId, scene);
      return;
    }
    if (state.preview?.sceneId === scene.id) {
      clearTimeout(this.previewTimers.get(deviceId));
      this.previewTimers.set(
        deviceId,
        setTimeout(() => {
          this.previewTimers.delete(deviceId);
          void this.preview(deviceId, scene);
        }, PREVIEW_DELAY_MS),
      );
    }
  }

  /** One live take at a time; edits made meanwhile go in the next one, the newest only. */
  private async liveTake(deviceId: string, scene: Scene): Promise<void> {
    if (this.liveSending.has(deviceId)) {
      this.liveWaiting.set(deviceId, scene);
      return;
    }
    this.liveSending.add(deviceId);
    try {
      await this.take(deviceId, { kind: 'cut' }, scene);
    } finally {
      this.liveSending.delete(deviceId);
      const next = this.liveWaiting.get(deviceId);
      this.liveWaiting.delete(deviceId);
      if (next) void this.liveTake(deviceId, next);
    }
  }

  // The device.

  /** Put a scene on Preview: the saved one by id, or as edited when it differs from the saved one. */
  async preview(deviceId: string, scene: Scene): Promise<void> {
    const d = this.of(deviceId);
    const saved = d.scenes?.scenes.find((s) => s.id === scene.id);
    const input = saved && sameScene(saved, scene) ? { deviceId, sceneId: scene.id } : { deviceId, scene };
    try {
      this.setState(await this.client.invoke('mixer.preview', input));
      d.error = '';
    } catch (err) {
      d.error = `Could not put ${scene.name} on Preview: ${messageOf(err)}`;
    }
  }

  /**
   * Take Preview (or `scene`) to Program. The outcome is shown as it came; nothing is retried (a take is applied at
   * most once: the producer presses again).
   */
  async take(deviceId: string, transition: Transition, scene?: Scene): Promise<void> {
    const d = this.of(deviceId);
    const onPreview = d.state?.preview;
    const sending = scene
      ? { name: scene.name, boxes: scene.boxes }
      : onPreview
        ? { name: onPreview.name, boxes: onPreview.boxes }
        : undefined;
    d.taking = true;
    try {
      const result = await this.client.invoke(
        'mixer.take',
        scene ? { deviceId, scene, transition } : { deviceId, transition },
      );
      if (result.state) this.setState(result.state);
      if (sending && (result.outcome === 'applied' || result.outcome === 'not_confirmed'))
        app.tally.expect(deviceId, sending);
      d.lastTake = takeView(result);
    } catch (err) {
      d.lastTake = takeErrorView(messageOf(err));
    } finally {
      d.taking = false;
    }
  }

  /** Starts the mixer; `softwareCameras` are decoded in software (seed 002's fallback), the rest on the VPU. */
  async start(deviceId: string, sceneId: string | undefined, softwareCameras: string[] = []): Promise<void> {
    const d = this.of(deviceId);
    d.starting = true;
    d.error = '';
    try {
      this.setState(
        await this.client.invoke('mixer.start', {
          deviceId,
          ...(sceneId ? { sceneId } : {}),
          ...(softwareCameras.length ? { softwareCameras } : {}),
        }),
      );
    } catch (err) {
      d.error = `Could not start the mixer: ${messageOf(err)}`;
    } finally {
      d.starting = false;
    }
  }

  /** Stops the mixer; the dialog that asked shows a failure. */
  async stop(deviceId: string): Promise<void> {
    const d = this.of(deviceId);
    d.stopping = true;
    d.error = '';
    try {
      this.setState(await this.client.invoke('mixer.stop', { deviceId }));
      app.tally.expect(deviceId, null);
    } finally {
      d.stopping = false;
    }
  }

  async loadPreflight(deviceId: string, input: { sceneId: string } | { scene: Scene }): Promise<void> {
    const d = this.of(deviceId);
    try {
      d.preflight = await this.client.invoke('mixer.preflight', { deviceId, ...input });
      d.preflightProblem = '';
    } catch (err) {
      d.preflight = undefined;
      d.preflightProblem = messageOf(err);
    }
  }

  /**
   * Save a scene under the revision last read. Another console's change since then is a conflict: the scenes must
   * be read again (the edit stays open) before saving over them. Other failures are thrown for the caller to show.
   */
  async save(deviceId: string, scene: Scene): Promise<boolean> {
    const d = this.of(deviceId);
    const rev = d.scenes?.rev ?? 0;
    try {
      const list = await this.client.invoke('mixer.scenes.save', { deviceId, scene, rev });
      d.scenes = list;
      d.conflict = '';
      const saved = list.scenes.find((s) => s.id === scene.id) ?? scene;
      const h = d.drafts.get(scene.id);
      // The history stays (undo keeps working); its present is what the device now holds.
      d.drafts.set(scene.id, h ? { ...h, present: saved } : startHistory(saved));
      d.editing = scene.id;
      return true;
    } catch (err) {
      if (err instanceof ContractError && err.code === 'conflict') {
        d.conflict = err.message;
        return false;
      }
      throw err;
    }
  }

  /** Delete a saved scene (asked first). A conflict is kept like a save's; other failures are thrown. */
  async remove(deviceId: string, sceneId: string): Promise<void> {
    const d = this.of(deviceId);
    const saved = d.scenes?.scenes.some((s) => s.id === sceneId);
    if (!saved) {
      this.discard(deviceId, sceneId);
      return;
    }
    try {
      d.scenes = await this.client.invoke('mixer.scenes.delete', {
        deviceId,
        sceneId,
        rev: d.scenes?.rev ?? 0,
      });
      d.conflict = '';
      d.drafts.delete(sceneId);
      if (d.editing === sceneId) d.editing = d.scenes.scenes[0]?.id;
    } catch (err) {
      if (err instanceof ContractError && err.code === 'conflict') {
        d.conflict = err.message;
        throw new Error('Another console changed the scenes first. Reload them, then delete again.');
      }
      throw err;
    }
  }

  /** Forget devices that were removed. */
  retain(ids: readonly string[]): void {
    let changed = false;
    for (const id of [...this.devices.keys()]) {
      if (ids.includes(id)) continue;
      this.devices.delete(id);
      clearTimeout(this.previewTimers.get(id));
      this.previewTimers.delete(id);
      changed = true;
    }
    if (changed) this.known++;
  }
}

export const mixers = new MixerStore(app.client);

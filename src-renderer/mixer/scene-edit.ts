/**
 * The scene editor's edits as pure functions on a contract Scene: add a camera box, remove one, z-order, lock,
 * typed x/y/w/h (in program pixels or %) and crop, templates, names. Each returns the new scene or a message for the
 * producer; the messages that the contract spells out (a box inside the frame, at most 8 boxes, a name) are the
 * contract's own words, taken from its schemas.
 */
import type { z } from 'zod';
import {
  NO_CROP,
  Scene,
  SceneBox,
  TEMPLATE_NAMES,
  templateBoxes,
  templateScene,
  type Crop,
  type TemplateId,
} from '../../src-main/contract/index.js';
import { MIN_SIZE, clampRect, tidy, toPixels, type FrameSize, type Rect } from './geometry.js';

export type BoxField = 'x' | 'y' | 'w' | 'h';
export type CropSide = keyof Crop;
export type Unit = 'px' | '%';
export type Edit = { ok: true; scene: Scene } | { ok: false; error: string };

export const BOX_FIELDS: readonly BoxField[] = ['x', 'y', 'w', 'h'];
export const CROP_SIDES: readonly CropSide[] = ['left', 'top', 'right', 'bottom'];
export const FIELD_NAMES: Record<BoxField, string> = { x: 'X', y: 'Y', w: 'Width', h: 'Height' };
export const CROP_NAMES: Record<CropSide, string> = {
  left: 'Crop left',
  top: 'Crop top',
  right: 'Crop right',
  bottom: 'Crop bottom',
};
/** The contract's largest crop on one side. */
export const MAX_CROP = 0.45;
export const MAX_BOXES = 8;
const MAX_Z = 15;

const fail = (error: string): Edit => ({ ok: false, error });

/** The message the contract's schema gives for `value`, or null when it passes. */
function contractProblem(schema: z.ZodType, value: unknown): string | null {
  const parsed = schema.safeParse(value);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'Not valid.');
}

/** A number as typed: spaces, a decimal comma and a trailing unit (`px`, `%`) are fine. Null when it is not one. */
export function parseNumber(text: string): number | null {
  const cleaned = text
    .trim()
    .replace(/\s*(px|%)$/i, '')
    .replace(',', '.')
    .trim();
  if (cleaned === '' || !/^[-+]?(\d+\.?\d*|\.\d+)$/.test(cleaned)) return null;
  const n = Number(cleaned);
  return Number.isFinite(n) ? n : null;
}

function axisSize(field: BoxField, frame: FrameSize): number {
  return field === 'x' || field === 'w' ? frame.width : frame.height;
}

/** What the field shows: whole program pixels, or a percentage with at most two decimals. */
export function fieldText(box: Rect, field: BoxField, unit: Unit, frame: FrameSize): string {
  if (unit === 'px') return String(toPixels(box[field], axisSize(field, frame)));
  return String(Math.round(box[field] * 10_000) / 100);
}

export function cropText(crop: Crop, side: CropSide): string {
  return String(Math.round(crop[side] * 10_000) / 100);
}

function findBox(scene: Scene, boxId: string): SceneBox | undefined {
  return scene.boxes.find((b) => b.id === boxId);
}

function withBox(scene: Scene, box: SceneBox): Scene {
  return { ...scene, boxes: scene.boxes.map((b) => (b.id === box.id ? box : b)) };
}

/** A typed x, y, width or height for one box. The box must stay inside the frame: nothing is moved to make room. */
export function setBoxField(
  scene: Scene,
  boxId: string,
  field: BoxField,
  text: string,
  unit: Unit,
  frame: FrameSize,
): Edit {
  const box = findBox(scene, boxId);
  if (!box) return fail('That box is no longer in the scene.');
  if (box.locked) return fail('The box is locked: unlock it to change it.');
  const n = parseNumber(text);
  if (n === null) return fail(unit === 'px' ? 'Type a number of pixels.' : 'Type a percentage.');
  const size = axisSize(field, frame);
  const value = tidy(unit === 'px' ? n / size : n / 100);
  if (field === 'x' || field === 'y') {
    if (value < 0) return fail('At least 0: the box starts inside the frame.');
  } else {
    if (value < MIN_SIZE - 1e-9) {
      const least = unit === 'px' ? `${Math.ceil(MIN_SIZE * size)} px` : `${MIN_SIZE * 100} %`;
      return fail(`At least ${least}: a box the producer can still see and grab.`);
    }
    if (value > 1 + 1e-9)
      return fail(unit === 'px' ? `At most ${size} px, the whole frame.` : 'At most 100 %, the whole frame.');
  }
  const next: SceneBox = { ...box, [field]: value };
  const problem = contractProblem(SceneBox, next);
  if (problem) return fail(problem);
  return { ok: true, scene: withBox(scene, next) };
}

/** A typed crop for one side, in % of the camera's picture (0 to 45). */
export function setCrop(scene: Scene, boxId: string, side: CropSide, text: string): Edit {
  const box = findBox(scene, boxId);
  if (!box) return fail('That box is no longer in the scene.');
  if (box.locked) return fail('The box is locked: unlock it to change it.');
  const n = parseNumber(text);
  if (n === null) return fail('Type a percentage.');
  const value = tidy(n / 100);
  if (value < 0) return fail('A crop cannot be negative.');
  if (value > MAX_CROP + 1e-9) return fail(`At most ${MAX_CROP * 100} % on each side.`);
  const next: SceneBox = { ...box, crop: { ...box.crop, [side]: value } };
  const problem = contractProblem(SceneBox, next);
  if (problem) return fail(problem);
  return { ok: true, scene: withBox(scene, next) };
}

/** A new box position and size from the canvas (a drag or a nudge). Locked boxes stay where they are. */
export function setRect(scene: Scene, boxId: string, rect: Rect): Scene {
  const box = findBox(scene, boxId);
  if (!box || box.locked) return scene;
  return withBox(scene, { ...box, ...clampRect(rect) });
}

/** Another camera in the same box. */
export function setCamera(scene: Scene, boxId: string, camera: string): Edit {
  const box = findBox(scene, boxId);
  if (!box) return fail('That box is no longer in the scene.');
  const next: SceneBox = { ...box, camera };
  const problem = contractProblem(SceneBox, next);
  if (problem) return fail(problem);
  return { ok: true, scene: withBox(scene, next) };
}

export function setLocked(scene: Scene, boxId: string, locked: boolean): Scene {
  const box = findBox(scene, boxId);
  if (!box) return scene;
  return withBox(scene, { ...box, locked });
}

/** Boxes bottom first (z, then their order in the scene). */
export function byZ(boxes: readonly SceneBox[]): SceneBox[] {
  return boxes
    .map((b, i) => ({ b, i }))
    .sort((a, c) => a.b.z - c.b.z || a.i - c.i)
    .map(({ b }) => b);
}

/** z numbered 0, 1, 2 … bottom to top, so it never runs past the contract's 15. */
function renumber(scene: Scene, bottomFirst: readonly SceneBox[]): Scene {
  const z = new Map(bottomFirst.map((b, i) => [b.id, i]));
  return { ...scene, boxes: scene.boxes.map((b) => ({ ...b, z: z.get(b.id) ?? b.z })) };
}

export type ZMove = 'up' | 'down' | 'front' | 'back';

export const Z_NAMES: Record<ZMove, string> = {
  front: 'Bring to front',
  up: 'Bring forward',
  down: 'Send backward',
  back: 'Send to back',
};

/** Whether the box can move that way in the stack. */
export function canReorder(scene: Scene, boxId: string, how: ZMove): boolean {
  const order = byZ(scene.boxes);
  const at = order.findIndex((b) => b.id === boxId);
  if (at < 0) return false;
  return how === 'up' || how === 'front' ? at < order.length - 1 : at > 0;
}

export function reorder(scene: Scene, boxId: string, how: ZMove): Scene {
  const order = byZ(scene.boxes);
  const at = order.findIndex((b) => b.id === boxId);
  const box = order[at];
  if (!box) return scene;
  order.splice(at, 1);
  const to =
    how === 'front'
      ? order.length
      : how === 'back'
        ? 0
        : how === 'up'
          ? Math.min(order.length, at + 1)
          : Math.max(0, at - 1);
  order.splice(to, 0, box);
  return renumber(scene, order);
}

export function nextBoxId(boxes: readonly SceneBox[]): string {
  const used = boxes
    .map((b) => /^box-(\d+)$/.exec(b.id)?.[1])
    .map(Number)
    .filter(Number.isFinite);
  return `box-${Math.max(0, ...used) + 1}`;
}

/**
 * A box for `camera` on top of the others: the whole frame when the scene is empty, else a box of 40 % placed a
 * little further down and right for each box already there.
 */
export function addBox(scene: Scene, camera: string): Edit & { boxId?: string } {
  const id = nextBoxId(scene.boxes);
  const k = scene.boxes.length;
  const rect = k === 0 ? { x: 0, y: 0, w: 1, h: 1 } : clampRect({ x: 0.05 * k, y: 0.05 * k, w: 0.4, h: 0.4 });
  const box: SceneBox = {
    id,
    camera,
    ...rect,
    crop: { ...NO_CROP },
    z: Math.min(MAX_Z, Math.max(-1, ...scene.boxes.map((b) => b.z)) + 1),
    locked: false,
  };
  const next = renumber({ ...scene, boxes: [...scene.boxes, box] }, byZ([...scene.boxes, box]));
  const problem = contractProblem(Scene, next);
  if (problem) return fail(problem);
  return { ok: true, scene: next, boxId: id };
}

export function removeBox(scene: Scene, boxId: string): Edit {
  const box = findBox(scene, boxId);
  if (!box) return fail('That box is no longer in the scene.');
  if (box.locked) return fail('The box is locked: unlock it to remove it.');
  const rest = scene.boxes.filter((b) => b.id !== boxId);
  return { ok: true, scene: renumber({ ...scene, boxes: rest }, byZ(rest)) };
}

/** The scene's boxes replaced by a template's, for these cameras (in order). */
export function applyTemplate(scene: Scene, template: TemplateId, cameras: readonly string[]): Scene {
  return { ...scene, boxes: templateBoxes(template, cameras) };
}

export function renameScene(scene: Scene, name: string): Edit {
  const problem = contractProblem(Scene.shape.name, name);
  if (problem) return fail(problem);
  return { ok: true, scene: { ...scene, name: name.trim() } };
}

/** A scene id from its name: lowercase letters, digits and "-", unique among `taken`. */
export function sceneIdFor(name: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base =
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 34)
      .replace(/-+$/, '') || 'scene';
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** A name not used by another scene: `2×2`, then `2×2 (2)` … */
export function uniqueName(name: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(name)) return name;
  for (let n = 2; ; n++) if (!used.has(`${name} (${n})`)) return `${name} (${n})`;
}

/** A new scene from a template, with a name and id no saved scene has. */
export function newSceneFrom(
  template: TemplateId,
  cameras: readonly string[],
  existing: readonly Scene[],
): Scene {
  const name = uniqueName(
    TEMPLATE_NAMES[template],
    existing.map((s) => s.name),
  );
  return templateScene(
    template,
    cameras,
    sceneIdFor(
      name,
      existing.map((s) => s.id),
    ),
    name,
  );
}

/** The scene under a new name and id (Save as). */
export function copyAs(scene: Scene, name: string, existing: readonly Scene[]): Edit {
  const renamed = renameScene(scene, name);
  if (!renamed.ok) return renamed;
  if (existing.some((s) => s.name === renamed.scene.name)) return fail('Another scene has that name.');
  return {
    ok: true,
    scene: {
      ...renamed.scene,
      id: sceneIdFor(
        renamed.scene.name,
        existing.map((s) => s.id),
      ),
    },
  };
}

/** What the contract says is wrong with the scene, one message per problem (empty: it can be saved). */
export function sceneProblems(scene: Scene): string[] {
  const parsed = Scene.safeParse(scene);
  return parsed.success ? [] : [...new Set(parsed.error.issues.map((i) => i.message))];
}

/** Same scene, value for value. */
export function sameScene(a: Scene | undefined, b: Scene | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The cameras a scene shows, in box order, each once. */
export function camerasOf(boxes: readonly SceneBox[]): string[] {
  return [...new Set(boxes.map((b) => b.camera))];
}

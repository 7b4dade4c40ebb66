/**
 * The scene templates a producer starts from: full, side by side, picture-in-picture, 2×2 and 1+3. Pure, so the
 * editor, the core and the emulated device's demo scenes build the same boxes.
 */
import { NO_CROP, type Scene, type SceneBox } from './mixer.js';

export const TEMPLATES = ['full', 'side-by-side', 'pip', 'grid-2x2', 'one-plus-three'] as const;
export type TemplateId = (typeof TEMPLATES)[number];

export const TEMPLATE_NAMES: Record<TemplateId, string> = {
  full: 'Full',
  'side-by-side': 'Side by side',
  pip: 'Picture-in-picture',
  'grid-2x2': '2×2',
  'one-plus-three': '1+3',
};

/** How many cameras a template places. */
export const TEMPLATE_CAMERAS: Record<TemplateId, number> = {
  full: 1,
  'side-by-side': 2,
  pip: 2,
  'grid-2x2': 4,
  'one-plus-three': 4,
};

type Rect = [x: number, y: number, w: number, h: number];

const RECTS: Record<TemplateId, Rect[]> = {
  full: [[0, 0, 1, 1]],
  // Each camera at half size, side by side and centred vertically, so neither is stretched.
  'side-by-side': [
    [0, 0.25, 0.5, 0.5],
    [0.5, 0.25, 0.5, 0.5],
  ],
  // The inset sits inside the action-safe area (5 % in from each edge).
  pip: [
    [0, 0, 1, 1],
    [0.67, 0.65, 0.28, 0.28],
  ],
  'grid-2x2': [
    [0, 0, 0.5, 0.5],
    [0.5, 0, 0.5, 0.5],
    [0, 0.5, 0.5, 0.5],
    [0.5, 0.5, 0.5, 0.5],
  ],
  'one-plus-three': [
    [0, 0, 0.75, 0.75],
    [0.75, 0, 0.25, 0.25],
    [0.75, 0.25, 0.25, 0.25],
    [0.75, 0.5, 0.25, 0.25],
  ],
};

const round = (n: number): number => Math.round(n * 10_000) / 10_000;

/** The boxes of a template for these cameras, in order; fewer cameras than the template places leave slots out. */
export function templateBoxes(template: TemplateId, cameras: readonly string[]): SceneBox[] {
  return RECTS[template].flatMap(([x, y, w, h], i) => {
    const camera = cameras[i];
    if (camera === undefined) return [];
    return [
      {
        id: `box-${i + 1}`,
        camera,
        x: round(x),
        y: round(y),
        w: round(w),
        h: round(h),
        crop: { ...NO_CROP },
        z: i,
        locked: false,
      },
    ];
  });
}

/** A whole scene from a template: `cam0 full`, `2×2`, … */
export function templateScene(
  template: TemplateId,
  cameras: readonly string[],
  id: string,
  name?: string,
): Scene {
  return { id, name: name ?? TEMPLATE_NAMES[template], boxes: templateBoxes(template, cameras) };
}

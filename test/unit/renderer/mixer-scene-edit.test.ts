/** The scene editor's edits: boxes added, removed, stacked, locked, typed; templates; names and ids. */
import { describe, expect, it } from 'vitest';
import {
  NO_CROP,
  Scene,
  SceneBox,
  templateBoxes,
  templateScene,
  type Scene as SceneT,
} from '../../../src-main/contract/index.js';
import {
  addBox,
  applyTemplate,
  byZ,
  camerasOf,
  canReorder,
  copyAs,
  cropText,
  fieldText,
  newSceneFrom,
  nextBoxId,
  parseNumber,
  removeBox,
  renameScene,
  reorder,
  sceneIdFor,
  sceneProblems,
  setBoxField,
  setCamera,
  setCrop,
  setLocked,
  setRect,
  uniqueName,
  type Edit,
} from '../../../src-renderer/mixer/scene-edit.js';

const FRAME = { width: 1920, height: 1080 };
const grid = (): SceneT => templateScene('grid-2x2', ['cam0', 'cam1', 'cam2', 'cam3'], 'grid', '2×2');
const pip = (): SceneT => templateScene('pip', ['cam0', 'cam1'], 'pip');

function ok(edit: Edit): SceneT {
  if (!edit.ok) throw new Error(`expected an edit, got: ${edit.error}`);
  return edit.scene;
}
function error(edit: Edit): string {
  if (edit.ok) throw new Error('expected a refusal');
  return edit.error;
}
/** The contract's own message for a value, to check the editor says the same words. */
function contractMessage(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } },
  value: unknown,
): string {
  return schema.safeParse(value).error?.issues[0]?.message ?? '';
}

describe('typed numbers', () => {
  it.each([
    ['12', 12],
    [' 12.5 ', 12.5],
    ['12,5', 12.5],
    ['960px', 960],
    ['50 %', 50],
    ['-3', -3],
    ['.5', 0.5],
  ])('%j reads as %d', (text, n) => expect(parseNumber(text)).toBe(n));

  it.each(['', 'abc', '1e3', '12px3', '--1'])('%j is not a number', (text) =>
    expect(parseNumber(text)).toBeNull(),
  );
});

describe('x, y, width and height, in program pixels or %', () => {
  it('shows whole pixels or a percentage', () => {
    const box = grid().boxes[1]!;
    expect(fieldText(box, 'x', 'px', FRAME)).toBe('960');
    expect(fieldText(box, 'h', 'px', FRAME)).toBe('540');
    expect(fieldText(box, 'w', '%', FRAME)).toBe('50');
  });

  it('takes pixels of the program frame', () => {
    const scene = ok(setBoxField(grid(), 'box-1', 'w', '480', 'px', FRAME));
    expect(scene.boxes[0]!.w).toBe(0.25);
  });

  it('takes a percentage', () => {
    const scene = ok(setBoxField(grid(), 'box-4', 'x', '25 %', '%', FRAME));
    expect(scene.boxes[3]!.x).toBe(0.25);
  });

  it("refuses a box that would leave the frame, in the contract's words", () => {
    const message = error(setBoxField(grid(), 'box-2', 'w', '60', '%', FRAME));
    const outside = { ...grid().boxes[1]!, w: 0.6 };
    expect(message).toBe(contractMessage(SceneBox, outside));
    expect(message).toBe('A box must stay inside the frame.');
  });

  it('refuses less than the least size, saying it in pixels or %', () => {
    expect(error(setBoxField(grid(), 'box-1', 'w', '20', 'px', FRAME))).toBe(
      'At least 39 px: a box the producer can still see and grab.',
    );
    expect(error(setBoxField(grid(), 'box-1', 'h', '1', '%', FRAME))).toBe(
      'At least 2 %: a box the producer can still see and grab.',
    );
  });

  it('refuses negatives, more than the frame, and words', () => {
    expect(error(setBoxField(grid(), 'box-1', 'x', '-1', 'px', FRAME))).toBe(
      'At least 0: the box starts inside the frame.',
    );
    expect(error(setBoxField(grid(), 'box-1', 'w', '2000', 'px', FRAME))).toBe(
      'At most 1920 px, the whole frame.',
    );
    expect(error(setBoxField(grid(), 'box-1', 'y', 'top', '%', FRAME))).toBe('Type a percentage.');
  });

  it('leaves a locked box alone', () => {
    const locked = setLocked(grid(), 'box-1', true);
    expect(error(setBoxField(locked, 'box-1', 'x', '10', 'px', FRAME))).toMatch(/locked/);
    expect(setRect(locked, 'box-1', { x: 0.3, y: 0.3, w: 0.2, h: 0.2 })).toBe(locked);
  });

  it('every accepted edit is a box the contract accepts', () => {
    const scene = ok(setBoxField(pip(), 'box-2', 'x', '1300', 'px', FRAME));
    expect(Scene.safeParse(scene).success).toBe(true);
  });
});

describe('crop', () => {
  it('is typed in % of the camera picture, 0 to 45 on each side', () => {
    const scene = ok(setCrop(grid(), 'box-1', 'left', '12.5'));
    expect(scene.boxes[0]!.crop).toEqual({ ...NO_CROP, left: 0.125 });
    expect(cropText(scene.boxes[0]!.crop, 'left')).toBe('12.5');
  });

  it('refuses more than 45 % or less than 0', () => {
    expect(error(setCrop(grid(), 'box-1', 'top', '46'))).toBe('At most 45 % on each side.');
    expect(error(setCrop(grid(), 'box-1', 'top', '-1'))).toBe('A crop cannot be negative.');
  });
});

describe('adding and removing boxes', () => {
  it('the first box fills the frame', () => {
    const edit = addBox({ id: 'empty', name: 'Empty', boxes: [] }, 'cam2');
    const scene = ok(edit);
    expect(scene.boxes).toEqual([
      { id: 'box-1', camera: 'cam2', x: 0, y: 0, w: 1, h: 1, crop: NO_CROP, z: 0, locked: false },
    ]);
    expect(edit.ok && edit.boxId).toBe('box-1');
  });

  it('a later box goes on top, smaller, with a fresh id', () => {
    const scene = ok(addBox(pip(), 'cam3'));
    const added = scene.boxes[2]!;
    expect(added).toMatchObject({ id: 'box-3', camera: 'cam3', w: 0.4, h: 0.4, z: 2 });
    expect(byZ(scene.boxes).at(-1)!.id).toBe('box-3');
    expect(Scene.safeParse(scene).success).toBe(true);
  });

  it("a ninth box is refused in the contract's words", () => {
    let scene: SceneT = { id: 'many', name: 'Many', boxes: [] };
    for (let i = 0; i < 8; i++) scene = ok(addBox(scene, `cam${i}`));
    const message = error(addBox(scene, 'cam8'));
    expect(message).toBe('At most 8 boxes: each is a decoder on the device.');
    expect(message).toBe(
      contractMessage(Scene, { ...scene, boxes: [...scene.boxes, { ...scene.boxes[0]!, id: 'box-99' }] }),
    );
  });

  it('removes a box and renumbers the stack', () => {
    const scene = ok(removeBox(grid(), 'box-2'));
    expect(scene.boxes.map((b) => [b.id, b.z])).toEqual([
      ['box-1', 0],
      ['box-3', 1],
      ['box-4', 2],
    ]);
  });

  it('does not remove a locked box', () => {
    expect(error(removeBox(setLocked(grid(), 'box-3', true), 'box-3'))).toMatch(/unlock it to remove it/);
  });

  it('next ids count past the highest', () => {
    expect(
      nextBoxId([
        { ...grid().boxes[0]!, id: 'box-7' },
        { ...grid().boxes[0]!, id: 'inset' },
      ]),
    ).toBe('box-8');
  });
});

describe('stacking order', () => {
  const order = (s: SceneT): string[] => byZ(s.boxes).map((b) => b.id);

  it('brings forward and sends backward by one', () => {
    expect(order(reorder(grid(), 'box-2', 'up'))).toEqual(['box-1', 'box-3', 'box-2', 'box-4']);
    expect(order(reorder(grid(), 'box-2', 'down'))).toEqual(['box-2', 'box-1', 'box-3', 'box-4']);
  });

  it('brings to front and sends to back', () => {
    expect(order(reorder(grid(), 'box-1', 'front'))).toEqual(['box-2', 'box-3', 'box-4', 'box-1']);
    expect(order(reorder(grid(), 'box-4', 'back'))).toEqual(['box-4', 'box-1', 'box-2', 'box-3']);
  });

  it('keeps z from 0 up, so it never passes the contract limit, and the scene order as it was', () => {
    const s = reorder(grid(), 'box-1', 'front');
    expect(s.boxes.map((b) => b.id)).toEqual(['box-1', 'box-2', 'box-3', 'box-4']);
    expect(s.boxes.map((b) => b.z).sort()).toEqual([0, 1, 2, 3]);
  });

  it('says which moves are possible', () => {
    expect(canReorder(grid(), 'box-4', 'up')).toBe(false);
    expect(canReorder(grid(), 'box-4', 'back')).toBe(true);
    expect(canReorder(grid(), 'box-1', 'down')).toBe(false);
  });
});

describe('lock and camera', () => {
  it('locks and unlocks', () => {
    expect(setLocked(grid(), 'box-1', true).boxes[0]!.locked).toBe(true);
    expect(setLocked(setLocked(grid(), 'box-1', true), 'box-1', false).boxes[0]!.locked).toBe(false);
  });

  it('changes the camera of a box', () => {
    expect(ok(setCamera(grid(), 'box-1', 'cam9')).boxes[0]!.camera).toBe('cam9');
    expect(error(setCamera(grid(), 'box-1', 'cam 9'))).toMatch(/camera name/);
  });
});

describe('templates', () => {
  it('applies the contract template to the scene, keeping its id and name', () => {
    const s = applyTemplate(grid(), 'pip', ['cam3', 'cam1']);
    expect(s.id).toBe('grid');
    expect(s.boxes).toEqual(templateBoxes('pip', ['cam3', 'cam1']));
  });

  it('a new scene from a template gets a name and id nobody uses', () => {
    const existing = [grid(), templateScene('grid-2x2', ['cam0'], '2-2', '2×2 (2)')];
    const s = newSceneFrom('grid-2x2', ['cam0', 'cam1'], existing);
    expect(s.name).toBe('2×2 (3)');
    expect(s.id).toBe('2-2-3');
    expect(s.boxes).toHaveLength(2);
    expect(Scene.safeParse(s).success).toBe(true);
  });
});

describe('names and ids', () => {
  it('ids are lowercase letters, digits and "-", unique', () => {
    expect(sceneIdFor('Interview — wide', [])).toBe('interview-wide');
    expect(sceneIdFor('2×2', ['2-2'])).toBe('2-2-2');
    expect(sceneIdFor('***', [])).toBe('scene');
    expect(sceneIdFor('x'.repeat(60), [])).toHaveLength(34);
  });

  it('names are unique too', () => {
    expect(uniqueName('Full', ['Full', 'Full (2)'])).toBe('Full (3)');
  });

  it("renaming uses the contract's messages", () => {
    expect(error(renameScene(grid(), '   '))).toBe('Name the scene.');
    expect(error(renameScene(grid(), 'n'.repeat(41)))).toBe('At most 40 characters.');
    expect(ok(renameScene(grid(), '  Wide  ')).name).toBe('Wide');
  });

  it('save as: a new id and name, refused when the name is taken', () => {
    const copy = ok(copyAs(grid(), 'Grid copy', [grid()]));
    expect(copy).toMatchObject({ id: 'grid-copy', name: 'Grid copy' });
    expect(error(copyAs(grid(), '2×2', [grid()]))).toBe('Another scene has that name.');
  });
});

describe('whole-scene checks', () => {
  it('lists what the contract refuses, once each', () => {
    const bad: SceneT = { id: 'Bad Id', name: '', boxes: [] };
    expect(sceneProblems(bad)).toEqual(
      expect.arrayContaining(['A scene id is 1 to 40 lowercase letters, digits or "-".', 'Name the scene.']),
    );
    expect(sceneProblems(grid())).toEqual([]);
  });

  it('lists the cameras a scene shows, once each', () => {
    expect(camerasOf([...grid().boxes, { ...grid().boxes[0]!, id: 'box-9' }])).toEqual([
      'cam0',
      'cam1',
      'cam2',
      'cam3',
    ]);
  });
});

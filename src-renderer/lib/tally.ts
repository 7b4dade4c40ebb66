/**
 * Tally lights from what the device's mixer reports (MixerState.onProgram / onPreview), never from what this
 * console last sent; and the mismatch between the two, which the Mixer shows as a note. Pure.
 */
import type { MixerState, SceneBox } from '../../src-main/contract/index.js';

/** A camera's light: red on Program, green on Preview, both, or none. */
export type Tally = 'program' | 'preview' | 'both' | null;

export function tallyOf(state: MixerState | undefined, camera: string): Tally {
  if (!state) return null;
  const program = state.onProgram.includes(camera);
  const preview = state.onPreview.includes(camera);
  return program && preview ? 'both' : program ? 'program' : preview ? 'preview' : null;
}

/** The lights are from an earlier reading: the link is down or the state was not read again yet. */
export function isStale(state: MixerState | undefined): boolean {
  return state?.status === 'unknown';
}

export const TALLY_WORDS: Record<Exclude<Tally, null>, string> = {
  program: 'On Program',
  preview: 'On Preview',
  both: 'On Program and Preview',
};

/** Whether a reading should replace the one held: not when both are dated and it is the older. */
export function replaces(held: MixerState | undefined, next: MixerState): boolean {
  if (!held) return true;
  if (held.readAt === null || next.readAt === null) return true;
  return Date.parse(next.readAt) >= Date.parse(held.readAt);
}

/** What this console last sent to Program (a take that was applied, or that went out unconfirmed). */
export interface SentProgram {
  name: string;
  boxes: readonly SceneBox[];
}

function sorted(boxes: readonly SceneBox[]): SceneBox[] {
  return [...boxes].sort((a, b) => a.z - b.z || a.camera.localeCompare(b.camera) || a.id.localeCompare(b.id));
}

/**
 * Whether two layouts show the same: the same cameras in the same stacking order, each in the same place, size and
 * crop within 1.5 program pixels (the device may round to whole pixels).
 */
export function sameLayout(
  a: readonly SceneBox[],
  b: readonly SceneBox[],
  frame: { width: number; height: number },
): boolean {
  if (a.length !== b.length) return false;
  const tx = 1.5 / Math.max(1, frame.width);
  const ty = 1.5 / Math.max(1, frame.height);
  const near = (p: number, q: number, t: number): boolean => Math.abs(p - q) <= t;
  const sa = sorted(a);
  const sb = sorted(b);
  return sa.every((p, i) => {
    const q = sb[i];
    return (
      q !== undefined &&
      p.camera === q.camera &&
      near(p.x, q.x, tx) &&
      near(p.w, q.w, tx) &&
      near(p.y, q.y, ty) &&
      near(p.h, q.h, ty) &&
      near(p.crop.left, q.crop.left, 1e-3) &&
      near(p.crop.right, q.crop.right, 1e-3) &&
      near(p.crop.top, q.crop.top, 1e-3) &&
      near(p.crop.bottom, q.crop.bottom, 1e-3)
    );
  });
}

/** The note when the device's Program is not what this console last sent, or null when they agree (or cannot be told). */
export function programMismatch(sent: SentProgram | undefined, state: MixerState | undefined): string | null {
  if (!sent || !state || state.status !== 'running') return null;
  const program = state.program;
  if (!program)
    return `Mismatch: this console last sent ${sent.name}, but the device reports nothing on Program.`;
  if (sameLayout(sent.boxes, program.boxes, state.output)) return null;
  const reported = program.name || 'another layout';
  return (
    `Mismatch: this console last sent ${sent.name}, but the device reports ${reported} on Program ` +
    '(another console, or a take that did not land). The lights follow the device.'
  );
}

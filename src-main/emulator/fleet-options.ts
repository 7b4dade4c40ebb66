/** The fleet's limits and box names, apart from fleet.ts so the CLI can check its input without loading the emulator. */
export const MAX_FLEET = 64;

/** Boxes starting at once: enough to overlap one box's waits with another's work, few enough for 2 cores. */
export const DEFAULT_START_CONCURRENCY = 4;

/** box01 … box64: two digits, so names sort as numbers do. */
export function boxName(index: number): string {
  return `box${String(index + 1).padStart(2, '0')}`;
}

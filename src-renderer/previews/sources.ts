import type { PreviewSource } from '../../src-main/contract/index.js';

/** Cameras in name order, then the mixer's program output. */
export function orderSources(sources: readonly PreviewSource[]): PreviewSource[] {
  return [...sources].sort(
    (a, b) => Number(a.program) - Number(b.program) || a.path.localeCompare(b.path, 'en', { numeric: true }),
  );
}

/** The source a small fleet tile shows: the program output when it is on air, else the first online camera. */
export function fleetSource(sources: readonly PreviewSource[]): PreviewSource | undefined {
  const ordered = orderSources(sources);
  return (
    ordered.find((s) => s.program && s.online) ?? ordered.find((s) => s.online) ?? ordered[0] ?? undefined
  );
}

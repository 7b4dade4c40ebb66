/**
 * Lists of things that start, move on and end (operations, pipeline jobs, VPU resets) as the views show them:
 * newest first, one entry per id, and a late or repeated event never takes an entry backwards.
 */
export interface Tracked {
  id: string;
  startedAt: string;
}

function newestFirst(a: Tracked, b: Tracked): number {
  const d = Date.parse(b.startedAt) - Date.parse(a.startedAt);
  return d !== 0 && Number.isFinite(d) ? d : b.id.localeCompare(a.id);
}

/** `older(kept, incoming)`: the incoming entry is older news than the one in the list, so the list keeps its own. */
export function upsertNewest<T extends Tracked>(
  list: readonly T[],
  item: T,
  older: (kept: T, incoming: T) => boolean,
): T[] {
  const at = list.findIndex((x) => x.id === item.id);
  if (at < 0) return [...list, item].sort(newestFirst);
  if (older(list[at] as T, item)) return list.slice();
  const out = list.slice();
  out[at] = item;
  return out;
}

/** Many at once, e.g. a list command answering after some events already arrived. */
export function mergeNewest<T extends Tracked>(
  list: readonly T[],
  incoming: readonly T[],
  older: (kept: T, incoming: T) => boolean,
): T[] {
  let out = list.slice();
  for (const item of incoming) out = upsertNewest(out, item, older);
  return out;
}

/** Places the core's per-field messages (`fields` on invalid_input) next to the fields a form has. */

export interface PlacedErrors<K extends string> {
  placed: Partial<Record<K, string>>;
  /** Messages for paths no field of the form shows, ready to print. */
  other: string[];
}

/**
 * A path belongs to a field when it is the field's key or lies under it (`cameras.2` → `cameras`,
 * `pipeline.encoder.element` → `pipeline.encoder`); the longest matching key wins. `keys` maps a field to the
 * paths it shows, so a form can show `pipeline.text` in its one text box.
 */
export function placeFieldErrors<K extends string>(
  fields: Record<string, string> | undefined,
  keys: Readonly<Record<K, readonly string[]>>,
): PlacedErrors<K> {
  const placed: Partial<Record<K, string>> = {};
  const other: string[] = [];
  for (const [path, message] of Object.entries(fields ?? {})) {
    let best: { key: K; length: number } | undefined;
    for (const key of Object.keys(keys) as K[]) {
      for (const prefix of keys[key]) {
        if ((path === prefix || path.startsWith(`${prefix}.`)) && (!best || prefix.length > best.length)) {
          best = { key, length: prefix.length };
        }
      }
    }
    if (best) placed[best.key] ??= message;
    else other.push(path === '_' || path === '' ? message : `${path}: ${message}`);
  }
  return { placed, other };
}

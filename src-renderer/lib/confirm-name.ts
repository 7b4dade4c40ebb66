/**
 * A destructive action (deleting a recording, rebooting a device) needs the name of what it acts on typed out.
 * Surrounding spaces (a paste often brings one) do not count; everything else must match exactly, case included:
 * `cam0_…mp4` and `CAM0_…MP4` are different files.
 */

export function typedName(typed: string): string {
  return typed.trim();
}

export function nameMatches(typed: string, name: string): boolean {
  return name.length > 0 && typedName(typed) === name;
}

/**
 * What to say under the field while it does not match yet; empty when it matches or nothing was typed. `what` names
 * the thing in the last case: "That is not the name of this recording."
 */
export function nameHint(typed: string, name: string, what: string): string {
  const t = typedName(typed);
  if (t === '' || t === name) return '';
  if (t.toLowerCase() === name.toLowerCase()) return 'The case differs: type the name exactly as shown.';
  if (name.startsWith(t)) return 'Keep typing: the whole name is needed.';
  return `That is not the name of this ${what}.`;
}

/** Display names stay distinct within a mesh, so a name addresses one member (protocol.md §7.3). */

/** Longest display name (the claim's `display_name` limit). */
export const MAX_DISPLAY_NAME = 64;

/**
 * `wanted`, or the first of `wanted 2`, `wanted 3`, … that no name in `taken` matches, ignoring case
 * (`Bob` and `bob` would address the same peer). The base is shortened when the suffix would pass the limit.
 */
export function distinctDisplayName(wanted: string, taken: Iterable<string>): string {
  const used = new Set([...taken].map((name) => name.toLowerCase()));
  if (!used.has(wanted.toLowerCase())) return wanted;
  for (let n = 2; ; n++) {
    const suffix = ` ${n}`;
    const candidate = `${wanted.slice(0, MAX_DISPLAY_NAME - suffix.length).trimEnd()}${suffix}`;
    if (!used.has(candidate.toLowerCase())) return candidate;
  }
}

/**
 * The start every name that `distinctDisplayName` could find in the way shares with the wanted one, in
 * lower case: shorter than any base a suffix shortens it to. A store reads only names from this start
 * (ASCII case aside) and names with a character outside printable ASCII, whose lower case JavaScript
 * decides, instead of every name of the mesh.
 */
export function nameStart(wanted: string): string {
  return wanted.toLowerCase().slice(0, 32).trimEnd();
}

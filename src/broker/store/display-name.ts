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

/** Parsing of `send.targetSpec` (protocol.md §4.2) and of group names (§3.4). */
export type Target =
  | { kind: "key"; pubkey: string }
  | { kind: "broadcast" }
  | { kind: "group"; name: string }
  | { kind: "topic"; topic: string };

export type TargetParse = { ok: true; target: Target } | { ok: false; reason: "invalid" | "no_recipient" };

const HEX64 = /^[0-9a-f]{64}$/;
const TOPIC_NAME = /^[a-z0-9][a-z0-9-]{0,49}$/;

export function isPubkey(s: string): boolean {
  return HEX64.test(s);
}

/** Why a group name is not acceptable, or null when it is. */
export function groupNameProblem(name: string): string | null {
  if (name.length < 1 || name.length > 128) return "must be 1-128 characters";
  if (/[\s|]/.test(name)) return "must not contain whitespace or '|'";
  if (/^[@#*]/.test(name)) return "must not start with @, # or *";
  if (name.split("/").some((segment) => segment === "")) return "must not have an empty path segment";
  return null;
}

/**
 * Why a display name could never be addressed by name, or null when it can: a send reads `@…` as a group,
 * `#…` as a topic and `*` as everyone (§4.2), so a peer called that would be out of reach (§7.4).
 */
export function displayNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === "*") return 'a display name must not be "*" (a send to it goes to everyone)';
  if (trimmed.startsWith("@")) return "a display name must not start with @ (a send to it goes to a group)";
  if (trimmed.startsWith("#")) return "a display name must not start with # (a send to it goes to a topic)";
  return null;
}

export function isTopicName(name: string): boolean {
  return TOPIC_NAME.test(name);
}

/**
 * Classifies a target spec. Keys are only shape-checked here; whether a key names a member or a session
 * is the broker's resolution step. Anything that is not one of the forms is `no_recipient`.
 */
export function parseTarget(spec: string): TargetParse {
  if (spec === "*" || spec === "@all") return { ok: true, target: { kind: "broadcast" } };
  if (spec.startsWith("@")) {
    const name = spec.slice(1);
    if (groupNameProblem(name) !== null) return { ok: false, reason: "invalid" };
    return { ok: true, target: { kind: "group", name } };
  }
  if (spec.startsWith("#")) {
    const topic = spec.slice(1);
    if (topic.length === 0 || topic.length > 128 || /[\s|]/.test(topic))
      return { ok: false, reason: "invalid" };
    return { ok: true, target: { kind: "topic", topic } };
  }
  if (isPubkey(spec)) return { ok: true, target: { kind: "key", pubkey: spec } };
  return { ok: false, reason: "no_recipient" };
}

/** True when a member with group `memberGroup` is addressed by `@target` (hierarchical: `a/b/c` ⊂ `@a/b`). */
export function groupMatches(memberGroup: string, target: string): boolean {
  return memberGroup === target || memberGroup.startsWith(`${target}/`);
}

export function isMulticast(target: Target): boolean {
  return target.kind !== "key";
}

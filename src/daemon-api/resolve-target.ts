/**
 * Turns what a user typed after `send` into a broker `targetSpec` (cli.md "Talking"). Pure: the caller
 * passes the mesh's roster (`list_members`) and live presences (`list_peers`). Used by the daemon and by
 * the CLI's `--no-daemon` path, so both resolve names the same way.
 *
 * Accepted forms, tried in this order:
 * - `*`, `@all` → broadcast; `@<group>` → group; `#<topic>` → topic (passed through);
 * - a full 64-hex key → the live session with that key, else the member, else passed through as a key
 *   the broker may still know (a stale session key);
 * - a display name (exact, then case-insensitive) of a member (online or not) or of a live session;
 * - a hex prefix of 4+ characters of a member key or a live session key.
 * Input that is both a name and a key prefix resolves only when both mean the same recipient: anyone may
 * take a name that looks like someone else's key prefix, and must not receive their messages by it.
 * Unknown or ambiguous input is refused with candidates: a send never silently goes nowhere.
 */
import type { TargetCandidate } from "./contract.js";
import { groupNameProblem } from "../protocol/targets.js";

/** The fields of a `members_list` entry this needs. */
export interface RosterMember {
  memberId: string;
  pubkey: string;
  displayName: string;
  online: boolean;
}

/** The fields of a `peers_list` entry this needs. */
export interface LivePeer {
  /** Session key for session presences, else the member key. */
  pubkey: string;
  memberPubkey: string;
  displayName: string;
  peerRole: string;
}

export type TargetKind = "member" | "session" | "broadcast" | "group" | "topic";

export interface ResolvedTarget {
  /** What goes into `send.targetSpec`. */
  spec: string;
  kind: TargetKind;
  /** A short human description: a display name, `@group`, `everyone`. */
  display: string;
  /** For DMs: the key to encrypt to (a member or session key). */
  recipientPubkey: string | null;
  /** For DMs: the member the recipient key belongs to, when known. */
  memberPubkey: string | null;
  /** Whether the recipient has a presence online now (DMs; for multicast, whether anyone else is). */
  online: boolean;
}

export type TargetResolution =
  | { ok: true; target: ResolvedTarget }
  | {
      ok: false;
      error: "unknown_target" | "ambiguous_target" | "invalid_target";
      message: string;
      candidates: TargetCandidate[];
    };

export interface ResolveInput {
  /** The `<to>` argument as typed. */
  input: string;
  members: readonly RosterMember[];
  peers: readonly LivePeer[];
  /** The caller's member key: used only to judge whether anyone *else* is online for multicast. */
  selfMemberPubkey?: string;
}

const FULL_KEY = /^[0-9a-f]{64}$/;
const HEX_PREFIX = /^[0-9a-f]{4,63}$/;
const MIN_PREFIX = 4;
const MAX_CANDIDATES = 5;

type Candidate =
  | { kind: "member"; member: RosterMember }
  | { kind: "session"; peer: LivePeer; member: RosterMember | undefined };

export function resolveTarget(args: ResolveInput): TargetResolution {
  const input = args.input.trim();
  if (input === "") return invalid("the target is empty", "give a display name, a key, @group or *");
  const sessions = args.peers.filter((p) => p.peerRole === "session");
  const memberByKey = new Map(args.members.map((m) => [m.pubkey, m]));
  const othersOnline = args.members.some((m) => m.online && m.pubkey !== args.selfMemberPubkey);

  if (input === "*" || input === "@all") {
    return ok({ spec: input, kind: "broadcast", display: "everyone", online: othersOnline });
  }
  if (input.startsWith("@")) {
    const name = input.slice(1);
    const problem = groupNameProblem(name);
    if (problem !== null)
      return invalid(`group name "${name}" ${problem}`, "group names look like @team or @a/b");
    return ok({ spec: input, kind: "group", display: input, online: othersOnline });
  }
  if (input.startsWith("#")) {
    if (input.length === 1 || /[\s|]/.test(input))
      return invalid(`"${input}" is not a topic`, "use #<topic>");
    return ok({ spec: input, kind: "topic", display: input, online: othersOnline });
  }

  const lower = input.toLowerCase();
  if (FULL_KEY.test(lower)) return byFullKey(lower, sessions, memberByKey);

  const named = byName(input, args.members, sessions, memberByKey);
  const prefixed = HEX_PREFIX.test(lower) ? byPrefix(lower, args.members, sessions, memberByKey) : [];
  if (named.length > 0 && prefixed.length > 0) return byNameAndPrefix(input, named, prefixed);
  if (named.length > 0) return fromNames(input, named);
  if (prefixed.length > 0) return fromPrefix(lower, prefixed);
  return {
    ok: false,
    error: "unknown_target",
    message:
      input.length < MIN_PREFIX && /^[0-9a-f]+$/i.test(input)
        ? `"${input}" matches nobody (a key prefix needs at least ${MIN_PREFIX} hex characters)`
        : `"${input}" matches no member or live session in this mesh`,
    candidates: closest(input, args.members, sessions, memberByKey),
  };
}

function byFullKey(
  key: string,
  sessions: readonly LivePeer[],
  memberByKey: ReadonlyMap<string, RosterMember>,
): TargetResolution {
  const session = sessions.find((p) => p.pubkey === key);
  if (session !== undefined) return ok(sessionTarget(session));
  const member = memberByKey.get(key);
  if (member !== undefined) return ok(memberTarget(member));
  // Not known here, but the broker may know it (a session that ended is routed to its member).
  return ok({
    spec: key,
    kind: "session",
    display: `${key.slice(0, 8)}…`,
    recipientPubkey: key,
    online: false,
  });
}

/** Everyone whose display name is `name`: exact matches, else case-insensitive ones. */
function byName(
  name: string,
  members: readonly RosterMember[],
  sessions: readonly LivePeer[],
  memberByKey: ReadonlyMap<string, RosterMember>,
): Candidate[] {
  const exact = nameMatches(name, members, sessions, memberByKey, (a, b) => a === b);
  if (exact.length > 0) return exact;
  const folded = name.toLowerCase();
  return nameMatches(name, members, sessions, memberByKey, (a) => a.toLowerCase() === folded);
}

function fromNames(name: string, matches: Candidate[]): TargetResolution {
  if (matches.length === 1 && matches[0] !== undefined) return ok(targetOf(matches[0]));
  const kinds = new Set(matches.map((m) => m.kind));
  if (kinds.size === 2 && matches.length === 2) {
    return ambiguous(
      `"${name}" is both a member (its inbox and every session of it) and one of its live sessions`,
      matches,
    );
  }
  return ambiguous(`"${name}" matches ${matches.length} peers`, matches);
}

/**
 * Sessions and members with the name. A member whose session carries the same name is two different
 * targets (the member reaches its daemon's inbox and every session of it; the session only that session),
 * so the name alone is ambiguous and both are listed: the sender chooses with a key prefix.
 */
function nameMatches(
  name: string,
  members: readonly RosterMember[],
  sessions: readonly LivePeer[],
  memberByKey: ReadonlyMap<string, RosterMember>,
  same: (a: string, b: string) => boolean,
): Candidate[] {
  const out: Candidate[] = sessions
    .filter((p) => same(p.displayName, name))
    .map((peer) => ({ kind: "session", peer, member: memberByKey.get(peer.memberPubkey) }));
  for (const member of members) {
    if (same(member.displayName, name)) out.push({ kind: "member", member });
  }
  return out;
}

/** Every member key and live session key that starts with `prefix`. */
function byPrefix(
  prefix: string,
  members: readonly RosterMember[],
  sessions: readonly LivePeer[],
  memberByKey: ReadonlyMap<string, RosterMember>,
): Candidate[] {
  return [
    ...members
      .filter((m) => m.pubkey.startsWith(prefix))
      .map((member): Candidate => ({ kind: "member", member })),
    ...sessions
      .filter((p) => p.pubkey.startsWith(prefix))
      .map((peer): Candidate => ({ kind: "session", peer, member: memberByKey.get(peer.memberPubkey) })),
  ];
}

function fromPrefix(prefix: string, matches: Candidate[]): TargetResolution {
  if (matches.length === 1 && matches[0] !== undefined) return ok(targetOf(matches[0]));
  return ambiguous(`key prefix "${prefix}" matches ${matches.length} keys`, matches);
}

/**
 * Input that is a display name and a key prefix at once: read as the name when the prefix finds no one
 * else, else refused with everyone either reading finds. Preferring the name would let a member named
 * after another's key prefix receive what was meant for that key (and preferring the prefix, the reverse).
 */
function byNameAndPrefix(input: string, named: Candidate[], prefixed: Candidate[]): TargetResolution {
  const namedIds = new Set(named.map(identity));
  const others = prefixed.filter((c) => !namedIds.has(identity(c)));
  if (others.length === 0) return fromNames(input, named);
  const distinct = [...named, ...others];
  return ambiguous(
    `"${input}" is both the display name of ${displayNames(named)} and a key prefix of ${displayNames(prefixed)}`,
    distinct,
    "say which one with its full key or a more specific name",
  );
}

function identity(c: Candidate): string {
  return c.kind === "member" ? `member:${c.member.pubkey}` : `session:${c.peer.pubkey}`;
}

function displayNames(matches: Candidate[]): string {
  const names = matches.map((c) => (c.kind === "member" ? c.member.displayName : c.peer.displayName));
  return [...new Set(names)].join(", ");
}

function targetOf(c: Candidate): ResolvedTarget {
  return c.kind === "member" ? memberTarget(c.member) : sessionTarget(c.peer);
}

function memberTarget(member: RosterMember): ResolvedTarget {
  return {
    spec: member.pubkey,
    kind: "member",
    display: member.displayName,
    recipientPubkey: member.pubkey,
    memberPubkey: member.pubkey,
    online: member.online,
  };
}

function sessionTarget(peer: LivePeer): ResolvedTarget {
  return {
    spec: peer.pubkey,
    kind: "session",
    display: peer.displayName,
    recipientPubkey: peer.pubkey,
    memberPubkey: peer.memberPubkey,
    online: true,
  };
}

function toCandidate(c: Candidate): TargetCandidate {
  if (c.kind === "member") {
    return {
      display_name: c.member.displayName,
      pubkey: c.member.pubkey,
      session_pubkey: null,
      kind: "member",
      online: c.member.online,
    };
  }
  return {
    display_name: c.peer.displayName,
    pubkey: c.peer.memberPubkey,
    session_pubkey: c.peer.pubkey,
    kind: "session",
    online: true,
  };
}

/** Everyone whose name is close to `input` (edit distance, prefix or substring), best first. */
function closest(
  input: string,
  members: readonly RosterMember[],
  sessions: readonly LivePeer[],
  memberByKey: ReadonlyMap<string, RosterMember>,
): TargetCandidate[] {
  const wanted = input.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  const all: Candidate[] = [
    ...sessions.map((peer): Candidate => ({
      kind: "session",
      peer,
      member: memberByKey.get(peer.memberPubkey),
    })),
    ...members.map((member): Candidate => ({ kind: "member", member })),
  ];
  const scored: Array<{ c: Candidate; score: number }> = [];
  for (const c of all) {
    const name = (c.kind === "member" ? c.member.displayName : c.peer.displayName).toLowerCase();
    const distance = editDistance(wanted, name);
    const related = name.startsWith(wanted) || wanted.startsWith(name) || name.includes(wanted);
    if (distance <= limit || related) scored.push({ c, score: related ? Math.min(distance, 1) : distance });
  }
  scored.sort((a, b) => a.score - b.score);
  const seen = new Set<string>();
  const out: TargetCandidate[] = [];
  for (const { c } of scored) {
    const candidate = toCandidate(c);
    const key = `${candidate.pubkey}|${candidate.session_pubkey ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(candidate);
    if (out.length === MAX_CANDIDATES) break;
  }
  return out;
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function ok(
  target: Omit<ResolvedTarget, "recipientPubkey" | "memberPubkey"> &
    Partial<Pick<ResolvedTarget, "recipientPubkey" | "memberPubkey">>,
): TargetResolution {
  return {
    ok: true,
    target: { recipientPubkey: null, memberPubkey: null, ...target },
  };
}

function ambiguous(
  message: string,
  matches: Candidate[],
  hint = "say which one with a longer key prefix",
): TargetResolution {
  return {
    ok: false,
    error: "ambiguous_target",
    message: `${message}; ${hint}`,
    candidates: matches.map(toCandidate),
  };
}

function invalid(message: string, hint: string): TargetResolution {
  return { ok: false, error: "invalid_target", message: `${message}; ${hint}`, candidates: [] };
}

/** Wire entries (`peers_list`, `members_list`) as the daemon API and the CLI show them. */
import { WEB_CHANNEL } from "../protocol/constants.js";
import type { MemberEntry, MeshInfoResult, PeerEntry } from "../protocol/index.js";
import type { MemberView, MeshInfoView, PeerView } from "./contract.js";
import type { MemoryEntry, SkillDetail, SkillSummary } from "../protocol/index.js";
import type { MemoryView, SkillDetailView, SkillView } from "./contract.js";

/** `pubkey` is always the member key; `session_pubkey` the session key of a session presence. */
export function peerView(
  meshSlug: string,
  entry: PeerEntry,
  viewer: { memberPubkey: string | null; sessionPubkey: string | null },
): PeerView {
  const session = entry.peerRole === "session" ? entry.pubkey : null;
  return {
    mesh: meshSlug,
    display_name: entry.displayName,
    pubkey: entry.memberPubkey,
    session_pubkey: session,
    peer_role: entry.peerRole,
    peer_type: entry.peerType ?? null,
    channel: entry.channel ?? null,
    status: entry.status,
    summary: entry.summary,
    groups: entry.groups.map((g) => g.name),
    cwd: entry.cwd,
    this_session: session !== null && session === viewer.sessionPubkey,
    self: entry.memberPubkey === viewer.memberPubkey,
  };
}

/**
 * Whether `peers` lists a presence without `--all`: sessions, and people in the web app; not daemons and
 * CLI connections (protocol.md §3.5 lets clients hide `control-plane` rows).
 */
export function shownByDefault(p: Pick<PeerView, "peer_role" | "channel">): boolean {
  return p.peer_role !== "control-plane" || p.channel === WEB_CHANNEL;
}

/** What the ROLE column says: the wire role, or "person (web)" for someone in the web app. */
export function roleLabel(p: Pick<PeerView, "peer_role" | "channel">): string {
  return p.channel === WEB_CHANNEL ? "person (web)" : p.peer_role;
}

export function memberView(meshSlug: string, m: MemberEntry): MemberView {
  return {
    mesh: meshSlug,
    member_id: m.memberId,
    pubkey: m.pubkey,
    display_name: m.displayName,
    role: m.role,
    online: m.online,
    joined_at: m.joinedAt,
  };
}

/** A `mesh_info_result` as the `info` endpoint answers it. */
export function meshInfoView(slug: string, info: MeshInfoResult): MeshInfoView {
  return {
    mesh: slug,
    peers: info.peers,
    groups: info.groups,
    state_keys: info.stateKeys,
    memory_count: info.memoryCount,
    file_count: info.fileCount,
    tasks: info.tasks,
    your_name: info.yourName,
    your_groups: info.yourGroups.map((g) => ({ name: g.name, role: g.role ?? null })),
  };
}

/** A memory of `memory_results`, its content already opened. */
export function memoryView(m: MemoryEntry, content: string): MemoryView {
  return {
    id: m.id,
    content,
    tags: m.tags,
    remembered_by: m.rememberedBy,
    remembered_at: m.rememberedAt,
  };
}

export function skillView(s: SkillSummary): SkillView {
  return {
    name: s.name,
    description: s.description,
    tags: s.tags,
    author: s.author,
    created_at: s.createdAt,
  };
}

/** A skill of `skill_data`, its instructions already opened. */
export function skillDetailView(s: SkillDetail, instructions: string): SkillDetailView {
  return {
    ...skillView(s),
    instructions,
    ...(s.manifest === undefined ? {} : { manifest: s.manifest }),
  };
}

/** Presences in the shared store, so every node can list and route to them (protocol.md §3.1). */
import type {
  GroupRef,
  PeerRole,
  PresenceStatus,
  Profile,
  Stats,
  StatusSource,
} from "../../../protocol/index.js";

/** A presence as other nodes and `list_peers` see it. */
export interface PresenceRow {
  id: string;
  meshId: string;
  memberId: string;
  nodeId: string;
  peerRole: PeerRole;
  /** Proven session key (session presences only). */
  sessionPubkey: string | null;
  sessionId: string;
  displayName: string;
  cwd: string;
  pid: number;
  hostname: string | null;
  peerType: string | null;
  channel: string | null;
  model: string | null;
  groups: GroupRef[];
  status: PresenceStatus;
  statusSource: StatusSource;
  statusAt: number;
  summary: string | null;
  stats: Stats | null;
  visible: boolean;
  profile: Profile | null;
  connectedAt: number;
  lastPingAt: number;
  /** `online` or `offline` (in grace). Disconnected rows are not returned by listings. */
  lease: "online" | "offline";
  disconnectedAt: number | null;
}

export type PresencePatch = Partial<
  Pick<
    PresenceRow,
    | "groups"
    | "status"
    | "statusSource"
    | "statusAt"
    | "summary"
    | "stats"
    | "visible"
    | "profile"
    | "lease"
    | "lastPingAt"
    | "nodeId"
    | "displayName"
  >
>;

/** Where a `list_peers` page starts: after this row of the (`connectedAt`, `id`) order. */
export interface PresencePosition {
  connectedAt: number;
  id: string;
}

export interface PresencePageQuery {
  /** Hidden presences are left out unless they belong to this member (§3.5). */
  viewerMemberId: string;
  /** Start after this position; null from the beginning. */
  after: PresencePosition | null;
  limit: number;
}

/** Conditions for marking a presence disconnected. */
export interface PresenceGuard {
  nodeId: string;
  lastPingBefore?: number;
}

export interface PresenceStore {
  /** Inserts or wholly replaces the row with this id (with `disconnectedAt: null` it is live again). */
  upsertPresence(row: PresenceRow): Promise<void>;
  /** Changes only the fields present in `patch` (an explicit null is written). */
  updatePresence(presenceId: string, patch: PresencePatch): Promise<void>;
  /** Batch `lastPingAt` update for the heartbeat. */
  touchPresences(presenceIds: string[], at: number): Promise<void>;
  /**
   * Hides the presence from listings and counts; `upsertPresence` brings it back. With `guard`, only while
   * the row is still held by `guard.nodeId` (another node may have taken it over) and, with
   * `lastPingBefore`, not touched since. True when it marked the row.
   */
  markPresenceDisconnected(presenceId: string, at: number, guard?: PresenceGuard): Promise<boolean>;
  /** Marks every presence held by `nodeId` disconnected (node shutdown / start). */
  disconnectNodePresences(nodeId: string, at: number): Promise<number>;
  /** Presences online or in grace, in `connectedAt` order. */
  listPresences(meshId: string): Promise<PresenceRow[]>;
  /**
   * One page of the presences a member may see, online or in grace, in (`connectedAt`, `id`) order:
   * at most `limit` rows after `after`.
   */
  pagePresences(meshId: string, query: PresencePageQuery): Promise<PresenceRow[]>;
  /** Live rows (online or in grace, on any node) of these members of the mesh. */
  presencesOfMembers(meshId: string, memberIds: readonly string[]): Promise<PresenceRow[]>;
  /** The live row (online or in grace, on any node) of the session key in the mesh, or null. */
  presenceBySession(meshId: string, sessionPubkey: string): Promise<PresenceRow | null>;
  /**
   * Live rows, of any mesh and node, whose `lastPingAt` is before `before`: presences of a node that died
   * (its heartbeat stopped touching them). Oldest first, at most `limit`.
   */
  stalePresences(before: number, limit: number): Promise<PresenceRow[]>;
  /** How many presences `listPresences` would return (the mesh capacity check). */
  countPresences(meshId: string): Promise<number>;
}

/**
 * SQLite schema history. Delivery rows carry copies of their message's mesh, priority and target kind so
 * a claim filters and orders in one index range scan; `deliveries.id` is the accept order.
 *
 * Write cost is dominated by B-trees keyed by random values (each insert dirties its own page, and WAL
 * writes whole pages), so only two are random per message: `messages.id` and the idempotency key. Other
 * references go through the integer `messages.seq`, which only ever appends.
 */
import type { Migration } from "../../../migrations/migration.js";
import { SQLITE_MEMORY_SKILLS } from "./memory-skills.js";
import { SQLITE_OWNED_ROWS } from "./owned-rows.js";

/**
 * `col = 'a' OR col = 'b' …` for a CHECK constraint. SQLite evaluates `col IN ('a', 'b')` in a CHECK
 * through a temporary table on every write (measured: ~6 µs per delivery insert + claim); the OR chain
 * costs next to nothing.
 */
function oneOf(column: string, ...values: string[]): string {
  return values.map((v) => `${column} = '${v}'`).join(" OR ");
}

const initial = `
CREATE TABLE meshes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  owner_member_id TEXT NOT NULL REFERENCES members (id) DEFERRABLE INITIALLY DEFERRED,
  created_at INTEGER NOT NULL
);

CREATE TABLE members (
  id TEXT PRIMARY KEY,
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  pubkey TEXT NOT NULL,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (${oneOf("role", "owner", "admin", "member")}),
  default_groups TEXT NOT NULL DEFAULT '[]',
  joined_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoke_reason TEXT,
  saved TEXT,
  UNIQUE (mesh_id, pubkey)
);

CREATE TABLE invites (
  code TEXT PRIMARY KEY,
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  role TEXT NOT NULL CHECK (${oneOf("role", "member", "admin")}),
  max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
  uses INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
  expires_at INTEGER NOT NULL,
  inviter_pubkey TEXT NOT NULL,
  invite_signature TEXT NOT NULL,
  claim_hash TEXT NOT NULL,
  encrypted_root_key TEXT NOT NULL,
  nonce TEXT NOT NULL,
  revoked_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX invites_mesh ON invites (mesh_id);

CREATE TABLE session_keys (
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  session_pubkey TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members (id),
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  PRIMARY KEY (mesh_id, session_pubkey)
) WITHOUT ROWID;

CREATE TABLE presences (
  id TEXT PRIMARY KEY,
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  member_id TEXT NOT NULL REFERENCES members (id),
  node_id TEXT NOT NULL,
  peer_role TEXT NOT NULL CHECK (${oneOf("peer_role", "control-plane", "session", "service")}),
  session_pubkey TEXT,
  session_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  cwd TEXT NOT NULL,
  pid INTEGER NOT NULL,
  hostname TEXT,
  peer_type TEXT,
  channel TEXT,
  model TEXT,
  groups TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL CHECK (${oneOf("status", "idle", "working", "dnd")}),
  status_source TEXT NOT NULL CHECK (${oneOf("status_source", "hook", "manual", "inferred")}),
  status_at INTEGER NOT NULL,
  summary TEXT,
  stats TEXT,
  visible INTEGER NOT NULL CHECK (visible = 0 OR visible = 1),
  profile TEXT,
  connected_at INTEGER NOT NULL,
  last_ping_at INTEGER NOT NULL,
  lease TEXT NOT NULL CHECK (${oneOf("lease", "online", "offline")}),
  disconnected_at INTEGER
);
CREATE INDEX presences_live ON presences (mesh_id, connected_at) WHERE disconnected_at IS NULL;
CREATE INDEX presences_node ON presences (node_id) WHERE disconnected_at IS NULL;
CREATE INDEX presences_disconnected ON presences (disconnected_at) WHERE disconnected_at IS NOT NULL;

-- nonce and ciphertext become NULL once every delivery is finished (retention, protocol.md §4.6).
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  sender_member_id TEXT NOT NULL REFERENCES members (id),
  sender_presence_id TEXT NOT NULL,
  sender_pubkey TEXT NOT NULL,
  sender_name TEXT NOT NULL,
  target_spec TEXT NOT NULL,
  priority TEXT NOT NULL CHECK (${oneOf("priority", "now", "next", "low")}),
  nonce TEXT,
  ciphertext TEXT,
  body_version INTEGER,
  reply_to_id TEXT,
  client_message_id TEXT,
  request_fingerprint TEXT,
  topic_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_sender ON messages (sender_member_id, seq);
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_with_body ON messages (seq) WHERE ciphertext IS NOT NULL AND topic_id IS NULL;

-- AUTOINCREMENT: ids are the accept order and are never reused, even after old rows are deleted.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_seq INTEGER NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
  mesh_id TEXT NOT NULL,
  recipient_kind TEXT NOT NULL CHECK (${oneOf("recipient_kind", "member", "session")}),
  recipient_member_id TEXT NOT NULL REFERENCES members (id),
  recipient_pubkey TEXT NOT NULL,
  excluded_presence TEXT,
  priority TEXT NOT NULL CHECK (${oneOf("priority", "now", "next", "low")}),
  is_multicast INTEGER NOT NULL CHECK (is_multicast = 0 OR is_multicast = 1),
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (${oneOf("state", "pending", "claimed", "delivered", "expired", "cancelled")}),
  claim_presence_id TEXT,
  claim_expires_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_offer_at INTEGER NOT NULL DEFAULT 0,
  delivered_at INTEGER
);
CREATE INDEX deliveries_message ON deliveries (message_seq);
-- Open (pending/claimed) rows only, so the claim indexes stay small however much history accumulates.
CREATE INDEX deliveries_open_member ON deliveries (mesh_id, recipient_member_id, recipient_kind, id)
  WHERE state IN ('pending', 'claimed');
CREATE INDEX deliveries_open_session ON deliveries (mesh_id, recipient_pubkey, id)
  WHERE state IN ('pending', 'claimed') AND recipient_kind = 'session';
CREATE INDEX deliveries_claim_holder ON deliveries (claim_presence_id) WHERE state = 'claimed';
CREATE INDEX deliveries_claim_due ON deliveries (next_offer_at) WHERE state = 'claimed';

CREATE TABLE idempotency (
  mesh_id TEXT NOT NULL,
  sender_member_id TEXT NOT NULL,
  client_message_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  message_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (mesh_id, sender_member_id, client_message_id)
) WITHOUT ROWID;
CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE replay_signatures (
  signature TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX replay_signatures_expiry ON replay_signatures (expires_at);

CREATE TABLE rate_buckets (
  key TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rate_buckets_updated ON rate_buckets (updated_at);
`;

/** One row rewritten by `probeWrite()` to learn whether writes succeed again after a storage fault. */
const healthProbe = `
CREATE TABLE health_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL
);
`;

/**
 * What an invite claim looks up to keep display names distinct (ignoring case) without reading every
 * member of the mesh: names by their ASCII-folded start, and the few names JavaScript must fold itself.
 */
const memberNames = `
CREATE INDEX members_active_name ON members (mesh_id, display_name COLLATE NOCASE) WHERE revoked_at IS NULL;
CREATE INDEX members_active_non_ascii ON members (mesh_id)
  WHERE revoked_at IS NULL AND display_name GLOB '*[^ -~]*';
`;

/**
 * Presence lookups routing makes on a node that does not hold the presence: by member, by session key,
 * and the heartbeat-stale ones of a node that died.
 */
const presenceLookups = `
CREATE INDEX presences_live_member ON presences (member_id) WHERE disconnected_at IS NULL;
CREATE INDEX presences_live_session ON presences (mesh_id, session_pubkey)
  WHERE disconnected_at IS NULL AND session_pubkey IS NOT NULL;
CREATE INDEX presences_live_ping ON presences (last_ping_at) WHERE disconnected_at IS NULL;
`;

/** Settings every node shares: the admin token's hash. */
const brokerSettings = `
CREATE TABLE broker_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** Shared key–value state and one context per member (protocol.md §6.1, §6.7). */
const stateContexts = `
CREATE TABLE state_entries (
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (mesh_id, key)
) WITHOUT ROWID;

CREATE TABLE contexts (
  member_id TEXT PRIMARY KEY REFERENCES members (id),
  id TEXT NOT NULL UNIQUE,
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  peer_name TEXT NOT NULL,
  summary TEXT NOT NULL,
  files_read TEXT NOT NULL DEFAULT '[]',
  key_findings TEXT NOT NULL DEFAULT '[]',
  tags TEXT NOT NULL DEFAULT '[]',
  updated_at INTEGER NOT NULL
);
CREATE INDEX contexts_mesh ON contexts (mesh_id, updated_at);
`;

/** Tasks (protocol.md §6.3): titles and results opaque (encrypted by our clients), newest first. */
const tasks = `
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  mesh_id TEXT NOT NULL,
  title TEXT NOT NULL,
  assignee TEXT,
  priority TEXT NOT NULL,
  tags TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'done')),
  created_by_member_id TEXT NOT NULL,
  created_by_name TEXT NOT NULL,
  claimed_by_member_id TEXT,
  claimed_by_name TEXT,
  result TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_mesh_created ON tasks (mesh_id, created_at DESC, id DESC);
`;

/** Leases (protocol.md §6.9a): one row per held resource of a mesh. */
const leases = `
CREATE TABLE leases (
  id TEXT PRIMARY KEY,
  mesh_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  member_id TEXT NOT NULL,
  holder_name TEXT NOT NULL,
  holder_pubkey TEXT NOT NULL,
  presence_id TEXT,
  reason TEXT NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  UNIQUE (mesh_id, resource)
);
CREATE INDEX leases_member ON leases (member_id, expires_at);
CREATE INDEX leases_presence ON leases (presence_id) WHERE presence_id IS NOT NULL;
CREATE INDEX leases_expiry ON leases (expires_at);
`;

/** Audit log (protocol.md §6.9b): a hash chain per mesh, seq from 1 without gaps. */
const audit = `
CREATE TABLE audit_log (
  mesh_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor_pubkey TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (mesh_id, seq)
);
`;

/**
 * Topics (protocol.md §6.4, §5.4): topics, their members and the sealed copies of their keys. Every mesh
 * gets its public `general` topic with all its active members (the owner as lead); the broker makes it
 * for meshes created later. The history is the topic's rows in `messages`.
 */
const topics = `
CREATE TABLE topics (
  id TEXT PRIMARY KEY,
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL CHECK (${oneOf("visibility", "public", "private", "dm")}),
  created_by_member_id TEXT,
  created_at INTEGER NOT NULL,
  key_id TEXT,
  UNIQUE (mesh_id, name)
);
CREATE TABLE topic_members (
  topic_id TEXT NOT NULL REFERENCES topics (id),
  member_id TEXT NOT NULL REFERENCES members (id),
  role TEXT NOT NULL CHECK (${oneOf("role", "lead", "member", "observer")}),
  joined_at INTEGER NOT NULL,
  last_read_at INTEGER,
  PRIMARY KEY (topic_id, member_id)
);
CREATE INDEX topic_members_member ON topic_members (member_id);
CREATE TABLE topic_keys (
  topic_id TEXT NOT NULL REFERENCES topics (id),
  member_id TEXT NOT NULL REFERENCES members (id),
  key_id TEXT NOT NULL,
  sealed_key TEXT NOT NULL,
  sealed_by TEXT NOT NULL,
  seal_sig TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (topic_id, member_id)
);
CREATE INDEX messages_topic ON messages (topic_id, seq) WHERE topic_id IS NOT NULL;

INSERT INTO topics (id, mesh_id, name, description, visibility, created_by_member_id, created_at, key_id)
  SELECT lower(hex(randomblob(16))), id, 'general', '', 'public', owner_member_id,
    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), NULL
  FROM meshes;
INSERT INTO topic_members (topic_id, member_id, role, joined_at, last_read_at)
  SELECT t.id, m.id, CASE WHEN m.id = ms.owner_member_id THEN 'lead' ELSE 'member' END, m.joined_at, NULL
  FROM topics t JOIN meshes ms ON ms.id = t.mesh_id JOIN members m ON m.mesh_id = t.mesh_id
  WHERE t.name = 'general' AND m.revoked_at IS NULL;
`;

/**
 * Files (protocol.md §6.6): metadata, sealed keys, the access log and download tokens. The bytes live
 * on disk beside the database (`store/blobs/disk.ts`).
 */
const files = `
CREATE TABLE files (
  id TEXT PRIMARY KEY,
  mesh_id TEXT NOT NULL,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  tags TEXT NOT NULL,
  persistent INTEGER NOT NULL,
  encrypted INTEGER NOT NULL,
  target_spec TEXT,
  uploader_member_id TEXT NOT NULL,
  uploader_name TEXT NOT NULL,
  owner_pubkey TEXT NOT NULL,
  uploaded_at INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE INDEX files_mesh_uploaded ON files (mesh_id, uploaded_at DESC, id DESC);
CREATE INDEX files_expiry ON files (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE file_keys (
  file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  member_pubkey TEXT NOT NULL,
  sealed_key TEXT NOT NULL,
  PRIMARY KEY (file_id, member_pubkey)
);
CREATE INDEX file_keys_member ON file_keys (member_pubkey);
CREATE TABLE file_accesses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  peer_name TEXT NOT NULL,
  accessed_at INTEGER NOT NULL
);
CREATE INDEX file_accesses_file ON file_accesses (file_id, seq);
CREATE TABLE file_tokens (
  token_hash TEXT PRIMARY KEY,
  file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  mesh_id TEXT NOT NULL,
  peer_name TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX file_tokens_expiry ON file_tokens (expires_at);
`;

/**
 * Scheduled messages (protocol.md §6.5): one row per entry, due at `deliver_at` while active; fired
 * messages carry `subtype` (`reminder`) to their pushes.
 */
const schedules = `
CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  mesh_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  target_spec TEXT NOT NULL,
  message TEXT NOT NULL,
  nonce TEXT,
  ciphertext TEXT,
  body_version INTEGER,
  priority TEXT NOT NULL,
  cron TEXT,
  deliver_at INTEGER NOT NULL,
  client_message_id TEXT,
  fired_count INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL CHECK (status IN ('active', 'done', 'cancelled')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX schedules_client_id ON schedules (mesh_id, member_id, client_message_id)
  WHERE client_message_id IS NOT NULL;
CREATE INDEX schedules_due ON schedules (deliver_at) WHERE status = 'active';
CREATE INDEX schedules_member ON schedules (mesh_id, member_id, deliver_at) WHERE status = 'active';
CREATE INDEX schedules_ended ON schedules (updated_at) WHERE status <> 'active';
ALTER TABLE messages ADD COLUMN subtype TEXT;
`;

/** Every SQLite migration, oldest first. Append only. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial", sql: initial },
  { version: 2, name: "health-probe", sql: healthProbe },
  { version: 3, name: "member-names", sql: memberNames },
  { version: 4, name: "presence-lookups", sql: presenceLookups },
  { version: 5, name: "broker-settings", sql: brokerSettings },
  { version: 6, name: "state-contexts", sql: stateContexts },
  { version: 7, name: "memory-skills", sql: SQLITE_MEMORY_SKILLS },
  { version: 8, name: "tasks-leases", sql: tasks + leases },
  { version: 9, name: "audit", sql: audit },
  { version: 10, name: "topics", sql: topics },
  { version: 11, name: "files", sql: files },
  { version: 12, name: "schedules", sql: schedules },
  { version: 13, name: "owned-rows", sql: SQLITE_OWNED_ROWS },
];

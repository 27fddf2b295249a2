/**
 * PostgreSQL schema history: the tables, constraints and indexes of the SQLite history
 * (`migrations/sqlite.ts`, whose notes hold here too), in PostgreSQL's types. Times are `BIGINT` epoch
 * milliseconds and ids `BIGSERIAL` (the adapter reads both back as JS numbers); flags are `BOOLEAN`;
 * groups, stats, profile and saved state are `JSONB`. Every text column uses the "C" collation, so
 * comparisons and ordering are by code point as in SQLite (the message id prefix lookup is a range scan
 * and `mesh_info` sorts group names), whatever the database's locale.
 */
import type { Migration } from "../../../migrations/migration.js";
import { POSTGRES_MEMORY_SKILLS } from "./memory-skills.js";
import { POSTGRES_OWNED_ROWS } from "./owned-rows.js";

const TEXT = `TEXT COLLATE "C"`;

const initial = `
CREATE TABLE meshes (
  id ${TEXT} PRIMARY KEY,
  name ${TEXT} NOT NULL,
  slug ${TEXT} NOT NULL,
  owner_member_id ${TEXT} NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE members (
  id ${TEXT} PRIMARY KEY,
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  pubkey ${TEXT} NOT NULL,
  display_name ${TEXT} NOT NULL,
  role ${TEXT} NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  default_groups JSONB NOT NULL DEFAULT '[]',
  joined_at BIGINT NOT NULL,
  revoked_at BIGINT,
  revoke_reason ${TEXT},
  saved JSONB,
  UNIQUE (mesh_id, pubkey)
);
-- What an invite claim reads to keep display names distinct: names by their ASCII-folded start, and the
-- few with characters outside printable ASCII.
CREATE INDEX members_active_name ON members (mesh_id, lower(display_name)) WHERE revoked_at IS NULL;
CREATE INDEX members_active_non_ascii ON members (mesh_id)
  WHERE revoked_at IS NULL AND display_name ~ '[^ -~]';

-- The mesh and its owner reference each other; the owner row is checked at commit.
ALTER TABLE meshes ADD CONSTRAINT meshes_owner_member_id_fkey
  FOREIGN KEY (owner_member_id) REFERENCES members (id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE invites (
  code ${TEXT} PRIMARY KEY,
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  role ${TEXT} NOT NULL CHECK (role IN ('member', 'admin')),
  max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
  uses INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
  expires_at BIGINT NOT NULL,
  inviter_pubkey ${TEXT} NOT NULL,
  invite_signature ${TEXT} NOT NULL,
  claim_hash ${TEXT} NOT NULL,
  encrypted_root_key ${TEXT} NOT NULL,
  nonce ${TEXT} NOT NULL,
  revoked_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX invites_mesh ON invites (mesh_id);

CREATE TABLE session_keys (
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  session_pubkey ${TEXT} NOT NULL,
  member_id ${TEXT} NOT NULL REFERENCES members (id),
  first_seen_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  PRIMARY KEY (mesh_id, session_pubkey)
);

CREATE TABLE presences (
  id ${TEXT} PRIMARY KEY,
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  member_id ${TEXT} NOT NULL REFERENCES members (id),
  node_id ${TEXT} NOT NULL,
  peer_role ${TEXT} NOT NULL CHECK (peer_role IN ('control-plane', 'session', 'service')),
  session_pubkey ${TEXT},
  session_id ${TEXT} NOT NULL,
  display_name ${TEXT} NOT NULL,
  cwd ${TEXT} NOT NULL,
  pid INTEGER NOT NULL,
  hostname ${TEXT},
  peer_type ${TEXT},
  channel ${TEXT},
  model ${TEXT},
  groups JSONB NOT NULL DEFAULT '[]',
  status ${TEXT} NOT NULL CHECK (status IN ('idle', 'working', 'dnd')),
  status_source ${TEXT} NOT NULL CHECK (status_source IN ('hook', 'manual', 'inferred')),
  status_at BIGINT NOT NULL,
  summary ${TEXT},
  stats JSONB,
  visible BOOLEAN NOT NULL,
  profile JSONB,
  connected_at BIGINT NOT NULL,
  last_ping_at BIGINT NOT NULL,
  lease ${TEXT} NOT NULL CHECK (lease IN ('online', 'offline')),
  disconnected_at BIGINT
);
CREATE INDEX presences_live ON presences (mesh_id, connected_at) WHERE disconnected_at IS NULL;
CREATE INDEX presences_node ON presences (node_id) WHERE disconnected_at IS NULL;
CREATE INDEX presences_disconnected ON presences (disconnected_at) WHERE disconnected_at IS NOT NULL;
CREATE INDEX presences_live_member ON presences (member_id) WHERE disconnected_at IS NULL;
CREATE INDEX presences_live_session ON presences (mesh_id, session_pubkey)
  WHERE disconnected_at IS NULL AND session_pubkey IS NOT NULL;
CREATE INDEX presences_live_ping ON presences (last_ping_at) WHERE disconnected_at IS NULL;

-- nonce and ciphertext become NULL once every delivery is finished (retention, protocol.md §4.6).
CREATE TABLE messages (
  seq BIGSERIAL PRIMARY KEY,
  id ${TEXT} NOT NULL UNIQUE,
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  sender_member_id ${TEXT} NOT NULL REFERENCES members (id),
  sender_presence_id ${TEXT} NOT NULL,
  sender_pubkey ${TEXT} NOT NULL,
  sender_name ${TEXT} NOT NULL,
  target_spec ${TEXT} NOT NULL,
  priority ${TEXT} NOT NULL CHECK (priority IN ('now', 'next', 'low')),
  nonce ${TEXT},
  ciphertext ${TEXT},
  body_version INTEGER,
  reply_to_id ${TEXT},
  client_message_id ${TEXT},
  request_fingerprint ${TEXT},
  topic_id ${TEXT},
  created_at BIGINT NOT NULL
);
CREATE INDEX messages_sender ON messages (sender_member_id, seq);
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_with_body ON messages (seq) WHERE ciphertext IS NOT NULL AND topic_id IS NULL;

-- A sequence never hands out an id twice: ids are the accept order, even after old rows are deleted.
CREATE TABLE deliveries (
  id BIGSERIAL PRIMARY KEY,
  message_seq BIGINT NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
  mesh_id ${TEXT} NOT NULL,
  recipient_kind ${TEXT} NOT NULL CHECK (recipient_kind IN ('member', 'session')),
  recipient_member_id ${TEXT} NOT NULL REFERENCES members (id),
  recipient_pubkey ${TEXT} NOT NULL,
  excluded_presence ${TEXT},
  priority ${TEXT} NOT NULL CHECK (priority IN ('now', 'next', 'low')),
  is_multicast BOOLEAN NOT NULL,
  state ${TEXT} NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'claimed', 'delivered', 'expired', 'cancelled')),
  claim_presence_id ${TEXT},
  claim_expires_at BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_offer_at BIGINT NOT NULL DEFAULT 0,
  delivered_at BIGINT
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
  mesh_id ${TEXT} NOT NULL,
  sender_member_id ${TEXT} NOT NULL,
  client_message_id ${TEXT} NOT NULL,
  fingerprint ${TEXT} NOT NULL,
  message_id ${TEXT} NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (mesh_id, sender_member_id, client_message_id)
);
CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE replay_signatures (
  signature ${TEXT} PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX replay_signatures_expiry ON replay_signatures (expires_at);

CREATE TABLE rate_buckets (
  key ${TEXT} PRIMARY KEY,
  tokens DOUBLE PRECISION NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX rate_buckets_updated ON rate_buckets (updated_at);

-- One row rewritten by probeWrite() to learn whether writes succeed again after a storage fault.
CREATE TABLE health_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at BIGINT NOT NULL
);
`;

/** Settings every node shares: the admin token's hash. */
const brokerSettings = `
CREATE TABLE broker_settings (
  name ${TEXT} PRIMARY KEY,
  value ${TEXT} NOT NULL
);
`;

/** Shared key–value state and one context per member (protocol.md §6.1, §6.7). */
const stateContexts = `
CREATE TABLE state_entries (
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  key ${TEXT} NOT NULL,
  value_json ${TEXT} NOT NULL,
  updated_by ${TEXT} NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (mesh_id, key)
);

CREATE TABLE contexts (
  member_id ${TEXT} PRIMARY KEY REFERENCES members (id),
  id ${TEXT} NOT NULL UNIQUE,
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  peer_name ${TEXT} NOT NULL,
  summary ${TEXT} NOT NULL,
  files_read JSONB NOT NULL DEFAULT '[]',
  key_findings JSONB NOT NULL DEFAULT '[]',
  tags JSONB NOT NULL DEFAULT '[]',
  updated_at BIGINT NOT NULL
);
CREATE INDEX contexts_mesh ON contexts (mesh_id, updated_at);
`;

/** Tasks (protocol.md §6.3): titles and results opaque (encrypted by our clients), newest first. */
const tasks = `
CREATE TABLE tasks (
  id ${TEXT} PRIMARY KEY,
  mesh_id ${TEXT} NOT NULL,
  title ${TEXT} NOT NULL,
  assignee ${TEXT},
  priority ${TEXT} NOT NULL,
  tags JSONB NOT NULL,
  status ${TEXT} NOT NULL CHECK (status IN ('open', 'claimed', 'done')),
  created_by_member_id ${TEXT} NOT NULL,
  created_by_name ${TEXT} NOT NULL,
  claimed_by_member_id ${TEXT},
  claimed_by_name ${TEXT},
  result ${TEXT},
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_mesh_created ON tasks (mesh_id, created_at DESC, id DESC);
`;

/** Leases (protocol.md §6.9a): one row per held resource of a mesh. */
const leases = `
CREATE TABLE leases (
  id ${TEXT} PRIMARY KEY,
  mesh_id ${TEXT} NOT NULL,
  resource ${TEXT} NOT NULL,
  member_id ${TEXT} NOT NULL,
  holder_name ${TEXT} NOT NULL,
  holder_pubkey ${TEXT} NOT NULL,
  presence_id ${TEXT},
  reason ${TEXT} NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  UNIQUE (mesh_id, resource)
);
CREATE INDEX leases_member ON leases (member_id, expires_at);
CREATE INDEX leases_presence ON leases (presence_id) WHERE presence_id IS NOT NULL;
CREATE INDEX leases_expiry ON leases (expires_at);
`;

/** Audit log (protocol.md §6.9b): a hash chain per mesh, seq from 1 without gaps. */
const audit = `
CREATE TABLE audit_log (
  mesh_id ${TEXT} NOT NULL,
  seq BIGINT NOT NULL,
  at BIGINT NOT NULL,
  actor_pubkey ${TEXT} NOT NULL,
  actor_name ${TEXT} NOT NULL,
  action ${TEXT} NOT NULL,
  target ${TEXT} NOT NULL,
  prev_hash ${TEXT} NOT NULL,
  hash ${TEXT} NOT NULL,
  PRIMARY KEY (mesh_id, seq)
);
`;

/** Topics (protocol.md §6.4, §5.4): as in the SQLite history. */
const topics = `
CREATE TABLE topics (
  id ${TEXT} PRIMARY KEY,
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  name ${TEXT} NOT NULL,
  description ${TEXT} NOT NULL DEFAULT '',
  visibility ${TEXT} NOT NULL CHECK (visibility IN ('public', 'private', 'dm')),
  created_by_member_id ${TEXT},
  created_at BIGINT NOT NULL,
  key_id ${TEXT},
  UNIQUE (mesh_id, name)
);
CREATE TABLE topic_members (
  topic_id ${TEXT} NOT NULL REFERENCES topics (id),
  member_id ${TEXT} NOT NULL REFERENCES members (id),
  role ${TEXT} NOT NULL CHECK (role IN ('lead', 'member', 'observer')),
  joined_at BIGINT NOT NULL,
  last_read_at BIGINT,
  PRIMARY KEY (topic_id, member_id)
);
CREATE INDEX topic_members_member ON topic_members (member_id);
CREATE TABLE topic_keys (
  topic_id ${TEXT} NOT NULL REFERENCES topics (id),
  member_id ${TEXT} NOT NULL REFERENCES members (id),
  key_id ${TEXT} NOT NULL,
  sealed_key ${TEXT} NOT NULL,
  sealed_by ${TEXT} NOT NULL,
  seal_sig ${TEXT} NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (topic_id, member_id)
);
CREATE INDEX messages_topic ON messages (topic_id, seq) WHERE topic_id IS NOT NULL;

INSERT INTO topics (id, mesh_id, name, description, visibility, created_by_member_id, created_at, key_id)
  SELECT md5(random()::text || clock_timestamp()::text || id), id, 'general', '', 'public', owner_member_id,
    (extract(epoch FROM clock_timestamp()) * 1000)::bigint, NULL
  FROM meshes;
INSERT INTO topic_members (topic_id, member_id, role, joined_at, last_read_at)
  SELECT t.id, m.id, CASE WHEN m.id = ms.owner_member_id THEN 'lead' ELSE 'member' END, m.joined_at, NULL
  FROM topics t JOIN meshes ms ON ms.id = t.mesh_id JOIN members m ON m.mesh_id = t.mesh_id
  WHERE t.name = 'general' AND m.revoked_at IS NULL;
`;

/**
 * Files (protocol.md §6.6): metadata, sealed keys, the access log, download tokens, and the bytes as
 * 1 MiB `bytea` chunks (`store/blobs/postgres.ts` says why), so every node serves every file. Chunks
 * are written before their file row exists, so they have no foreign key.
 */
const files = `
CREATE TABLE files (
  id ${TEXT} PRIMARY KEY,
  mesh_id ${TEXT} NOT NULL,
  name ${TEXT} NOT NULL,
  size BIGINT NOT NULL,
  tags JSONB NOT NULL,
  persistent BOOLEAN NOT NULL,
  encrypted BOOLEAN NOT NULL,
  target_spec ${TEXT},
  uploader_member_id ${TEXT} NOT NULL,
  uploader_name ${TEXT} NOT NULL,
  owner_pubkey ${TEXT} NOT NULL,
  uploaded_at BIGINT NOT NULL,
  expires_at BIGINT
);
CREATE INDEX files_mesh_uploaded ON files (mesh_id, uploaded_at DESC, id DESC);
CREATE INDEX files_expiry ON files (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE file_keys (
  file_id ${TEXT} NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  member_pubkey ${TEXT} NOT NULL,
  sealed_key ${TEXT} NOT NULL,
  PRIMARY KEY (file_id, member_pubkey)
);
CREATE INDEX file_keys_member ON file_keys (member_pubkey);
CREATE TABLE file_accesses (
  seq BIGSERIAL PRIMARY KEY,
  file_id ${TEXT} NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  peer_name ${TEXT} NOT NULL,
  accessed_at BIGINT NOT NULL
);
CREATE INDEX file_accesses_file ON file_accesses (file_id, seq);
CREATE TABLE file_tokens (
  token_hash ${TEXT} PRIMARY KEY,
  file_id ${TEXT} NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  mesh_id ${TEXT} NOT NULL,
  peer_name ${TEXT} NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX file_tokens_expiry ON file_tokens (expires_at);
CREATE TABLE file_chunks (
  file_id ${TEXT} NOT NULL,
  seq INTEGER NOT NULL,
  data BYTEA NOT NULL,
  written_at BIGINT NOT NULL,
  PRIMARY KEY (file_id, seq)
);
CREATE INDEX file_chunks_written ON file_chunks (written_at);
`;

/**
 * Scheduled messages (protocol.md §6.5): one row per entry, due at `deliver_at` while active; fired
 * messages carry `subtype` (`reminder`) to their pushes.
 */
const schedules = `
CREATE TABLE schedules (
  id ${TEXT} PRIMARY KEY,
  mesh_id ${TEXT} NOT NULL,
  member_id ${TEXT} NOT NULL,
  target_spec ${TEXT} NOT NULL,
  message ${TEXT} NOT NULL,
  nonce ${TEXT},
  ciphertext ${TEXT},
  body_version INTEGER,
  priority ${TEXT} NOT NULL,
  cron ${TEXT},
  deliver_at BIGINT NOT NULL,
  client_message_id ${TEXT},
  fired_count INTEGER NOT NULL DEFAULT 0,
  status ${TEXT} NOT NULL CHECK (status IN ('active', 'done', 'cancelled')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX schedules_client_id ON schedules (mesh_id, member_id, client_message_id)
  WHERE client_message_id IS NOT NULL;
CREATE INDEX schedules_due ON schedules (deliver_at) WHERE status = 'active';
CREATE INDEX schedules_member ON schedules (mesh_id, member_id, deliver_at) WHERE status = 'active';
CREATE INDEX schedules_ended ON schedules (updated_at) WHERE status <> 'active';
ALTER TABLE messages ADD COLUMN subtype ${TEXT};
`;

/**
 * Deliveries no longer reference their message through a foreign key. Rows of both are only ever written
 * together (one accept statement) and deleted together (the retention sweep deletes a message's deliveries
 * with it), and the key's check on every delivery insert locked the message row just inserted, which
 * wrote that lock to the log: a fifth of what accepting cost the server.
 */
const deliveriesWithoutMessageKey = `
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_message_seq_fkey;
`;

/** Every PostgreSQL migration, oldest first. Append only. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial", sql: initial },
  { version: 2, name: "broker-settings", sql: brokerSettings },
  { version: 3, name: "state-contexts", sql: stateContexts },
  { version: 4, name: "memory-skills", sql: POSTGRES_MEMORY_SKILLS },
  { version: 5, name: "tasks-leases", sql: tasks + leases },
  { version: 6, name: "audit", sql: audit },
  { version: 7, name: "topics", sql: topics },
  { version: 8, name: "files", sql: files },
  { version: 9, name: "schedules", sql: schedules },
  { version: 10, name: "deliveries-without-message-key", sql: deliveriesWithoutMessageKey },
  { version: 11, name: "owned-rows", sql: POSTGRES_OWNED_ROWS },
];

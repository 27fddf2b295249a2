/**
 * The tables of the memory (protocol.md §6.2) and skills (§6.8) families, per adapter.
 *
 * A memory is found one of two ways: a plaintext memory (reference clients) by full-text search over its
 * content (SQLite FTS5 with the Porter stemmer; PostgreSQL `tsvector` with the English configuration), an
 * encrypted one (ours) by its blind search tokens, one row per token in `memory_tokens`, keyed so that
 * "memories holding token T in mesh M" is one index range. Forgetting is a soft delete (`forgotten_at`).
 */

export const SQLITE_MEMORY_SKILLS = `
CREATE TABLE memories (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  content TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  member_id TEXT NOT NULL,
  remembered_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  forgotten_at INTEGER
);
CREATE INDEX memories_live ON memories (mesh_id, created_at) WHERE forgotten_at IS NULL;

CREATE TABLE memory_tokens (
  mesh_id TEXT NOT NULL,
  token TEXT NOT NULL,
  memory_id TEXT NOT NULL REFERENCES memories (id),
  PRIMARY KEY (mesh_id, token, memory_id)
) WITHOUT ROWID;

-- Contentless: the text lives in memories; rowid = memories.seq. Only plaintext memories are indexed.
-- Diacritics are kept, as PostgreSQL's english configuration keeps them ("café" is not "cafe").
CREATE VIRTUAL TABLE memories_fts USING fts5 (
  content, content = '', tokenize = 'porter unicode61 remove_diacritics 0'
);

CREATE TABLE skills (
  mesh_id TEXT NOT NULL REFERENCES meshes (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  instructions TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  member_id TEXT NOT NULL,
  author TEXT NOT NULL,
  manifest TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (mesh_id, name)
);
`;

const TEXT = `TEXT COLLATE "C"`;

export const POSTGRES_MEMORY_SKILLS = `
CREATE TABLE memories (
  seq BIGSERIAL PRIMARY KEY,
  id ${TEXT} NOT NULL UNIQUE,
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  content TEXT NOT NULL,
  tags JSONB NOT NULL DEFAULT '[]',
  member_id ${TEXT} NOT NULL,
  remembered_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  forgotten_at BIGINT,
  -- to_tsvector('english', content) for plaintext memories, NULL for encrypted ones.
  search TSVECTOR
);
CREATE INDEX memories_live ON memories (mesh_id, created_at) WHERE forgotten_at IS NULL;
CREATE INDEX memories_search ON memories USING GIN (search);

CREATE TABLE memory_tokens (
  mesh_id ${TEXT} NOT NULL,
  token ${TEXT} NOT NULL,
  memory_id ${TEXT} NOT NULL REFERENCES memories (id),
  PRIMARY KEY (mesh_id, token, memory_id)
);

CREATE TABLE skills (
  mesh_id ${TEXT} NOT NULL REFERENCES meshes (id),
  name ${TEXT} NOT NULL,
  description TEXT NOT NULL,
  instructions TEXT NOT NULL,
  tags JSONB NOT NULL DEFAULT '[]',
  member_id ${TEXT} NOT NULL,
  author TEXT NOT NULL,
  manifest JSONB,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (mesh_id, name)
);
`;

/** Shared key–value state and per-member contexts (protocol.md §6.1, §6.7) on SQLite. */
import { z } from "zod";
import type { ContextRow, StateRow, StateStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";
import { readJson } from "./json.js";

const Strings = z.array(z.string());

interface StateDbRow {
  key: string;
  value_json: string;
  updated_by: string;
  updated_at: number;
}

interface ContextDbRow {
  id: string;
  mesh_id: string;
  member_id: string;
  peer_name: string;
  summary: string;
  files_read: string;
  key_findings: string;
  tags: string;
  updated_at: number;
}

function toState(row: StateDbRow): StateRow {
  return { key: row.key, valueJson: row.value_json, updatedBy: row.updated_by, updatedAt: row.updated_at };
}

function toContext(row: ContextDbRow): ContextRow {
  return {
    id: row.id,
    meshId: row.mesh_id,
    memberId: row.member_id,
    peerName: row.peer_name,
    summary: row.summary,
    filesRead: readJson(row.files_read, Strings),
    keyFindings: readJson(row.key_findings, Strings),
    tags: readJson(row.tags, Strings),
    updatedAt: row.updated_at,
  };
}

const STATE_COLUMNS = "key, value_json, updated_by, updated_at";
const CONTEXT_COLUMNS =
  "id, mesh_id, member_id, peer_name, summary, files_read, key_findings, tags, updated_at";

export function stateMethods(ctx: SqliteContext): StateStore {
  const q = ctx.statements((db) => ({
    set: db.prepare<{ mesh: string; member: string } & StateDbRow>(
      `INSERT INTO state_entries (mesh_id, key, value_json, updated_by, updated_by_member_id, updated_at)
       VALUES (@mesh, @key, @value_json, @updated_by, @member, @updated_at)
       ON CONFLICT (mesh_id, key) DO UPDATE SET
         value_json = excluded.value_json, updated_by = excluded.updated_by,
         updated_by_member_id = excluded.updated_by_member_id, updated_at = excluded.updated_at`,
    ),
    get: db.prepare<[string, string], StateDbRow>(
      `SELECT ${STATE_COLUMNS} FROM state_entries WHERE mesh_id = ? AND key = ?`,
    ),
    list: db.prepare<[string], StateDbRow>(
      `SELECT ${STATE_COLUMNS} FROM state_entries WHERE mesh_id = ? ORDER BY key`,
    ),
    keys: db
      .prepare<[string], string>(`SELECT key FROM state_entries WHERE mesh_id = ? ORDER BY key`)
      .pluck(),
    share: db
      .prepare<ContextDbRow, string>(
        `INSERT INTO contexts (${CONTEXT_COLUMNS})
         VALUES (@id, @mesh_id, @member_id, @peer_name, @summary, @files_read, @key_findings, @tags, @updated_at)
         ON CONFLICT (member_id) DO UPDATE SET
           peer_name = excluded.peer_name, summary = excluded.summary, files_read = excluded.files_read,
           key_findings = excluded.key_findings, tags = excluded.tags, updated_at = excluded.updated_at
         RETURNING id`,
      )
      .pluck(),
    contexts: db.prepare<[string], ContextDbRow>(
      `SELECT ${CONTEXT_COLUMNS} FROM contexts WHERE mesh_id = ? ORDER BY updated_at DESC, id`,
    ),
  }));

  return {
    async setState(meshId, row, memberId) {
      q().set.run({
        mesh: meshId,
        member: memberId,
        key: row.key,
        value_json: row.valueJson,
        updated_by: row.updatedBy,
        updated_at: row.updatedAt,
      });
    },
    async getState(meshId, key) {
      const row = q().get.get(meshId, key);
      return row === undefined ? null : toState(row);
    },
    async listState(meshId) {
      return q().list.all(meshId).map(toState);
    },
    async stateKeys(meshId) {
      return q().keys.all(meshId);
    },
    async shareContext(row) {
      const id = q().share.get({
        id: row.id,
        mesh_id: row.meshId,
        member_id: row.memberId,
        peer_name: row.peerName,
        summary: row.summary,
        files_read: JSON.stringify(row.filesRead),
        key_findings: JSON.stringify(row.keyFindings),
        tags: JSON.stringify(row.tags),
        updated_at: row.updatedAt,
      });
      return id ?? row.id;
    },
    async listContexts(meshId) {
      return q().contexts.all(meshId).map(toContext);
    },
  };
}

/** Shared key–value state and per-member contexts (protocol.md §6.1, §6.7) on PostgreSQL. */
import { z } from "zod";
import type { ContextRow, StateRow, StateStore } from "../port/index.js";
import type { PgContext } from "./db.js";
import { jsonb } from "./members.js";

const Strings = z.array(z.string());

interface ContextDbRow {
  id: string;
  meshId: string;
  memberId: string;
  peerName: string;
  summary: string;
  filesRead: unknown;
  keyFindings: unknown;
  tags: unknown;
  updatedAt: number;
}

function toContext(row: ContextDbRow): ContextRow {
  return {
    ...row,
    filesRead: Strings.parse(row.filesRead),
    keyFindings: Strings.parse(row.keyFindings),
    tags: Strings.parse(row.tags),
  };
}

export function stateMethods(ctx: PgContext): StateStore {
  return {
    async setState(meshId, row, memberId) {
      // One statement: concurrent writers of a key on any node serialize on its row; the last one wins.
      await ctx.run(
        false,
        (db) => db`
          INSERT INTO state_entries (mesh_id, key, value_json, updated_by, updated_by_member_id, updated_at)
          VALUES (${meshId}, ${row.key}, ${row.valueJson}, ${row.updatedBy}, ${memberId}, ${row.updatedAt})
          ON CONFLICT (mesh_id, key) DO UPDATE SET
            value_json = excluded.value_json, updated_by = excluded.updated_by,
            updated_by_member_id = excluded.updated_by_member_id, updated_at = excluded.updated_at`,
      );
    },
    async getState(meshId, key) {
      const [row] = await ctx.run(
        false,
        (db) => db<StateRow[]>`
          SELECT key, value_json, updated_by, updated_at FROM state_entries
          WHERE mesh_id = ${meshId} AND key = ${key}`,
      );
      return row ?? null;
    },
    async listState(meshId) {
      return ctx.run(
        false,
        (db) => db<StateRow[]>`
          SELECT key, value_json, updated_by, updated_at FROM state_entries
          WHERE mesh_id = ${meshId} ORDER BY key`,
      );
    },
    async stateKeys(meshId) {
      const rows = await ctx.run(
        false,
        (db) => db<{ key: string }[]>`SELECT key FROM state_entries WHERE mesh_id = ${meshId} ORDER BY key`,
      );
      return rows.map((r) => r.key);
    },
    async shareContext(row) {
      const [kept] = await ctx.run(
        false,
        (db) => db<{ id: string }[]>`
          INSERT INTO contexts
            (id, mesh_id, member_id, peer_name, summary, files_read, key_findings, tags, updated_at)
          VALUES (${row.id}, ${row.meshId}, ${row.memberId}, ${row.peerName}, ${row.summary},
                  ${jsonb(db, row.filesRead)}, ${jsonb(db, row.keyFindings)}, ${jsonb(db, row.tags)},
                  ${row.updatedAt})
          ON CONFLICT (member_id) DO UPDATE SET
            peer_name = excluded.peer_name, summary = excluded.summary, files_read = excluded.files_read,
            key_findings = excluded.key_findings, tags = excluded.tags, updated_at = excluded.updated_at
          RETURNING id`,
      );
      return kept?.id ?? row.id;
    },
    async listContexts(meshId) {
      const rows = await ctx.run(
        false,
        (db) => db<ContextDbRow[]>`
          SELECT id, mesh_id, member_id, peer_name, summary, files_read, key_findings, tags, updated_at
          FROM contexts WHERE mesh_id = ${meshId} ORDER BY updated_at DESC, id`,
      );
      return rows.map(toContext);
    },
  };
}

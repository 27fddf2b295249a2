import { z } from "zod";
import type { SkillStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";
import { readJson, readNullableJson } from "./json.js";

const Tags = z.array(z.string());
const Manifest = z.record(z.string(), z.unknown());

interface SkillDbRow {
  mesh_id: string;
  name: string;
  description: string;
  instructions: string;
  tags: string;
  member_id: string;
  author: string;
  manifest: string | null;
  created_at: number;
}

/** The skills family (protocol.md §6.8) on SQLite. */
export function skillMethods(ctx: SqliteContext): SkillStore {
  const q = ctx.statements((db) => {
    const exists = db
      .prepare<[string, string], number>("SELECT 1 FROM skills WHERE mesh_id = ? AND name = ?")
      .pluck();
    const count = db.prepare<[string], number>("SELECT COUNT(*) FROM skills WHERE mesh_id = ?").pluck();
    const upsert = db.prepare(
      `INSERT INTO skills (mesh_id, name, description, instructions, tags, member_id, author, manifest, created_at)
       VALUES (@mesh_id, @name, @description, @instructions, @tags, @member_id, @author, @manifest, @created_at)
       ON CONFLICT (mesh_id, name) DO UPDATE SET
         description = excluded.description, instructions = excluded.instructions, tags = excluded.tags,
         member_id = excluded.member_id, author = excluded.author, manifest = excluded.manifest,
         created_at = excluded.created_at`,
    );
    return {
      // One write transaction: the count check and the insert see the same rows.
      upsert: ctx.atomic((row: SkillDbRow, max: number): boolean => {
        if (exists.get(row.mesh_id, row.name) === undefined && (count.get(row.mesh_id) ?? 0) >= max) {
          return false;
        }
        upsert.run(row);
        return true;
      }),
      get: db.prepare<[string, string], SkillDbRow>("SELECT * FROM skills WHERE mesh_id = ? AND name = ?"),
      list: db.prepare<[string], SkillDbRow>(
        "SELECT mesh_id, name, description, tags, author, created_at FROM skills WHERE mesh_id = ? ORDER BY name",
      ),
      remove: db.prepare("DELETE FROM skills WHERE mesh_id = ? AND name = ?"),
    };
  });

  return {
    async upsertSkill(s, maxPerMesh) {
      return q().upsert(
        {
          mesh_id: s.meshId,
          name: s.name,
          description: s.description,
          instructions: s.instructions,
          tags: JSON.stringify(s.tags),
          member_id: s.memberId,
          author: s.author,
          manifest: s.manifest === null ? null : JSON.stringify(s.manifest),
          created_at: s.createdAt,
        },
        maxPerMesh,
      );
    },
    async getSkill(meshId, name) {
      const row = q().get.get(meshId, name);
      if (!row) return null;
      return {
        meshId: row.mesh_id,
        name: row.name,
        description: row.description,
        instructions: row.instructions,
        tags: readJson(row.tags, Tags),
        memberId: row.member_id,
        author: row.author,
        manifest: readNullableJson(row.manifest, Manifest),
        createdAt: row.created_at,
      };
    },
    async listSkills(meshId) {
      return q()
        .list.all(meshId)
        .map((row) => ({
          meshId: row.mesh_id,
          name: row.name,
          description: row.description,
          tags: readJson(row.tags, Tags),
          author: row.author,
          createdAt: row.created_at,
        }));
    },
    async removeSkill(meshId, name) {
      return q().remove.run(meshId, name).changes > 0;
    },
  };
}

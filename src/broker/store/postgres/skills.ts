import { z } from "zod";
import type { SkillListing, SkillStore } from "../port/index.js";
import type { PgContext } from "./db.js";
import { jsonb } from "./members.js";

const Tags = z.array(z.string());
const Manifest = z.record(z.string(), z.unknown()).nullable();

interface SkillDbRow {
  meshId: string;
  name: string;
  description: string;
  instructions: string;
  tags: unknown;
  memberId: string;
  author: string;
  manifest: unknown;
  createdAt: number;
}

/** The skills family (protocol.md §6.8) on PostgreSQL. */
export function skillMethods(ctx: PgContext): SkillStore {
  return {
    async upsertSkill(s, maxPerMesh) {
      // Replacing is always allowed; a new name only below the limit. Two nodes adding new names at the
      // same instant may both pass the count: the limit is a guard against runaway use, not an invariant.
      const rows = await ctx.run(
        false,
        (db) => db`
          INSERT INTO skills (mesh_id, name, description, instructions, tags, member_id, author, manifest, created_at)
          SELECT ${s.meshId}, ${s.name}, ${s.description}, ${s.instructions}, ${jsonb(db, s.tags)}, ${s.memberId},
                 ${s.author}, ${jsonb(db, s.manifest)}, ${s.createdAt}
          WHERE EXISTS (SELECT 1 FROM skills WHERE mesh_id = ${s.meshId} AND name = ${s.name})
             OR (SELECT COUNT(*) FROM skills WHERE mesh_id = ${s.meshId}) < ${maxPerMesh}
          ON CONFLICT (mesh_id, name) DO UPDATE SET
            description = EXCLUDED.description, instructions = EXCLUDED.instructions, tags = EXCLUDED.tags,
            member_id = EXCLUDED.member_id, author = EXCLUDED.author, manifest = EXCLUDED.manifest,
            created_at = EXCLUDED.created_at
          RETURNING 1`,
      );
      return rows.length > 0;
    },
    async getSkill(meshId, name) {
      const [row] = await ctx.run(
        false,
        (db) => db<SkillDbRow[]>`SELECT * FROM skills WHERE mesh_id = ${meshId} AND name = ${name}`,
      );
      if (!row) return null;
      return {
        meshId: row.meshId,
        name: row.name,
        description: row.description,
        instructions: row.instructions,
        tags: Tags.parse(row.tags),
        memberId: row.memberId,
        author: row.author,
        manifest: Manifest.parse(row.manifest),
        createdAt: row.createdAt,
      };
    },
    async listSkills(meshId) {
      const rows = await ctx.run(
        false,
        (db) => db<Omit<SkillDbRow, "instructions" | "manifest" | "memberId">[]>`
          SELECT mesh_id, name, description, tags, author, created_at FROM skills
          WHERE mesh_id = ${meshId} ORDER BY name`,
      );
      return rows.map((row): SkillListing => ({
        meshId: row.meshId,
        name: row.name,
        description: row.description,
        tags: Tags.parse(row.tags),
        author: row.author,
        createdAt: row.createdAt,
      }));
    },
    async removeSkill(meshId, name) {
      const rows = await ctx.run(
        false,
        (db) => db`DELETE FROM skills WHERE mesh_id = ${meshId} AND name = ${name} RETURNING 1`,
      );
      return rows.length > 0;
    },
  };
}

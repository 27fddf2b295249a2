/** skills (protocol.md §6.8): share (upsert by name), get, list (substring search), remove. */
import { ErrorCode, MAX_SKILLS_PER_MESH, type SkillSummary } from "../../protocol/index.js";
import { withinRowQuota } from "../row-quota.js";
import type { SkillListing } from "../store/port/index.js";
import type { HandlerTable } from "./types.js";

function summary(row: SkillListing): SkillSummary {
  return {
    name: row.name,
    description: row.description,
    tags: row.tags,
    author: row.author,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/**
 * Case-insensitive substring match on name, description and tags. Done here rather than in SQL so both
 * adapters fold case the same way (SQLite's `lower()` folds ASCII only); a mesh holds few skills.
 */
function matches(row: SkillListing, needle: string): boolean {
  const fold = (s: string) => s.toLocaleLowerCase("en-US");
  return [row.name, row.description, ...row.tags].some((field) => fold(field).includes(needle));
}

export const skillHandlers: Pick<HandlerTable, "share_skill" | "get_skill" | "list_skills" | "remove_skill"> =
  {
    async share_skill(args, frame) {
      const { ctx, conn, presence } = args;
      const share = () =>
        ctx.store.upsertSkill(
          {
            meshId: presence.meshId,
            name: frame.name,
            description: frame.description,
            instructions: frame.instructions,
            tags: frame.tags ?? [],
            memberId: presence.memberId,
            author: presence.displayName,
            manifest: frame.manifest ?? null,
            createdAt: Date.now(),
          },
          MAX_SKILLS_PER_MESH,
        );
      const shared = await withinRowQuota(args, frame, "skills", frame.name, share);
      if (!shared) return;
      if (!shared.value) {
        conn.error(
          frame,
          ErrorCode.limit,
          `this mesh already holds ${MAX_SKILLS_PER_MESH} skills; remove one before sharing a new name`,
        );
        return;
      }
      conn.reply(frame, { type: "skill_ack", name: frame.name, action: "shared" });
    },

    async get_skill({ ctx, conn, presence }, frame) {
      const row = await ctx.store.getSkill(presence.meshId, frame.name);
      conn.reply(frame, {
        type: "skill_data",
        skill:
          row === null
            ? null
            : {
                ...summary(row),
                instructions: row.instructions,
                ...(row.manifest === null ? {} : { manifest: row.manifest }),
              },
      });
    },

    async list_skills({ ctx, conn, presence }, frame) {
      const needle = (frame.query ?? "").trim().toLocaleLowerCase("en-US");
      const rows = await ctx.store.listSkills(presence.meshId);
      const found = needle === "" ? rows : rows.filter((row) => matches(row, needle));
      conn.reply(frame, { type: "skill_list", skills: found.map(summary) });
    },

    async remove_skill({ ctx, conn, presence }, frame) {
      const removed = await ctx.store.removeSkill(presence.meshId, frame.name);
      conn.reply(frame, { type: "skill_ack", name: frame.name, action: removed ? "removed" : "not_found" });
    },
  };

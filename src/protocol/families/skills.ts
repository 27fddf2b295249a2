/**
 * skills (protocol.md §6.8): `share_skill` (upsert by name), `get_skill`, `list_skills`, `remove_skill`.
 * Our clients send `instructions` as a `cm:enc1:` envelope (§5.8); name, description and tags are plaintext
 * metadata the broker searches.
 */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { reqId, replyReqId } from "../fields.js";

/**
 * Skill names [ours]: 1–64 characters of letters, digits, `.`, `_` and `-`, starting with a letter or digit,
 * so a name is usable as an MCP prompt name and in `skill://claudemesh/<name>` as it is.
 */
export const SKILL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SKILL_DESCRIPTION_MAX_CHARS = 1_024;
/** The longest `instructions`, in characters (an encrypted envelope of ~96 KiB of text fits). */
export const SKILL_INSTRUCTIONS_MAX_CHARS = 131_072;
export const SKILL_MAX_TAGS = 32;
export const SKILL_TAG_MAX_CHARS = 64;
/** The longest `manifest`, as JSON text in UTF-8 bytes. */
export const SKILL_MANIFEST_MAX_BYTES = 16_384;
export const SKILL_QUERY_MAX_CHARS = 256;
/** Skills one mesh may hold [ours]; one more is refused with `limit`. */
export const MAX_SKILLS_PER_MESH = 500;

export const SkillName = z
  .string()
  .regex(
    SKILL_NAME_PATTERN,
    "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
  );
const SkillTags = z.array(z.string().min(1).max(SKILL_TAG_MAX_CHARS)).max(SKILL_MAX_TAGS);
/** Opaque JSON (`when_to_use`, `allowed_tools`, `model`, …), kept as given. */
const Manifest = z
  .record(z.string(), z.unknown())
  .refine(
    (m) => new TextEncoder().encode(JSON.stringify(m)).length <= SKILL_MANIFEST_MAX_BYTES,
    `must be at most ${SKILL_MANIFEST_MAX_BYTES} bytes of JSON`,
  );

export const ShareSkillFrame = z.object({
  type: z.literal("share_skill"),
  name: SkillName,
  description: z.string().max(SKILL_DESCRIPTION_MAX_CHARS),
  instructions: z.string().min(1).max(SKILL_INSTRUCTIONS_MAX_CHARS),
  tags: SkillTags.optional(),
  manifest: Manifest.optional(),
  _reqId: reqId,
});
export const GetSkillFrame = z.object({
  type: z.literal("get_skill"),
  name: z.string().max(64),
  _reqId: reqId,
});
export const ListSkillsFrame = z.object({
  type: z.literal("list_skills"),
  query: z.string().max(SKILL_QUERY_MAX_CHARS).optional(),
  _reqId: reqId,
});
export const RemoveSkillFrame = z.object({
  type: z.literal("remove_skill"),
  name: z.string().max(64),
  _reqId: reqId,
});

export const SkillAck = z.object({
  type: z.literal("skill_ack"),
  name: z.string(),
  action: z.enum(["shared", "removed", "not_found"]),
  _reqId: replyReqId,
});
export type SkillAck = z.infer<typeof SkillAck>;

export const SkillSummary = z.object({
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  /** The sharer's display name. */
  author: z.string(),
  /** ISO-8601: when this version was shared (a re-share replaces the skill). */
  createdAt: z.string(),
});
export type SkillSummary = z.infer<typeof SkillSummary>;

export const SkillDetail = SkillSummary.extend({
  instructions: z.string(),
  manifest: z.record(z.string(), z.unknown()).optional(),
});
export type SkillDetail = z.infer<typeof SkillDetail>;

export const SkillData = z.object({
  type: z.literal("skill_data"),
  skill: SkillDetail.nullable(),
  _reqId: replyReqId,
});
export type SkillData = z.infer<typeof SkillData>;

export const SkillList = z.object({
  type: z.literal("skill_list"),
  skills: z.array(SkillSummary),
  _reqId: replyReqId,
});
export type SkillList = z.infer<typeof SkillList>;

export const skillRequests = [ShareSkillFrame, GetSkillFrame, ListSkillsFrame, RemoveSkillFrame] as const;
type SkillRequestType = z.infer<(typeof skillRequests)[number]>["type"];

export const skillReplies = {
  share_skill: SkillAck,
  get_skill: SkillData,
  list_skills: SkillList,
  remove_skill: SkillAck,
} as const satisfies ReplyTable<SkillRequestType>;

/**
 * Inputs of the memory and skills endpoints (`/v1/memory`, `/v1/skills`). Lengths here are of the
 * plaintext: the daemon encrypts before anything leaves, and the broker's limits (protocol.md §6.2, §6.8)
 * are on the envelope, which is about 4/3 of the text plus 42 characters.
 */
import { z } from "zod";
import {
  MEMORY_MAX_TAGS,
  MEMORY_QUERY_MAX_CHARS,
  MEMORY_TAG_MAX_CHARS,
  SKILL_DESCRIPTION_MAX_CHARS,
  SKILL_MAX_TAGS,
  SKILL_NAME_PATTERN,
  SKILL_QUERY_MAX_CHARS,
  SKILL_TAG_MAX_CHARS,
} from "../protocol/index.js";

/** The longest memory text, in UTF-8 bytes, whose envelope fits the broker's content limit. */
export const MEMORY_TEXT_MAX_BYTES = 48_000;
/** The longest skill instructions, in UTF-8 bytes, whose envelope fits the broker's limit. */
export const SKILL_TEXT_MAX_BYTES = 96_000;

const Mesh = z.string().min(1).optional();
const SkillName = z
  .string()
  .regex(
    SKILL_NAME_PATTERN,
    "a skill name is 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
  );
const bytesAtMost = (max: number, empty: string, tooLong: string) =>
  z
    .string()
    .refine((s) => s.trim() !== "", empty)
    .refine((s) => Buffer.byteLength(s) <= max, tooLong);

export const MEMORY_SKILL_SCHEMAS = {
  remember: z.object({
    content: bytesAtMost(
      MEMORY_TEXT_MAX_BYTES,
      "the memory is empty",
      `the memory is longer than ${MEMORY_TEXT_MAX_BYTES} bytes`,
    ),
    tags: z.array(z.string().min(1).max(MEMORY_TAG_MAX_CHARS)).max(MEMORY_MAX_TAGS).optional(),
    mesh: Mesh,
  }),
  recall: z.object({ query: z.string().min(1).max(MEMORY_QUERY_MAX_CHARS), mesh: Mesh }),
  forget: z.object({ id: z.string().min(1).max(128), mesh: Mesh }),
  shareSkill: z.object({
    name: SkillName,
    description: z.string().max(SKILL_DESCRIPTION_MAX_CHARS).optional(),
    instructions: bytesAtMost(
      SKILL_TEXT_MAX_BYTES,
      "the skill has no instructions",
      `the skill's instructions are longer than ${SKILL_TEXT_MAX_BYTES} bytes`,
    ),
    tags: z.array(z.string().min(1).max(SKILL_TAG_MAX_CHARS)).max(SKILL_MAX_TAGS).optional(),
    manifest: z.record(z.string(), z.unknown()).optional(),
    mesh: Mesh,
  }),
  listSkills: z.object({ query: z.string().max(SKILL_QUERY_MAX_CHARS).optional(), mesh: Mesh }),
  // Any stored name may be read or removed (a reference client's may not follow our naming rule).
  getSkill: z.object({ name: z.string().min(1).max(64), mesh: Mesh }),
  removeSkill: z.object({ name: z.string().min(1).max(64), mesh: Mesh }),
};

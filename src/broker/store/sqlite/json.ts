import { z } from "zod";
import { GroupRef, Profile, Stats } from "../../../protocol/index.js";
import type { SavedState } from "../port/index.js";

/** JSON columns are validated on the way out, so a hand-edited row fails loudly instead of leaking. */
export function readJson<T>(text: string, schema: z.ZodType<T>): T {
  return schema.parse(JSON.parse(text));
}

export function readNullableJson<T>(text: string | null, schema: z.ZodType<T>): T | null {
  return text === null ? null : readJson(text, schema);
}

export function writeNullableJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export const GroupList = z.array(GroupRef);
export { Profile, Stats };

export const SavedStateSchema: z.ZodType<SavedState> = z.object({
  groups: GroupList.optional(),
  summary: z.string().nullable().optional(),
  displayName: z.string().optional(),
  profile: Profile.optional(),
  visible: z.boolean().optional(),
  stats: z
    .object({ messagesIn: z.number(), messagesOut: z.number(), toolCalls: z.number(), errors: z.number() })
    .optional(),
  lastSeenAt: z.number().optional(),
});

/**
 * Schemas of the JSON a store keeps in columns (groups, profile, stats, a member's saved state). Every
 * adapter validates them on the way out, so a hand-edited row fails loudly instead of leaking.
 */
import { z } from "zod";
import { GroupRef, Profile, Stats } from "../../protocol/index.js";
import type { SavedState } from "./port/index.js";

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

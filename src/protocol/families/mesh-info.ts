/** `mesh_info` (protocol.md §6.9): the mesh at a glance for the asking presence. */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { GroupRef, reqId, replyReqId } from "../fields.js";

export const MeshInfoFrame = z.object({ type: z.literal("mesh_info"), _reqId: reqId });

export const MeshInfoResult = z.object({
  type: z.literal("mesh_info_result"),
  /** The mesh id. */
  mesh: z.string(),
  /** Presences the caller may see (online or in grace). */
  peers: z.number().int().nonnegative(),
  /** Groups those presences are in, as `@name`. */
  groups: z.array(z.string()),
  stateKeys: z.array(z.string()),
  memoryCount: z.number().int().nonnegative(),
  fileCount: z.number().int().nonnegative(),
  tasks: z.object({
    open: z.number().int().nonnegative(),
    claimed: z.number().int().nonnegative(),
    done: z.number().int().nonnegative(),
  }),
  /** LATER families: always empty. */
  streams: z.array(z.string()),
  tables: z.array(z.string()),
  collections: z.array(z.string()),
  yourName: z.string(),
  yourGroups: z.array(GroupRef),
  _reqId: replyReqId,
});
export type MeshInfoResult = z.infer<typeof MeshInfoResult>;

export const meshInfoRequests = [MeshInfoFrame] as const;
type MeshInfoRequestType = z.infer<(typeof meshInfoRequests)[number]>["type"];

export const meshInfoReplies = {
  mesh_info: MeshInfoResult,
} as const satisfies ReplyTable<MeshInfoRequestType>;

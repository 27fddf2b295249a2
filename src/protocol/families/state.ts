/**
 * Shared key–value state (protocol.md §6.1): `set_state` (fire-and-forget, §1.9), `get_state`,
 * `list_state`, and the `state_change` push every other live presence gets. Values are any JSON; our
 * clients send encrypted envelopes (§5.8), reference clients plaintext.
 */
import { z } from "zod";
import { OkReply, type ReplyTable } from "../envelope.js";
import { reqId, replyReqId } from "../fields.js";

/** Longest state key, in characters (§8). */
export const STATE_KEY_MAX_CHARS = 256;
/** Largest serialized state value, in UTF-8 bytes of its JSON text (§8) [ours]. */
export const STATE_VALUE_MAX_BYTES = 32_768;

export const StateKey = z.string().min(1).max(STATE_KEY_MAX_CHARS);

/** Any JSON value; its size is checked by the handler so an oversized one gets `too_large`. */
const JsonValue = z.unknown().refine((v) => v !== undefined, "required");

export const SetStateFrame = z.object({
  type: z.literal("set_state"),
  key: StateKey,
  value: JsonValue,
  _reqId: reqId,
});
export const GetStateFrame = z.object({ type: z.literal("get_state"), key: StateKey, _reqId: reqId });
export const ListStateFrame = z.object({ type: z.literal("list_state"), _reqId: reqId });

export const StateEntry = z.object({
  key: z.string(),
  value: z.unknown(),
  /** The writer's display name ("" for a missing key). */
  updatedBy: z.string(),
  /** ISO-8601 ("" for a missing key). */
  updatedAt: z.string(),
});
export type StateEntry = z.infer<typeof StateEntry>;

export const StateResult = StateEntry.extend({ type: z.literal("state_result"), _reqId: replyReqId });
export type StateResult = z.infer<typeof StateResult>;

export const StateList = z.object({
  type: z.literal("state_list"),
  entries: z.array(StateEntry),
  _reqId: replyReqId,
});
export type StateList = z.infer<typeof StateList>;

/** Pushed to every other live presence of the mesh after a `set_state` or a `share_context` (§6.1, §6.7). */
export const StateChangeFrame = z.object({
  type: z.literal("state_change"),
  key: z.string(),
  value: z.unknown(),
  updatedBy: z.string(),
  /** [ours, additive] When the write happened (ISO-8601). */
  updatedAt: z.string().optional(),
});
export type StateChangeFrame = z.infer<typeof StateChangeFrame>;

export const stateRequests = [SetStateFrame, GetStateFrame, ListStateFrame] as const;
type StateRequestType = z.infer<(typeof stateRequests)[number]>["type"];

export const stateReplies = {
  set_state: OkReply,
  get_state: StateResult,
  list_state: StateList,
} as const satisfies ReplyTable<StateRequestType>;

/**
 * Broker frames every family shares: the envelope the client checks first, `error` (§1.4) and `ok`
 * (§1.9), and the types a family file uses to pair its requests with their replies.
 */
import { z } from "zod";
import { replyReqId } from "./fields.js";

/** Any broker frame; the client validates the envelope and the shapes it relies on. */
export const BrokerFrameEnvelope = z.looseObject({ type: z.string(), _reqId: z.string().optional() });
export type BrokerFrameEnvelope = z.infer<typeof BrokerFrameEnvelope>;

export const ErrorFrame = z.object({
  type: z.literal("error"),
  code: z.string(),
  message: z.string(),
  id: z.string().optional(),
  serverTime: z.number().optional(),
  _reqId: replyReqId,
});
export type ErrorFrame = z.infer<typeof ErrorFrame>;

/** Success of a fire-and-forget request, sent only to connections with capability `ok_replies` (§1.9). */
export const OkReply = z.object({ type: z.literal("ok"), _reqId: replyReqId });
export type OkReply = z.infer<typeof OkReply>;

/** The reply of a request that has none (`bye`): a handler can never send one. */
export const NoReply = z.never();

/**
 * A family's replies: exactly one schema per request type of the family, so a request without a reply
 * shape (or a reply for a request the family does not have) is a compile error.
 */
export type ReplyTable<RequestType extends string> = { [T in RequestType]: z.ZodType };

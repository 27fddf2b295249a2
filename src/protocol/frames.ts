/**
 * The one discriminated union of client→broker frames (protocol.md §1.5), built from the message
 * families in `families/`, each of which holds its request schemas and its reply schemas together.
 * Unknown extra fields are ignored (stripped), never an error.
 */
import { z } from "zod";
import { handshakeReplies, type HelloFrame, type SessionHelloFrame } from "./families/handshake.js";
import { meshInfoReplies, meshInfoRequests } from "./families/mesh-info.js";
import { messagingReplies, messagingRequests } from "./families/messaging.js";
import { moderationReplies, moderationRequests } from "./families/moderation.js";
import { presenceReplies, presenceRequests } from "./families/presence.js";
import { stateReplies, stateRequests } from "./families/state.js";
import { contextReplies, contextRequests } from "./families/contexts.js";
import { memoryReplies, memoryRequests } from "./families/memory.js";
import { skillReplies, skillRequests } from "./families/skills.js";
import { taskReplies, taskRequests } from "./families/tasks.js";
import { leaseReplies, leaseRequests } from "./families/leases.js";
import { auditReplies, auditRequests } from "./families/audit.js";
import { topicReplies, topicRequests } from "./families/topics.js";
import { fileReplies, fileRequests } from "./families/files.js";
import { scheduleReplies, scheduleRequests } from "./families/schedules.js";

export * from "./fields.js";
export * from "./envelope.js";
export * from "./families/handshake.js";
export * from "./families/messaging.js";
export * from "./families/presence.js";
export * from "./families/moderation.js";
export * from "./families/mesh-info.js";
export * from "./families/state.js";
export * from "./families/contexts.js";
export * from "./families/memory.js";
export * from "./families/skills.js";
export * from "./families/tasks.js";
export * from "./families/leases.js";
export * from "./families/audit.js";
export * from "./families/topics.js";
export * from "./families/files.js";
export * from "./families/schedules.js";

/** Every client→broker frame this broker handles after hello. */
export const ClientFrame = z.discriminatedUnion("type", [
  ...messagingRequests,
  ...presenceRequests,
  ...moderationRequests,
  ...meshInfoRequests,
  ...stateRequests,
  ...contextRequests,
  ...memoryRequests,
  ...skillRequests,
  ...taskRequests,
  ...leaseRequests,
  ...auditRequests,
  ...topicRequests,
  ...fileRequests,
  ...scheduleRequests,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame["type"];
export type FrameOf<T extends ClientFrameType> = Extract<ClientFrame, { type: T }>;

/** Any request a client sends: a hello, or a frame of the union once authenticated. */
export type RequestFrame = HelloFrame | SessionHelloFrame | ClientFrame;
export type RequestType = RequestFrame["type"];

/** The direct reply of every request type; a request type without one is a compile error. */
export const replySchemas = {
  ...handshakeReplies,
  ...messagingReplies,
  ...presenceReplies,
  ...moderationReplies,
  ...meshInfoReplies,
  ...stateReplies,
  ...contextReplies,
  ...memoryReplies,
  ...skillReplies,
  ...taskReplies,
  ...leaseReplies,
  ...auditReplies,
  ...topicReplies,
  ...fileReplies,
  ...scheduleReplies,
} as const satisfies Record<RequestType, z.ZodType>;

/** The reply a request of type `T` gets when it succeeds (an `error` frame aside). */
export type ReplyOf<T extends RequestType> = z.infer<(typeof replySchemas)[T]>;

/** Schemas by type, for the dispatcher's per-handler validation. */
export const clientFrameSchemas = new Map<string, z.ZodType>(
  ClientFrame.options.map((schema) => [schema.shape.type.value, schema]),
);

/** `"<field>: <problem>"` for the first issue of a failed parse (protocol.md §1.5). */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid frame";
  const path = issue.path.length > 0 ? issue.path.join(".") : "frame";
  return `${path}: ${issue.message}`;
}

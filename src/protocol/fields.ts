/** Field schemas more than one message family uses (protocol.md §0, §2-§4). */
import { z } from "zod";
import { MESSAGE_MODES } from "./constants.js";
import { displayNameProblem } from "./targets.js";

export const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex characters");
/** A request's correlation id (§1.3). */
export const reqId = z.string().min(1).max(128).optional();
/** `_reqId` as the broker echoes it on a reply. */
export const replyReqId = z.string().optional();
export const capabilities = z.array(z.string().max(64)).max(64).optional();
/** A display name: at most 64 characters, and one a send can address (§7.4). */
export const DisplayName = z
  .string()
  .max(64)
  .superRefine((name, ctx) => {
    const problem = displayNameProblem(name);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });

export const GroupRef = z.object({ name: z.string(), role: z.string().optional() });
export type GroupRef = z.infer<typeof GroupRef>;

export const Priority = z.enum(["now", "next", "low"]);
export type Priority = z.infer<typeof Priority>;
export const PresenceStatus = z.enum(["idle", "working", "dnd"]);
export type PresenceStatus = z.infer<typeof PresenceStatus>;
export const StatusSource = z.enum(["hook", "manual", "inferred"]);
export type StatusSource = z.infer<typeof StatusSource>;
export const PeerRole = z.enum(["control-plane", "session", "service"]);
export type PeerRole = z.infer<typeof PeerRole>;
export const MemberRole = z.enum(["owner", "admin", "member"]);
export type MemberRole = z.infer<typeof MemberRole>;
export const MessageMode = z.enum(MESSAGE_MODES);
export type MessageMode = z.infer<typeof MessageMode>;

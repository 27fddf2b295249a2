/** Flags of the `invite` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { INVITE_DEFAULT_TTL_MS } from "../../protocol/constants.js";
import { defineFlags } from "../command.js";

export const INVITE_FLAGS = defineFlags({
  role: {
    type: "string",
    valueName: "member|admin",
    choices: ["member", "admin"],
    default: "member",
    description: "role the invitee gets",
  },
  uses: { type: "number", valueName: "n", default: 1, description: "how many people may use the link" },
  expires: {
    type: "duration",
    valueName: "duration",
    default: INVITE_DEFAULT_TTL_MS,
    description: "lifetime, e.g. 1h, 7d",
  },
  qr: { type: "boolean", description: "also print the link as a QR code" },
  publicUrl: {
    type: "string",
    valueName: "url",
    description: "also print the https://<url>/join/… form (default: the broker's public URL, if it has one)",
  },
});

export const INVITE_LIST_FLAGS = defineFlags({
  active: { type: "boolean", description: "only invites that still work (not expired, revoked or used up)" },
});

export const JOIN_FLAGS = defineFlags({
  name: {
    type: "string",
    valueName: "display name",
    description: "how others see you (default: your login name)",
  },
});

/** Flags of the `lease` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

/** 30 minutes, the lease length when `--ttl` is not given. */
export const DEFAULT_TTL_MS = 30 * 60_000;

export const LEASE_ACQUIRE_FLAGS = defineFlags({
  ttl: {
    type: "duration",
    valueName: "duration",
    default: DEFAULT_TTL_MS,
    description: "how long it lasts unless renewed, 1m to 24h (e.g. 45m, 2h)",
  },
  reason: { type: "string", valueName: "text", description: "why you hold it (up to 200 characters)" },
});

export const LEASE_RENEW_FLAGS = defineFlags({
  ttl: {
    type: "duration",
    valueName: "duration",
    default: DEFAULT_TTL_MS,
    description: "the new length from now, 1m to 24h",
  },
});

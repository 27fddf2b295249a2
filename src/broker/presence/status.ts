/** Status write rules (protocol.md §3.3). Pure: takes the current state, returns the next. */
import type { PresenceStatus, Priority, StatusSource } from "../../protocol/index.js";
import { HOOK_FRESH_MS } from "../../protocol/index.js";

const RANK: Record<StatusSource, number> = { hook: 3, manual: 2, inferred: 1 };

export interface StatusState {
  status: PresenceStatus;
  statusSource: StatusSource;
  statusAt: number;
}

/** Applies a write; returns the new state, or null when the write is ignored. */
export function applyStatusWrite(
  current: StatusState,
  status: PresenceStatus,
  source: StatusSource,
  now: number,
): StatusState | null {
  if (current.status === "dnd" && source !== "manual") return null;
  const fresh = now - current.statusAt <= HOOK_FRESH_MS;
  const higher = RANK[current.statusSource] > RANK[source];
  if (status !== current.status) {
    if (higher && fresh) return null;
    return { status, statusSource: source, statusAt: now };
  }
  if (RANK[source] >= RANK[current.statusSource]) return { status, statusSource: source, statusAt: now };
  if (fresh) return { ...current, statusAt: now };
  return { status, statusSource: source, statusAt: now };
}

const AVAILABILITY: Record<PresenceStatus, number> = { idle: 3, working: 2, dnd: 1 };

export function moreAvailable(a: PresenceStatus, b: PresenceStatus): boolean {
  return AVAILABILITY[a] > AVAILABILITY[b];
}

/** Priorities deliverable to a presence with this effective status (protocol.md §4.7). */
export function deliverablePriorities(status: PresenceStatus): readonly Priority[] {
  return status === "idle" ? ALL : NOW_ONLY;
}
const ALL: readonly Priority[] = ["now", "next", "low"];
const NOW_ONLY: readonly Priority[] = ["now"];

/**
 * Hook statuses that arrived before their presence connected (protocol.md §3.3): each is held
 * {@link PENDING_HOOK_HOLD_MS} and applied to the first matching presence that registers.
 */
import { PENDING_HOOK_HOLD_MS, type PresenceStatus } from "../../protocol/index.js";
import type { Presence } from "./presence.js";
import { applyStatusWrite } from "./status.js";

export interface HeldHookStatus {
  memberId: string;
  pid: number | null;
  cwd: string;
  sessionPubkey: string | null;
  status: PresenceStatus;
}

export class HeldHookStatuses {
  #held: Array<HeldHookStatus & { at: number }> = [];

  hold(held: HeldHookStatus): void {
    const now = Date.now();
    this.#expire(now);
    this.#held.push({ ...held, at: now });
  }

  /** The newest held status matching `p` (its session key, else its cwd and pid), applied to it. */
  applyTo(p: Presence): void {
    const now = Date.now();
    this.#expire(now);
    const match = this.#held
      .filter(
        (h) =>
          h.memberId === p.memberId &&
          (h.sessionPubkey
            ? h.sessionPubkey === p.sessionPubkey
            : h.cwd === p.cwd && (h.pid === null || h.pid === p.pid)),
      )
      .sort((a, b) => b.at - a.at)[0];
    if (!match) return;
    this.#held = this.#held.filter((h) => h !== match);
    const next = applyStatusWrite(p, match.status, "hook", now);
    if (next) Object.assign(p, next);
  }

  #expire(now: number): void {
    this.#held = this.#held.filter((h) => now - h.at < PENDING_HOOK_HOLD_MS);
  }
}

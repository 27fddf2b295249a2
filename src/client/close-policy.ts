/** What a client does when its socket closes (protocol.md §2.8). Pure: no sockets, no timers. */
import { CloseCode, CloseReason } from "../protocol/close-codes.js";

/** A connection-level `error` frame the broker sent before closing (the reason for a refused hello). */
export type ConnectionError = { code: string; message: string; serverTime?: number | undefined };

export type CloseDecision =
  /**
   * Reconnect. `wait`: `now` re-signs at once (`resign` names the code that used up its one retry),
   * `backoff` takes the next step, `long` at least the longest step (capacity), `shutdown` adds 0–1 s.
   */
  | { action: "retry"; wait: "now" | "backoff" | "long" | "shutdown"; resign?: string }
  /** Stop for good and report: `errorCode` is the wire code, `message` is for the user. */
  | { action: "stop"; errorCode: string; message: string };

export type CloseContext = {
  code: number;
  reason: string;
  /** The last connection-level error frame on this socket, if any. */
  lastError: ConnectionError | null;
  /** Codes whose single re-sign retry was already used since the last successful hello. */
  resigned: ReadonlySet<string>;
  /** Whether a fresh attestation can be minted (session connections with a member secret or minter). */
  canMintAttestation: boolean;
};

/** 1008 reasons that are permanent for this configuration. */
const PERMANENT_HELLO_ERRORS: ReadonlySet<string> = new Set([
  "bad_session_pubkey",
  "bad_parent_pubkey",
  "attestation_mismatch",
  "malformed",
  "bad_signature",
  "expired",
  "ttl_too_long",
  "parent_member_id_mismatch",
  "unauthorized",
]);
/** Permanent codes a freshly minted attestation may cure, tried once. */
const ATTESTATION_ERRORS: ReadonlySet<string> = new Set(["expired", "ttl_too_long"]);
/** Codes answered by signing a fresh timestamp and retrying once. */
const RESIGN_ERRORS: ReadonlySet<string> = new Set(["timestamp_skew", "replayed_hello"]);

export const KICKED_MESSAGE = "Kicked from this mesh.";
export const REVOKED_MESSAGE = "You've been removed from this mesh. Contact the mesh owner to rejoin.";
export const LEFT_MESSAGE = "You left this mesh. Rejoining needs a new invite.";
export const REPLACED_MESSAGE =
  "Another connection took over this identity (session_replaced); not reconnecting automatically.";

export function decideOnClose(ctx: CloseContext): CloseDecision {
  const { code, lastError } = ctx;
  const wireCode = ctx.reason !== "" ? ctx.reason : (lastError?.code ?? "");

  if (code === CloseCode.kicked)
    return { action: "stop", errorCode: CloseReason.kicked, message: KICKED_MESSAGE };
  if (code === CloseCode.banned) {
    if (lastError?.code === "revoked")
      return { action: "stop", errorCode: "revoked", message: lastError.message };
    if (ctx.reason === CloseReason.left)
      return { action: "stop", errorCode: CloseReason.left, message: LEFT_MESSAGE };
    return { action: "stop", errorCode: "revoked", message: REVOKED_MESSAGE };
  }
  if (code === CloseCode.normal && ctx.reason === CloseReason.sessionReplaced) {
    return { action: "stop", errorCode: CloseReason.sessionReplaced, message: REPLACED_MESSAGE };
  }
  if (code === CloseCode.goingAway) return { action: "retry", wait: "shutdown" };
  if (code !== CloseCode.policy) return { action: "retry", wait: "backoff" };

  if (RESIGN_ERRORS.has(wireCode)) {
    if (!ctx.resigned.has(wireCode)) return { action: "retry", wait: "now", resign: wireCode };
    return { action: "stop", errorCode: wireCode, message: resignFailedMessage(wireCode, lastError) };
  }
  if (wireCode === "capacity") return { action: "retry", wait: "long" };
  if (ATTESTATION_ERRORS.has(wireCode) && ctx.canMintAttestation && !ctx.resigned.has(wireCode)) {
    return { action: "retry", wait: "now", resign: wireCode };
  }
  if (PERMANENT_HELLO_ERRORS.has(wireCode)) {
    const detail = lastError?.code === wireCode ? `: ${lastError.message}` : "";
    return {
      action: "stop",
      errorCode: wireCode,
      message: `broker refused the hello (${wireCode})${detail}`,
    };
  }
  // hello_timeout and any 1008 reason this client does not know: transient.
  return { action: "retry", wait: "backoff" };
}

function resignFailedMessage(code: string, lastError: ConnectionError | null): string {
  if (code === "replayed_hello") return "broker refused the hello twice as replayed (replayed_hello)";
  const serverTime = lastError?.serverTime;
  const offset =
    serverTime === undefined ? "" : ` (local clock is ${Math.round((Date.now() - serverTime) / 1000)} s off)`;
  return `clock skew: the broker refused the hello timestamp twice${offset}; fix the system clock`;
}

/** Stable wire error codes (protocol.md Appendix A). */
export const ErrorCode = {
  malformedFrame: "malformed_frame",
  unknownMessageType: "unknown_message_type",
  invalidMessage: "invalid_message",
  noHello: "no_hello",
  alreadyAuthenticated: "already_authenticated",
  internalError: "internal_error",
  rateLimit: "rate_limit",
  badSessionPubkey: "bad_session_pubkey",
  badParentPubkey: "bad_parent_pubkey",
  attestationMismatch: "attestation_mismatch",
  capacity: "capacity",
  timestampSkew: "timestamp_skew",
  malformed: "malformed",
  badSignature: "bad_signature",
  replayedHello: "replayed_hello",
  expired: "expired",
  ttlTooLong: "ttl_too_long",
  revoked: "revoked",
  unauthorized: "unauthorized",
  parentMemberIdMismatch: "parent_member_id_mismatch",
  helloTimeout: "hello_timeout",
  forbidden: "forbidden",
  invalid: "invalid",
  notFound: "not_found",
  invalidArgument: "invalid_argument",
  ambiguousPrefix: "ambiguous_prefix",
  invalidGroupName: "invalid_group_name",
  limit: "limit",
  /** A request over a size limit of its family (a state value over 32,768 bytes, §6.1). */
  tooLarge: "too_large",
  taskNotClaimable: "task_not_claimable",
  taskNotFound: "task_not_found",
  leaseHeld: "lease_held",
  topicNotFound: "topic_not_found",
  keyAlreadySet: "key_already_set",
  keyNotSealed: "key_not_sealed",
  topicUnencrypted: "topic_unencrypted",
  invalidCron: "invalid_cron",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes carried in a failed send `ack.error` before the first `:` (protocol.md §4.4). */
export const SendErrorCode = {
  rateLimit: "rate_limit",
  tooLarge: "too_large",
  noRecipient: "no_recipient",
  forbidden: "forbidden",
  blocked: "blocked",
  idempotencyKeyReused: "idempotency_key_reused",
  invalid: "invalid",
  internal: "internal",
  storeUnavailable: "store_unavailable",
} as const;
export type SendErrorCode = (typeof SendErrorCode)[keyof typeof SendErrorCode];

/** The exact `ack.error` texts of protocol.md §4.4. */
export const sendErrorText = {
  rateLimit: (): string => "rate_limit: max 60 msg/min (burst 10) — slow down",
  tooLarge: (bytes: number): string => `too_large: payload_too_large (${bytes} bytes > 65536)`,
  noRecipient: (): string =>
    "no_recipient: not_found: target matches no member, session or topic in this mesh",
  forbidden: (why: string): string => `forbidden: ${why}`,
  idempotencyKeyReused: (): string =>
    "idempotency_key_reused: invalid reuse of client_message_id with a different request",
  invalid: (detail: string): string => `invalid: ${detail}`,
  internal: (reason: string): string => `internal: ${reason}`,
  storeUnavailable: (): string =>
    "store_unavailable: the broker cannot write to its database (disk full or failing); nothing was stored — retry later",
};

/** Send ack errors a client must never retry with the same id and other content. */
export const PERMANENT_SEND_ERRORS: ReadonlySet<string> = new Set([
  SendErrorCode.tooLarge,
  SendErrorCode.noRecipient,
  SendErrorCode.forbidden,
  SendErrorCode.blocked,
  SendErrorCode.idempotencyKeyReused,
  SendErrorCode.invalid,
]);

/**
 * Send ack errors that say the broker cannot take anything now, whatever the send: retry with backoff,
 * without spending the retry budget (the send itself is fine).
 */
export const BROKER_BUSY_SEND_ERRORS: ReadonlySet<string> = new Set([
  SendErrorCode.rateLimit,
  SendErrorCode.storeUnavailable,
]);

/** The code part of an `ack.error` text. */
export function sendErrorCode(error: string): string {
  const i = error.indexOf(":");
  return i < 0 ? error : error.slice(0, i);
}

/**
 * The claudemesh SDK: connect to a broker, send end-to-end encrypted messages, receive pushes.
 * Everything here is public API; the daemon, CLI and MCP server are reached through the `claudemesh` binary.
 */
export * from "./client/index.js";

export {
  CloseCode,
  CloseReason,
  ErrorCode,
  PERMANENT_SEND_ERRORS,
  PROTOCOL_VERSION,
  SendErrorCode,
  Capability,
  groupMatches,
  isPubkey,
  parseTarget,
  sendErrorCode,
  type AckFrame,
  type Attestation,
  type GroupRef,
  type HelloAck,
  type MemberEntry,
  type MessageStatusResult,
  type PeerEntry,
  type PresenceStatus,
  type Priority,
  type PushFrame,
  type StatusSource,
  type Target,
} from "./protocol/index.js";
export {
  attestationCanonical,
  helloCanonical,
  requestFingerprint,
  sessionHelloCanonical,
} from "./protocol/canonical.js";
export {
  boxDecrypt,
  boxEncrypt,
  dataKey,
  decryptMulticast,
  encryptMulticast,
  fromBase64Url,
  generateIdentity,
  identityFromSeed,
  multicastKey,
  randomHexToken,
  sha256Hex,
  sign,
  toBase64Url,
  verify,
  type Envelope,
  type Identity,
} from "./crypto/index.js";

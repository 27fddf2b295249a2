/** Public API of the crypto layer. Imports nothing else of ours. */
export {
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  fromUtf8Strict,
  isHex,
  toBase64,
  toBase64Url,
  toBytes,
  toHex,
  utf8,
} from "./encoding.js";
export { generateIdentity, identityFromSeed, type Identity } from "./identity.js";
export { sign, verify } from "./signature.js";
export { x25519PublicFromEd25519, x25519SecretFromEd25519 } from "./x25519.js";
export { BOX_NONCE_BYTES, boxDecrypt, boxDecryptBytes, boxEncrypt, boxSharedKey } from "./box.js";
export type { Envelope } from "./types.js";
export {
  SECRETBOX_KEY_BYTES,
  SECRETBOX_NONCE_BYTES,
  secretboxDecrypt,
  secretboxEncrypt,
  secretboxOpen,
  secretboxSeal,
} from "./secretbox.js";
export { sealOpen, sealTo } from "./sealed.js";
export {
  BROADCAST_LABEL,
  DATA_LABEL,
  ROOT_KEY_BYTES,
  SEARCH_LABEL,
  broadcastKey,
  dataKey,
  deriveKey,
  groupKey,
  groupLabel,
  multicastKey,
  multicastLabel,
  searchKey,
} from "./kdf.js";
export {
  decodeLegacyMulticast,
  decryptMulticast,
  encodeLegacyMulticast,
  encryptMulticast,
  openMulticastBody,
  type EncryptedMulticastBody,
  type LegacyMulticastBody,
  type OpenedMulticastBody,
} from "./multicast.js";
export { TOPIC_KEY_BYTES, openTopicKey, topicKeyId } from "./topic.js";
export {
  FILE_KEY_BYTES,
  FILE_OVERHEAD_BYTES,
  decryptFile,
  encryptFile,
  encryptedBodySize,
  sharedFileSize,
} from "./files.js";
export {
  VALUE_STRING_PREFIX,
  decryptJsonValue,
  decryptValueString,
  encryptJsonValue,
  encryptValueString,
  isEncryptedJsonValue,
  isEncryptedValueString,
  type EncryptedJsonValue,
} from "./values.js";
export { MAX_SEARCH_WORDS, searchTokens, searchWords } from "./search.js";
export {
  INVITE_SECRET_BYTES,
  claimHash,
  decryptRootKey,
  deriveInviteKeys,
  encryptRootKey,
  inviteClaimLabel,
  inviteKeyLabel,
} from "./invite.js";
export {
  randomBytes,
  randomHexToken,
  randomMessageId,
  randomString,
  timeOrderedMessageId,
  timeOrderedUuid,
} from "./ids.js";
export { sha256, sha256Hex } from "./hash.js";

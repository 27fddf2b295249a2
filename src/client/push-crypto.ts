/**
 * Message bodies: sealing outgoing ones and opening pushes (protocol.md §5.2, §5.3, §5.5). Pure functions;
 * no sockets. A body that cannot be opened is reported as such, never handed back as base64 "text".
 */
import {
  boxDecrypt,
  boxEncrypt,
  decodeLegacyMulticast,
  decryptMulticast,
  encryptMulticast,
  multicastKey,
  type EncryptedMulticastBody,
  type Envelope,
} from "../crypto/index.js";
import type { PushFrame } from "../protocol/frames.js";
import { parseTarget } from "../protocol/targets.js";

export type DecryptKeys = {
  /** The 32-byte mesh root key, for broadcast and group bodies. */
  rootKey?: Uint8Array | undefined;
  /**
   * Secret keys by public key (ed25519 hex). After the key the push was addressed to, they are tried in
   * insertion order: put session keys first, then the member key (§5.2).
   */
  secretKeys: ReadonlyMap<string, string>;
  /** Topic keys by topic id or topic name, for `#topic` bodies. */
  topicKeys?: ReadonlyMap<string, Uint8Array> | undefined;
};

export type DecryptFailure =
  "system_event" | "no_key" | "decrypt_failed" | "bad_body" | "unsupported_body_version";

export type DecryptResult =
  { ok: true; text: string; encrypted: boolean } | { ok: false; reason: DecryptFailure };

/** A DM body: crypto_box from the sender's secret key to the recipient's public key (§5.2). */
export function encryptDirect(plaintext: string, recipientPubkey: string, senderSecretKey: string): Envelope {
  return boxEncrypt(plaintext, recipientPubkey, senderSecretKey);
}

/**
 * A multicast body as `bodyVersion` 2 (§5.5): a broadcast or group (`*`, `@all`, `@<group>`) under the key
 * derived from the root key (§5.3), a topic (`#<topic>`) under its topic key (§5.4), which must be given.
 */
export function encryptForTarget(
  plaintext: string,
  targetSpec: string,
  rootKey: Uint8Array,
  topicKey?: Uint8Array,
): EncryptedMulticastBody {
  if (targetSpec.startsWith("#")) {
    if (topicKey === undefined) throw new Error(`no topic key to encrypt for ${targetSpec}`);
    return encryptMulticast(plaintext, topicKey);
  }
  return encryptMulticast(plaintext, multicastKey(rootKey, targetSpec));
}

/** Opens a push's body with whatever keys apply. Never throws. */
export function decryptPush(
  push: Pick<
    PushFrame,
    | "subtype"
    | "targetSpec"
    | "bodyVersion"
    | "nonce"
    | "ciphertext"
    | "senderPubkey"
    | "recipientPubkey"
    | "topic"
    | "topicId"
  >,
  keys: DecryptKeys,
): DecryptResult {
  if (push.subtype === "system") return { ok: false, reason: "system_event" };
  const target = push.targetSpec === undefined ? null : parseTarget(push.targetSpec);
  const multicast = target !== null && target.ok && target.target.kind !== "key";

  if (push.bodyVersion === 1 || (multicast && push.bodyVersion === undefined))
    return legacyBody(push.ciphertext);
  if (push.bodyVersion !== undefined && push.bodyVersion !== 2)
    return { ok: false, reason: "unsupported_body_version" };

  if (target !== null && target.ok && target.target.kind !== "key") {
    const key = multicastKeyFor(target.target, push, keys);
    if (key === null) return { ok: false, reason: "no_key" };
    const text = decryptMulticast(push.ciphertext, push.nonce, key);
    return text === null ? { ok: false, reason: "decrypt_failed" } : { ok: true, text, encrypted: true };
  }
  if (push.bodyVersion === 2) return { ok: false, reason: "unsupported_body_version" };
  // A legacy plaintext DM has an empty nonce (§4.1).
  if (push.nonce === "") return legacyBody(push.ciphertext);
  return openDirect(push, keys.secretKeys);
}

function legacyBody(ciphertext: string): DecryptResult {
  const text = decodeLegacyMulticast(ciphertext);
  return text === null ? { ok: false, reason: "bad_body" } : { ok: true, text, encrypted: false };
}

function multicastKeyFor(
  target: { kind: "broadcast" } | { kind: "group"; name: string } | { kind: "topic"; topic: string },
  push: { topic?: string | undefined; topicId?: string | undefined },
  keys: DecryptKeys,
): Uint8Array | null {
  if (target.kind === "topic") {
    const byId = push.topicId === undefined ? undefined : keys.topicKeys?.get(push.topicId);
    const byName = push.topic === undefined ? undefined : keys.topicKeys?.get(push.topic);
    return byId ?? byName ?? keys.topicKeys?.get(target.topic) ?? null;
  }
  if (keys.rootKey === undefined) return null;
  // The receiver derives from the target as sent: a member of `a/b` reads `@a` with the key of `a`.
  return multicastKey(keys.rootKey, target.kind === "broadcast" ? "*" : `@${target.name}`);
}

function openDirect(
  push: { ciphertext: string; nonce: string; senderPubkey: string; recipientPubkey?: string | undefined },
  secretKeys: ReadonlyMap<string, string>,
): DecryptResult {
  const tried = new Set<string>();
  const first = push.recipientPubkey === undefined ? undefined : secretKeys.get(push.recipientPubkey);
  const candidates = first === undefined ? [...secretKeys.values()] : [first, ...secretKeys.values()];
  for (const secret of candidates) {
    if (tried.has(secret)) continue;
    tried.add(secret);
    const text = boxDecrypt(push.ciphertext, push.nonce, push.senderPubkey, secret);
    if (text !== null) return { ok: true, text, encrypted: true };
  }
  return { ok: false, reason: secretKeys.size === 0 ? "no_key" : "decrypt_failed" };
}

/** The topic id of a topic post sealed under a topic key (§5.4), or null for anything else. */
export function encryptedTopicOf(
  push: Pick<PushFrame, "subtype" | "bodyVersion" | "topicId" | "targetSpec">,
): string | null {
  if (push.subtype === "system" || push.bodyVersion !== 2 || push.topicId === undefined) return null;
  return push.targetSpec?.startsWith("#") === true ? push.topicId : null;
}

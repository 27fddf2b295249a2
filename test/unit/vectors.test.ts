/**
 * Reproduces every known-answer case of test/fixtures/vectors.json (a copy of the spec's vectors.json) byte
 * for byte. Each case dispatches on the part of its name before the first `:`; an unknown kind, an unknown
 * input shape, or an output nobody compared fails the case, so a new vector can't be skipped silently.
 */
import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { signHttpRequest } from "../../src/client/signing.js";
import {
  DATA_LABEL,
  SEARCH_LABEL,
  boxDecrypt,
  boxEncrypt,
  boxSharedKey,
  claimHash,
  dataKey,
  decodeLegacyMulticast,
  decryptFile,
  decryptMulticast,
  decryptRootKey,
  decryptValueString,
  deriveInviteKeys,
  encodeLegacyMulticast,
  encryptFile,
  encryptMulticast,
  encryptRootKey,
  encryptValueString,
  fromBase64,
  fromBase64Url,
  fromHex,
  groupKey,
  identityFromSeed,
  inviteClaimLabel,
  inviteKeyLabel,
  multicastKey,
  multicastLabel,
  openTopicKey,
  sealOpen,
  sealTo,
  searchKey,
  searchTokens,
  searchWords,
  sign,
  toBase64,
  toBase64Url,
  toHex,
  topicKeyId,
  utf8,
  verify,
  x25519PublicFromEd25519,
  x25519SecretFromEd25519,
} from "../../src/crypto/index.js";
import { sodium } from "../../src/crypto/sodium.js";
import {
  attestationCanonical,
  helloCanonical,
  inviteCanonical,
  inviteClaimCanonical,
  meshCreateCanonical,
  requestFingerprint,
  sendFingerprintCanonical,
  sessionHelloCanonical,
  topicSealCanonical,
} from "../../src/protocol/canonical.js";
import { formatInviteLink, parseInviteLink } from "../../src/protocol/invite-link.js";

type VectorCase = {
  name: string;
  section: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  note: string;
};

const cases = JSON.parse(
  readFileSync(new URL("../fixtures/vectors.json", import.meta.url), "utf8"),
) as VectorCase[];

/** Typed access to one case's inputs, and a record of which outputs were compared. */
class Vector {
  readonly compared = new Set<string>();

  constructor(readonly c: VectorCase) {}

  has(key: string): boolean {
    return key in this.c.inputs;
  }

  str(key: string): string {
    const value = this.c.inputs[key];
    if (typeof value !== "string") throw new Error(`${this.c.name}: input ${key} is not a string`);
    return value;
  }

  num(key: string): number {
    const value = this.c.inputs[key];
    if (typeof value !== "number") throw new Error(`${this.c.name}: input ${key} is not a number`);
    return value;
  }

  /** Compares a computed value with `outputs[key]` (deep equality). */
  out(key: string, actual: unknown): void {
    expect(key in this.c.outputs, `${this.c.name}: output ${key} missing`).toBe(true);
    expect(actual, `${this.c.name}: ${key}`).toEqual(this.c.outputs[key]);
    this.compared.add(key);
  }

  /** Compares a list with `outputs[key]` as a set (the spec gives no order). */
  outSet(key: string, actual: string[]): void {
    const expected = this.c.outputs[key];
    expect(Array.isArray(expected), `${this.c.name}: output ${key} is not a list`).toBe(true);
    expect(new Set(actual), `${this.c.name}: ${key}`).toEqual(new Set(expected as string[]));
    expect(actual.length, `${this.c.name}: ${key} has duplicates`).toBe(new Set(actual).size);
    this.compared.add(key);
  }
}

function unknownShape(v: Vector): never {
  throw new Error(`unknown input shape for "${v.c.name}": ${Object.keys(v.c.inputs).join(", ")}`);
}

function checkSignature(
  v: Vector,
  canonical: string,
  secretKey: string,
  publicKey: string,
  key = "signature",
): void {
  const signature = sign(canonical, secretKey);
  v.out(key, signature);
  expect(verify(canonical, signature, publicKey)).toBe(true);
}

/** libsodium's sealed-box construction with a chosen ephemeral secret, to rebuild the given bytes. */
function sealWithEphemeral(
  message: Uint8Array,
  recipientPubkey: string,
  ephemeralSecret: Uint8Array,
): string {
  const recipient = x25519PublicFromEd25519(recipientPubkey);
  const ephemeralPublic = sodium.crypto_scalarmult_base(ephemeralSecret);
  const nonceInput = new Uint8Array([...ephemeralPublic, ...recipient]);
  const nonce = sodium.crypto_generichash(24, nonceInput, null);
  const box = sodium.crypto_box_easy(message, nonce, recipient, ephemeralSecret);
  return toBase64(new Uint8Array([...ephemeralPublic, ...box]));
}

const handlers: Record<string, (v: Vector) => void> = {
  identity(v) {
    const identity = identityFromSeed(v.str("seedHex"));
    v.out("pubkey", identity.publicKey);
    v.out("secretKey", identity.secretKey);
  },

  x25519(v) {
    const pub = x25519PublicFromEd25519(v.str("pubkey"));
    const sec = x25519SecretFromEd25519(v.str("secretKey"));
    v.out("x25519PublicKeyHex", toHex(pub));
    v.out("x25519SecretKeyHex", toHex(sec));
    expect(toHex(sodium.crypto_scalarmult_base(sec))).toBe(toHex(pub));
  },

  hello(v) {
    const canonical = helloCanonical({
      meshId: v.str("meshId"),
      memberId: v.str("memberId"),
      pubkey: v.str("pubkey"),
      timestamp: v.num("timestamp"),
    });
    v.out("canonical", canonical);
    checkSignature(v, canonical, v.str("secretKey"), v.str("pubkey"));
  },

  session_hello(v) {
    if (v.has("expiresAt")) {
      const canonical = attestationCanonical({
        parentMemberPubkey: v.str("parentMemberPubkey"),
        sessionPubkey: v.str("sessionPubkey"),
        expiresAt: v.num("expiresAt"),
      });
      v.out("canonical", canonical);
      checkSignature(v, canonical, v.str("parentMemberSecretKey"), v.str("parentMemberPubkey"));
    } else if (v.has("sessionSecretKey")) {
      const canonical = sessionHelloCanonical({
        meshId: v.str("meshId"),
        parentMemberPubkey: v.str("parentMemberPubkey"),
        sessionPubkey: v.str("sessionPubkey"),
        timestamp: v.num("timestamp"),
      });
      v.out("canonical", canonical);
      checkSignature(v, canonical, v.str("sessionSecretKey"), v.str("sessionPubkey"));
    } else {
      unknownShape(v);
    }
  },

  dm(v) {
    const nonce = fromBase64(v.str("nonce"));
    const box = boxEncrypt(v.str("plaintext"), v.str("recipientPubkey"), v.str("senderSecretKey"), nonce);
    expect(box.nonce).toBe(v.str("nonce"));
    v.out("ciphertext", box.ciphertext);
    v.out("sharedKeyHex", toHex(boxSharedKey(v.str("recipientPubkey"), v.str("senderSecretKey"))));
    expect(toHex(boxSharedKey(v.str("senderPubkey"), v.str("recipientSecretKey")))).toBe(
      v.c.outputs.sharedKeyHex,
    );
    v.out(
      "decrypted",
      boxDecrypt(box.ciphertext, box.nonce, v.str("senderPubkey"), v.str("recipientSecretKey")),
    );
  },

  "root key derivation"(v) {
    const root = fromBase64Url(v.str("rootKey"));
    if (v.has("targetSpec")) {
      const spec = v.str("targetSpec");
      v.out("label", multicastLabel(spec));
      v.out("keyHex", toHex(multicastKey(root, spec)));
      if (spec.startsWith("@") && spec !== "@all") {
        expect(toHex(groupKey(root, spec.slice(1)))).toBe(v.c.outputs.keyHex);
      }
    } else if (v.has("purpose")) {
      const purpose = v.str("purpose");
      if (purpose === "data") {
        v.out("label", DATA_LABEL);
        v.out("keyHex", toHex(dataKey(root)));
      } else if (purpose === "search") {
        v.out("label", SEARCH_LABEL);
        v.out("keyHex", toHex(searchKey(root)));
      } else {
        throw new Error(`unknown purpose ${purpose}`);
      }
    } else {
      unknownShape(v);
    }
  },

  multicast(v) {
    if (v.has("rootKey")) {
      const key = multicastKey(fromBase64Url(v.str("rootKey")), v.str("targetSpec"));
      v.out("keyHex", toHex(key));
      const body = encryptMulticast(v.str("plaintext"), key, fromBase64(v.str("nonce")));
      expect(body.nonce).toBe(v.str("nonce"));
      v.out("ciphertext", body.ciphertext);
      v.out("bodyVersion", body.bodyVersion);
      expect(decryptMulticast(body.ciphertext, body.nonce, key)).toBe(v.str("plaintext"));
    } else if (v.has("plaintext")) {
      const body = encodeLegacyMulticast(v.str("plaintext"));
      v.out("bodyVersion", body.bodyVersion);
      v.out("nonce", body.nonce);
      v.out("ciphertext", body.ciphertext);
      expect(decodeLegacyMulticast(body.ciphertext)).toBe(v.str("plaintext"));
    } else {
      unknownShape(v);
    }
  },

  topic(v) {
    const topicKey = fromHex(v.str("topicKeyHex"));
    if (v.has("plaintext")) {
      const body = encryptMulticast(v.str("plaintext"), topicKey, fromBase64(v.str("nonce")));
      v.out("bodyVersion", body.bodyVersion);
      v.out("ciphertext", body.ciphertext);
      expect(decryptMulticast(body.ciphertext, body.nonce, topicKey)).toBe(v.str("plaintext"));
    } else {
      v.out("keyId", topicKeyId(topicKey));
    }
  },

  sealed(v) {
    const pub = v.str("recipientMemberPubkey");
    const sec = v.str("recipientMemberSecretKey");
    const sealedKey = v.str("sealedKey");
    const opened = sealOpen(sealedKey, pub, sec);
    expect(opened).not.toBeNull();
    const openedBytes = opened ?? new Uint8Array();
    v.out("openedHex", toHex(openedBytes));
    // Our own seal of the same bytes opens to them too.
    expect(sealOpen(sealTo(openedBytes, pub), pub, sec)).toEqual(openedBytes);
    // The construction the note names rebuilds the given bytes exactly.
    expect(sealWithEphemeral(openedBytes, pub, fromHex(v.str("ephemeralX25519SecretKeyHex")))).toBe(
      sealedKey,
    );
    if (v.has("keyId")) {
      v.out("openedKeyId", topicKeyId(openedBytes));
      expect(openTopicKey(sealedKey, v.str("keyId"), pub, sec)).toEqual(openedBytes);
      const canonical = topicSealCanonical({
        meshId: v.str("meshId"),
        topicId: v.str("topicId"),
        recipientMemberPubkey: pub,
        keyId: v.str("keyId"),
        sealedKey,
      });
      v.out("canonical", canonical);
      checkSignature(v, canonical, v.str("sealerSecretKey"), v.str("sealedBy"), "sealSig");
    }
  },

  file(v) {
    const fileKey = fromHex(v.str("fileKeyHex"));
    const bytes = utf8(v.str("fileText"));
    const body = encryptFile(bytes, fileKey, fromBase64(v.str("nonce")));
    v.out("uploadedBody", toBase64(body));
    v.out("uploadedBytes", body.length);
    expect(decryptFile(body, fileKey)).toEqual(bytes);
  },

  data(v) {
    const root = fromBase64Url(v.str("rootKey"));
    if (v.has("plaintext")) {
      const key = dataKey(root);
      v.out("dataKeyHex", toHex(key));
      const envelope = encryptValueString(v.str("plaintext"), key, fromBase64(v.str("nonce")));
      v.out("envelope", envelope);
      expect(decryptValueString(envelope, key)).toBe(v.str("plaintext"));
    } else if (v.has("text")) {
      const key = searchKey(root);
      v.out("searchKeyHex", toHex(key));
      v.outSet("words", searchWords(v.str("text")));
      v.outSet("tokens", searchTokens(v.str("text"), key));
    } else {
      unknownShape(v);
    }
  },

  fingerprint(v) {
    const fields = {
      targetSpec: v.str("targetSpec"),
      priority: v.str("priority"),
      nonce: v.str("nonce"),
      ciphertext: v.str("ciphertext"),
    };
    v.out("canonical", sendFingerprintCanonical(fields));
    v.out("fingerprint", requestFingerprint(fields));
  },

  "signed http"(v) {
    const signed = signHttpRequest({
      method: v.str("method"),
      target: v.str("target"),
      meshId: v.str("meshId"),
      pubkey: v.str("pubkey"),
      secretKey: v.str("secretKey"),
      body: v.str("body"),
      timestamp: v.num("timestamp"),
    });
    v.out("bodySha256", signed.bodySha256);
    v.out("canonical", signed.canonical);
    v.out("signature", signed.signature);
    v.out("headers", signed.headers);
    expect(verify(signed.canonical, signed.signature, v.str("pubkey"))).toBe(true);
  },

  meshes(v) {
    const canonical = meshCreateCanonical({
      name: v.str("name"),
      ownerPubkey: v.str("owner_pubkey"),
      timestamp: v.num("timestamp"),
    });
    v.out("canonical", canonical);
    checkSignature(v, canonical, v.str("ownerSecretKey"), v.str("owner_pubkey"));
  },

  invite(v) {
    if (v.has("brokerHost")) {
      const secret = fromBase64Url(v.str("secret"));
      const code = v.str("code");
      const link = formatInviteLink({ host: v.str("brokerHost"), code, secret });
      v.out("link", link);
      const parsed = parseInviteLink(link);
      expect(parsed).toMatchObject({ host: v.str("brokerHost"), code, tls: true });
      expect(parsed.brokerUrl).toBe(`wss://${v.str("brokerHost")}/ws`);
      expect(toBase64Url(parsed.secret)).toBe(v.str("secret"));
      const keys = deriveInviteKeys(secret, code);
      v.out("inviteKeyLabel", inviteKeyLabel(code));
      v.out("inviteKeyHex", toHex(keys.inviteKey));
      v.out("claimTokenLabel", inviteClaimLabel(code));
      v.out("claim_token", toHex(keys.claimToken));
      v.out("claim_hash", claimHash(keys.claimToken));
    } else if (v.has("rootKey")) {
      const { inviteKey } = deriveInviteKeys(fromBase64Url(v.str("secret")), v.str("code"));
      v.out("inviteKeyHex", toHex(inviteKey));
      const box = encryptRootKey(fromBase64Url(v.str("rootKey")), inviteKey, fromBase64(v.str("nonce")));
      expect(box.nonce).toBe(v.str("nonce"));
      v.out("encrypted_root_key", box.ciphertext);
      const decrypted = decryptRootKey(box.ciphertext, box.nonce, inviteKey);
      v.out("decryptedRootKey", decrypted === null ? null : toBase64Url(decrypted));
    } else if (v.has("inviterSecretKey")) {
      const canonical = inviteCanonical({
        meshId: v.str("meshId"),
        code: v.str("code"),
        role: v.str("role"),
        maxUses: v.num("max_uses"),
        expiresAt: v.num("expires_at"),
        inviterPubkey: v.str("inviter_pubkey"),
        claimHash: v.str("claim_hash"),
      });
      v.out("canonical", canonical);
      checkSignature(v, canonical, v.str("inviterSecretKey"), v.str("inviter_pubkey"), "invite_signature");
    } else if (v.has("peerSecretKey")) {
      const canonical = inviteClaimCanonical({
        code: v.str("code"),
        peerPubkey: v.str("peer_pubkey"),
        timestamp: v.num("timestamp"),
      });
      v.out("canonical", canonical);
      checkSignature(v, canonical, v.str("peerSecretKey"), v.str("peer_pubkey"));
    } else {
      unknownShape(v);
    }
  },
};

describe("vectors.json", () => {
  it("has cases", () => {
    expect(cases.length).toBeGreaterThan(30);
  });

  for (const c of cases) {
    it(c.name, () => {
      const kind = c.name.split(":")[0] ?? "";
      const handler = handlers[kind];
      if (handler === undefined) throw new Error(`unknown vector kind "${kind}" in "${c.name}"`);
      const vector = new Vector(c);
      handler(vector);
      expect([...vector.compared].sort(), `${c.name}: outputs not compared`).toEqual(
        Object.keys(c.outputs).sort(),
      );
    });
  }
});

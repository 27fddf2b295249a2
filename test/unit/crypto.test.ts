import { describe, expect, it } from "vitest";

import {
  boxDecrypt,
  boxDecryptBytes,
  boxEncrypt,
  boxSharedKey,
  broadcastKey,
  claimHash,
  decodeLegacyMulticast,
  decryptFile,
  decryptJsonValue,
  decryptMulticast,
  decryptRootKey,
  decryptValueString,
  deriveInviteKeys,
  deriveKey,
  encodeLegacyMulticast,
  encryptFile,
  encryptJsonValue,
  encryptMulticast,
  encryptRootKey,
  encryptValueString,
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  fromUtf8Strict,
  generateIdentity,
  groupKey,
  identityFromSeed,
  isEncryptedJsonValue,
  isEncryptedValueString,
  isHex,
  multicastKey,
  openMulticastBody,
  openTopicKey,
  randomBytes,
  randomHexToken,
  randomMessageId,
  timeOrderedMessageId,
  timeOrderedUuid,
  randomString,
  sealOpen,
  sealTo,
  searchTokens,
  searchWords,
  secretboxDecrypt,
  secretboxEncrypt,
  sha256Hex,
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

const alice = identityFromSeed("01".repeat(32));
const bob = identityFromSeed("02".repeat(32));
const carol = identityFromSeed("04".repeat(32));
/** A 32-byte y-coordinate of small order (y = 0): not a usable ed25519 public key. */
const SMALL_ORDER_KEY = "00".repeat(32);

/** Flips one bit of a base64 value. */
function tamper(b64: string, index = 0): string {
  const bytes = fromBase64(b64);
  bytes[index % bytes.length] = (bytes[index % bytes.length] ?? 0) ^ 0x01;
  return toBase64(bytes);
}

describe("encodings", () => {
  it("round-trips hex, base64 and base64url", () => {
    const bytes = randomBytes(33);
    expect(fromHex(toHex(bytes))).toEqual(bytes);
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    expect(toBase64(new Uint8Array([0xfb, 0xff]))).toBe("+/8=");
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
  });

  it("encodes a subarray, not its whole buffer", () => {
    const bytes = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    expect(toHex(bytes)).toBe("0203");
    expect(toBase64(bytes)).toBe("AgM=");
  });

  it("rejects malformed text", () => {
    expect(() => fromHex("abc")).toThrow(/hex/);
    expect(() => fromHex("zz")).toThrow(/hex/);
    expect(() => fromBase64("AgM")).toThrow(/base64/);
    expect(() => fromBase64("-_8=")).toThrow(/base64/);
    expect(() => fromBase64("Ag M=")).toThrow(/base64/);
    expect(() => fromBase64Url("-_8=")).toThrow(/base64url/);
    expect(() => fromBase64Url("+/8")).toThrow(/base64url/);
    expect(() => fromBase64Url("A")).toThrow(/base64url/);
  });

  it("isHex accepts lower-case of the right length only", () => {
    expect(isHex("ab01", 4)).toBe(true);
    expect(isHex("AB01", 4)).toBe(false);
    expect(isHex("ab01", 6)).toBe(false);
    expect(isHex("ab0", undefined)).toBe(false);
    expect(isHex("xy", 2)).toBe(false);
    expect(isHex(42, 2)).toBe(false);
  });

  it("round-trips UTF-8 and flags invalid bytes", () => {
    const text = "ünïcödé ✓ 🚀";
    expect(fromUtf8(utf8(text))).toBe(text);
    expect(fromUtf8Strict(new Uint8Array([0xff, 0xfe]))).toBeNull();
    expect(fromUtf8(new Uint8Array([0xff]))).toBe("\ufffd");
  });
});

describe("identities and signatures", () => {
  it("generates distinct, well-formed identities whose secret key is seed ‖ public key", () => {
    const a = generateIdentity();
    const b = generateIdentity();
    expect(isHex(a.publicKey, 64)).toBe(true);
    expect(isHex(a.secretKey, 128)).toBe(true);
    expect(a.secretKey.slice(64)).toBe(a.publicKey);
    expect(a.publicKey).not.toBe(b.publicKey);
    expect(identityFromSeed(a.secretKey.slice(0, 64))).toEqual(a);
  });

  it("refuses a malformed seed", () => {
    expect(() => identityFromSeed("01".repeat(31))).toThrow(/seed/);
    expect(() => identityFromSeed("zz".repeat(32))).toThrow(/seed/);
  });

  it("signs deterministically and verifies", () => {
    const signature = sign("hello|world", alice.secretKey);
    expect(sign("hello|world", alice.secretKey)).toBe(signature);
    expect(verify("hello|world", signature, alice.publicKey)).toBe(true);
  });

  it("verify is false (never throws) for anything but a valid signature", () => {
    const signature = sign("message", alice.secretKey);
    expect(verify("message!", signature, alice.publicKey)).toBe(false);
    expect(verify("message", signature, bob.publicKey)).toBe(false);
    expect(verify("message", signature.toUpperCase(), alice.publicKey)).toBe(false);
    expect(verify("message", signature, alice.publicKey.toUpperCase())).toBe(false);
    expect(verify("message", signature.slice(2), alice.publicKey)).toBe(false);
    expect(verify("message", `${signature}00`, alice.publicKey)).toBe(false);
    expect(verify("message", "zz".repeat(64), alice.publicKey)).toBe(false);
    expect(verify("message", "", "")).toBe(false);
    expect(verify("message", signature, SMALL_ORDER_KEY)).toBe(false);
    expect(verify("message", "00".repeat(64), alice.publicKey)).toBe(false);
    const flipped = (parseInt(signature[0] ?? "0", 16) ^ 1).toString(16) + signature.slice(1);
    expect(verify("message", flipped, alice.publicKey)).toBe(false);
  });

  it("sign refuses a malformed secret key", () => {
    expect(() => sign("m", alice.publicKey)).toThrow(/secret key/);
  });

  it("converts to x25519 and refuses invalid keys with a clear error", () => {
    const pub = x25519PublicFromEd25519(alice.publicKey);
    expect(sodium.crypto_scalarmult_base(x25519SecretFromEd25519(alice.secretKey))).toEqual(pub);
    // Returned arrays are copies: changing one does not poison the cache.
    pub.fill(0);
    expect(x25519PublicFromEd25519(alice.publicKey)).not.toEqual(pub);
    expect(() => x25519PublicFromEd25519(SMALL_ORDER_KEY)).toThrow(/invalid ed25519 public key/);
    expect(() => x25519PublicFromEd25519("abc")).toThrow(/public key/);
    expect(() => x25519SecretFromEd25519("abc")).toThrow(/secret key/);
  });
});

describe("direct-message boxes", () => {
  it("round-trips and matches crypto_box_easy byte for byte", () => {
    const nonce = randomBytes(24);
    const box = boxEncrypt("hi bob ✓", bob.publicKey, alice.secretKey, nonce);
    const reference = sodium.crypto_box_easy(
      utf8("hi bob ✓"),
      nonce,
      x25519PublicFromEd25519(bob.publicKey),
      x25519SecretFromEd25519(alice.secretKey),
    );
    expect(box.ciphertext).toBe(toBase64(reference));
    expect(boxDecrypt(box.ciphertext, box.nonce, alice.publicKey, bob.secretKey)).toBe("hi bob ✓");
  });

  it("uses a fresh random nonce each time", () => {
    const a = boxEncrypt("same", bob.publicKey, alice.secretKey);
    const b = boxEncrypt("same", bob.publicKey, alice.secretKey);
    expect(fromBase64(a.nonce)).toHaveLength(24);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it("gives the same shared key from both sides", () => {
    expect(boxSharedKey(bob.publicKey, alice.secretKey)).toEqual(
      boxSharedKey(alice.publicKey, bob.secretKey),
    );
  });

  it("returns null, never throws, on tampering, wrong keys or garbage", () => {
    const box = boxEncrypt("secret", bob.publicKey, alice.secretKey);
    expect(boxDecrypt(tamper(box.ciphertext), box.nonce, alice.publicKey, bob.secretKey)).toBeNull();
    expect(boxDecrypt(tamper(box.ciphertext, 20), box.nonce, alice.publicKey, bob.secretKey)).toBeNull();
    expect(boxDecrypt(box.ciphertext, tamper(box.nonce), alice.publicKey, bob.secretKey)).toBeNull();
    expect(boxDecrypt(box.ciphertext, box.nonce, alice.publicKey, carol.secretKey)).toBeNull();
    expect(boxDecrypt(box.ciphertext, box.nonce, carol.publicKey, bob.secretKey)).toBeNull();
    expect(boxDecrypt("not base64!", box.nonce, alice.publicKey, bob.secretKey)).toBeNull();
    expect(boxDecrypt(box.ciphertext, "AAAA", alice.publicKey, bob.secretKey)).toBeNull();
    expect(boxDecrypt("", box.nonce, alice.publicKey, bob.secretKey)).toBeNull();
    expect(boxDecrypt(box.ciphertext, box.nonce, "nothex", bob.secretKey)).toBeNull();
    expect(boxDecrypt(box.ciphertext, box.nonce, SMALL_ORDER_KEY, bob.secretKey)).toBeNull();
    expect(boxDecrypt(box.ciphertext, box.nonce, alice.publicKey, "short")).toBeNull();
  });

  it("returns null for a body that is not UTF-8 text, while the bytes still open", () => {
    const box = boxEncrypt(new Uint8Array([0xff, 0xfe, 0xfd]), bob.publicKey, alice.secretKey);
    expect(boxDecrypt(box.ciphertext, box.nonce, alice.publicKey, bob.secretKey)).toBeNull();
    expect(boxDecryptBytes(box.ciphertext, box.nonce, alice.publicKey, bob.secretKey)).toEqual(
      new Uint8Array([0xff, 0xfe, 0xfd]),
    );
  });

  it("throws on a bad recipient key or nonce length when encrypting", () => {
    expect(() => boxEncrypt("x", SMALL_ORDER_KEY, alice.secretKey)).toThrow(/invalid ed25519 public key/);
    expect(() => boxEncrypt("x", bob.publicKey, alice.secretKey, new Uint8Array(12))).toThrow(/nonce/);
  });

  it("stays correct for many peers (cache eviction)", () => {
    const peers = Array.from({ length: 40 }, () => generateIdentity());
    for (const peer of peers) {
      const box = boxEncrypt(`to ${peer.publicKey}`, peer.publicKey, alice.secretKey);
      expect(boxDecrypt(box.ciphertext, box.nonce, alice.publicKey, peer.secretKey)).toBe(
        `to ${peer.publicKey}`,
      );
    }
  });
});

describe("secretbox", () => {
  const key = randomBytes(32);

  it("round-trips strings and bytes", () => {
    const box = secretboxEncrypt("text ✓", key);
    expect(fromUtf8(secretboxDecrypt(box.ciphertext, box.nonce, key) ?? new Uint8Array())).toBe("text ✓");
    const bytes = randomBytes(100);
    const box2 = secretboxEncrypt(bytes, key);
    expect(secretboxDecrypt(box2.ciphertext, box2.nonce, key)).toEqual(bytes);
  });

  it("returns null on tampering, a wrong key or garbage", () => {
    const box = secretboxEncrypt("text", key);
    expect(secretboxDecrypt(tamper(box.ciphertext), box.nonce, key)).toBeNull();
    expect(secretboxDecrypt(box.ciphertext, tamper(box.nonce), key)).toBeNull();
    expect(secretboxDecrypt(box.ciphertext, box.nonce, randomBytes(32))).toBeNull();
    expect(secretboxDecrypt(box.ciphertext, box.nonce, randomBytes(16))).toBeNull();
    expect(secretboxDecrypt("%%%", box.nonce, key)).toBeNull();
    expect(secretboxDecrypt("AAAA", box.nonce, key)).toBeNull();
  });

  it("refuses a wrong key or nonce length when encrypting", () => {
    expect(() => secretboxEncrypt("x", randomBytes(31))).toThrow(/key/);
    expect(() => secretboxEncrypt("x", key, randomBytes(23))).toThrow(/nonce/);
  });
});

describe("sealed boxes", () => {
  it("opens only for the recipient", () => {
    const secret = randomBytes(32);
    const sealed = sealTo(secret, bob.publicKey);
    expect(fromBase64(sealed)).toHaveLength(32 + 48);
    expect(sealOpen(sealed, bob.publicKey, bob.secretKey)).toEqual(secret);
    expect(sealOpen(sealed, carol.publicKey, carol.secretKey)).toBeNull();
    expect(sealOpen(tamper(sealed, 40), bob.publicKey, bob.secretKey)).toBeNull();
    expect(sealOpen("garbage", bob.publicKey, bob.secretKey)).toBeNull();
    expect(sealOpen(sealed, "nothex", bob.secretKey)).toBeNull();
    expect(() => sealTo(secret, SMALL_ORDER_KEY)).toThrow(/invalid ed25519 public key/);
  });
});

describe("key derivation", () => {
  const root = randomBytes(32);

  it("maps target specs to broadcast and group keys", () => {
    expect(multicastKey(root, "*")).toEqual(broadcastKey(root));
    expect(multicastKey(root, "@all")).toEqual(broadcastKey(root));
    expect(multicastKey(root, "@eng/backend")).toEqual(groupKey(root, "eng/backend"));
    expect(groupKey(root, "eng")).not.toEqual(groupKey(root, "eng/backend"));
    expect(groupKey(root, "eng")).not.toEqual(groupKey(randomBytes(32), "eng"));
  });

  it("refuses targets without a root-key derivation and wrong root-key sizes", () => {
    expect(() => multicastKey(root, "#topic_1")).toThrow(/no root-key derivation/);
    expect(() => multicastKey(root, "@")).toThrow(/no root-key derivation/);
    expect(() => multicastKey(root, alice.publicKey)).toThrow(/no root-key derivation/);
    expect(() => deriveKey(randomBytes(16), "label")).toThrow(/root key/);
  });
});

describe("multicast bodies", () => {
  const key = randomBytes(32);

  it("round-trips version 2 and fails closed", () => {
    const body = encryptMulticast("hello all 🚀", key);
    expect(body.bodyVersion).toBe(2);
    expect(decryptMulticast(body.ciphertext, body.nonce, key)).toBe("hello all 🚀");
    expect(decryptMulticast(body.ciphertext, body.nonce, randomBytes(32))).toBeNull();
    expect(decryptMulticast(tamper(body.ciphertext), body.nonce, key)).toBeNull();
  });

  it("decodes legacy version 1 bodies", () => {
    const body = encodeLegacyMulticast("plain ✓");
    expect(body).toMatchObject({ bodyVersion: 1, nonce: "" });
    expect(decodeLegacyMulticast(body.ciphertext)).toBe("plain ✓");
    expect(decodeLegacyMulticast("!!")).toBeNull();
    expect(decodeLegacyMulticast(toBase64(new Uint8Array([0xff])))).toBeNull();
  });

  it("opens any version and says whether it was encrypted", () => {
    const v2 = encryptMulticast("sealed", key);
    const v1 = encodeLegacyMulticast("open");
    expect(openMulticastBody(v2, key)).toEqual({ text: "sealed", encrypted: true });
    expect(openMulticastBody(v2, null)).toBeNull();
    expect(openMulticastBody(v1, null)).toEqual({ text: "open", encrypted: false });
    expect(openMulticastBody({ nonce: "", ciphertext: v1.ciphertext }, key)).toEqual({
      text: "open",
      encrypted: false,
    });
    expect(openMulticastBody({ ...v2, bodyVersion: 3 }, key)).toBeNull();
  });
});

describe("topic keys", () => {
  it("opens a sealed copy only when it hashes to its keyId", () => {
    const topicKey = randomBytes(32);
    const keyId = topicKeyId(topicKey);
    expect(isHex(keyId, 16)).toBe(true);
    const sealed = sealTo(topicKey, bob.publicKey);
    expect(openTopicKey(sealed, keyId, bob.publicKey, bob.secretKey)).toEqual(topicKey);
    expect(openTopicKey(sealed, topicKeyId(randomBytes(32)), bob.publicKey, bob.secretKey)).toBeNull();
    expect(openTopicKey(sealed, keyId, carol.publicKey, carol.secretKey)).toBeNull();
  });
});

describe("files", () => {
  const fileKey = randomBytes(32);

  it("round-trips and prefixes the nonce", () => {
    const bytes = randomBytes(1000);
    const body = encryptFile(bytes, fileKey);
    expect(body).toHaveLength(24 + 16 + 1000);
    expect(decryptFile(body, fileKey)).toEqual(bytes);
    expect(decryptFile(encryptFile(new Uint8Array(), fileKey), fileKey)).toEqual(new Uint8Array());
  });

  it("returns null on tampering, a wrong key or a short body", () => {
    const body = encryptFile(utf8("a,b\n1,2\n"), fileKey);
    const flipped = body.slice();
    flipped[30] = (flipped[30] ?? 0) ^ 1;
    expect(decryptFile(flipped, fileKey)).toBeNull();
    expect(decryptFile(body, randomBytes(32))).toBeNull();
    expect(decryptFile(body.subarray(0, 39), fileKey)).toBeNull();
  });
});

describe("stored values", () => {
  const key = randomBytes(32);

  it("round-trips cm:enc1 strings and fails closed", () => {
    const envelope = encryptValueString("postgres://db ✓", key);
    expect(envelope).toMatch(/^cm:enc1:[A-Za-z0-9+/=]{32}:[A-Za-z0-9+/=]+$/);
    expect(isEncryptedValueString(envelope)).toBe(true);
    expect(decryptValueString(envelope, key)).toBe("postgres://db ✓");
    expect(decryptValueString(envelope, randomBytes(32))).toBeNull();
    expect(decryptValueString("plain value", key)).toBeNull();
    expect(decryptValueString("cm:enc1:only-one-part", key)).toBeNull();
    expect(decryptValueString(`${envelope}:extra`, key)).toBeNull();
  });

  it("round-trips JSON values, including null", () => {
    for (const value of [{ a: [1, "two", null], b: { c: true } }, null, 42, "text", [1, 2]]) {
      const envelope = encryptJsonValue(value, key);
      expect(isEncryptedJsonValue(envelope)).toBe(true);
      expect(decryptJsonValue(envelope, key)).toEqual({ value });
    }
  });

  it("refuses values without JSON text and garbage envelopes", () => {
    expect(() => encryptJsonValue(undefined, key)).toThrow(/JSON/);
    const envelope = encryptJsonValue({ a: 1 }, key);
    expect(decryptJsonValue(envelope, randomBytes(32))).toBeNull();
    expect(decryptJsonValue({ ...envelope, c: tamper(envelope.c) }, key)).toBeNull();
    expect(decryptJsonValue({ $cm: "enc2", n: envelope.n, c: envelope.c }, key)).toBeNull();
    expect(decryptJsonValue("string", key)).toBeNull();
    expect(decryptJsonValue(null, key)).toBeNull();
    const notJson = secretboxEncrypt("{not json", key);
    expect(decryptJsonValue({ $cm: "enc1", n: notJson.nonce, c: notJson.ciphertext }, key)).toBeNull();
  });
});

describe("search tokens", () => {
  const key = randomBytes(32);

  it("normalizes, splits on non letters/digits and drops short words and repeats", () => {
    expect(searchWords("Ｈｅｌｌｏ, WORLD! hello-world a 1 42 日本語 ÉCOLE")).toEqual([
      "hello",
      "world",
      "42",
      "日本語",
      "école",
    ]);
    expect(searchWords("")).toEqual([]);
  });

  it("keeps at most 64 distinct words", () => {
    const text = Array.from({ length: 100 }, (_, i) => `w${i}`).join(" ");
    const words = searchWords(text);
    expect(words).toHaveLength(64);
    expect(words[63]).toBe("w63");
  });

  it("tokens are 16-byte keyed hashes that depend on the key", () => {
    const tokens = searchTokens("Deploy deploy API", key);
    expect(tokens).toHaveLength(2);
    for (const token of tokens) expect(isHex(token, 32)).toBe(true);
    expect(searchTokens("deploy", key)[0]).toBe(tokens[0]);
    expect(searchTokens("deploy", randomBytes(32))[0]).not.toBe(tokens[0]);
  });
});

describe("invites", () => {
  it("derives distinct keys per code and hashes the raw claim token", () => {
    const secret = randomBytes(32);
    const a = deriveInviteKeys(secret, "AAAAAAAA");
    const b = deriveInviteKeys(secret, "BBBBBBBB");
    expect(a.inviteKey).not.toEqual(a.claimToken);
    expect(a.inviteKey).not.toEqual(b.inviteKey);
    expect(claimHash(a.claimToken)).toBe(sha256Hex(a.claimToken));
    expect(claimHash(a.claimToken)).not.toBe(sha256Hex(toHex(a.claimToken)));
    expect(() => deriveInviteKeys(randomBytes(16), "AAAAAAAA")).toThrow(/secret/);
  });

  it("round-trips the root key and fails closed", () => {
    const root = randomBytes(32);
    const { inviteKey } = deriveInviteKeys(randomBytes(32), "K7QX2MZP");
    const box = encryptRootKey(root, inviteKey);
    expect(decryptRootKey(box.ciphertext, box.nonce, inviteKey)).toEqual(root);
    expect(decryptRootKey(box.ciphertext, box.nonce, randomBytes(32))).toBeNull();
    const short = secretboxEncrypt(randomBytes(16), inviteKey);
    expect(decryptRootKey(short.ciphertext, short.nonce, inviteKey)).toBeNull();
    expect(() => encryptRootKey(randomBytes(16), inviteKey)).toThrow(/root key/);
  });
});

describe("ids and hashes", () => {
  it("randomMessageId is 32 alphanumerics and unique", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = randomMessageId();
      expect(id).toMatch(/^[A-Za-z0-9]{32}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(10_000);
  });

  it("timeOrderedMessageId is 32 alphanumerics, sorts by its time, and differs within one millisecond", () => {
    const times = [0, 1, 61, 62, 1_750_000_000_000, 1_750_000_000_001, 4_102_444_800_000];
    const ids = times.map((t) => timeOrderedMessageId(t));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{32}$/);
    // Code-point order, as the stores compare text.
    expect([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(ids);
    expect(ids[0]!.slice(0, 8)).toBe("00000000");
    expect(ids[3]!.slice(0, 8)).toBe("00000010");
    const sameMs = new Set(Array.from({ length: 1_000 }, () => timeOrderedMessageId(1_750_000_000_000)));
    expect(sameMs.size).toBe(1_000);
    expect(() => timeOrderedMessageId(-1)).toThrow(RangeError);
  });

  it("timeOrderedUuid is a version 7 UUID that sorts by its time", () => {
    const times = [0, 1, 255, 256, 1_750_000_000_000, 1_750_000_000_001, 2 ** 48 - 1];
    const ids = times.map((t) => timeOrderedUuid(t));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[4]!.replace("-", "").slice(0, 12)).toBe((1_750_000_000_000).toString(16).padStart(12, "0"));
    expect(new Set(Array.from({ length: 1_000 }, () => timeOrderedUuid(1)))).toHaveProperty("size", 1_000);
    expect(() => timeOrderedUuid(2 ** 48)).toThrow(RangeError);
  });

  it("randomMessageId uses the whole alphabet", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) for (const ch of randomMessageId()) seen.add(ch);
    expect(seen.size).toBe(62);
  });

  it("randomString and randomHexToken have the requested shape", () => {
    expect(randomString("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 8)).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(() => randomString("A", 8)).toThrow(RangeError);
    expect(isHex(randomHexToken(), 64)).toBe(true);
    expect(isHex(randomHexToken(16), 32)).toBe(true);
    expect(randomBytes(7)).toHaveLength(7);
  });

  it("sha256Hex hashes UTF-8 text and bytes alike", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex(utf8("abc"))).toBe(sha256Hex("abc"));
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

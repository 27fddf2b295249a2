import { describe, expect, it } from "vitest";

import { httpCanonical, requestFingerprint, sendFingerprintCanonical } from "../../src/protocol/canonical.js";

describe("canonical strings", () => {
  it("writes an absent priority as next and an absent nonce as empty", () => {
    expect(sendFingerprintCanonical({ targetSpec: "*", ciphertext: "Y3Q=" })).toBe("cmfp1|*|next||Y3Q=");
    expect(requestFingerprint({ targetSpec: "*", ciphertext: "Y3Q=" })).toBe(
      requestFingerprint({ targetSpec: "*", priority: "next", nonce: "", ciphertext: "Y3Q=" }),
    );
    expect(requestFingerprint({ targetSpec: "*", ciphertext: "Y3Q=" })).toMatch(/^[0-9a-f]{64}$/);
  });

  it("upper-cases the HTTP method and keeps the target as sent", () => {
    expect(
      httpCanonical({
        method: "post",
        target: "/p/upload?x=1",
        meshId: "m",
        pubkey: "k",
        timestamp: 5,
        bodySha256: "h",
      }),
    ).toBe("claudemesh-http|POST|/p/upload?x=1|m|k|5|h");
  });
});

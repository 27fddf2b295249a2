/**
 * The joiner's own checks (protocol.md §7.3, "must never happen" 55): against a fake broker that answers
 * the claim, every tampered answer is refused as forged and nothing is written; the honest one joins.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  claimHash,
  deriveInviteKeys,
  encryptRootKey,
  generateIdentity,
  randomBytes,
  sign,
  toBase64Url,
} from "../../src/crypto/index.js";
import { joinWithLink } from "../../src/cli/mesh-setup.js";
import { inviteCanonical } from "../../src/protocol/canonical.js";
import { loadConfig } from "../../src/host/config.js";

const CODE = "ABCDEFGH";
const MESH_ID = "mesh-1";
const secret = randomBytes(32);
const rootKey = randomBytes(32);
const inviter = generateIdentity();
const { inviteKey, claimToken } = deriveInviteKeys(secret, CODE);

type Answer = Record<string, unknown>;

function honestAnswer(): Answer {
  const hash = claimHash(claimToken);
  const canonical = inviteCanonical({
    meshId: MESH_ID,
    code: CODE,
    role: "member",
    maxUses: 1,
    expiresAt: Date.now() + 60_000,
    inviterPubkey: inviter.publicKey,
    claimHash: hash,
  });
  const sealed = encryptRootKey(rootKey, inviteKey);
  return {
    mesh_id: MESH_ID,
    member_id: "member-2",
    role: "member",
    mesh_name: "team",
    slug: "team",
    owner_pubkey: inviter.publicKey,
    inviter_pubkey: inviter.publicKey,
    canonical,
    invite_signature: sign(canonical, inviter.secretKey),
    encrypted_root_key: sealed.ciphertext,
    nonce: sealed.nonce,
  };
}

let server: Server;
let port = 0;
let answer: Answer = {};
let configDir = "";
const savedConfigDir = process.env.CLAUDEMESH_CONFIG_DIR;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    if (req.method === "GET") {
      res.end(
        JSON.stringify({
          mesh_id: MESH_ID,
          mesh_name: "team",
          role: "member",
          inviter_name: "alice",
          expires_at: 0,
          uses_left: 1,
        }),
      );
    } else {
      req.resume();
      res.end(JSON.stringify(answer));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  configDir = mkdtempSync(join(tmpdir(), "cm-join-"));
  process.env.CLAUDEMESH_CONFIG_DIR = configDir;
});

afterEach(() => {
  process.env.CLAUDEMESH_CONFIG_DIR = savedConfigDir;
  rmSync(configDir, { recursive: true, force: true });
});

/** The same hex with its last digit changed. */
function flipLast(hex: string): string {
  return `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`;
}

function link(): string {
  return `claudemesh://join/127.0.0.1:${port}/${CODE}?tls=0#${toBase64Url(secret)}`;
}

describe("join verifies the claim answer", () => {
  const tampered: Array<[string, (a: Answer) => Answer, RegExp]> = [
    [
      "a flipped signature",
      (a) => ({ ...a, invite_signature: flipLast(String(a.invite_signature)) }),
      /bad signature/,
    ],
    [
      "a signature by another key",
      (a) => ({ ...a, invite_signature: sign(String(a.canonical), generateIdentity().secretKey) }),
      /bad signature/,
    ],
    ["another mesh in the answer", (a) => ({ ...a, mesh_id: "mesh-2" }), /another mesh/],
    [
      "a canonical for another claim hash",
      (a) => ({ ...a, canonical: String(a.canonical).replace(/\|[0-9a-f]{64}$/, `|${"0".repeat(64)}`) }),
      /claim hash/,
    ],
    [
      "an inviter key that is not the signer",
      (a) => ({ ...a, inviter_pubkey: generateIdentity().publicKey }),
      /inviter key/,
    ],
    [
      "a root key that does not open",
      (a) => ({ ...a, encrypted_root_key: encryptRootKey(rootKey, randomBytes(32)).ciphertext }),
      /mesh key does not open/,
    ],
  ];

  for (const [what, tamper, reason] of tampered) {
    it(`refuses ${what}`, async () => {
      answer = tamper(honestAnswer());
      const error = await joinWithLink(link(), "bob").catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "invite_forged", exitCode: 3 });
      expect((error as Error).message).toMatch(reason);
      expect(loadConfig().meshes).toEqual([]);
    });
  }

  it("joins with an honest answer and stores the decrypted root key", async () => {
    answer = honestAnswer();
    const { mesh } = await joinWithLink(link(), "bob");
    expect(mesh).toMatchObject({ mesh_id: MESH_ID, slug: "team", display_name: "bob", role: "member" });
    expect(mesh.root_key).toBe(toBase64Url(rootKey));
    expect(mesh.broker_url).toBe(`ws://127.0.0.1:${port}/ws`);
    expect(loadConfig().meshes).toHaveLength(1);
  });
});

/**
 * Handshakes against a real broker process (protocol.md §1.5, §1.7, §2.3-§2.5; must-never-happen 24-32):
 * both hello kinds, every refusal with its error code and close code, the hello timeout, and frames
 * before, during and right after the handshake.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import {
  RawPeer,
  addMember,
  closeAllPeers,
  connectMember,
  createTestMesh,
  httpJson,
  memberHello,
  sessionHello,
  startBroker,
  useBroker,
  type Frame,
  type TestMember,
  type TestMesh,
  waitUntil,
} from "../helpers/broker.js";

let mesh: TestMesh;
let alice: TestMember;

const broker = useBroker();

beforeAll(async () => {
  mesh = await createTestMesh(broker(), { name: "handshake-mesh" });
  alice = await addMember(broker(), mesh, "alice");
});

/** Sends `hello`, expects `error{code}` then a close with `closeCode` and the code (or `banned`) as reason. */
async function expectRefused(hello: Frame, code: string, closeCode = 1008): Promise<Frame> {
  const peer = await RawPeer.connect(broker().url);
  const reply = await peer.hello(hello);
  expect(reply).toMatchObject({ type: "error", code });
  expect(typeof reply.message).toBe("string");
  const closed = await peer.waitForClose();
  expect(closed).toEqual({ code: closeCode, reason: closeCode === 4002 ? "banned" : code });
  return reply;
}

describe.concurrent("successful handshakes", () => {
  it("member hello gets a full hello_ack", async () => {
    const peer = await RawPeer.connect(broker().url);
    const ack = await peer.hello(
      memberHello(mesh.meshId, alice, { capabilities: ["client_ack", "ok_replies"] }),
    );
    expect(ack).toMatchObject({
      type: "hello_ack",
      memberDisplayName: "alice",
      protocolVersion: 2,
      services: [],
      memberProfile: { groups: [], messageMode: "push" },
    });
    expect(typeof ack.presenceId).toBe("string");
    expect(Math.abs((ack.serverTime as number) - Date.now())).toBeLessThan(10_000);
    expect(ack.features).toEqual(
      expect.arrayContaining([
        "session_hello",
        "client_ack",
        "client_message_id_dedupe",
        "per_recipient_delivery",
        "hello_replay_guard",
        "unknown_message_type",
        "ok_replies",
        "bye",
      ]),
    );
    const peers = await peer.request({ type: "list_peers" });
    const me = (peers.peers as Frame[]).find((p) => p.pubkey === alice.pubkey);
    expect(me).toMatchObject({ memberPubkey: alice.pubkey, peerRole: "control-plane", displayName: "alice" });
  });

  it("session hello gets a hello_ack and is listed by its proven session key", async () => {
    const session = generateIdentity();
    const peer = await RawPeer.connect(broker().url);
    const ack = await peer.hello(sessionHello(mesh.meshId, alice, session, { displayName: "alice-s1" }));
    expect(ack).toMatchObject({ type: "hello_ack", memberDisplayName: "alice-s1", protocolVersion: 2 });
    expect(ack.services).toBeUndefined();
    const peers = await peer.request({ type: "list_peers" });
    const me = (peers.peers as Frame[]).find((p) => p.pubkey === session.publicKey);
    expect(me).toMatchObject({ memberPubkey: alice.pubkey, peerRole: "session" });
  });

  it("an unproven sessionPubkey on a member hello is never listed as a routable key", async () => {
    const claimed = generateIdentity().publicKey;
    const hinted = await RawPeer.connect(broker().url);
    const ack = await hinted.hello({ ...memberHello(mesh.meshId, alice), sessionPubkey: claimed });
    expect(ack.type).toBe("hello_ack");
    const peers = (await hinted.request({ type: "list_peers" })).peers as Frame[];
    expect(peers.some((p) => p.pubkey === claimed)).toBe(false);
    expect(peers.some((p) => p.pubkey === alice.pubkey)).toBe(true);
  });
});

describe.concurrent("member hello refusals", () => {
  it("bad signature (signed by another key)", async () => {
    const stranger = generateIdentity();
    await expectRefused(
      memberHello(mesh.meshId, { ...alice, secretKey: stranger.secretKey }),
      "bad_signature",
    );
  });

  it("bad signature (a signed field tampered with after signing)", async () => {
    const hello = memberHello(mesh.meshId, alice);
    await expectRefused({ ...hello, memberId: `${alice.memberId}x` }, "bad_signature");
  });

  it("timestamp 61 s in the future", async () => {
    const reply = await expectRefused(
      memberHello(mesh.meshId, alice, { timestamp: Date.now() + 61_000 }),
      "timestamp_skew",
    );
    expect(typeof reply.serverTime).toBe("number");
  });

  it("timestamp 61 s in the past", async () => {
    const reply = await expectRefused(
      memberHello(mesh.meshId, alice, { timestamp: Date.now() - 61_000 }),
      "timestamp_skew",
    );
    expect(typeof reply.serverTime).toBe("number");
  });

  it("replayed hello (the exact same signed frame twice)", async () => {
    const hello = memberHello(mesh.meshId, alice);
    const first = await RawPeer.connect(broker().url);
    expect((await first.hello(hello)).type).toBe("hello_ack");
    await expectRefused(hello, "replayed_hello");
  });

  it("unknown member key (unauthorized)", async () => {
    const stranger = generateIdentity();
    await expectRefused(
      memberHello(mesh.meshId, {
        memberId: "nobody",
        pubkey: stranger.publicKey,
        secretKey: stranger.secretKey,
      }),
      "unauthorized",
    );
  });

  it("a key that is a member of another mesh only (unauthorized)", async () => {
    const other = await createTestMesh(broker(), { name: "other-mesh" });
    await expectRefused(memberHello(other.meshId, alice), "unauthorized");
  });

  it("malformed hex: upper-case pubkey", async () => {
    const hello = memberHello(mesh.meshId, alice);
    await expectRefused({ ...hello, pubkey: alice.pubkey.toUpperCase() }, "malformed");
  });

  it("malformed hex: signature of the wrong length", async () => {
    const hello = memberHello(mesh.meshId, alice);
    await expectRefused({ ...hello, signature: (hello.signature as string).slice(0, 126) }, "malformed");
  });

  it("malformed hex: upper-case signature", async () => {
    const hello = memberHello(mesh.meshId, alice);
    await expectRefused({ ...hello, signature: (hello.signature as string).toUpperCase() }, "malformed");
  });

  it("malformed: a required field missing", async () => {
    const { signature: _signature, ...unsigned } = memberHello(mesh.meshId, alice);
    await expectRefused(unsigned as Frame, "malformed");
  });

  it("lets in a displayName no send could address (@…), which a member may have taken before that rule", async () => {
    const peer = await RawPeer.connect(broker().url);
    const ack = await peer.hello(memberHello(mesh.meshId, alice, { displayName: "@backend" }));
    expect(ack).toMatchObject({ type: "hello_ack", memberDisplayName: "@backend" });
    peer.close();
  });

  it("bad_session_pubkey: a non-hex sessionPubkey on a member hello", async () => {
    await expectRefused(
      { ...memberHello(mesh.meshId, alice), sessionPubkey: "zz".repeat(32) },
      "bad_session_pubkey",
    );
  });
});

describe.concurrent("session hello refusals", () => {
  it("expired attestation", async () => {
    await expectRefused(
      sessionHello(mesh.meshId, alice, generateIdentity(), { expiresAt: Date.now() - 1_000 }),
      "expired",
    );
  });

  it("attestation lifetime over 24 h (ttl_too_long)", async () => {
    await expectRefused(
      sessionHello(mesh.meshId, alice, generateIdentity(), {
        expiresAt: Date.now() + 24 * 3_600_000 + 60_000,
      }),
      "ttl_too_long",
    );
  });

  it("attestation for another session key (attestation_mismatch)", async () => {
    const hello = sessionHello(mesh.meshId, alice, generateIdentity());
    const attestation = {
      ...(hello.parentAttestation as Frame),
      sessionPubkey: generateIdentity().publicKey,
    };
    await expectRefused({ ...hello, parentAttestation: attestation }, "attestation_mismatch");
  });

  it("attestation naming another parent key (attestation_mismatch)", async () => {
    const hello = sessionHello(mesh.meshId, alice, generateIdentity());
    const attestation = { ...(hello.parentAttestation as Frame), parentMemberPubkey: mesh.owner.pubkey };
    await expectRefused({ ...hello, parentAttestation: attestation }, "attestation_mismatch");
  });

  it("attestation signed by a key that is not the parent's (bad_signature)", async () => {
    await expectRefused(
      sessionHello(mesh.meshId, alice, generateIdentity(), { attestationSigner: mesh.owner.secretKey }),
      "bad_signature",
    );
  });

  it("session hello not signed by the session key (bad_signature)", async () => {
    await expectRefused(
      sessionHello(mesh.meshId, alice, generateIdentity(), { helloSigner: alice.secretKey }),
      "bad_signature",
    );
  });

  it("a captured attestation is useless without the session secret key", async () => {
    const victim = generateIdentity();
    const legit = sessionHello(mesh.meshId, alice, victim);
    const attacker = generateIdentity();
    const forged = sessionHello(mesh.meshId, alice, victim, { helloSigner: attacker.secretKey });
    await expectRefused({ ...forged, parentAttestation: legit.parentAttestation }, "bad_signature");
  });

  it("timestamp skew in both directions", async () => {
    const session = generateIdentity();
    await expectRefused(
      sessionHello(mesh.meshId, alice, session, { timestamp: Date.now() + 61_000 }),
      "timestamp_skew",
    );
    await expectRefused(
      sessionHello(mesh.meshId, alice, session, { timestamp: Date.now() - 61_000 }),
      "timestamp_skew",
    );
  });

  it("replayed session hello", async () => {
    const hello = sessionHello(mesh.meshId, alice, generateIdentity());
    const first = await RawPeer.connect(broker().url);
    expect((await first.hello(hello)).type).toBe("hello_ack");
    await expectRefused(hello, "replayed_hello");
  });

  it("malformed hex keys and signatures", async () => {
    const session = generateIdentity();
    const upper = sessionHello(mesh.meshId, alice, session);
    await expectRefused({ ...upper, sessionPubkey: session.publicKey.toUpperCase() }, "bad_session_pubkey");
    const parent = sessionHello(mesh.meshId, alice, session);
    await expectRefused({ ...parent, parentMemberPubkey: alice.pubkey.slice(0, 62) }, "bad_parent_pubkey");
    const shortSig = sessionHello(mesh.meshId, alice, session);
    await expectRefused({ ...shortSig, signature: (shortSig.signature as string).slice(2) }, "malformed");
    const attSig = sessionHello(mesh.meshId, alice, session);
    const attestation = { ...(attSig.parentAttestation as Frame), signature: "AB".repeat(64) };
    await expectRefused({ ...attSig, parentAttestation: attestation }, "malformed");
  });

  it("unknown parent member (unauthorized)", async () => {
    const stranger = generateIdentity();
    await expectRefused(
      sessionHello(
        mesh.meshId,
        { memberId: "nobody", pubkey: stranger.publicKey, secretKey: stranger.secretKey },
        generateIdentity(),
      ),
      "unauthorized",
    );
  });

  it("parentMemberId of another member (parent_member_id_mismatch)", async () => {
    const hello = sessionHello(mesh.meshId, alice, generateIdentity());
    await expectRefused({ ...hello, parentMemberId: mesh.owner.memberId }, "parent_member_id_mismatch");
  });

  it("refusals are counted in /metrics with attestation_/session_ labels", async () => {
    await expectRefused(
      sessionHello(mesh.meshId, alice, generateIdentity(), { expiresAt: Date.now() - 5 }),
      "expired",
    );
    await expectRefused(
      sessionHello(mesh.meshId, alice, generateIdentity(), { helloSigner: alice.secretKey }),
      "bad_signature",
    );
    const metrics = await httpJson(broker(), "GET", "/metrics");
    expect(metrics.text).toMatch(/broker_connections_rejected_total\{reason="attestation_expired"\} [1-9]/);
    expect(metrics.text).toMatch(/broker_connections_rejected_total\{reason="session_bad_signature"\} [1-9]/);
  });
});

describe("revoked members", () => {
  it("a banned member's hello and session hello get `revoked` and close 4002", async () => {
    const mallory = await addMember(broker(), mesh, "mallory");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const banned = await owner.request({ type: "ban", target: mallory.pubkey });
    expect(banned).toMatchObject({ type: "ban_ack", banned: "mallory" });

    const reply = await expectRefused(memberHello(mesh.meshId, mallory), "revoked", 4002);
    expect(reply.message).toContain("Contact the mesh owner to rejoin.");
    expect(reply.message).toContain(mesh.name);
    const session = await expectRefused(
      sessionHello(mesh.meshId, mallory, generateIdentity()),
      "revoked",
      4002,
    );
    expect(session.message).toContain("Contact the mesh owner to rejoin.");
  });
});

describe.concurrent("frames around the handshake", () => {
  it("a frame sent the instant hello_ack arrives is never answered no_hello", async () => {
    for (let i = 0; i < 10; i++) {
      const peer = await RawPeer.connect(broker().url);
      peer.onFrame = (frame) => {
        if (frame.type === "hello_ack") peer.send({ type: "list_peers", _reqId: `instant-${i}` });
      };
      expect((await peer.hello(memberHello(mesh.meshId, alice))).type).toBe("hello_ack");
      const reply = await peer.waitFor((f) => f._reqId === `instant-${i}`);
      expect(reply.type).toBe("peers_list");
      expect(peer.frames.some((f) => f.code === "no_hello")).toBe(false);
      peer.close();
    }
  });

  it("a known type before hello gets no_hello with its _reqId and the socket stays usable", async () => {
    const peer = await RawPeer.connect(broker().url);
    const reply = await peer.request({ type: "list_peers" });
    expect(reply).toMatchObject({ type: "error", code: "no_hello", message: "must send hello first" });
    const send = await peer.request({ type: "send", targetSpec: "*", ciphertext: "", id: "early-send" });
    // A send refused with an error frame carries its `id`, which is how clients match it (§1.3).
    expect(send).toMatchObject({ type: "error", code: "no_hello", id: "early-send" });
    expect(peer.open).toBe(true);
    expect((await peer.hello(memberHello(mesh.meshId, alice))).type).toBe("hello_ack");
  });

  it("an unknown type gets unknown_message_type with _reqId, before and after hello", async () => {
    const peer = await RawPeer.connect(broker().url);
    const before = await peer.request({ type: "teleport" });
    expect(before).toMatchObject({
      type: "error",
      code: "unknown_message_type",
      message: "unknown message type: teleport",
    });
    expect((await peer.hello(memberHello(mesh.meshId, alice))).type).toBe("hello_ack");
    const after = await peer.request({ type: "vector_search" });
    expect(after).toMatchObject({ type: "error", code: "unknown_message_type" });
    expect(peer.open).toBe(true);
  });

  it("a second hello on an authenticated socket gets already_authenticated and keeps the first identity", async () => {
    const peer = await connectMember(broker().url, mesh.meshId, alice);
    const first = peer.helloAck?.presenceId;
    const reply = await peer.request(memberHello(mesh.meshId, mesh.owner));
    expect(reply).toMatchObject({ type: "error", code: "already_authenticated" });
    const peers = (await peer.request({ type: "list_peers" })).peers as Frame[];
    expect(peers.some((p) => p.memberPubkey === alice.pubkey)).toBe(true);
    expect(peer.open).toBe(true);
    expect(first).toBeDefined();
  });

  it("non-JSON and typeless frames get malformed_frame and the socket stays open", async () => {
    const peer = await RawPeer.connect(broker().url);
    peer.sendText("{not json");
    await peer.waitForError("malformed_frame");
    peer.send({ notype: true });
    await peer.waitFor((f) => f.code === "malformed_frame", { since: 1 });
    expect(peer.open).toBe(true);
  });

  it("no hello within the hello timeout: hello_timeout and close 1008", async () => {
    // The protocol's 10 s, shortened so the test need not wait it out.
    const quick = await startBroker({ helloTimeoutMs: 1_000 });
    try {
      const peer = await RawPeer.connect(quick.url);
      peer.send({ type: "list_peers" }); // a non-hello frame does not count as a hello
      await peer.waitForError("no_hello");
      expect(peer.open).toBe(true);
      const error = await peer.waitForError("hello_timeout", { timeoutMs: 10_000 });
      expect(error).toMatchObject({ type: "error", message: "no hello within 1 s" });
      const closed = await peer.waitForClose();
      expect(closed).toEqual({ code: 1008, reason: "hello_timeout" });
    } finally {
      await quick.dispose();
    }
  });

  it("an upgrade on a path other than /ws is refused", async () => {
    await expect(RawPeer.connect(broker().url.replace(/\/ws$/, "/other"))).rejects.toThrow();
  });
});

describe("capacity", () => {
  it("refuses presences over --max-peers-per-mesh with 1008 capacity; a reattach never counts twice", async () => {
    const small = await startBroker({ maxPeersPerMesh: 2 });
    try {
      const m = await createTestMesh(small);
      const bob = await addMember(small, m, "bob");
      const first = await connectMember(small.url, m.meshId, m.owner, { sessionId: "owner-1" });
      const second = await connectMember(small.url, m.meshId, bob, { sessionId: "bob-1" });

      const third = await RawPeer.connect(small.url);
      expect(await third.hello(memberHello(m.meshId, bob, { sessionId: "bob-2" }))).toMatchObject({
        type: "error",
        code: "capacity",
      });
      expect(await third.waitForClose()).toEqual({ code: 1008, reason: "capacity" });

      const session = await RawPeer.connect(small.url);
      expect(await session.hello(sessionHello(m.meshId, bob, generateIdentity()))).toMatchObject({
        code: "capacity",
      });
      expect((await session.waitForClose()).code).toBe(1008);

      // bob drops without bye: its presence is in grace and still counts, but its own reattach is let in.
      second.terminate();
      await second.closed;
      const fresh = await RawPeer.connect(small.url);
      expect(await fresh.hello(memberHello(m.meshId, bob, { sessionId: "bob-3" }))).toMatchObject({
        code: "capacity",
      });
      // Until the broker has processed the close, the old presence is online and cannot be reattached.
      const reattach = await waitUntil(
        async () => {
          const probe = await RawPeer.connect(small.url);
          const reply = await probe.hello(memberHello(m.meshId, bob, { sessionId: "bob-1" }));
          return reply.type === "hello_ack" ? reply : undefined;
        },
        { message: "reattach within capacity" },
      );
      expect(reattach.type).toBe("hello_ack");
      expect(first.open).toBe(true);
    } finally {
      closeAllPeers();
      await small.dispose();
    }
  });
});

/**
 * Mesh creation and invites over the broker's real HTTP API (protocol.md §7.2-§7.4; must-never-happen 51,
 * 55): admin token, signed registration, preview, claim response, forged/expired/used-up invites, the
 * concurrent last use, and listing and revoking invites (owner/admin only, nothing secret listed).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { signHttpRequest } from "../../src/client/signing.js";
import {
  decryptRootKey,
  deriveInviteKeys,
  generateIdentity,
  sha256Hex,
  sign,
  toHex,
  verify,
} from "../../src/crypto/index.js";
import { meshCreateCanonical } from "../../src/protocol/canonical.js";
import {
  addMember,
  buildInvite,
  claimBody,
  connectMember,
  createInvite,
  createTestMesh,
  httpJson,
  useBroker,
  type TestInvite,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

let mesh: TestMesh;

const broker = useBroker();

beforeAll(async () => {
  mesh = await createTestMesh(broker(), { name: "invite mesh", ownerName: "olive" });
});

function meshBody(name = "made-by-test") {
  const owner = generateIdentity();
  const timestamp = Date.now();
  return JSON.stringify({
    name,
    owner_pubkey: owner.publicKey,
    owner_display_name: "owner",
    timestamp,
    signature: sign(meshCreateCanonical({ name, ownerPubkey: owner.publicKey, timestamp }), owner.secretKey),
  });
}

/** `POST /invites` with the §7.1 headers signed by `signer` (default: the registering inviter). */
function postInvite(invite: TestInvite, signer: Pick<TestMember, "pubkey" | "secretKey"> = mesh.owner) {
  const body = JSON.stringify(invite.registration);
  const signed = signHttpRequest({
    method: "POST",
    target: "/invites",
    meshId: mesh.meshId,
    pubkey: signer.pubkey,
    secretKey: signer.secretKey,
    body,
  });
  return httpJson(broker(), "POST", "/invites", { body, headers: signed.headers });
}

function postClaim(code: string, body: object) {
  return httpJson(broker(), "POST", `/invites/${code}/claim`, { body: JSON.stringify(body) });
}

/** A request to `path` in `on`'s mesh, signed (§7.1) by `as`. */
function signedAs(
  on: Pick<TestMesh, "meshId">,
  as: Pick<TestMember, "pubkey" | "secretKey">,
  method: "GET" | "POST",
  path: string,
  body?: string,
) {
  const signed = signHttpRequest({
    method,
    target: path,
    meshId: on.meshId,
    pubkey: as.pubkey,
    secretKey: as.secretKey,
    body: body ?? "",
  });
  return httpJson(broker(), method, path, { body, headers: signed.headers });
}

const listInvites = (on: TestMesh, as: TestMember = on.owner) => signedAs(on, as, "GET", "/invites");
const revokeInvite = (on: TestMesh, code: string, as: TestMember = on.owner) =>
  signedAs(on, as, "POST", `/invites/${code}/revoke`);

describe.concurrent("POST /meshes", () => {
  it("refuses a missing or wrong admin token with 401 unauthorized", async () => {
    const none = await httpJson(broker(), "POST", "/meshes", { body: meshBody() });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ ok: false, error: "unauthorized" });
    const wrong = await httpJson(broker(), "POST", "/meshes", {
      body: meshBody(),
      headers: { Authorization: `Bearer ${"0".repeat(broker().adminToken.length)}` },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("unauthorized");
  });

  it("creates a mesh with the admin token and refuses a bad or replayed owner signature", async () => {
    const headers = { Authorization: `Bearer ${broker().adminToken}` };
    const body = meshBody("created here");
    const ok = await httpJson(broker(), "POST", "/meshes", { body, headers });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: "created here", slug: "created-here" });
    expect(typeof ok.body.mesh_id).toBe("string");
    expect(typeof ok.body.owner_member_id).toBe("string");
    const replayed = await httpJson(broker(), "POST", "/meshes", { body, headers });
    expect(replayed).toMatchObject({ status: 401, body: { error: "replayed" } });
    const forged = JSON.parse(meshBody("forged")) as Record<string, unknown>;
    forged.name = "tampered";
    const bad = await httpJson(broker(), "POST", "/meshes", { body: JSON.stringify(forged), headers });
    expect(bad).toMatchObject({ status: 401, body: { error: "bad_signature" } });
    const pipe = await httpJson(broker(), "POST", "/meshes", { body: meshBody("a|b"), headers });
    expect(pipe).toMatchObject({ status: 400, body: { error: "invalid_argument" } });
  });
});

describe.concurrent("registering invites", () => {
  it("refuses an invite signature by a key other than inviter_pubkey (401 bad_signature)", async () => {
    const forger = generateIdentity();
    const invite = buildInvite(mesh, mesh.owner, { signingKey: forger.secretKey });
    const res = await postInvite(invite);
    expect(res).toMatchObject({ status: 401, body: { ok: false, error: "bad_signature" } });
    expect((await httpJson(broker(), "GET", `/invites/${invite.code}`)).status).toBe(404);
  });

  it("refuses request headers signed by another key (401 bad_signature)", async () => {
    const invite = buildInvite(mesh, mesh.owner);
    const body = JSON.stringify(invite.registration);
    const signed = signHttpRequest({
      method: "POST",
      target: "/invites",
      meshId: mesh.meshId,
      pubkey: mesh.owner.pubkey,
      secretKey: generateIdentity().secretKey,
      body,
    });
    const res = await httpJson(broker(), "POST", "/invites", { body, headers: signed.headers });
    expect(res).toMatchObject({ status: 401, body: { error: "bad_signature" } });
  });

  it("refuses a plain member as inviter (403 forbidden) and a code already in use (409)", async () => {
    const member = await addMember(broker(), mesh, "plain");
    const byMember = await postInvite(buildInvite(mesh, member), member);
    expect(byMember).toMatchObject({ status: 403, body: { error: "forbidden" } });
    const invite = await createInvite(broker(), mesh);
    const clash = await postInvite(buildInvite(mesh, mesh.owner, { code: invite.code }));
    expect(clash).toMatchObject({ status: 409, body: { ok: false } });
    const admin = await addMember(broker(), mesh, "admin-inviter", "admin");
    const byAdmin = await createInvite(broker(), mesh, admin);
    expect(byAdmin.code).toMatch(/^[A-Z2-9]{8}$/);
  });

  it("refuses an unsigned request with 401", async () => {
    const invite = buildInvite(mesh, mesh.owner);
    const res = await httpJson(broker(), "POST", "/invites", { body: JSON.stringify(invite.registration) });
    expect(res).toMatchObject({ status: 401, body: { ok: false, error: "unauthorized" } });
  });
});

describe.concurrent("preview and claim", () => {
  it("previews without consuming a use", async () => {
    const invite = await createInvite(broker(), mesh, mesh.owner, { maxUses: 3, role: "admin" });
    const first = await httpJson(broker(), "GET", `/invites/${invite.code}`);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      mesh_id: mesh.meshId,
      mesh_name: "invite mesh",
      role: "admin",
      inviter_name: "olive",
      expires_at: invite.registration.expires_at,
      uses_left: 3,
    });
    const second = await httpJson(broker(), "GET", `/invites/${invite.code}`);
    expect(second.body.uses_left).toBe(3);
  });

  it("a claim answers every field; the signature verifies and the root key decrypts", async () => {
    const invite = await createInvite(broker(), mesh);
    const joiner = generateIdentity();
    const res = await postClaim(invite.code, claimBody(invite, joiner, "joiner"));
    expect(res.status).toBe(200);
    const b = res.body;
    expect(b).toMatchObject({
      mesh_id: mesh.meshId,
      role: "member",
      mesh_name: "invite mesh",
      slug: mesh.slug,
      owner_pubkey: mesh.owner.pubkey,
      inviter_pubkey: mesh.owner.pubkey,
      invite_signature: invite.registration.invite_signature,
      encrypted_root_key: invite.registration.encrypted_root_key,
      nonce: invite.registration.nonce,
    });
    expect(typeof b.member_id).toBe("string");
    const canonical = b.canonical as string;
    expect(canonical).toBe(
      [
        "claudemesh-invite",
        mesh.meshId,
        invite.code,
        "member",
        "1",
        String(invite.registration.expires_at),
        mesh.owner.pubkey,
        invite.registration.claim_hash,
      ].join("|"),
    );
    expect(verify(canonical, b.invite_signature as string, b.inviter_pubkey as string)).toBe(true);
    const { inviteKey } = deriveInviteKeys(invite.secret, invite.code);
    const rootKey = decryptRootKey(b.encrypted_root_key as string, b.nonce as string, inviteKey);
    expect(rootKey && toHex(rootKey)).toBe(toHex(mesh.rootKey));
    // The new member can authenticate.
    const peer = await connectMember(broker().url, mesh.meshId, {
      memberId: b.member_id as string,
      pubkey: joiner.publicKey,
      secretKey: joiner.secretKey,
    });
    expect(peer.helloAck?.memberDisplayName).toBe("joiner");
    expect(b.display_name).toBe("joiner");
  });

  it("a display name another member has gets a suffix, in the claim reply, the hello and the peer list", async () => {
    const named = await createTestMesh(broker(), { name: "names", ownerName: "olive" });
    const claimed: string[] = [];
    for (const wanted of ["bob", "bob", "Bob", "olive"]) {
      const invite = await createInvite(broker(), named);
      const res = await postClaim(invite.code, claimBody(invite, generateIdentity(), wanted));
      expect(res.status).toBe(200);
      claimed.push(res.body.display_name as string);
    }
    expect(claimed).toEqual(["bob", "bob 2", "Bob 3", "olive 2"]);
    const bob2 = await addMember(broker(), named, "bob");
    expect(bob2.displayName).toBe("bob 4");
    const peer = await connectMember(broker().url, named.meshId, bob2);
    expect(peer.helloAck?.memberDisplayName).toBe("bob 4");
    const list = await peer.request({ type: "list_peers" });
    expect((list.peers as { displayName: string }[]).map((p) => p.displayName)).toContain("bob 4");
  });

  it("refuses a display name no send could address (400), without using the invite; hex-looking names are fine", async () => {
    const invite = await createInvite(broker(), mesh);
    for (const name of ["@backend", "#ops", "*", " @padded"]) {
      const res = await postClaim(invite.code, claimBody(invite, generateIdentity(), name));
      expect(res).toMatchObject({ status: 400, body: { ok: false, error: "invalid_argument" } });
      expect(res.body.message).toMatch(/^a display name must not (start with [@#]|be "\*")/);
    }
    expect((await httpJson(broker(), "GET", `/invites/${invite.code}`)).body.uses_left).toBe(1);
    const hexLooking = await postClaim(invite.code, claimBody(invite, generateIdentity(), "cafe"));
    expect(hexLooking).toMatchObject({ status: 200, body: { display_name: "cafe" } });
    const headers = { Authorization: `Bearer ${broker().adminToken}` };
    const owner = JSON.parse(meshBody("owned by a group name")) as Record<string, unknown>;
    const asGroup = await httpJson(broker(), "POST", "/meshes", {
      body: JSON.stringify({ ...owner, owner_display_name: "@owners" }),
      headers,
    });
    expect(asGroup).toMatchObject({ status: 400, body: { error: "invalid_argument" } });
  });

  it("refuses a wrong claim token (403), a claim signed by another key (401) and an unknown code (404)", async () => {
    const invite = await createInvite(broker(), mesh);
    const joiner = generateIdentity();
    const wrongToken = await postClaim(invite.code, {
      ...claimBody(invite, joiner, "j"),
      claim_token: "ab".repeat(32),
    });
    expect(wrongToken).toMatchObject({ status: 403, body: { error: "bad_claim_token" } });
    const forged = { ...claimBody(invite, joiner, "j"), peer_pubkey: generateIdentity().publicKey };
    expect((await postClaim(invite.code, forged)).body.error).toBe("bad_signature");
    expect(
      (await postClaim("ZZZZZZZZ", claimBody({ ...invite, code: "ZZZZZZZZ" }, joiner, "j"))).status,
    ).toBe(404);
    // None of that used the invite.
    expect((await httpJson(broker(), "GET", `/invites/${invite.code}`)).body.uses_left).toBe(1);
  });

  it("an expired invite is 410 expired on preview and claim, and in the list, revoked or not", async () => {
    const own = await createTestMesh(broker(), { ownerName: "ursula" });
    const invite = await createInvite(broker(), own, own.owner, { expiresAt: Date.now() - 1_000 });
    for (const revoke of [false, true]) {
      if (revoke) expect((await revokeInvite(own, invite.code)).status).toBe(200);
      expect(await httpJson(broker(), "GET", `/invites/${invite.code}`)).toMatchObject({
        status: 410,
        body: { error: "expired" },
      });
      const res = await postClaim(invite.code, claimBody(invite, generateIdentity(), "late"));
      expect(res).toMatchObject({ status: 410, body: { ok: false, error: "expired" } });
      const listed = (await listInvites(own)).body.invites as Array<{ state: string }>;
      expect(listed.map((i) => i.state)).toEqual(["expired"]);
    }
  });

  it("a used-up invite is 410 exhausted; the same key rejoining gets its member id without a use", async () => {
    const invite = await createInvite(broker(), mesh);
    const first = generateIdentity();
    const ok = await postClaim(invite.code, claimBody(invite, first, "first"));
    expect(ok.status).toBe(200);
    const second = await postClaim(invite.code, claimBody(invite, generateIdentity(), "second"));
    expect(second).toMatchObject({ status: 410, body: { error: "exhausted" } });
    expect((await httpJson(broker(), "GET", `/invites/${invite.code}`)).body.error).toBe("exhausted");
    const rejoin = await postClaim(invite.code, claimBody(invite, first, "first"));
    expect(rejoin).toMatchObject({ status: 200, body: { member_id: ok.body.member_id } });
  });

  it("a banned key cannot undo its ban with an invite it still holds; one that left may come back", async () => {
    const invite = await createInvite(broker(), mesh, mesh.owner, { maxUses: 5 });
    const banned = generateIdentity();
    const leaver = generateIdentity();
    const joined = await postClaim(invite.code, claimBody(invite, banned, "mallet"));
    const left = await postClaim(invite.code, claimBody(invite, leaver, "leaver"));
    expect([joined.status, left.status]).toEqual([200, 200]);
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    // A reason that reads like a leave is still a ban.
    expect(await owner.request({ type: "ban", target: banned.publicKey, reason: "left" })).toMatchObject({
      type: "ban_ack",
    });
    const leaving = await connectMember(broker().url, mesh.meshId, {
      memberId: String(left.body.member_id),
      pubkey: leaver.publicKey,
      secretKey: leaver.secretKey,
    });
    expect(await leaving.request({ type: "leave_mesh" })).toMatchObject({ type: "leave_mesh_ack" });
    await leaving.waitForClose();

    const again = await postClaim(invite.code, claimBody(invite, banned, "mallet"));
    expect(again).toMatchObject({ status: 403, body: { ok: false, error: "banned" } });
    const bans = await owner.request({ type: "list_bans" });
    expect(bans.bans).toEqual(
      expect.arrayContaining([expect.objectContaining({ pubkey: banned.publicKey })]),
    );
    const hello = await connectMember(broker().url, mesh.meshId, {
      memberId: String(joined.body.member_id),
      pubkey: banned.publicKey,
      secretKey: banned.secretKey,
    }).catch((error: unknown) => error);
    expect(String(hello)).toContain("revoked");

    const back = await postClaim(invite.code, claimBody(invite, leaver, "leaver"));
    expect(back).toMatchObject({ status: 200, body: { member_id: left.body.member_id } });
  });

  it("concurrent claims of the last use: exactly one 200", async () => {
    const invite = await createInvite(broker(), mesh);
    const claims = Array.from({ length: 12 }, (_, i) =>
      postClaim(invite.code, claimBody(invite, generateIdentity(), `racer-${i}`)),
    );
    const results = await Promise.all(claims);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 410 && r.body.error === "exhausted")).toHaveLength(11);
  });

  it("a claim replayed byte for byte is refused (401 replayed)", async () => {
    const invite = await createInvite(broker(), mesh, mesh.owner, { maxUses: 2 });
    const body = claimBody(invite, generateIdentity(), "once");
    expect((await postClaim(invite.code, body)).status).toBe(200);
    expect(await postClaim(invite.code, body)).toMatchObject({ status: 401, body: { error: "replayed" } });
  });
});

describe.concurrent("listing and revoking invites", () => {
  it("lists every invite of the mesh newest first, with its state, and nothing that opens one", async () => {
    const own = await createTestMesh(broker(), { ownerName: "olive" });
    const admin = await addMember(broker(), own, "ann", "admin");
    const byOwner = await createInvite(broker(), own, own.owner, { maxUses: 2 });
    const byAdmin = await createInvite(broker(), own, admin, { role: "admin" });
    await createInvite(broker(), mesh);

    const res = await listInvites(own);
    expect(res.status).toBe(200);
    const invites = res.body.invites as Array<Record<string, unknown>>;
    // Newest first; invites made in the same millisecond in code order.
    const newestFirst = [...invites].sort(
      (a, b) => Number(b.created_at) - Number(a.created_at) || String(a.code).localeCompare(String(b.code)),
    );
    expect(invites).toEqual(newestFirst);
    expect(invites).toHaveLength(3);
    const byCode = new Map(invites.map((i) => [i.code, i]));
    expect(byCode.get(byAdmin.code)).toEqual({
      code: byAdmin.code,
      role: "admin",
      max_uses: 1,
      uses: 0,
      expires_at: byAdmin.registration.expires_at,
      created_at: expect.any(Number),
      revoked_at: null,
      inviter_name: "ann",
      inviter_pubkey: admin.pubkey,
      state: "active",
    });
    expect(byCode.get(byOwner.code)).toMatchObject({ state: "active", max_uses: 2, inviter_name: "olive" });
    // The invite ann joined with.
    expect(invites.find((i) => i.code !== byAdmin.code && i.code !== byOwner.code)).toMatchObject({
      state: "exhausted",
      role: "admin",
      uses: 1,
      max_uses: 1,
      inviter_name: "olive",
      inviter_pubkey: own.owner.pubkey,
    });
    for (const invite of [byOwner, byAdmin]) {
      const r = invite.registration;
      for (const secret of [
        r.claim_hash,
        r.encrypted_root_key,
        r.nonce,
        r.invite_signature,
        invite.claimToken,
      ])
        expect(res.text).not.toContain(secret);
    }
    expect((await listInvites(own, admin)).body).toEqual(res.body);
  });

  it("revokes an invite: preview and claim then answer 410 revoked; again changes nothing; audited once", async () => {
    const own = await createTestMesh(broker(), { ownerName: "olive" });
    const leaked = await createInvite(broker(), own, own.owner, { maxUses: 5 });
    const kept = await createInvite(broker(), own);
    const before = Date.now();

    const first = await revokeInvite(own, leaked.code);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      ok: true,
      already_revoked: false,
      invite: { code: leaked.code, state: "revoked", uses: 0, max_uses: 5, inviter_name: "olive" },
    });
    const revokedAt = (first.body.invite as { revoked_at: number }).revoked_at;
    expect(revokedAt).toBeGreaterThanOrEqual(before);

    expect(await httpJson(broker(), "GET", `/invites/${leaked.code}`)).toMatchObject({
      status: 410,
      body: { ok: false, error: "revoked" },
    });
    const claim = await postClaim(leaked.code, claimBody(leaked, generateIdentity(), "mallory"));
    expect(claim).toMatchObject({ status: 410, body: { ok: false, error: "revoked" } });

    const again = await revokeInvite(own, leaked.code);
    expect(again).toMatchObject({
      status: 200,
      body: { ok: true, already_revoked: true, invite: { state: "revoked", revoked_at: revokedAt } },
    });
    const listed = (await listInvites(own)).body.invites as Array<{ code: string; state: string }>;
    expect(Object.fromEntries(listed.map((i) => [i.code, i.state]))).toEqual({
      [kept.code]: "active",
      [leaked.code]: "revoked",
    });
    expect((await postClaim(kept.code, claimBody(kept, generateIdentity(), "friend"))).status).toBe(200);

    const owner = await connectMember(broker().url, own.meshId, own.owner);
    const log = await owner.request({ type: "audit_query" });
    const revocations = (log.entries as Array<Record<string, unknown>>).filter(
      (e) => e.action === "invite.revoked",
    );
    expect(revocations).toEqual([
      expect.objectContaining({
        actorPubkey: own.owner.pubkey,
        actorName: "olive",
        target: `invite:${sha256Hex(leaked.code).slice(0, 16)}`,
      }),
    ]);
    expect(JSON.stringify(log.entries)).not.toContain(leaked.code);
  });

  it("refuses a plain member (403), an unknown code or another mesh's invite (404), unsigned (401)", async () => {
    const own = await createTestMesh(broker(), { ownerName: "olive" });
    const plain = await addMember(broker(), own, "plain");
    const invite = await createInvite(broker(), own);
    expect(await listInvites(own, plain)).toMatchObject({
      status: 403,
      body: { ok: false, error: "forbidden", message: "only the mesh owner or an admin may list invites" },
    });
    expect(await revokeInvite(own, invite.code, plain)).toMatchObject({
      status: 403,
      body: { ok: false, error: "forbidden" },
    });
    const theirs = await createInvite(broker(), mesh);
    for (const code of [theirs.code, "ZZZZZZZZ"]) {
      expect(await revokeInvite(own, code)).toMatchObject({
        status: 404,
        body: { ok: false, error: "not_found" },
      });
    }
    expect((await httpJson(broker(), "GET", "/invites")).status).toBe(401);
    expect((await httpJson(broker(), "POST", `/invites/${invite.code}/revoke`)).status).toBe(401);
    // Nothing of that revoked either invite.
    for (const code of [invite.code, theirs.code])
      expect((await httpJson(broker(), "GET", `/invites/${code}`)).status).toBe(200);
    const bad = await signedAs(own, own.owner, "POST", `/invites/${invite.code}/revoke`, "[1]");
    expect(bad).toMatchObject({ status: 400, body: { error: "invalid_argument" } });
    const withBody = await signedAs(own, own.owner, "POST", `/invites/${invite.code}/revoke`, "{}");
    expect(withBody).toMatchObject({ status: 200, body: { already_revoked: false } });
  });
});

describe.concurrent("other routes", () => {
  it("v2 claim bodies get 501, /join 410, unknown routes 404, malformed 400, oversized 413", async () => {
    const invite = await createInvite(broker(), mesh);
    const v2 = await postClaim(invite.code, { recipient_x25519_pubkey: "x" });
    expect(v2).toMatchObject({ status: 501, body: { error: "invite_v2_disabled" } });
    expect(await httpJson(broker(), "POST", "/join", { body: "{}" })).toMatchObject({
      status: 410,
      body: { error: "invite_format_unsupported" },
    });
    expect((await httpJson(broker(), "GET", "/nope")).status).toBe(404);
    const malformed = await httpJson(broker(), "POST", `/invites/${invite.code}/claim`, { body: "{oops" });
    expect(malformed).toMatchObject({ status: 400, body: { error: "invalid_argument" } });
    const huge = await httpJson(broker(), "POST", "/meshes", {
      body: JSON.stringify({ pad: "x".repeat(70_000) }),
    });
    expect(huge.status).toBe(413);
  });
});

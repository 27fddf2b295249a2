/**
 * audit log (protocol.md §6.9b) against a real broker with raw peers: the entries a join, an invite, a
 * kick, a task claim and a lease acquire produce, paging, owner/admin only, and a row edited directly in
 * the broker's database making `audit_verify` report `ok:false` with `brokenAt`.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateIdentity, sha256Hex } from "../../src/crypto/index.js";
import {
  addMember,
  claimAs,
  connectMember,
  connectSession,
  createInvite,
  createTestMesh,
  meshWith,
  useBroker,
} from "../helpers/broker.js";

const broker = useBroker();
const ZEROS = "0".repeat(64);

describe.concurrent("audit log", () => {
  it("records a join, an invite, a kick, a task claim and a lease acquire, newest first and chained", async () => {
    const mesh = await createTestMesh(broker(), { ownerName: "olive" });
    const identity = generateIdentity();
    const invite = await createInvite(broker(), mesh);
    await claimAs(broker(), invite, identity, "bob");
    const bob = {
      memberId: "",
      pubkey: identity.publicKey,
      secretKey: identity.secretKey,
      displayName: "bob",
      role: "member" as const,
    };
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const bobPeer = await connectMember(broker().url, mesh.meshId, bob);
    const sessionKey = generateIdentity();
    const session = await connectSession(broker().url, mesh.meshId, bob, sessionKey, {
      displayName: "bob-session",
    });
    await owner.request({ type: "kick", target: "bob-session" });
    await session.waitForClose();
    const { id: taskId } = await owner.request({ type: "create_task", title: "cm:enc1:secret-title" });
    await bobPeer.request({ type: "claim_task", taskId });
    await bobPeer.request({ type: "lease_acquire", resource: "repo:src/a.ts", ttlMs: 60_000 });

    const log = await owner.request({ type: "audit_query" });
    expect(log.type).toBe("audit_result");
    const entries = log.entries as Array<Record<string, unknown>>;
    const inviteTarget = `invite:${sha256Hex(invite.code).slice(0, 16)}`;
    expect(
      entries.map(({ seq, actorName, actorPubkey, action, target }) => ({
        seq,
        actorName,
        actorPubkey,
        action,
        target,
      })),
    ).toEqual([
      {
        seq: 7,
        actorName: "bob",
        actorPubkey: bob.pubkey,
        action: "lease.acquired",
        target: "repo:src/a.ts",
      },
      { seq: 6, actorName: "bob", actorPubkey: bob.pubkey, action: "task.claimed", target: taskId },
      { seq: 5, actorName: "olive", actorPubkey: mesh.owner.pubkey, action: "task.created", target: taskId },
      {
        seq: 4,
        actorName: "olive",
        actorPubkey: mesh.owner.pubkey,
        action: "member.kicked",
        target: sessionKey.publicKey,
      },
      { seq: 3, actorName: "bob", actorPubkey: bob.pubkey, action: "member.joined", target: inviteTarget },
      {
        seq: 2,
        actorName: "olive",
        actorPubkey: mesh.owner.pubkey,
        action: "invite.created",
        target: inviteTarget,
      },
      {
        seq: 1,
        actorName: "olive",
        actorPubkey: mesh.owner.pubkey,
        action: "mesh.created",
        target: mesh.slug,
      },
    ]);
    // Metadata only: no title, no invite code.
    expect(JSON.stringify(entries)).not.toContain("secret-title");
    expect(JSON.stringify(entries)).not.toContain(invite.code);
    expect(entries.at(-1)!.prevHash).toBe(ZEROS);
    for (let i = 0; i < entries.length - 1; i++) expect(entries[i]!.prevHash).toBe(entries[i + 1]!.hash);
    for (const e of entries) {
      expect(e.hash).toBe(
        sha256Hex(`${e.prevHash}|${e.seq}|${e.at}|${e.actorPubkey}|${e.action}|${e.target}`),
      );
    }
    expect(await owner.request({ type: "audit_verify" })).toMatchObject({
      type: "audit_verify_result",
      ok: true,
      entries: 7,
      head: entries[0]!.hash,
    });
    expect((await owner.request({ type: "audit_verify" })).brokenAt).toBeUndefined();

    const page = await owner.request({ type: "audit_query", limit: 2, beforeSeq: 5 });
    expect((page.entries as Array<{ seq: number }>).map((e) => e.seq)).toEqual([4, 3]);
  });

  it("records bans, unbans and leaving; a plain member is refused with forbidden", async () => {
    const { mesh, m } = await meshWith(broker(), ["admin-ann", "bob", "carol"], (n) =>
      n.startsWith("admin") ? "admin" : "member",
    );
    const admin = await connectMember(broker().url, mesh.meshId, m["admin-ann"]!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const carol = await connectMember(broker().url, mesh.meshId, m.carol!);
    for (const type of ["audit_query", "audit_verify"]) {
      const refused = await bob.request({ type });
      expect(refused).toMatchObject({ type: "error", code: "forbidden" });
      expect(String(refused.message)).toContain("owner or an admin");
    }
    await admin.request({ type: "ban", target: "bob" });
    await admin.request({ type: "unban", target: "bob" });
    await carol.request({ type: "leave_mesh" });
    await carol.waitForClose();
    const log = await admin.request({ type: "audit_query", limit: 3 });
    expect(log.entries).toMatchObject([
      { action: "member.left", actorName: "carol", target: m.carol!.pubkey },
      { action: "member.unbanned", actorName: "admin-ann", target: m.bob!.pubkey },
      { action: "member.banned", actorName: "admin-ann", target: m.bob!.pubkey },
    ]);
    expect(await admin.request({ type: "audit_verify" })).toMatchObject({ ok: true, entries: 10 });
  });

  it("refuses a limit outside 1-500 and a beforeSeq below 1 or past 2^53 with a clear error", async () => {
    const mesh = await createTestMesh(broker());
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    for (const limit of [0, 501]) {
      const refused = await owner.request({ type: "audit_query", limit });
      expect(refused).toMatchObject({ type: "error", code: "invalid_message" });
      expect(String(refused.message)).toContain("limit");
    }
    for (const beforeSeq of [0, 2 ** 60]) {
      const refused = await owner.request({ type: "audit_query", beforeSeq });
      expect(refused).toMatchObject({ type: "error", code: "invalid_message" });
      expect(String(refused.message)).toContain("beforeSeq");
    }
  });

  it("a row edited in the database makes audit_verify report ok:false and brokenAt", async () => {
    const mesh = await createTestMesh(broker());
    await addMember(broker(), mesh, "bob");
    await addMember(broker(), mesh, "carol");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    expect(await owner.request({ type: "audit_verify" })).toMatchObject({ ok: true, entries: 5 });
    const db = new Database(join(broker().dataDir, "broker.db"));
    try {
      db.prepare("UPDATE audit_log SET target = 'someone else' WHERE mesh_id = ? AND seq = 3").run(
        mesh.meshId,
      );
    } finally {
      db.close();
    }
    expect(await owner.request({ type: "audit_verify" })).toMatchObject({
      type: "audit_verify_result",
      ok: false,
      entries: 5,
      brokenAt: 3,
    });
  });
});

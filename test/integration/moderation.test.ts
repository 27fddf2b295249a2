/**
 * Moderation (protocol.md §2.9; must-never-happen 27, 39): kick closes session presences with 4001 and
 * reports control-plane ones as skipped, ban revokes (4002, later hellos refused `revoked`), unban
 * restores, and only owners and admins may do any of it.
 */
import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import {
  AppClient,
  RawPeer,
  connectMember,
  connectSession,
  memberHello,
  meshWith,
  useBroker,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

const broker = useBroker();

function setup(...names: string[]): Promise<{ mesh: TestMesh; m: Record<string, TestMember> }> {
  return meshWith(broker(), names, (n) => (n.startsWith("admin") ? "admin" : "member"));
}

describe.concurrent("kick", () => {
  it("closes a session presence with 4001 kicked; others see peer_left", async () => {
    const { mesh, m } = await setup("bob", "carol");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const key = generateIdentity();
    const session = await connectSession(broker().url, mesh.meshId, m.bob!, key, {
      displayName: "bob-session",
    });
    const carol = await connectMember(broker().url, mesh.meshId, m.carol!);
    const since = carol.mark();
    const ack = await owner.request({ type: "kick", target: "bob-session" });
    expect(ack).toMatchObject({ type: "kick_ack", kicked: ["bob-session"], affected: [key.publicKey] });
    expect(ack.skipped_control_plane).toBeUndefined();
    expect(await session.waitForClose()).toEqual({ code: 4001, reason: "kicked" });
    const left = await carol.waitForEvent("peer_left", { since });
    expect(left.eventData).toMatchObject({ name: "bob-session", pubkey: key.publicKey });
  });

  it("never kicks a control-plane presence; it is reported in skipped_control_plane", async () => {
    const { mesh, m } = await setup("bob");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const daemon = await connectMember(broker().url, mesh.meshId, m.bob!);
    const ack = await owner.request({ type: "kick", target: m.bob!.pubkey });
    expect(ack).toMatchObject({ type: "kick_ack", kicked: [], affected: [], skipped_control_plane: ["bob"] });
    expect((await daemon.request({ type: "list_peers" })).type).toBe("peers_list");
    expect(daemon.open).toBe(true);
  });

  it("an admin may kick; a plain member gets forbidden for every moderation request", async () => {
    const { mesh, m } = await setup("admin-ann", "bob", "carol");
    const admin = await connectMember(broker().url, mesh.meshId, m["admin-ann"]!);
    const session = await connectSession(broker().url, mesh.meshId, m.carol!, generateIdentity());
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    for (const frame of [
      { type: "kick", target: "carol" },
      { type: "ban", target: m.carol!.pubkey },
      { type: "unban", target: m.carol!.pubkey },
      { type: "disconnect", all: true },
      { type: "list_bans" },
    ]) {
      const reply = await bob.request(frame);
      expect(reply).toMatchObject({ type: "error", code: "forbidden" });
      expect(typeof reply._reqId).toBe("string");
    }
    expect(session.open).toBe(true);
    expect((await admin.request({ type: "kick", target: m.carol!.pubkey })).kicked).toEqual(["carol"]);
    expect((await session.waitForClose()).code).toBe(4001);
  });

  it("disconnect closes with 1000 disconnected", async () => {
    const { mesh, m } = await setup("bob");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const ack = await owner.request({ type: "disconnect", target: "bob" });
    expect(ack).toMatchObject({ type: "disconnect_ack", kicked: ["bob"] });
    expect(await bob.waitForClose()).toEqual({ code: 1000, reason: "disconnected" });
  });
});

describe.concurrent("ban and unban", () => {
  it("ban closes every socket of the member with 4002 and refuses later hellos with `revoked`", async () => {
    const { mesh, m } = await setup("mallory", "carol");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const daemon = await connectMember(broker().url, mesh.meshId, m.mallory!);
    const session = await connectSession(broker().url, mesh.meshId, m.mallory!, generateIdentity());
    const ack = await owner.request({ type: "ban", target: "mallory", reason: "spam" });
    expect(ack).toMatchObject({ type: "ban_ack", banned: "mallory" });
    for (const peer of [daemon, session]) {
      const err = await peer.waitForError("revoked");
      expect(err.message).toContain("Contact the mesh owner to rejoin.");
      expect(await peer.waitForClose()).toEqual({ code: 4002, reason: "banned" });
    }
    const bans = await owner.request({ type: "list_bans" });
    expect(bans.bans).toEqual([
      { name: "mallory", pubkey: m.mallory!.pubkey, revokedAt: expect.any(String) },
    ]);

    const again = await RawPeer.connect(broker().url);
    const refused = await again.hello(memberHello(mesh.meshId, m.mallory!));
    expect(refused).toMatchObject({ type: "error", code: "revoked" });
    expect(await again.waitForClose()).toEqual({ code: 4002, reason: "banned" });

    const unban = await owner.request({ type: "unban", target: m.mallory!.pubkey });
    expect(unban).toMatchObject({ type: "unban_ack", unbanned: "mallory" });
    const back = await connectMember(broker().url, mesh.meshId, m.mallory!);
    expect(back.helloAck?.type).toBe("hello_ack");
    expect((await owner.request({ type: "list_bans" })).bans).toEqual([]);
  });

  it("refuses banning yourself, the owner, or nobody; unban of a non-banned member is not_found", async () => {
    const { mesh, m } = await setup("admin-ada", "bob");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const admin = await connectMember(broker().url, mesh.meshId, m["admin-ada"]!);
    expect(await owner.request({ type: "ban", target: mesh.owner.pubkey })).toMatchObject({
      code: "invalid",
    });
    expect(await admin.request({ type: "ban", target: mesh.owner.pubkey })).toMatchObject({
      code: "forbidden",
    });
    expect(await owner.request({ type: "ban" })).toMatchObject({ code: "invalid" });
    expect(await owner.request({ type: "ban", target: "nobody-here" })).toMatchObject({ code: "not_found" });
    expect(await owner.request({ type: "unban", target: m.bob!.pubkey })).toMatchObject({
      code: "not_found",
    });
  });

  it("a banned sender's undelivered messages are cancelled", async () => {
    const { mesh, m } = await setup("mallory", "bob");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const mallory = await connectMember(broker().url, mesh.meshId, m.mallory!);
    const queued = await mallory.sendMessage({ targetSpec: m.bob!.pubkey, ciphertext: "c3BhbQ==" });
    expect(queued).toMatchObject({ queued: true, recipientOnline: false });
    await owner.request({ type: "ban", target: "mallory" });
    const bob = await AppClient.connect(broker().url, mesh.meshId, m.bob!);
    const barrier = await owner.sendMessage({ targetSpec: m.bob!.pubkey, ciphertext: "b2s=" });
    await bob.waitFor(barrier.messageId as string);
    expect(bob.count(queued.messageId as string)).toBe(0);
  });

  it("leave_mesh revokes the caller with 4002 left; the only owner may not leave", async () => {
    const { mesh, m } = await setup("bob");
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    expect(await owner.request({ type: "leave_mesh" })).toMatchObject({ code: "forbidden" });
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    expect(await bob.request({ type: "leave_mesh" })).toMatchObject({
      type: "leave_mesh_ack",
      memberId: m.bob!.memberId,
    });
    expect(await bob.waitForClose()).toEqual({ code: 4002, reason: "left" });
    const again = await RawPeer.connect(broker().url);
    expect(await again.hello(memberHello(mesh.meshId, m.bob!))).toMatchObject({ code: "revoked" });
  });
});

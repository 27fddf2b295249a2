/**
 * An inbox read with `sync` (the `inbox` verb, the `read_inbox` tool) while the member connection is coming
 * up: it answers once the broker said everything that waited was pushed (`backlog_sent`) and those pushes
 * are stored, waits no longer than the daemon's bound, and names a mesh whose broker it cannot vouch for.
 */
import { afterEach, describe, expect, it } from "vitest";
import { boxEncrypt, generateIdentity } from "../../src/crypto/index.js";
import type { InboxResponse } from "../../src/daemon-api/contract.js";
import { waitUntil } from "../helpers/deadline.js";
import { pushFrame, startHarness, type Harness } from "./fake-broker.js";

const peer = generateIdentity();
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

function dmToMember(harness: Harness, text: string) {
  const member = harness.meshes[0]!.member.publicKey;
  return pushFrame({
    meshId: harness.meshes[0]!.config.mesh_id,
    senderPubkey: peer.publicKey,
    senderMemberPubkey: peer.publicKey,
    senderName: "peer",
    targetSpec: member,
    recipientPubkey: member,
    ...boxEncrypt(text, member, peer.secretKey),
  });
}

/** The member connection drops and comes back; the broker has not yet said its backlog was sent. */
function reconnectHoldingBacklog(harness: Harness): void {
  const link = harness.broker.control();
  link.goOffline();
  link.holdBacklog = true;
  link.goOnline();
}

describe("inbox reads while the member connection comes up", () => {
  it("a sync read answers once the backlog is stored, and lists it", async () => {
    h = await startHarness(undefined, { inboxSyncWaitMs: 60_000 });
    reconnectHoldingBacklog(h);
    // Without sync the read answers at once, and says the mesh is still receiving.
    const quick = await h.request<InboxResponse>("GET", "/v1/inbox");
    expect(quick.body).toEqual({
      messages: [],
      unsynced: [{ mesh: "alpha", state: "connected", last_error: null }],
      total: 0,
    });
    const reading = h.request<InboxResponse>("GET", "/v1/inbox?sync=1");
    const link = h.broker.control();
    expect(await link.push(dmToMember(h, "waited 1"))).toBe(true);
    expect(await link.push(dmToMember(h, "waited 2"))).toBe(true);
    link.sendBacklog();
    const { body } = await reading;
    expect(body.messages.map((m) => m.body)).toEqual(["waited 1", "waited 2"]);
    expect(body.unsynced).toBeUndefined();
  });

  it("waits no longer than the daemon's bound, then names the mesh still receiving", async () => {
    h = await startHarness(undefined, { inboxSyncWaitMs: 1 });
    reconnectHoldingBacklog(h);
    const { body } = await h.request<InboxResponse>("GET", "/v1/inbox?sync=1");
    expect(body.unsynced).toEqual([{ mesh: "alpha", state: "connected", last_error: null }]);
  });

  it("tries a broker whose reconnect backoff is still running, and reads what waited there", async () => {
    h = await startHarness(undefined, { inboxSyncWaitMs: 60_000 });
    const link = h.broker.control();
    h.broker.up = false;
    link.goOffline();
    // The broker is back, but the connection would wait out its backoff before trying it again.
    h.broker.up = true;
    link.holdBacklog = true;
    const reading = h.request<InboxResponse>("GET", "/v1/inbox?sync=1");
    await waitUntil(() => link.connected, { message: "the daemon did not try the broker again" });
    expect(await link.push(dmToMember(h, "waited while down"))).toBe(true);
    link.sendBacklog();
    const { body } = await reading;
    expect(body.messages.map((m) => m.body)).toEqual(["waited while down"]);
    expect(body.unsynced).toBeUndefined();
  });

  it("answers at once for a broker that cannot be reached, naming it", async () => {
    h = await startHarness(undefined, { inboxSyncWaitMs: 60_000 });
    h.broker.up = false;
    h.broker.control().goOffline();
    const { body } = await h.request<InboxResponse>("GET", "/v1/inbox?sync=1");
    expect(body.messages).toEqual([]);
    expect(body.unsynced).toEqual([{ mesh: "alpha", state: "disconnected", last_error: expect.any(String) }]);
  });
});

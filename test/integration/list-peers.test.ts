/**
 * `list_peers` in pages (protocol.md §3.5): `limit` and an opaque `cursor`, `nextCursor` null at the end,
 * every presence exactly once in (connectedAt, id) order even when peers join between pages; without
 * `limit` the reference's whole list.
 */
import { describe, expect, it } from "vitest";
import { MeshClient } from "../../src/client/index.js";
import {
  connectMember,
  meshWith,
  useBroker,
  type Frame,
  type RawPeer,
  type TestMember,
} from "../helpers/broker.js";

const broker = useBroker({ maxPeersPerMesh: 0 });

interface Page {
  peers: Frame[];
  nextCursor: string | null;
}

async function page(peer: RawPeer, limit: number, cursor?: string): Promise<Page> {
  const reply = await peer.request({
    type: "list_peers",
    limit,
    ...(cursor === undefined ? {} : { cursor }),
  });
  expect(reply.type).toBe("peers_list");
  return reply as unknown as Page;
}

const sessionIds = (peers: Frame[]) => peers.map((p) => p.sessionId as string);

describe.concurrent("list_peers pages", () => {
  it("walks every presence once in connectedAt order, with joins between pages listed at the end", async () => {
    const names = Array.from({ length: 9 }, (_, i) => `p${i}`);
    const { mesh, m } = await meshWith(broker(), names);
    const url = broker().url;
    const connect = (name: string) => connectMember(url, mesh.meshId, m[name]!, { sessionId: `s-${name}` });
    const first = names.slice(0, 7);
    const peers: RawPeer[] = [];
    for (const name of first) peers.push(await connect(name));
    const viewer = peers[0]!;

    const seen: string[] = [];
    let cursor: string | undefined;
    const one = await page(viewer, 3);
    seen.push(...sessionIds(one.peers));
    expect(one.peers).toHaveLength(3);
    cursor = one.nextCursor ?? undefined;
    // Two join after the first page; one of the listed leaves.
    await connect("p7");
    await connect("p8");
    peers[1]!.send({ type: "bye" });
    await peers[1]!.waitForClose();
    for (;;) {
      const next = await page(viewer, 3, cursor);
      seen.push(...sessionIds(next.peers));
      if (next.nextCursor === null) break;
      cursor = next.nextCursor;
    }
    expect(seen).toEqual(names.map((n) => `s-${n}`));

    const whole = await viewer.request({ type: "list_peers" });
    expect(whole.nextCursor).toBeUndefined();
    expect(sessionIds(whole.peers as Frame[])).toEqual(names.filter((n) => n !== "p1").map((n) => `s-${n}`));
  });

  it("leaves out others' hidden presences and refuses a cursor or limit it does not know", async () => {
    const { mesh, m } = await meshWith(broker(), ["viewer", "hidden", "shown"]);
    const url = broker().url;
    const viewer = await connectMember(url, mesh.meshId, m.viewer!, { sessionId: "viewer" });
    const hidden = await connectMember(url, mesh.meshId, m.hidden!, { sessionId: "hidden" });
    await connectMember(url, mesh.meshId, m.shown!, { sessionId: "shown" });
    await hidden.request({ type: "set_visible", visible: false });

    const all = await page(viewer, 500);
    expect(sessionIds(all.peers)).toEqual(["viewer", "shown"]);
    expect(all.nextCursor).toBeNull();
    expect(sessionIds((await page(hidden, 500)).peers)).toEqual(["viewer", "hidden", "shown"]);

    const bad = await viewer.request({ type: "list_peers", limit: 2, cursor: "bm9wZQ" });
    expect(bad).toMatchObject({ type: "error", code: "invalid_message" });
    const tooMany = await viewer.request({ type: "list_peers", limit: 501 });
    expect(tooMany).toMatchObject({ type: "error", code: "invalid_message" });
  });

  it("MeshClient.listPeers pages through a mesh larger than one page", async () => {
    const names = Array.from({ length: 5 }, (_, i) => `c${i}`);
    const { mesh, m } = await meshWith(broker(), names);
    const clients = names.map((name) => client(broker().url, mesh.meshId, m[name]!));
    try {
      for (const c of clients) await c.connect();
      const pages: number[] = [];
      let cursor: string | undefined;
      do {
        const next = await clients[0]!.listPeersPage({ limit: 2, cursor });
        pages.push(next.peers.length);
        cursor = next.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(pages).toEqual([2, 2, 1]);
      const listed = await clients[0]!.listPeers();
      expect(listed.map((p) => p.displayName)).toEqual(names);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

function client(url: string, meshId: string, member: TestMember): MeshClient {
  return new MeshClient({
    url,
    meshId,
    identity: { memberId: member.memberId, publicKey: member.pubkey, secretKey: member.secretKey },
    displayName: member.displayName,
    reconnect: false,
  });
}

/**
 * `mesh_info` (protocol.md §6.9) against a real broker: the peers and groups the caller may see, its own
 * name and groups, and empty counts for the families this broker does not serve yet; through a raw
 * peer and through the client core's `meshInfo()`.
 */
import { describe, expect, it } from "vitest";
import { AppClient, connectMember, meshWith, useBroker, waitUntil } from "../helpers/broker.js";

const broker = useBroker();

const NOTHING_YET = {
  stateKeys: [],
  memoryCount: 0,
  fileCount: 0,
  tasks: { open: 0, claimed: 0, done: 0 },
  streams: [],
  tables: [],
  collections: [],
};

describe.concurrent("mesh_info", () => {
  it("answers with what the caller may see: hidden presences of other members are left out", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob", "carol"]);
    const url = broker().url;
    const alice = await connectMember(url, mesh.meshId, m.alice!, {
      groups: [{ name: "dev/api", role: "lead" }],
    });
    await connectMember(url, mesh.meshId, m.bob!, { groups: [{ name: "ops" }, { name: "dev/api" }] });
    const carol = await connectMember(url, mesh.meshId, m.carol!, { groups: [{ name: "secret" }] });
    expect(await carol.request({ type: "set_visible", visible: false })).toMatchObject({ type: "ack" });

    const info = await alice.request({ type: "mesh_info" });
    expect(info).toEqual({
      type: "mesh_info_result",
      mesh: mesh.meshId,
      peers: 2,
      groups: ["@dev/api", "@ops"],
      ...NOTHING_YET,
      yourName: "alice",
      yourGroups: [{ name: "dev/api", role: "lead" }],
      _reqId: info._reqId,
    });
    expect(typeof info._reqId).toBe("string");

    // A hidden presence still counts for its own member.
    expect(await carol.request({ type: "mesh_info" })).toMatchObject({
      peers: 3,
      groups: ["@dev/api", "@ops", "@secret"],
      yourName: "carol",
      yourGroups: [{ name: "secret" }],
    });
  });

  it("follows group changes and leaving peers", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const url = broker().url;
    const alice = await connectMember(url, mesh.meshId, m.alice!, {
      capabilities: ["client_ack", "ok_replies"],
    });
    const bob = await connectMember(url, mesh.meshId, m.bob!);
    expect(await alice.request({ type: "join_group", name: "review" })).toMatchObject({ type: "ok" });
    expect(await alice.request({ type: "mesh_info" })).toMatchObject({
      peers: 2,
      groups: ["@review"],
      yourGroups: [{ name: "review" }],
    });
    bob.send({ type: "bye" });
    await bob.waitForClose();
    // Eviction follows the close (the broker evicts on the socket's close event).
    await waitUntil(
      async () => ((await alice.request({ type: "mesh_info" })).peers === 1 ? true : undefined),
      {
        message: "bob still counted after bye",
      },
    );
  });

  it("the client core's meshInfo() returns the validated reply", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const app = await AppClient.connect(broker().url, mesh.meshId, m.alice!);
    const info = await app.client.meshInfo();
    expect(info).toMatchObject({ type: "mesh_info_result", mesh: mesh.meshId, peers: 1, yourName: "alice" });
    expect(info).toMatchObject(NOTHING_YET);
  });
});

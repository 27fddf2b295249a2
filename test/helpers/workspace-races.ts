/**
 * The races of tasks (protocol.md §6.3) and leases (§6.9a), shared by the one-broker and the cluster
 * suites: 20 members connect (spread round-robin over the given broker URLs), then all claim one task, or
 * all acquire overlapping resources, at once. Exactly one must win.
 */
import { expect } from "vitest";
import { connectMember, meshWith, type BrokerAddress, type Frame, type RawPeer } from "./broker.js";

export const RACERS = 20;

async function racers(
  broker: BrokerAddress,
  urls: readonly string[],
): Promise<{ meshId: string; owner: RawPeer; peers: RawPeer[] }> {
  const names = Array.from({ length: RACERS }, (_, i) => `racer-${i}`);
  const { mesh, m } = await meshWith(broker, names);
  const owner = await connectMember(urls[0]!, mesh.meshId, mesh.owner);
  const peers = await Promise.all(
    names.map((name, i) => connectMember(urls[i % urls.length]!, mesh.meshId, m[name]!)),
  );
  return { meshId: mesh.meshId, owner, peers };
}

/** 20 concurrent `claim_task` of one open task: one `task_list`, 19 `task_not_claimable`. */
export async function raceTaskClaims(broker: BrokerAddress, urls: readonly string[]): Promise<void> {
  const { owner, peers } = await racers(broker, urls);
  const created = await owner.request({ type: "create_task", title: "cm:enc1:AAAA:BBBB" });
  expect(created.type).toBe("task_created");
  const taskId = created.id as string;
  const replies = await Promise.all(peers.map((p) => p.request({ type: "claim_task", taskId })));
  const winners = replies.filter((r) => r.type === "task_list");
  expect(winners).toHaveLength(1);
  expect(replies.filter((r) => r.type === "error" && r.code === "task_not_claimable")).toHaveLength(
    RACERS - 1,
  );
  const winner = winners[0] as Frame & { task: { claimedBy: string } };
  const list = await owner.request({ type: "list_tasks", status: "claimed" });
  expect(list.tasks).toEqual([expect.objectContaining({ id: taskId, claimedBy: winner.task.claimedBy })]);
}

/** 20 concurrent overlapping `lease_acquire`: one `lease_granted`, 19 `lease_held`, one holder listed. */
export async function raceLeaseAcquires(broker: BrokerAddress, urls: readonly string[]): Promise<void> {
  const { owner, peers } = await racers(broker, urls);
  const resources = ["github.com/acme/api:src/", "github.com/acme/api:src", "github.com/acme/api:src/db/"];
  const replies = await Promise.all(
    peers.map((p, i) =>
      p.request({ type: "lease_acquire", resource: resources[i % resources.length], ttlMs: 600_000 }),
    ),
  );
  const winners = replies.filter((r) => r.type === "lease_granted");
  expect(winners).toHaveLength(1);
  const held = replies.filter((r) => r.type === "error" && r.code === "lease_held");
  expect(held).toHaveLength(RACERS - 1);
  for (const h of held) expect(h.holderName).toBe(winners[0]!.holderName);
  const list = await owner.request({ type: "lease_list" });
  expect(list.leases).toEqual([expect.objectContaining({ holderName: winners[0]!.holderName })]);
}

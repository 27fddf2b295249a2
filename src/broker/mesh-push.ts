/**
 * System pushes about shared state (`task_change`, `lease_change`, `file_shared`: protocol.md §6.3,
 * §6.9a, §6.6) to every presence of a mesh on every node, or to some members' presences (the topic-key
 * pushes of §5.4, a file shared with some members): written to the presences held here, and told to the
 * other nodes on the cluster bus, which write them to theirs. Live only, like presence events (§3.6).
 */
import type { ClusterMessageOf } from "./cluster/bus.js";
import type { BrokerContext } from "./context.js";
import { systemPush } from "./presence/events.js";

export type MeshPush = Omit<ClusterMessageOf<"mesh_push">, "kind">;

/**
 * Writes one serialized frame to every presence of `meshId` this node holds with an open socket, but
 * `exceptPresenceId`: the one fan-out of the live shared-state notices (these pushes, `state_change`).
 */
export function writeToMesh(
  ctx: BrokerContext,
  meshId: string,
  json: string,
  exceptPresenceId?: string,
): void {
  for (const p of ctx.registry.inMesh(meshId)) {
    if (p.id !== exceptPresenceId && p.socket?.open) p.socket.sendRaw(json);
  }
}

function writeHeld(ctx: BrokerContext, push: MeshPush): void {
  const json = systemPush(push.meshId, push.event, push.data);
  if (push.members === undefined && push.capability === undefined) {
    writeToMesh(ctx, push.meshId, json);
    return;
  }
  const held =
    push.members === undefined
      ? ctx.registry.inMesh(push.meshId)
      : push.members.flatMap((memberId) => ctx.registry.ofMember(memberId));
  for (const p of held) {
    if (p.meshId !== push.meshId || !p.socket?.open) continue;
    if (push.capability !== undefined && !p.capabilities.has(push.capability)) continue;
    p.socket.sendRaw(json);
  }
}

/** Sends a push to the whole mesh, here and on the other nodes; call after the change committed. */
export function publishMeshPush(ctx: BrokerContext, push: MeshPush): void {
  writeHeld(ctx, push);
  ctx.cluster.publish({ kind: "mesh_push", ...push });
}

/** Writes the pushes other nodes publish to the presences held here. */
export function listenForMeshPushes(ctx: BrokerContext): void {
  ctx.cluster.on("mesh_push", (m) => writeHeld(ctx, m));
}

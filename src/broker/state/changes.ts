/**
 * `state_change` fan-out (protocol.md §6.1, §6.7): after a `set_state` or a `share_context` every other
 * live presence of the mesh gets one, on this node directly and on every other node through the cluster
 * bus. A notice too large for the bus travels without its value, and the receiving node reads the value
 * back from the store (the newest one, which is what a later notice would carry anyway).
 */
import type { StateChangeFrame } from "../../protocol/index.js";
import type { ClusterMessageOf } from "../cluster/bus.js";
import type { BrokerContext } from "../context.js";
import { writeToMesh } from "../mesh-push.js";

/** Bytes of a value's JSON text still sent inside a cluster notice (the bus allows ~7,500 in all). */
const INLINE_VALUE_MAX_BYTES = 4_000;

export type StateChangeNotice = Omit<ClusterMessageOf<"state_change">, "kind">;

function frameOf(n: StateChangeNotice, value: unknown): StateChangeFrame {
  return { type: "state_change", key: n.key, value, updatedBy: n.updatedBy, updatedAt: n.updatedAt };
}

/** Announces a committed change to every other live presence of the mesh, on every node. */
export function publishStateChange(ctx: BrokerContext, notice: StateChangeNotice, value: unknown): void {
  writeToMesh(ctx, notice.meshId, JSON.stringify(frameOf(notice, value)), notice.exceptPresenceId);
  const inline = Buffer.byteLength(JSON.stringify(value) ?? "null") <= INLINE_VALUE_MAX_BYTES;
  ctx.cluster.publish({ kind: "state_change", ...notice, ...(inline ? { value } : {}) });
}

/** The current value a notice without one stands for, read from the store. */
async function readValue(ctx: BrokerContext, n: StateChangeNotice): Promise<unknown> {
  if (n.source === "state") {
    const row = await ctx.store.getState(n.meshId, n.ref);
    return row === null ? null : (JSON.parse(row.valueJson) as unknown);
  }
  const contexts = await ctx.store.listContexts(n.meshId);
  return contexts.find((c) => c.memberId === n.ref)?.summary ?? null;
}

/** Takes other nodes' notices: called once per node at startup. */
export function listenForStateChanges(ctx: BrokerContext): void {
  ctx.cluster.on("state_change", (m) => {
    if (ctx.registry.countInMesh(m.meshId) === 0) return;
    if ("value" in m && m.value !== undefined) {
      writeToMesh(ctx, m.meshId, JSON.stringify(frameOf(m, m.value)), m.exceptPresenceId);
      return;
    }
    readValue(ctx, m).then(
      (value) => writeToMesh(ctx, m.meshId, JSON.stringify(frameOf(m, value)), m.exceptPresenceId),
      (err: unknown) => ctx.log.warn({ err, meshId: m.meshId }, "state_change value not readable"),
    );
  });
}

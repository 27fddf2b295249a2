/** Runs a hello or session_hello to completion: verify, register the presence, `hello_ack`, announce. */
import {
  BROKER_FEATURES,
  Capability,
  CloseCode,
  GROUP_ROLE_MAX_CHARS,
  PROTOCOL_VERSION,
  SUMMARY_MAX_CHARS,
  groupNameProblem,
  type GroupRef,
  type HelloFrame,
  type SessionHelloFrame,
} from "../../protocol/index.js";
import type { Connection } from "../connection.js";
import type { BrokerContext } from "../context.js";
import type { ReplyPayload } from "../handlers/types.js";
import { restoreFor, type Presence } from "../presence/presence.js";
import { verifyMemberHello, verifySessionHello } from "./verify.js";

export async function handleHello(
  ctx: BrokerContext,
  conn: Connection,
  f: HelloFrame | SessionHelloFrame,
): Promise<Presence | null> {
  const isSession = f.type === "session_hello";
  const sessionKey = isSession ? f.sessionPubkey : null;
  const memberKey = isSession ? f.parentMemberPubkey : f.pubkey;

  // Capacity (counted before signatures, as the protocol orders it); a reattach never counts twice.
  const limit = ctx.opts.maxPeersPerMesh;
  let capacityOk = true;
  if (limit > 0 && (await ctx.store.countPresences(f.meshId)) >= limit) {
    const member = await ctx.members.byPubkey(f.meshId, memberKey);
    const reattach = member && ctx.presence.findReattach(f.meshId, member.id, sessionKey, f.sessionId ?? "");
    capacityOk = Boolean(reattach);
  }

  const verdict = isSession
    ? await verifySessionHello(ctx, f, capacityOk)
    : await verifyMemberHello(ctx, f, capacityOk);
  if (!verdict.ok) {
    ctx.metrics.connectionsRejected.inc({ reason: verdict.metricReason });
    conn.refuse(
      verdict.code,
      verdict.message,
      verdict.closeCode,
      f,
      verdict.code === "timestamp_skew" ? { serverTime: Date.now() } : {},
    );
    return null;
  }
  // Gone while it was verified (a client that gave up waiting in a reconnect storm): nothing to register.
  if (!conn.open) return null;
  const { member } = verdict;
  // Hellos verified concurrently all passed the first count; the registry count settles who fits.
  if (
    limit > 0 &&
    !ctx.presence.findReattach(f.meshId, member.id, sessionKey, f.sessionId ?? "") &&
    ctx.registry.countInMesh(f.meshId) >= limit
  ) {
    ctx.metrics.connectionsRejected.inc({ reason: "capacity" });
    conn.refuse("capacity", "mesh is at its connection limit", CloseCode.policy, f);
    return null;
  }
  const groups = f.groups ? sanitizeGroups(f.groups) : undefined;
  const restore = isSession ? null : restoreFor(member, groups);
  const displayName =
    f.displayName || (isSession ? member.displayName : (member.saved?.displayName ?? member.displayName));
  const capabilities = new Set(f.capabilities ?? []);
  const now = Date.now();

  const { presence, reattached } = await ctx.presence.register(
    {
      meshId: f.meshId,
      memberId: member.id,
      memberPubkey: member.pubkey,
      memberRole: member.role,
      peerRole: isSession ? "session" : "control-plane",
      sessionPubkey: sessionKey,
      senderKeyHint: !isSession && f.sessionPubkey ? f.sessionPubkey : null,
      sessionId: f.sessionId ?? "",
      displayName,
      cwd: f.cwd ?? "",
      pid: f.pid ?? 0,
      hostname: f.hostname ?? null,
      peerType: f.peerType ?? null,
      channel: f.channel ?? null,
      model: f.model ?? null,
      groups: restore?.groups ?? groups ?? member.defaultGroups,
      status: "idle",
      statusSource: "inferred",
      statusAt: now,
      summary: restore?.saved?.summary?.slice(0, SUMMARY_MAX_CHARS) ?? null,
      stats: null,
      visible: restore?.saved?.visible ?? true,
      profile: restore?.saved?.profile ?? null,
      capabilities,
    },
    conn,
    capabilities,
  );
  conn.presence = presence;
  ctx.metrics.connectionsTotal.inc();
  ctx.metrics.connectionsActive.inc();
  if (!conn.open) {
    // The socket closed while the presence was being written, before it was ours to watch: it starts
    // its grace now, as if it had closed right after hello_ack.
    await ctx.presence.socketClosed(presence, conn, false);
    return null;
  }

  const ack: ReplyPayload<"hello"> = {
    type: "hello_ack",
    presenceId: presence.id,
    memberDisplayName: presence.displayName,
    protocolVersion: PROTOCOL_VERSION,
    features: [...BROKER_FEATURES],
    serverTime: Date.now(),
  };
  if (!isSession) ack.services = [];
  if (!reattached) {
    ack.memberProfile = { roleTag: null, groups: member.defaultGroups, messageMode: "push" };
    if (restore?.restored && restore.saved) {
      ack.restored = true;
      ack.lastSummary = restore.saved.summary ?? null;
      ack.lastSeenAt = restore.saved.lastSeenAt ? new Date(restore.saved.lastSeenAt).toISOString() : null;
      if (restore.restoredGroups) ack.restoredGroups = restore.restoredGroups;
      if (restore.saved.stats) ack.restoredStats = restore.saved.stats;
    }
  }
  conn.reply(f, ack);
  // Only from here on: a `backlog_sent` written before the `hello_ack` would tell the client nothing.
  presence.backlogPending = capabilities.has(Capability.backlogSent);
  ctx.log.info(
    {
      presenceId: presence.id,
      meshId: presence.meshId,
      memberId: presence.memberId,
      peerRole: presence.peerRole,
      reattached,
    },
    "presence online",
  );
  if (!reattached) {
    const returned =
      restore?.restored && restore.saved
        ? {
            lastSeenAt: restore.saved.lastSeenAt ? new Date(restore.saved.lastSeenAt).toISOString() : null,
            summary: restore.saved.summary ?? null,
          }
        : null;
    ctx.presence.announce(presence, returned);
  }
  ctx.delivery.offerMember(presence.memberId);
  return presence;
}

/** Drops initial groups with invalid names or over-long roles rather than refusing the whole hello. */
function sanitizeGroups(groups: GroupRef[]): GroupRef[] {
  return groups.filter(
    (g) =>
      groupNameProblem(g.name) === null &&
      g.name !== "all" &&
      (g.role === undefined || g.role.length <= GROUP_ROLE_MAX_CHARS),
  );
}

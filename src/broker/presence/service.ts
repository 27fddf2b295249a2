/**
 * Presence lifecycle on this node (protocol.md §3.2): register after a successful hello, silent
 * reattach, session-id dedup, grace on an unannounced close, immediate eviction on `bye`, heartbeat,
 * status writes and the working-timeout sweep. In a cluster (§4.14) a hello may take over a presence another
 * node holds (a reattach across nodes), presence events reach the presences every node holds, and the
 * presences of a node that died are expired, once cluster-wide, when their heartbeat is older than
 * `presenceExpiryMs` (the pong limit plus grace).
 */
import { randomUUID } from "node:crypto";
import {
  CloseCode,
  CloseReason,
  ErrorCode,
  GRACE_MS,
  STALE_PONG_MS,
  type PeerEventName,
  type PresenceStatus,
  type StatusSource,
} from "../../protocol/index.js";
import type { ClusterMessageOf } from "../cluster/bus.js";
import type { BrokerContext } from "../context.js";
import { releaseSessionLeases } from "../leases.js";
import type { PresenceRow, SavedState } from "../store/port/index.js";
import { PeerEventFanout, peerEventData, peerEventMode, type Exclusion } from "./events.js";
import { canClaim, toPresenceRow, type Presence, type PresenceSocket } from "./presence.js";
import { HeldHookStatuses } from "./held-hooks.js";
import { applyStatusWrite, moreAvailable } from "./status.js";

export type NewPresence = Omit<
  Presence,
  | "id"
  | "lease"
  | "graceTimer"
  | "acking"
  | "nonAcking"
  | "backlogPending"
  | "connectedAt"
  | "lastPongAt"
  | "socket"
  | "peerEvents"
  | "peerEventsFrom"
>;

/** Rows one expiry round handles. */
const STALE_BATCH = 500;

export class PresenceService {
  private readonly timers: NodeJS.Timeout[] = [];
  /** Hook statuses waiting for their presence to connect. */
  readonly heldHooks = new HeldHookStatuses();
  private stopping = false;
  private readonly closing = new Set<Promise<void>>();
  private readonly events: PeerEventFanout;
  /** The last `connectedAt` handed out: strictly increasing, so `list_peers` pages see a join exactly once. */
  private lastConnectedAt = 0;

  constructor(private readonly ctx: BrokerContext) {
    this.events = new PeerEventFanout(ctx.registry, ctx.opts.presenceTickMs);
    ctx.cluster.on("peer_event", (m) =>
      this.events.publish(
        { id: m.subjectId, meshId: m.meshId, memberId: m.subjectMemberId },
        m.event,
        m.data,
        m.exclusion,
      ),
    );
    ctx.cluster.on("presence_taken", ({ presenceId }) => this.letGo(presenceId));
    ctx.cluster.on("drop", (m) => this.detach(() => this.dropHeld(m), "closing presences for another node"));
  }

  start(): void {
    this.timers.push(setInterval(() => this.heartbeat(), this.ctx.opts.heartbeatMs).unref());
    if (this.ctx.cluster.shared) {
      this.timers.push(setInterval(() => void this.expireStale(), this.ctx.opts.heartbeatMs).unref());
    }
    this.timers.push(
      setInterval(
        () => this.detach(() => this.sweepWorking(), "working-status sweep"),
        this.ctx.opts.workingSweepMs,
      ).unref(),
    );
  }

  stop(): void {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.events.stop();
    for (const p of this.ctx.registry.all()) if (p.graceTimer) clearTimeout(p.graceTimer);
  }

  /** The presence a hello would take over silently, if any (also used by the capacity check). */
  findReattach(
    meshId: string,
    memberId: string,
    sessionPubkey: string | null,
    sessionId: string,
  ): Presence | undefined {
    if (sessionPubkey) return this.ctx.registry.bySession(meshId, sessionPubkey);
    return this.ctx.registry
      .ofMember(memberId)
      .find((p) => p.peerRole === "control-plane" && p.sessionId === sessionId && p.lease === "offline");
  }

  /**
   * Registers a presence for an authenticated socket and returns it with whether it reattached.
   * The caller sends `hello_ack` after this resolves, then calls {@link announce}.
   */
  async register(
    init: NewPresence,
    socket: PresenceSocket,
    capabilities: ReadonlySet<string>,
  ): Promise<{ presence: Presence; reattached: boolean }> {
    const { registry, store } = this.ctx;
    const now = Date.now();
    const old = this.findReattach(init.meshId, init.memberId, init.sessionPubkey, init.sessionId);
    if (old) {
      if (old.graceTimer) clearTimeout(old.graceTimer);
      old.graceTimer = null;
      const previous = old.socket;
      old.socket = socket;
      old.lease = "online";
      old.lastPongAt = now;
      old.capabilities = capabilities;
      registry.setPeerEvents(old, peerEventMode(capabilities));
      old.peerEventsFrom = this.events.nextSeq;
      old.acking = capabilities.has("client_ack");
      old.nonAcking = false;
      old.backlogPending = false;
      old.pid = init.pid;
      old.cwd = init.cwd;
      if (previous?.open) {
        await store.releaseClaims(old.id);
        previous.close(CloseCode.normal, CloseReason.sessionReplaced);
      }
      await store.upsertPresence(toPresenceRow(old, this.ctx.nodeId));
      await store.resetBackoff(old.meshId, old.memberId, old.sessionPubkey);
      return { presence: old, reattached: true };
    }
    if (this.ctx.cluster.shared) {
      const taken = await this.takeOver(init, socket, capabilities, now);
      if (taken) return { presence: taken, reattached: true };
    }
    // Session-id dedup: same member, same sessionId, same role only.
    for (const other of registry.ofMember(init.memberId)) {
      if (init.sessionId !== "" && other.sessionId === init.sessionId && other.peerRole === init.peerRole) {
        await this.drop(other, CloseCode.normal, CloseReason.sessionReplaced, { announce: false });
      }
    }
    const id = randomUUID();
    const presence: Presence = {
      ...init,
      id,
      sessionId: init.sessionId === "" ? `conn-${id}` : init.sessionId,
      lease: "online",
      graceTimer: null,
      acking: capabilities.has("client_ack"),
      nonAcking: false,
      backlogPending: false,
      connectedAt: Math.max(now, this.lastConnectedAt + 1),
      lastPongAt: now,
      socket,
      capabilities,
      peerEvents: peerEventMode(capabilities),
      peerEventsFrom: this.events.nextSeq,
    };
    this.lastConnectedAt = presence.connectedAt;
    registry.add(presence);
    await store.upsertPresence(toPresenceRow(presence, this.ctx.nodeId));
    if (presence.sessionPubkey)
      await store.recordSessionKey(presence.meshId, presence.sessionPubkey, presence.memberId, now);
    await store.resetBackoff(presence.meshId, presence.memberId, presence.sessionPubkey);
    this.heldHooks.applyTo(presence);
    return { presence, reattached: false };
  }

  /**
   * A reattach across nodes: the presence a hello would take over is held by another node (the peer's
   * socket moved, or that node died). This node holds it from now on, under the same id and with its
   * status; the claims it held are released, and the other node lets it go without a `peer_left`.
   */
  private async takeOver(
    init: NewPresence,
    socket: PresenceSocket,
    capabilities: ReadonlySet<string>,
    now: number,
  ): Promise<Presence | null> {
    const { store } = this.ctx;
    const row: PresenceRow | null | undefined = init.sessionPubkey
      ? await store.presenceBySession(init.meshId, init.sessionPubkey)
      : (await store.presencesOfMembers(init.meshId, [init.memberId])).find(
          (r) => r.peerRole === "control-plane" && init.sessionId !== "" && r.sessionId === init.sessionId,
        );
    if (!row || row.nodeId === this.ctx.nodeId || row.memberId !== init.memberId) return null;
    const presence: Presence = {
      ...init,
      id: row.id,
      sessionId: row.sessionId,
      displayName: row.displayName,
      groups: row.groups,
      status: row.status,
      statusSource: row.statusSource,
      statusAt: row.statusAt,
      summary: row.summary,
      stats: row.stats,
      visible: row.visible,
      profile: row.profile,
      lease: "online",
      graceTimer: null,
      acking: capabilities.has("client_ack"),
      nonAcking: false,
      backlogPending: false,
      connectedAt: row.connectedAt,
      lastPongAt: now,
      socket,
      capabilities,
      peerEvents: peerEventMode(capabilities),
      peerEventsFrom: this.events.nextSeq,
    };
    this.ctx.registry.add(presence);
    await store.upsertPresence(toPresenceRow(presence, this.ctx.nodeId));
    this.ctx.cluster.publish({ kind: "presence_taken", presenceId: row.id, byNode: this.ctx.nodeId });
    const released = await store.releaseClaims(row.id);
    await store.resetBackoff(presence.meshId, presence.memberId, presence.sessionPubkey);
    this.ctx.delivery.offerRecipients(released);
    return presence;
  }

  /** Another node took over a presence held here: it goes without a close handler, grace or event. */
  private letGo(presenceId: string): void {
    const p = this.ctx.registry.get(presenceId);
    if (!p) return;
    if (p.graceTimer) clearTimeout(p.graceTimer);
    p.graceTimer = null;
    this.ctx.registry.remove(p);
    const socket = p.socket;
    p.socket = null;
    if (socket) {
      this.ctx.metrics.connectionsActive.inc({}, -1);
      socket.close(CloseCode.normal, CloseReason.sessionReplaced);
    }
  }

  /** Closes the presences named by a moderation on another node, those held here. */
  private async dropHeld(m: ClusterMessageOf<"drop">): Promise<void> {
    for (const id of m.presenceIds) {
      const p = this.ctx.registry.get(id);
      if (!p) continue;
      if (m.revokedMessage !== null)
        p.socket?.send({ type: "error", code: ErrorCode.revoked, message: m.revokedMessage });
      if (m.evict) await this.drop(p, m.code, m.reason, { announce: true });
      else p.socket?.close(m.code, m.reason);
    }
  }

  /**
   * Expires, once cluster-wide, the presences a node that died left behind: their claims are released
   * and offered again, and the mesh hears `peer_left`.
   */
  private async expireStale(): Promise<void> {
    try {
      await this.ctx.cluster.exclusive("stale-presences", async () => {
        const now = Date.now();
        const before = now - this.ctx.opts.presenceExpiryMs;
        for (const row of await this.ctx.store.stalePresences(before, STALE_BATCH)) {
          if (this.ctx.registry.get(row.id)) continue; // held here: its own timers decide
          const guard = { nodeId: row.nodeId, lastPingBefore: before };
          if (!(await this.ctx.store.markPresenceDisconnected(row.id, now, guard))) continue;
          this.ctx.delivery.offerRecipients(await this.ctx.store.releaseClaims(row.id));
          this.ctx.log.info({ presenceId: row.id, nodeId: row.nodeId }, "presence of a silent node expired");
          if (row.peerRole === "session") await releaseSessionLeases(this.ctx, row.id);
          const memberPubkey = (await this.ctx.members.byId(row.meshId, row.memberId))?.pubkey ?? "";
          this.publishEvent(
            row,
            "peer_left",
            {
              name: row.displayName,
              pubkey: row.sessionPubkey ?? memberPubkey,
              memberPubkey,
              peerRole: row.peerRole,
            },
            "member",
          );
        }
      });
    } catch (err) {
      this.ctx.storeHealth.reportBackground(err, "presence expiry failed");
    }
  }

  /** A presence event to the presences held here and, in a cluster, by every other node. */
  private publishEvent(
    subject: Pick<Presence, "id" | "meshId" | "memberId">,
    event: PeerEventName,
    data: Record<string, unknown>,
    exclusion: Exclusion,
  ): void {
    this.events.publish(subject, event, data, exclusion);
    this.ctx.cluster.publish({
      kind: "peer_event",
      meshId: subject.meshId,
      subjectId: subject.id,
      subjectMemberId: subject.memberId,
      event,
      data,
      exclusion,
    });
  }

  /** `peer_joined` (or `peer_returned`) to the mesh, with the sibling rules of §3.6. */
  announce(p: Presence, returned: { lastSeenAt: string | null; summary: string | null } | null): void {
    const data = { ...peerEventData(p), groups: p.groups };
    const exclusion = p.peerRole === "session" ? "self" : "member";
    if (returned) this.publishEvent(p, "peer_returned", { ...data, ...returned }, exclusion);
    else this.publishEvent(p, "peer_joined", data, exclusion);
  }

  /** `peer_visible` / `peer_hidden` to every other presence in the mesh (§3.4). */
  announceVisibility(p: Presence, visible: boolean): void {
    this.publishEvent(p, visible ? "peer_visible" : "peer_hidden", peerEventData(p), "self");
  }

  /** Resolves once every close handler in flight has finished (shutdown). */
  async settle(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  /** A socket closed. `bye` evicts at once; otherwise the presence enters its 90 s grace. */
  socketClosed(p: Presence, socket: PresenceSocket, deliberate: boolean): Promise<void> {
    const done = this.handleClose(p, socket, deliberate).finally(() => this.closing.delete(done));
    this.closing.add(done);
    return done;
  }

  private async handleClose(p: Presence, socket: PresenceSocket, deliberate: boolean): Promise<void> {
    if (p.socket !== socket) return; // a replaced socket's close never touches the new one
    p.socket = null;
    if (this.stopping) {
      // Node shutdown: claims go back to pending; the presence rows are disconnected in one sweep.
      this.ctx.metrics.connectionsActive.inc({}, -1);
      await this.ctx.store.releaseClaims(p.id);
      return;
    }
    this.ctx.metrics.connectionsActive.inc({}, -1);
    const released = await this.ctx.store.releaseClaims(p.id);
    await this.saveState(p, true);
    if (deliberate) {
      await this.evict(p);
    } else if (p.lease === "online") {
      p.lease = "offline";
      await this.ctx.store.updatePresence(p.id, { lease: "offline" });
      p.graceTimer = setTimeout(
        () => this.detach(() => this.evict(p), "presence eviction"),
        GRACE_MS,
      ).unref();
    }
    this.ctx.delivery.offerRecipients(released);
  }

  /** Closes a presence's socket and removes it at once (kick, ban, replace, bye). */
  async drop(p: Presence, code: number, reason: string, opts: { announce: boolean }): Promise<void> {
    const socket = p.socket;
    p.socket = null;
    if (socket) {
      this.ctx.metrics.connectionsActive.inc({}, -1);
      socket.close(code, reason);
    }
    const released = await this.ctx.store.releaseClaims(p.id);
    await this.saveState(p, true);
    await this.evict(p, opts.announce);
    this.ctx.delivery.offerRecipients(released);
  }

  private async evict(p: Presence, announce = true): Promise<void> {
    if (p.graceTimer) clearTimeout(p.graceTimer);
    p.graceTimer = null;
    if (this.ctx.registry.get(p.id) !== p) return;
    this.ctx.registry.remove(p);
    // Guarded by this node: a row another node took over meanwhile is that node's now.
    if (!(await this.ctx.store.markPresenceDisconnected(p.id, Date.now(), { nodeId: this.ctx.nodeId })))
      return;
    if (announce) this.publishEvent(p, "peer_left", peerEventData(p), "member");
    if (p.peerRole === "session") await releaseSessionLeases(this.ctx, p.id);
    if (p.sessionPubkey) {
      const moved = await this.ctx.store.retargetSessionDeliveries(p.meshId, p.sessionPubkey, p.memberId);
      if (moved > 0) this.ctx.delivery.offerMember(p.memberId);
    }
  }

  /**
   * Saves what a member's control-plane presence set (groups, summary, name, profile, visibility) as the
   * member's saved state, which routing reads while it is offline and its next hello restores. Written on
   * every change, not only when the presence ends: a node that stops or dies must not take a group
   * membership with it. Only the presence's end adds its message counts to the member's.
   */
  async saveState(p: Presence, ended = false): Promise<void> {
    if (p.peerRole !== "control-plane") return;
    const member = await this.ctx.store.getMember(p.memberId);
    const prev = member?.saved?.stats ?? { messagesIn: 0, messagesOut: 0, toolCalls: 0, errors: 0 };
    if (!ended) {
      await this.ctx.store.saveMemberState(p.memberId, { ...this.#savedFields(p), stats: prev });
      return;
    }
    const saved: SavedState = {
      ...this.#savedFields(p),
      stats: {
        messagesIn: prev.messagesIn + (p.stats?.messagesIn ?? 0),
        messagesOut: prev.messagesOut + (p.stats?.messagesOut ?? 0),
        toolCalls: prev.toolCalls + (p.stats?.toolCalls ?? 0),
        errors: prev.errors + (p.stats?.errors ?? 0),
      },
    };
    await this.ctx.store.saveMemberState(p.memberId, saved);
  }

  #savedFields(p: Presence): Omit<SavedState, "stats"> {
    return {
      groups: p.groups,
      summary: p.summary,
      displayName: p.displayName,
      profile: p.profile ?? undefined,
      visible: p.visible,
      lastSeenAt: Date.now(),
    };
  }

  /** Applies a status write (§3.3) and re-offers deliveries when the member became more available. */
  async setStatus(p: Presence, status: PresenceStatus, source: StatusSource): Promise<void> {
    const before = this.memberAvailability(p.memberId);
    const next = applyStatusWrite(p, status, source, Date.now());
    if (!next) return;
    p.status = next.status;
    p.statusSource = next.statusSource;
    p.statusAt = next.statusAt;
    await this.ctx.store.updatePresence(p.id, next);
    if (moreAvailable(this.memberAvailability(p.memberId), before) || next.status === "idle") {
      this.ctx.delivery.offerMember(p.memberId);
    }
  }

  /** The most available status among the member's online session presences; idle when it has none. */
  sessionAvailability(memberId: string): PresenceStatus {
    let best: PresenceStatus | null = null;
    for (const q of this.ctx.registry.ofMember(memberId)) {
      if (q.peerRole !== "session" || q.lease !== "online") continue;
      if (best === null || moreAvailable(q.status, best)) best = q.status;
    }
    return best ?? "idle";
  }

  /** Effective status of a presence claiming (§4.7). */
  effectiveStatus(p: Presence): PresenceStatus {
    if (p.peerRole !== "control-plane") return p.status;
    if (p.status === "dnd") return "dnd";
    return this.sessionAvailability(p.memberId);
  }

  private memberAvailability(memberId: string): PresenceStatus {
    let best: PresenceStatus = "dnd";
    for (const q of this.ctx.registry.ofMember(memberId)) {
      const s = this.effectiveStatus(q);
      if (moreAvailable(s, best)) best = s;
    }
    return best;
  }

  private heartbeat(): void {
    const now = Date.now();
    const alive: string[] = [];
    for (const p of this.ctx.registry.all()) {
      if (p.lease !== "online" || !p.socket) continue; // presences in grace are skipped
      if (now - p.lastPongAt > STALE_PONG_MS) {
        p.socket.terminate(); // the close handler starts grace
        continue;
      }
      p.socket.ping();
      alive.push(p.id);
    }
    if (alive.length > 0) {
      this.ctx.store.touchPresences(alive, now).catch((err: unknown) => {
        this.ctx.storeHealth.reportBackground(err, "touch failed");
      });
    }
  }

  /**
   * Runs work started by a timer or a notice, with nobody to answer: a failing store is reported to the
   * store's health (the broker keeps serving), anything else logged; never thrown at the process.
   */
  private detach(work: () => Promise<void>, what: string): void {
    work().catch((err: unknown) => {
      this.ctx.storeHealth.reportBackground(err, `${what} failed`);
    });
  }

  private async sweepWorking(): Promise<void> {
    const now = Date.now();
    for (const p of this.ctx.registry.all()) {
      if (p.status !== "working") continue;
      const { hookWorkingTimeoutMs, workingTimeoutMs } = this.ctx.opts;
      const limit = p.statusSource === "hook" ? hookWorkingTimeoutMs : workingTimeoutMs;
      if (now - p.statusAt <= limit) continue;
      p.status = "idle";
      p.statusSource = "inferred";
      p.statusAt = now;
      await this.ctx.store.updatePresence(p.id, { status: "idle", statusSource: "inferred", statusAt: now });
      this.ctx.delivery.offerMember(p.memberId);
    }
  }

  /** Presences of the member that may claim its member-level deliveries now (§4.6 preference). */
  memberClaimers(memberId: string): Presence[] {
    const eligible = this.ctx.registry
      .ofMember(memberId)
      .filter((p) => canClaim(p) && !p.capabilities.has("no_inbox"));
    const controlPlanes = eligible.filter((p) => p.peerRole === "control-plane");
    return controlPlanes.length > 0 ? controlPlanes : eligible;
  }
}

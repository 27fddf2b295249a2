/**
 * At-least-once delivery (protocol.md §4.3-§4.10). Sends, acks and offers are queued and handled in
 * batches once per event-loop turn (acks alone wait a little for a batch to join): the accepts, acks and
 * claims of a batch are one store transaction, and what it answers and pushes leaves after that commits,
 * one write per socket.
 */
import type { AckFrame, SendFrame } from "../../protocol/index.js";
import type { BrokerContext } from "../context.js";
import { canClaim, type Presence } from "../presence/presence.js";
import { deliverablePriorities } from "../presence/status.js";
import type { AckInput, ClaimScope, ClaimedDelivery, DueRecipient } from "../store/port/index.js";
import { SendPipeline, type PendingSend } from "./accept.js";
import { markBacklogsSent } from "./backlog.js";
import { Outgoing } from "./outgoing.js";
import { pushJson } from "./push.js";
import { expireFiles } from "../files/expire.js";

const CLAIM_BATCH = 256;
/**
 * How long a client ack may wait for the next batch (sends or claims) to ride in. Nothing waits on an
 * ack's commit (only `message_status` shows it), and an ack lost in a crash is a redelivery the client
 * dedupes, so acks need no transaction of their own: under steady traffic they join the sends' batches,
 * which halves the commits per message (and, on PostgreSQL, the round trips).
 */
const ACK_COALESCE_MS = 20;
const REOFFER_TICK_MS = 1_000;
/** Rows each retention step touches per round; rounds repeat, with other work in between, until done. */
const SWEEP_BATCH = 1_000;
const QUEUE_DEPTH_INTERVAL_MS = 30_000;
/** Topic names kept for pushes before the cache starts over. */
const TOPIC_NAME_CACHE = 10_000;

export class DeliveryEngine {
  private sends: PendingSend[] = [];
  private acks: { presence: Presence; input: AckInput }[] = [];
  private offers = new Set<Presence>();
  /** Offers of a batch that did not commit: offered again on the next re-offer tick, not in a hot loop. */
  private readonly failedOffers = new Set<Presence>();
  private scheduled = false;
  /** Set while acks alone wait for a batch to join (see {@link ACK_COALESCE_MS}). */
  private ackTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Non-acking connections: when their oldest unacked claim was made (§4.10). */
  private readonly unackedSince = new Map<Presence, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Topic names by topic id, for `push.topic`. */
  private readonly topicNames = new Map<string, string>();
  private sweeping = false;
  private stopped = false;

  constructor(private readonly ctx: BrokerContext) {
    ctx.cluster.on("offer", ({ recipients }) => this.offerHeld(recipients));
  }

  start(): void {
    this.timers.push(setInterval(() => void this.reofferTick(), REOFFER_TICK_MS).unref());
    this.timers.push(setInterval(() => void this.sweep(), this.ctx.opts.retentionSweepMs).unref());
    this.timers.push(setInterval(() => void this.refreshQueueDepth(), QUEUE_DEPTH_INTERVAL_MS).unref());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.clearAckTimer();
  }

  /** Queues a send; `reply` gets its ack once the batch holding it is committed (or its refusal). */
  accept(sender: Presence, frame: SendFrame, reply: (ack: AckFrame) => void): void {
    this.sends.push({ sender, frame, reply });
    this.schedule();
  }

  clientAck(
    presence: Presence,
    brokerMessageId: string | undefined,
    clientMessageId: string | undefined,
  ): void {
    if (!presence.acking) {
      presence.acking = true;
      this.unackedSince.delete(presence);
    }
    if (!brokerMessageId && !clientMessageId) return;
    this.acks.push({
      presence,
      input: {
        meshId: presence.meshId,
        presenceId: presence.id,
        sessionPubkey: presence.sessionPubkey,
        memberId: presence.memberId,
        brokerMessageId: brokerMessageId ?? null,
        clientMessageId: clientMessageId ?? null,
      },
    });
    this.scheduleAcks();
  }

  offer(p: Presence): void {
    if (!canClaim(p)) return;
    this.offers.add(p);
    this.schedule();
  }

  /** Offers to every presence of the member that could claim something of it. */
  offerMember(memberId: string): void {
    for (const p of this.ctx.registry.ofMember(memberId)) this.offer(p);
  }

  /** Recipients with committed deliveries to offer: offered here, and announced to the other nodes. */
  offerRecipients(recipients: readonly DueRecipient[]): void {
    this.offerHeld(recipients);
    this.announce(recipients);
  }

  /**
   * Tells the other nodes of recipients with deliveries to offer: each once, leaving out session keys
   * whose presence is here (only this node can claim those).
   */
  private announce(recipients: readonly DueRecipient[]): void {
    if (!this.ctx.cluster.shared || recipients.length === 0) return;
    const seen = new Set<string>();
    const elsewhere: DueRecipient[] = [];
    for (const r of recipients) {
      const key = `${r.recipientKind}|${r.recipientMemberId}|${r.recipientPubkey}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (r.recipientKind === "session" && this.ctx.registry.bySession(r.meshId, r.recipientPubkey)) continue;
      elsewhere.push(r);
    }
    this.ctx.cluster.publish({ kind: "offer", recipients: elsewhere });
  }

  /** Offers to this node's presences of the recipients (a wake-up). */
  private offerHeld(recipients: readonly DueRecipient[]): void {
    for (const r of recipients) {
      if (r.recipientKind === "session") {
        const p = this.ctx.registry.bySession(r.meshId, r.recipientPubkey);
        if (p) this.offer(p);
      } else {
        // Every presence of the member: the claim decides who is preferred per delivery (§4.6).
        for (const p of this.ctx.registry.ofMember(r.recipientMemberId)) {
          if (!p.capabilities.has("no_inbox")) this.offer(p);
        }
      }
    }
  }

  /** Waits until every queued send, ack and offer has been handled (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.running || this.sends.length > 0 || this.acks.length > 0) {
      if (this.running) await this.running;
      else await this.flush();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.running) {
        void this.running.then(() => this.schedule());
        return;
      }
      void this.flush();
    });
  }

  /** A batch for acks alone, once they waited {@link ACK_COALESCE_MS} for another to join. */
  private scheduleAcks(): void {
    if (this.scheduled || this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      this.schedule();
    }, ACK_COALESCE_MS);
    this.ackTimer.unref();
  }

  private clearAckTimer(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  private flush(): Promise<void> {
    this.running = this.runBatch().finally(() => {
      this.running = null;
      if (this.sends.length > 0 || this.offers.size > 0) this.schedule();
      else if (this.acks.length > 0) this.scheduleAcks();
    });
    return this.running;
  }

  private async runBatch(): Promise<void> {
    const sends = this.sends.splice(0);
    const acks = this.acks.splice(0);
    this.clearAckTimer();
    const out = new Outgoing();
    // Recipients of this batch's accepts: offered here inside the transaction (so the same batch claims
    // them), and announced to the other nodes with its commit (so they can see the rows).
    let offers: Presence[] = [];
    const pipeline = new SendPipeline(this.ctx, out, (recipients) => {
      this.offerHeld(recipients);
      this.announce(recipients);
    });
    try {
      if (sends.length > 0 && !(await this.ctx.storeHealth.writable())) {
        pipeline.refuseAll(sends);
        sends.length = 0;
      }
      // Only accepts need a durable commit: a claim or an ack lost with the database server is repaired
      // by redelivery, which the client dedupes.
      await this.ctx.store.transaction(
        async () => {
          if (sends.length > 0) await pipeline.run(sends);
          if (acks.length > 0) await this.commitAcks(acks, out);
          offers = [...this.offers];
          this.offers.clear();
          if (offers.length > 0) await this.claimAndPush(offers, out);
        },
        { durable: sends.length > 0 },
      );
    } catch (err) {
      const storageFault = this.ctx.storeHealth.report(err);
      if (!storageFault) this.ctx.log.error({ err }, "delivery batch failed");
      out.rollBack((item) => SendPipeline.refusal(item, storageFault));
      for (const p of [...offers, ...this.offers]) this.failedOffers.add(p);
      this.offers.clear();
    }
    out.send();
  }

  private async commitAcks(batch: { presence: Presence; input: AckInput }[], out: Outgoing): Promise<void> {
    const counts = await this.ctx.store.ackDeliveries(
      batch.map((b) => b.input),
      Date.now(),
    );
    const acked = counts.reduce((a, b) => a + b, 0);
    if (acked > 0) out.onCommit(() => this.ctx.metrics.deliveriesTotal.inc({ stage: "acked" }, acked));
  }

  private async claimAndPush(presences: Presence[], out: Outgoing): Promise<void> {
    const { store, presence: service } = this.ctx;
    const eligible = presences.filter(canClaim);
    if (eligible.length === 0) return;
    // Taken before the claims: everything pending when they run was committed before this point.
    const backlogDue = eligible.filter((p) => p.backlogPending);
    const scope = (p: Presence, memberId: string | null): ClaimScope => ({
      meshId: p.meshId,
      presenceId: p.id,
      sessionPubkey: p.sessionPubkey,
      memberId,
      priorities: deliverablePriorities(service.effectiveStatus(p)),
      multicast: p.visible,
    });
    // The member's preferred claimers, once per member for this batch.
    const claimersByMember = new Map<string, Set<Presence>>();
    const claimersOf = (memberId: string): Set<Presence> => {
      let set = claimersByMember.get(memberId);
      if (!set) claimersByMember.set(memberId, (set = new Set(service.memberClaimers(memberId))));
      return set;
    };
    const preferred = new Set(eligible.filter((p) => claimersOf(p.memberId).has(p)));
    const now = Date.now();
    const first = await store.claimDeliveries(
      eligible.map((p) => scope(p, preferred.has(p) ? p.memberId : null)),
      now,
      this.ctx.opts.claimLeaseMs,
      CLAIM_BATCH,
    );
    // Eligibility is per delivery (§4.6): member-level rows the preferred presences could not take here
    // (a DM one of them sent to its own member key, a status or visibility they fail) go to the member's
    // other presences. Only when every preferred presence just claimed and none hit the batch limit, so
    // a row they could take is never handed to a less preferred presence.
    const fullMembers = new Set<string>();
    eligible.forEach((p, i) => {
      if (preferred.has(p) && (first[i]?.length ?? 0) >= CLAIM_BATCH) fullMembers.add(p.memberId);
    });
    const fallback = eligible.filter(
      (p) =>
        !preferred.has(p) &&
        !p.capabilities.has("no_inbox") &&
        !fullMembers.has(p.memberId) &&
        [...claimersOf(p.memberId)].every((q) => preferred.has(q)),
    );
    const second =
      fallback.length === 0
        ? []
        : await store.claimDeliveries(
            fallback.map((p) => ({ ...scope(p, p.memberId), sessionPubkey: null })),
            now,
            this.ctx.opts.claimLeaseMs,
            CLAIM_BATCH,
          );
    const claimers = [...eligible, ...fallback];
    const claimed = [...first, ...second];
    const senderKeys = await this.senderMemberKeys(claimed.flat());
    const topicNames = await this.topicNamesOf(claimed.flat());
    const deliveredOnWrite: number[] = [];
    for (let i = 0; i < claimers.length; i++) {
      const p = claimers[i]!;
      const list = claimed[i] ?? [];
      if (list.length === 0) continue;
      const socket = p.socket;
      if (!socket?.open) {
        // The socket closed while claiming; its close handler releases these claims.
        continue;
      }
      for (const d of list) {
        const senderKey = senderKeys.get(d.message.senderMemberId) ?? d.message.senderPubkey;
        const topic = d.message.topicId === null ? undefined : topicNames.get(d.message.topicId);
        out.push(socket, pushJson(d, senderKey, topic));
        if (p.nonAcking) deliveredOnWrite.push(d.deliveryId);
      }
      out.onCommit(() => {
        this.ctx.metrics.deliveriesTotal.inc({ stage: "pushed" }, list.length);
        if (!p.acking && !p.nonAcking && !this.unackedSince.has(p)) this.unackedSince.set(p, now);
        if (list.length >= CLAIM_BATCH) this.offer(p);
      });
    }
    markBacklogsSent(backlogDue, claimers, claimed, out, CLAIM_BATCH);
    if (deliveredOnWrite.length > 0) await store.markDelivered(deliveredOnWrite, now);
  }

  /** The member pubkey of every sender in a claimed batch, looked up once per sender. */
  private async senderMemberKeys(claimed: ClaimedDelivery[]): Promise<Map<string, string>> {
    const keys = new Map<string, string>();
    for (const d of claimed) {
      const id = d.message.senderMemberId;
      if (keys.has(id)) continue;
      const member = await this.ctx.members.byId(d.message.meshId, id);
      if (member) keys.set(id, member.pubkey);
    }
    return keys;
  }

  /**
   * The name of every topic in a claimed batch (`push.topic`, §4.8), from a cache: topic names never change,
   * so each is read from the store once.
   */
  private async topicNamesOf(claimed: ClaimedDelivery[]): Promise<Map<string, string>> {
    for (const d of claimed) {
      const id = d.message.topicId;
      if (id === null || this.topicNames.has(id)) continue;
      const topic = await this.ctx.store.findTopic(d.message.meshId, id);
      if (topic === null) continue;
      if (this.topicNames.size >= TOPIC_NAME_CACHE) this.topicNames.clear();
      this.topicNames.set(id, topic.name);
    }
    return this.topicNames;
  }

  private async reofferTick(): Promise<void> {
    for (const p of this.failedOffers) this.offer(p);
    this.failedOffers.clear();
    try {
      const now = Date.now();
      for (const [p, since] of this.unackedSince) {
        if (p.acking || !p.socket?.open) {
          this.unackedSince.delete(p);
          continue;
        }
        if (now - since >= this.ctx.opts.claimLeaseMs) {
          // A connection that never acks: what it was sent counts as delivered from now on (§4.10).
          p.nonAcking = true;
          this.unackedSince.delete(p);
          await this.ctx.store.markPresenceClaimsDelivered(p.id, now);
        }
      }
      // Every node polls the store for due recipients itself, so these are offered here, not announced.
      this.offerHeld(await this.ctx.store.dueRecipients(now));
    } catch (err) {
      this.ctx.storeHealth.reportBackground(err, "re-offer tick failed");
    }
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      // Once cluster-wide: the node that takes the lock sweeps; the others skip this round.
      await this.ctx.cluster.exclusive("retention", async () => {
        const now = Date.now();
        let expired = 0;
        for (;;) {
          const result = await this.ctx.store.sweep(now, SWEEP_BATCH);
          expired += result.expiredDeliveries;
          if (result.done || this.stopped) break;
          // Sends and pushes go on between rounds: a week of backlog never holds the event loop.
          await new Promise((resolve) => setImmediate(resolve));
        }
        this.ctx.metrics.ttlSweeps.inc({ flipped: String(expired) });
        await expireFiles(this.ctx, now, SWEEP_BATCH, () => this.stopped);
      });
    } catch (err) {
      this.ctx.storeHealth.reportBackground(err, "retention sweep failed");
    } finally {
      this.sweeping = false;
    }
  }

  async refreshQueueDepth(): Promise<void> {
    try {
      this.ctx.metrics.queueDepth.set(await this.ctx.store.queueDepth());
    } catch (err) {
      this.ctx.storeHealth.reportBackground(err, "queue depth refresh failed");
    }
  }
}

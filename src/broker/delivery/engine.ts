/**
 * At-least-once delivery (protocol.md §4.3-§4.10). Sends, acks and offers are queued and handled in
 * batches once per event-loop turn, so the store sees one transaction per batch, not per message.
 */
import {
  CLAIM_LEASE_MS,
  MAX_SEND_PAYLOAD,
  sendErrorText,
  type AckFrame,
  type SendFrame,
} from "../../protocol/index.js";
import { requestFingerprint } from "../../protocol/canonical.js";
import { randomMessageId } from "../../crypto/index.js";
import type { BrokerContext } from "../context.js";
import { canClaim, senderKey, type Presence } from "../presence/presence.js";
import { deliverablePriorities } from "../presence/status.js";
import type {
  AcceptInput,
  AckInput,
  ClaimScope,
  ClaimedDelivery,
  DueRecipient,
  NewDelivery,
} from "../store/port/index.js";
import { pushJson } from "./push.js";
import { resolveRecipients } from "./recipients.js";

const CLAIM_BATCH = 256;
const REOFFER_TICK_MS = 1_000;
const SWEEP_INTERVAL_MS = 10 * 60_000;
const QUEUE_DEPTH_INTERVAL_MS = 30_000;

interface PendingSend {
  sender: Presence;
  frame: SendFrame;
  resolve: (ack: AckFrame) => void;
}

export class DeliveryEngine {
  private sends: PendingSend[] = [];
  private acks: { presence: Presence; input: AckInput }[] = [];
  private offers = new Set<Presence>();
  private scheduled = false;
  private running: Promise<void> | null = null;
  /** Non-acking connections: when their oldest unacked claim was made (§4.10). */
  private readonly unackedSince = new Map<Presence, number>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly ctx: BrokerContext) {}

  start(): void {
    this.timers.push(setInterval(() => void this.reofferTick(), REOFFER_TICK_MS).unref());
    this.timers.push(setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS).unref());
    this.timers.push(setInterval(() => void this.refreshQueueDepth(), QUEUE_DEPTH_INTERVAL_MS).unref());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  /** Resolves once the batch holding this send is committed (or refused). */
  accept(sender: Presence, frame: SendFrame): Promise<AckFrame> {
    return new Promise((resolve) => {
      this.sends.push({ sender, frame, resolve });
      this.schedule();
    });
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
    this.schedule();
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

  offerRecipients(recipients: DueRecipient[]): void {
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

  private flush(): Promise<void> {
    const run = (async () => {
      try {
        const sends = this.sends.splice(0);
        const acks = this.acks.splice(0);
        if (sends.length > 0) await this.commitSends(sends);
        if (acks.length > 0) await this.commitAcks(acks);
        const offers = [...this.offers];
        this.offers.clear();
        if (offers.length > 0) await this.claimAndPush(offers);
      } catch (err) {
        this.ctx.log.error({ err }, "delivery batch failed");
      }
    })();
    this.running = run.finally(() => {
      this.running = null;
      if (this.sends.length > 0 || this.acks.length > 0 || this.offers.size > 0) this.schedule();
    });
    return this.running;
  }

  private async commitSends(batch: PendingSend[]): Promise<void> {
    const { store, opts, metrics } = this.ctx;
    const now = Date.now();
    const inputs: AcceptInput[] = [];
    const accepted: { item: PendingSend; deliveries: NewDelivery[] }[] = [];
    /** Idempotency keys of sends already in this batch's commit. */
    const batchKeys = new Set<string>();
    for (const item of batch) {
      const { frame, sender } = item;
      const fail = (error: string, reason: string) => {
        metrics.messagesRejected.inc({ reason });
        item.resolve(ackOf(frame, { queued: false, messageId: "", error }));
      };
      try {
        const size = frame.nonce.length + frame.ciphertext.length + frame.targetSpec.length;
        if (size > MAX_SEND_PAYLOAD) {
          fail(sendErrorText.tooLarge(size), "too_large");
          continue;
        }
        const fingerprint =
          frame.request_fingerprint ??
          requestFingerprint({
            targetSpec: frame.targetSpec,
            priority: frame.priority,
            nonce: frame.nonce,
            ciphertext: frame.ciphertext,
          });
        // With the rate limit on, a retry must be answered before it could be refused; without it the
        // commit answers duplicates atomically and this lookup is saved.
        if (frame.client_message_id && opts.sendRatePerMin > 0) {
          const record = await store.findIdempotency(sender.meshId, sender.memberId, frame.client_message_id);
          if (record) {
            if (record.fingerprint === fingerprint) {
              item.resolve(ackOf(frame, { queued: true, messageId: record.messageId, duplicate: true }));
            } else {
              fail(sendErrorText.idempotencyKeyReused(), "idempotency_key_reused");
            }
            continue;
          }
        }
        const batchKey = frame.client_message_id
          ? `${sender.meshId}|${sender.memberId}|${frame.client_message_id}`
          : null;
        // A copy of a send earlier in this batch is answered by the commit (duplicate or mismatch, §4.5):
        // it is never charged to the rate limit and needs no recipients.
        const batchCopy = batchKey !== null && batchKeys.has(batchKey);
        if (!batchCopy && opts.sendRatePerMin > 0) {
          const ok = await store.takeToken(
            `send|${sender.meshId}|${sender.memberId}`,
            opts.sendBurst > 0 ? opts.sendBurst : Number.MAX_SAFE_INTEGER,
            opts.sendRatePerMin / 60,
            now,
          );
          if (!ok) {
            fail(sendErrorText.rateLimit(), "rate_limit");
            continue;
          }
        }
        const resolution = batchCopy
          ? { ok: true as const, deliveries: [] }
          : await resolveRecipients(this.ctx, sender, frame.targetSpec);
        if (!resolution.ok) {
          if (resolution.code === "invalid") fail(sendErrorText.invalid(resolution.detail), "invalid");
          else fail(sendErrorText.noRecipient(), "no_recipient");
          continue;
        }
        inputs.push({
          message: {
            id: randomMessageId(),
            meshId: sender.meshId,
            senderMemberId: sender.memberId,
            senderPresenceId: sender.id,
            senderPubkey: senderKey(sender),
            senderName: sender.displayName,
            targetSpec: frame.targetSpec,
            priority: frame.priority,
            nonce: frame.nonce,
            ciphertext: frame.ciphertext,
            bodyVersion: frame.bodyVersion ?? null,
            replyToId: frame.replyToId ?? null,
            clientMessageId: frame.client_message_id ?? null,
            requestFingerprint: frame.client_message_id ? fingerprint : (frame.request_fingerprint ?? null),
            topicId: null,
            createdAt: now,
          },
          deliveries: resolution.deliveries,
          idempotency: frame.client_message_id
            ? { clientMessageId: frame.client_message_id, fingerprint }
            : null,
        });
        accepted.push({ item, deliveries: resolution.deliveries });
        if (batchKey !== null) batchKeys.add(batchKey);
      } catch (err) {
        this.ctx.log.error({ err, presenceId: sender.id }, "send failed");
        fail(sendErrorText.internal("store unavailable"), "internal");
      }
    }
    if (inputs.length === 0) return;
    let outcomes;
    try {
      outcomes = await store.acceptMessages(inputs);
    } catch (err) {
      this.ctx.log.error({ err }, "accept batch failed");
      for (const { item } of accepted) {
        metrics.messagesRejected.inc({ reason: "internal" });
        item.resolve(
          ackOf(item.frame, {
            queued: false,
            messageId: "",
            error: sendErrorText.internal("store unavailable"),
          }),
        );
      }
      return;
    }
    const toOffer: DueRecipient[] = [];
    outcomes.forEach((outcome, i) => {
      const { item, deliveries } = accepted[i]!;
      if (outcome.kind === "mismatch") {
        metrics.messagesRejected.inc({ reason: "idempotency_key_reused" });
        item.resolve(
          ackOf(item.frame, { queued: false, messageId: "", error: sendErrorText.idempotencyKeyReused() }),
        );
        return;
      }
      if (outcome.kind === "duplicate") {
        item.resolve(ackOf(item.frame, { queued: true, messageId: outcome.messageId, duplicate: true }));
        return;
      }
      metrics.messagesRouted.inc({ priority: item.frame.priority });
      const recipientOnline = deliveries.some((d) => this.hasClaimer(item.sender, d));
      item.resolve(ackOf(item.frame, { queued: true, messageId: outcome.messageId, recipientOnline }));
      for (const d of deliveries) {
        toOffer.push({
          meshId: item.sender.meshId,
          recipientKind: d.recipientKind,
          recipientMemberId: d.recipientMemberId,
          recipientPubkey: d.recipientPubkey,
        });
      }
    });
    this.offerRecipients(toOffer);
  }

  private hasClaimer(sender: Presence, d: NewDelivery): boolean {
    if (d.recipientKind === "session") {
      const p = this.ctx.registry.bySession(sender.meshId, d.recipientPubkey);
      return p !== undefined && canClaim(p) && p !== sender;
    }
    return this.ctx.registry
      .ofMember(d.recipientMemberId)
      .some((p) => canClaim(p) && !p.capabilities.has("no_inbox") && p.id !== d.excludedPresence);
  }

  private async commitAcks(batch: { presence: Presence; input: AckInput }[]): Promise<void> {
    const counts = await this.ctx.store.ackDeliveries(
      batch.map((b) => b.input),
      Date.now(),
    );
    const acked = counts.reduce((a, b) => a + b, 0);
    if (acked > 0) this.ctx.metrics.deliveriesTotal.inc({ stage: "acked" }, acked);
  }

  private async claimAndPush(presences: Presence[]): Promise<void> {
    const { store, presence: service } = this.ctx;
    const eligible = presences.filter(canClaim);
    if (eligible.length === 0) return;
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
      CLAIM_LEASE_MS,
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
            CLAIM_LEASE_MS,
            CLAIM_BATCH,
          );
    const claimers = [...eligible, ...fallback];
    const claimed = [...first, ...second];
    const senderKeys = await this.senderMemberKeys(claimed.flat());
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
        socket.sendRaw(pushJson(d, senderKeys.get(d.message.senderMemberId) ?? d.message.senderPubkey));
        if (p.nonAcking) deliveredOnWrite.push(d.deliveryId);
      }
      this.ctx.metrics.deliveriesTotal.inc({ stage: "pushed" }, list.length);
      if (!p.acking && !p.nonAcking && !this.unackedSince.has(p)) this.unackedSince.set(p, now);
      if (list.length >= CLAIM_BATCH) this.offers.add(p);
    }
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

  private async reofferTick(): Promise<void> {
    try {
      const now = Date.now();
      for (const [p, since] of this.unackedSince) {
        if (p.acking || !p.socket?.open) {
          this.unackedSince.delete(p);
          continue;
        }
        if (now - since >= CLAIM_LEASE_MS) {
          // A connection that never acks: what it was sent counts as delivered from now on (§4.10).
          p.nonAcking = true;
          this.unackedSince.delete(p);
          await this.ctx.store.markPresenceClaimsDelivered(p.id, now);
        }
      }
      this.offerRecipients(await this.ctx.store.dueRecipients(now));
    } catch (err) {
      this.ctx.log.warn({ err }, "re-offer tick failed");
    }
  }

  private async sweep(): Promise<void> {
    try {
      const result = await this.ctx.store.sweep(Date.now());
      this.ctx.metrics.ttlSweeps.inc({ flipped: String(result.expiredDeliveries) });
    } catch (err) {
      this.ctx.log.warn({ err }, "retention sweep failed");
    }
  }

  async refreshQueueDepth(): Promise<void> {
    try {
      this.ctx.metrics.queueDepth.set(await this.ctx.store.queueDepth());
    } catch (err) {
      this.ctx.log.warn({ err }, "queue depth refresh failed");
    }
  }
}

function ackOf(
  frame: SendFrame,
  fields: {
    queued: boolean;
    messageId: string;
    error?: string;
    duplicate?: boolean;
    recipientOnline?: boolean;
  },
): AckFrame {
  const ack: AckFrame = { type: "ack", id: frame.id ?? "", ...fields };
  if (frame._reqId !== undefined) ack._reqId = frame._reqId;
  return ack;
}

/**
 * The accept pipeline for one batch of sends (protocol.md §4.3), run a stage at a time so each store step
 * is one call per batch: size, dedupe (one idempotency lookup), rate limit (one token call), recipients,
 * one commit, then the acks and the offers. It runs inside the engine's batch transaction; its answers go
 * to the batch's {@link Outgoing} and leave once that commits. A send refused at a stage is answered there
 * and goes no further.
 */
import { MAX_SEND_PAYLOAD, sendErrorText, type AckFrame, type SendFrame } from "../../protocol/index.js";
import { requestFingerprint } from "../../protocol/canonical.js";
import { timeOrderedMessageId } from "../../crypto/index.js";
import type { BrokerContext } from "../context.js";
import { senderKey, type MessageSender } from "../presence/presence.js";
import type { AcceptInput, AcceptOutcome, DueRecipient, NewDelivery } from "../store/port/index.js";
import type { Outgoing } from "./outgoing.js";
import { recipientsOnline, resolveRecipients, SessionLookups } from "./recipients.js";

export interface PendingSend {
  sender: MessageSender;
  frame: SendFrame;
  /** A send the broker makes itself (a scheduled fire, §6.5): not charged to the member's rate limit. */
  unlimited?: boolean;
  /** The message's `subtype` (`"reminder"` for a scheduled fire), echoed on its pushes. */
  subtype?: string;
  /** Writes the send's ack or refusal to the connection it came on. */
  reply: (ack: AckFrame) => void;
}

interface Candidate {
  /** Position in the batch: the commit keeps batch order, so deliveries keep accept order (§4.6). */
  index: number;
  item: PendingSend;
  /** The effective fingerprint (§4.5). */
  fingerprint: string;
  /** `mesh|member|client_message_id` when the send has an idempotency key. */
  batchKey: string | null;
}

interface Resolved extends Candidate {
  deliveries: NewDelivery[];
  /** The topic a `#topic` send posts to: its message row is the topic's history. */
  topicId?: string;
  /** Whether a presence, on any node, could claim one of the deliveries now (`ack.recipientOnline`). */
  recipientOnline: boolean;
}

export class SendPipeline {
  constructor(
    private readonly ctx: BrokerContext,
    /** Where the batch's answers and commit effects go. */
    private readonly out: Outgoing,
    /** Where committed recipients go to be offered their deliveries. */
    private readonly offer: (recipients: DueRecipient[]) => void,
  ) {}

  /** Answers every send of the batch: an ack once committed, or the error of the stage that refused it. */
  async run(batch: PendingSend[]): Promise<void> {
    const now = Date.now();
    const sized = this.checkSize(batch);
    if (sized.length === 0) return;
    const fresh = await this.dedupe(sized, now);
    const ready = await this.limitAndResolve(fresh, now);
    if (ready.length === 0) return;
    const outcomes = await this.commit(ready, now);
    if (outcomes) this.answer(ready, outcomes);
  }

  /** Every send refused at once because nothing could be stored (the store is known to be failing). */
  refuseAll(batch: PendingSend[]): void {
    for (const item of batch) this.fail(item, sendErrorText.storeUnavailable(), "store_unavailable");
  }

  /** The refusal of a send whose batch did not commit. */
  static refusal(item: PendingSend, storageFault: boolean): AckFrame {
    const error = storageFault
      ? sendErrorText.storeUnavailable()
      : sendErrorText.internal("store unavailable");
    return ackOf(item.frame, { queued: false, messageId: "", error });
  }

  /** Step 2: the payload limit. */
  private checkSize(batch: PendingSend[]): Candidate[] {
    const out: Candidate[] = [];
    batch.forEach((item, index) => {
      const { frame, sender } = item;
      const size = frame.nonce.length + frame.ciphertext.length + frame.targetSpec.length;
      if (size > MAX_SEND_PAYLOAD) {
        this.fail(item, sendErrorText.tooLarge(size), "too_large");
        return;
      }
      const fingerprint =
        frame.request_fingerprint ??
        requestFingerprint({
          targetSpec: frame.targetSpec,
          priority: frame.priority,
          nonce: frame.nonce,
          ciphertext: frame.ciphertext,
        });
      const batchKey = frame.client_message_id
        ? `${sender.meshId}|${sender.memberId}|${frame.client_message_id}`
        : null;
      out.push({ index, item, fingerprint, batchKey });
    });
    return out;
  }

  /**
   * Step 3: a retry is answered from its idempotency record before it could be refused by the rate limit.
   * Without the rate limit the commit answers retries atomically, and this lookup is saved.
   */
  private async dedupe(candidates: Candidate[], now: number): Promise<Candidate[]> {
    if (this.ctx.opts.sendRatePerMin <= 0) return candidates;
    const keyed = candidates.flatMap((c) => {
      const clientMessageId = c.item.frame.client_message_id;
      return clientMessageId === undefined ? [] : [{ c, clientMessageId }];
    });
    if (keyed.length === 0) return candidates;
    let records;
    try {
      records = await this.ctx.store.findIdempotencies(
        keyed.map(({ c, clientMessageId }) => ({
          meshId: c.item.sender.meshId,
          senderMemberId: c.item.sender.memberId,
          clientMessageId,
        })),
        now,
      );
    } catch (err) {
      return this.failAll(
        candidates,
        keyed.map(({ c }) => c),
        { err, msg: "idempotency lookup failed" },
      );
    }
    const answered = new Set<Candidate>();
    keyed.forEach(({ c }, i) => {
      const record = records[i];
      if (!record) return;
      answered.add(c);
      if (record.fingerprint === c.fingerprint) {
        this.out.answer(
          c.item,
          ackOf(c.item.frame, { queued: true, messageId: record.messageId, duplicate: true }),
        );
      } else {
        this.fail(c.item, sendErrorText.idempotencyKeyReused(), "idempotency_key_reused");
      }
    });
    return candidates.filter((c) => !answered.has(c));
  }

  /**
   * Steps 4-5. A repeat of a key already accepted earlier in the batch is a copy: the commit answers it
   * like a retry, so it takes no token and needs no recipients. A repeat whose earlier send is still
   * undecided waits for the next round (one more token call; only a client retrying within one
   * event-loop turn does that), so whether it is a copy is known when its turn comes.
   */
  private async limitAndResolve(candidates: Candidate[], now: number): Promise<Resolved[]> {
    const ready: Resolved[] = [];
    const acceptedKeys = new Set<string>();
    let pending = candidates;
    while (pending.length > 0) {
      const round: Candidate[] = [];
      const deferred: Candidate[] = [];
      const inRound = new Set<string>();
      for (const c of pending) {
        if (c.batchKey !== null && acceptedKeys.has(c.batchKey)) {
          ready.push({ ...c, deliveries: [], recipientOnline: false });
        } else if (c.batchKey !== null && inRound.has(c.batchKey)) {
          deferred.push(c);
        } else {
          round.push(c);
          if (c.batchKey !== null) inRound.add(c.batchKey);
        }
      }
      for (const resolved of await this.resolve(await this.rateLimit(round, now))) {
        ready.push(resolved);
        if (resolved.batchKey !== null) acceptedKeys.add(resolved.batchKey);
      }
      pending = deferred;
    }
    return ready.sort((a, b) => a.index - b.index);
  }

  /** Step 4: one token per send from its member's bucket, shared by all its presences and all nodes. */
  private async rateLimit(round: Candidate[], now: number): Promise<Candidate[]> {
    const { opts, store } = this.ctx;
    const limited = round.filter((c) => c.item.unlimited !== true);
    if (opts.sendRatePerMin <= 0 || limited.length === 0) return round;
    const burst = opts.sendBurst > 0 ? opts.sendBurst : Number.MAX_SAFE_INTEGER;
    let allowed: boolean[];
    try {
      allowed = await store.takeTokens(
        limited.map(({ item }) => ({
          key: `send|${item.sender.meshId}|${item.sender.memberId}`,
          burst,
          refillPerSec: opts.sendRatePerMin / 60,
        })),
        now,
      );
    } catch (err) {
      return this.failAll(round, round, { err, msg: "rate limit failed" });
    }
    const granted = new Map(limited.map((c, i) => [c, allowed[i] === true]));
    return round.filter((c) => {
      if (granted.get(c) !== false) return true;
      this.fail(c.item, sendErrorText.rateLimit(), "rate_limit");
      return false;
    });
  }

  /** Step 5: recipients, with the sender-exclusion rules (§4.2), and whether any is online. */
  private async resolve(candidates: Candidate[]): Promise<Resolved[]> {
    const found: Array<Candidate & { deliveries: NewDelivery[]; topicId?: string }> = [];
    const sessions = new SessionLookups(this.ctx);
    for (const c of candidates) {
      try {
        const { targetSpec, replyToId } = c.item.frame;
        const resolution = await resolveRecipients(this.ctx, sessions, c.item.sender, targetSpec, replyToId);
        if (resolution.ok) {
          const topic = resolution.topicId === undefined ? {} : { topicId: resolution.topicId };
          found.push({ ...c, deliveries: resolution.deliveries, ...topic });
        } else if (resolution.code === "invalid") {
          this.fail(c.item, sendErrorText.invalid(resolution.detail), "invalid");
        } else if (resolution.code === "forbidden") {
          this.fail(c.item, sendErrorText.forbidden(resolution.detail), "forbidden");
        } else {
          this.fail(c.item, sendErrorText.noRecipient(), "no_recipient");
        }
      } catch (err) {
        this.failAll([c], [c], { err, msg: "recipient lookup failed" });
      }
    }
    try {
      const online = await recipientsOnline(
        this.ctx,
        sessions,
        found.map((c) => ({ sender: c.item.sender, deliveries: c.deliveries })),
      );
      return found.map((c, i) => ({ ...c, recipientOnline: online[i] === true }));
    } catch (err) {
      this.failAll(found, found, { err, msg: "recipient lookup failed" });
      return [];
    }
  }

  /** Step 7: message, deliveries and idempotency records of the whole batch, atomically. */
  private async commit(ready: Resolved[], now: number): Promise<AcceptOutcome[] | null> {
    try {
      return await this.ctx.store.acceptMessages(ready.map((r) => acceptInput(r, now)));
    } catch (err) {
      this.failAll(ready, ready, { err, msg: "accept batch failed" });
      return null;
    }
  }

  /** Steps 8-9: the acks, then the offers to every recipient of what was created. */
  private answer(ready: Resolved[], outcomes: AcceptOutcome[]): void {
    const { metrics } = this.ctx;
    const toOffer: DueRecipient[] = [];
    outcomes.forEach((outcome, i) => {
      const { item, deliveries, recipientOnline } = ready[i]!;
      if (outcome.kind === "mismatch") {
        this.fail(item, sendErrorText.idempotencyKeyReused(), "idempotency_key_reused");
        return;
      }
      if (outcome.kind === "duplicate") {
        this.out.answer(
          item,
          ackOf(item.frame, { queued: true, messageId: outcome.messageId, duplicate: true }),
        );
        return;
      }
      this.out.onCommit(() => metrics.messagesRouted.inc({ priority: item.frame.priority }));
      this.out.answer(
        item,
        ackOf(item.frame, { queued: true, messageId: outcome.messageId, recipientOnline }),
      );
      for (const d of deliveries) {
        toOffer.push({
          meshId: item.sender.meshId,
          recipientKind: d.recipientKind,
          recipientMemberId: d.recipientMemberId,
          recipientPubkey: d.recipientPubkey,
        });
      }
    });
    this.offer(toOffer);
  }

  private fail(item: PendingSend, error: string, reason: string): void {
    this.ctx.metrics.messagesRejected.inc({ reason });
    this.out.answer(item, ackOf(item.frame, { queued: false, messageId: "", error }));
  }

  /**
   * A store step failed for `failed`: each is answered `store_unavailable` when the storage itself fails
   * (retryable, logged once by the store's health), else `internal` with the error logged here. The rest
   * of `candidates` go on.
   */
  private failAll<C extends Candidate>(
    candidates: C[],
    failed: C[],
    cause: { err: unknown; msg: string },
  ): C[] {
    const storageFault = this.ctx.storeHealth.report(cause.err);
    if (!storageFault) this.ctx.log.error({ err: cause.err }, cause.msg);
    const gone = new Set<Candidate>(failed);
    for (const c of failed) {
      if (storageFault) this.fail(c.item, sendErrorText.storeUnavailable(), "store_unavailable");
      else this.fail(c.item, sendErrorText.internal("store unavailable"), "internal");
    }
    return candidates.filter((c) => !gone.has(c));
  }
}

function acceptInput({ item, fingerprint, deliveries, topicId }: Resolved, now: number): AcceptInput {
  const { frame, sender } = item;
  return {
    message: {
      id: timeOrderedMessageId(now),
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
      topicId: topicId ?? null,
      createdAt: now,
      ...(item.subtype === undefined ? {} : { subtype: item.subtype }),
    },
    deliveries,
    idempotency: frame.client_message_id ? { clientMessageId: frame.client_message_id, fingerprint } : null,
  };
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

/**
 * The scheduled-message fire loop (protocol.md §6.5), run on every node. Each round takes the due entries
 * under a per-entry lock, sends their messages through the accept pipeline (§4.3, without the rate limit)
 * as their creators' members, and records each fire, all in one store transaction: a node that dies
 * before the commit fired nothing, and another node (or this one after a restart) fires the entry then;
 * no entry fires twice for one due time.
 */
import { REMINDER_SUBTYPE, sendErrorCode, type AckFrame, type SendFrame } from "../protocol/index.js";
import { sha256Hex } from "../crypto/index.js";
import type { BrokerContext } from "./context.js";
import { nextCronTime } from "./cron.js";
import { SendPipeline, type PendingSend } from "./delivery/accept.js";
import { Outgoing } from "./delivery/outgoing.js";
import type { MessageSender } from "./presence/presence.js";
import type { DueRecipient, MemberRow, ScheduleFire, ScheduleRow } from "./store/port/index.js";
import { IDEMPOTENCY_RETENTION_MS } from "./store/retention.js";

/** The longest `client_message_id` (and `client_ack.clientMessageId`) the protocol carries (§4.12). */
const CLIENT_MESSAGE_ID_MAX = 128;
/** Entries fired per transaction; a longer backlog takes more rounds at once. */
const FIRE_BATCH = 100;
/** Ended entries are kept as long as idempotency records (a repeated `schedule` still finds its entry). */
const ENDED_RETENTION_MS = IDEMPOTENCY_RETENTION_MS;
const RETENTION_INTERVAL_MS = 60 * 60_000;
const RETENTION_BATCH = 1_000;
/** Refusals that a later round cannot change: the entry's due time is spent without a message. */
const PERMANENT = new Set(["no_recipient", "invalid", "forbidden", "too_large", "idempotency_key_reused"]);

/** Keeps every answer of the batch at hand inside the transaction, where the fires are decided. */
class RecordingOutgoing extends Outgoing {
  readonly acks = new Map<PendingSend, AckFrame>();

  override answer(item: PendingSend, ack: AckFrame): void {
    super.answer(item, ack);
    this.acks.set(item, ack);
  }
}

/** The clock scheduled messages are created and fired by (shifted only by the testing option). */
export function scheduleNow(ctx: Pick<BrokerContext, "opts">): number {
  return Date.now() + ctx.opts.scheduleClockOffsetMs;
}

/** The creator's member as the sender of its fire: no presence, the member key (§5.7). */
function memberSender(member: MemberRow): MessageSender {
  return {
    id: "",
    meshId: member.meshId,
    memberId: member.id,
    memberPubkey: member.pubkey,
    memberRole: member.role,
    displayName: member.displayName,
    sessionPubkey: null,
    senderKeyHint: null,
    socket: null,
  };
}

/**
 * The `send` a due entry makes. A reference client's plaintext goes as `bodyVersion` 1 (base64 plaintext,
 * no nonce, §5.7). A recurring entry's `client_message_id` is suffixed with its due time, so each fire is a
 * message of its own that receivers do not take for a copy of the last.
 */
function fireFrame(entry: ScheduleRow): SendFrame {
  const envelope = entry.ciphertext !== null;
  const frame: SendFrame = {
    type: "send",
    targetSpec: entry.to,
    priority: entry.priority,
    nonce: envelope ? (entry.nonce ?? "") : "",
    ciphertext: envelope ? entry.ciphertext! : Buffer.from(entry.message, "utf8").toString("base64"),
  };
  const bodyVersion = envelope ? entry.bodyVersion : 1;
  if (bodyVersion !== null) frame.bodyVersion = bodyVersion;
  if (entry.clientMessageId !== null) frame.client_message_id = fireKey(entry, entry.clientMessageId);
  return frame;
}

/**
 * The `client_message_id` of one fire: the entry's own for a one-shot; for a recurring entry that id and
 * the due time, kept within the 128 characters a receiver's `client_ack` may carry (a long id is hashed).
 */
function fireKey(entry: ScheduleRow, clientMessageId: string): string {
  if (entry.cron === null) return clientMessageId;
  const key = `${clientMessageId}@${entry.deliverAt}`;
  return key.length <= CLIENT_MESSAGE_ID_MAX ? key : `${sha256Hex(clientMessageId)}@${entry.deliverAt}`;
}

/** When a fired entry is due again: the next cron time after `now` (missed times are not replayed). */
function nextDue(entry: ScheduleRow, now: number): number | null {
  if (entry.cron === null) return null;
  const next = nextCronTime(entry.cron, now);
  return next.ok ? next.next : null;
}

export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly ctx: BrokerContext) {}

  /** Fires what is overdue at once (entries due while no node ran), then polls. */
  start(): void {
    this.timers.push(setInterval(() => void this.poll(), this.ctx.opts.schedulePollMs).unref());
    this.timers.push(setInterval(() => void this.dropEnded(), RETENTION_INTERVAL_MS).unref());
    void this.poll();
  }

  /** Stops polling and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.running;
  }

  private poll(): Promise<void> {
    this.running ??= this.fireAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async fireAll(): Promise<void> {
    try {
      while (!this.stopped && (await this.ctx.storeHealth.writable())) {
        if ((await this.fireRound()) < FIRE_BATCH) return;
      }
    } catch (err) {
      this.ctx.storeHealth.reportBackground(err, "scheduled messages round failed");
    }
  }

  /** Deletes entries that ended more than 8 days ago, once cluster-wide. */
  private async dropEnded(): Promise<void> {
    try {
      await this.ctx.cluster.exclusive("schedule-retention", async () => {
        const before = Date.now() - ENDED_RETENTION_MS;
        while (!this.stopped) {
          if ((await this.ctx.store.deleteEndedSchedules(before, RETENTION_BATCH)) < RETENTION_BATCH) return;
        }
      });
    } catch (err) {
      if (!this.ctx.storeHealth.report(err))
        this.ctx.log.warn({ err }, "scheduled messages retention failed");
    }
  }

  /** One transaction: lock due entries, accept their messages, record the fires. Returns how many it took. */
  private async fireRound(): Promise<number> {
    const { ctx } = this;
    const out = new RecordingOutgoing();
    const accepted: DueRecipient[] = [];
    const pipeline = new SendPipeline(ctx, out, (recipients) => accepted.push(...recipients));
    const taken = await ctx.store.transaction(async () => {
      const now = scheduleNow(ctx);
      const due = await ctx.store.lockDueSchedules(now, FIRE_BATCH);
      if (due.length === 0) return 0;
      const fires: ScheduleFire[] = [];
      const sends: Array<{ entry: ScheduleRow; item: PendingSend }> = [];
      for (const entry of due) {
        const member = await ctx.members.byId(entry.meshId, entry.memberId);
        if (!member) {
          // Its creator was removed from the mesh: the entry ends without a message.
          fires.push({ id: entry.id, fired: false, next: null });
          continue;
        }
        const item: PendingSend = {
          sender: memberSender(member),
          frame: fireFrame(entry),
          unlimited: true,
          subtype: REMINDER_SUBTYPE,
          reply: () => undefined,
        };
        sends.push({ entry, item });
      }
      if (sends.length > 0) await pipeline.run(sends.map((s) => s.item));
      for (const { entry, item } of sends) {
        const ack = out.acks.get(item);
        const code = ack?.queued ? null : sendErrorCode(ack?.error ?? "internal");
        if (code !== null && !PERMANENT.has(code)) {
          // The store or a limit refused it for now: nothing of this round commits; the next one retries.
          throw new Error(`scheduled message ${entry.id} was not accepted: ${ack?.error ?? "no answer"}`);
        }
        if (code !== null) {
          ctx.log.warn(
            { scheduledId: entry.id, error: ack?.error },
            "scheduled message refused at its due time",
          );
        }
        fires.push({ id: entry.id, fired: code === null, next: nextDue(entry, now) });
      }
      await ctx.store.recordScheduleFires(fires);
      return due.length;
    });
    out.send();
    ctx.delivery.offerRecipients(accepted);
    return taken;
  }
}

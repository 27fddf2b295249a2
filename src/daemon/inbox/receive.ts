/**
 * A push becomes an inbox row (protocol.md §4.9, §5.2, §5.3): decrypt with the keys that apply, dedupe on
 * the sender's client message id (else the broker id), write, publish the `message` event. The write is
 * synchronous and throws on failure, so the connection acks (`client_ack`) only what is durably stored —
 * duplicates included.
 */
import type { Logger } from "pino";
import { decryptPush } from "../../client/index.js";
import type { MessageEvent } from "../../daemon-api/contract.js";
import type { TopicMessageEvent } from "../../daemon-api/topics.js";
import type { PushFrame } from "../../protocol/index.js";
import type { EventHub } from "../events.js";
import { inboxMessage, type InboxStore, type NewInboxRow } from "./store.js";

export interface ReceiveContext {
  meshId: string;
  slug: string;
  rootKey: Uint8Array;
  /** The session whose connection got the push, or null for the member's control-plane connection. */
  sessionPubkey: string | null;
  /** The member's own key: a push addressed to any other key was addressed to one of its sessions. */
  memberPubkey: string;
  /** Secret keys to try, by public key, in order: this session's, other session keys of the mesh, the member's. */
  secretKeys: ReadonlyMap<string, string>;
  /** Opened topic keys by topic id and name (§5.4). */
  topicKeys?: ReadonlyMap<string, Uint8Array>;
  /** The name of the push's topic, when the push does not carry it. */
  topicName?: string | null;
}

/**
 * The secret keys to try on a push, in order (protocol.md §5.2): on a session connection that session's
 * key first, on the member connection the member key first; then every other session key this daemon holds
 * for the mesh (DMs to a session that ended reach the member), then the member key.
 */
export function decryptionKeys(
  member: { pubkey: string; secret: string },
  sessionSecrets: ReadonlyMap<string, string>,
  viaSession: string | null,
): Map<string, string> {
  const keys = new Map<string, string>();
  const own = viaSession === null ? undefined : sessionSecrets.get(viaSession);
  if (viaSession !== null && own !== undefined) keys.set(viaSession, own);
  if (viaSession === null) keys.set(member.pubkey, member.secret);
  for (const [pubkey, secret] of sessionSecrets) if (!keys.has(pubkey)) keys.set(pubkey, secret);
  if (!keys.has(member.pubkey)) keys.set(member.pubkey, member.secret);
  return keys;
}

/**
 * The session a push is for, from the key it was addressed to (protocol.md §4.8 `recipientPubkey`), on
 * whichever connection it arrived: the member's key → member-level (null: every session of the member and
 * ambient callers); another key → that session, also when it has ended (the broker hands such a DM to the
 * member, keeping the key, §4.6) or when another session's connection claimed it. Such a message stays with
 * its session — shown if it resumes, never in another session's or an ambient caller's context. Without a
 * `recipientPubkey` (older brokers), the connection decides.
 */
function addressedSession(ctx: ReceiveContext, push: PushFrame): string | null {
  const to = push.recipientPubkey;
  if (to === ctx.memberPubkey) return null;
  if (to !== undefined && /^[0-9a-f]{64}$/.test(to)) return to;
  return ctx.sessionPubkey;
}

export class InboxReceiver {
  readonly #store: InboxStore;
  readonly #events: EventHub;
  readonly #log: Logger;

  constructor(store: InboxStore, events: EventHub, logger: Logger) {
    this.#store = store;
    this.#events = events;
    this.#log = logger.child({ component: "inbox" });
  }

  /** Stores one push. Returns false for a duplicate (already stored); throws when it cannot be written. */
  receive(ctx: ReceiveContext, push: PushFrame, now = new Date()): boolean {
    const opened = decryptPush(push, {
      rootKey: ctx.rootKey,
      secretKeys: ctx.secretKeys,
      topicKeys: ctx.topicKeys,
    });
    const senderMember = push.senderMemberPubkey ?? push.senderPubkey;
    const fromName = push.senderName ?? `${senderMember.slice(0, 8)}…`;
    const dedupeKey =
      push.client_message_id !== undefined && push.client_message_id !== ""
        ? `${ctx.meshId}|c|${senderMember}|${push.client_message_id}`
        : `${ctx.meshId}|b|${push.messageId}`;
    const eventId = this.#events.nextId();
    const sessionPubkey = addressedSession(ctx, push);
    const row: NewInboxRow = {
      id: push.messageId,
      dedupe_key: dedupeKey,
      event_id: eventId,
      mesh_id: ctx.meshId,
      mesh_slug: ctx.slug,
      client_message_id: push.client_message_id ?? null,
      session_pubkey: sessionPubkey,
      recipient_pubkey: push.recipientPubkey ?? null,
      from_name: fromName,
      from_pubkey: senderMember,
      from_session_pubkey: push.senderPubkey !== senderMember ? push.senderPubkey : null,
      target_spec: push.targetSpec ?? push.recipientPubkey ?? "",
      // Never the base64 bytes of a body we could not open (protocol.md §9 item 57).
      body: opened.ok ? opened.text : `message from ${fromName} could not be decrypted`,
      encrypted: opened.ok ? opened.encrypted : true,
      undecryptable: !opened.ok,
      priority: push.priority,
      topic: push.topic ?? ctx.topicName ?? null,
      reply_to: push.replyToId ?? null,
      sent_at: push.createdAt,
      received_at: now.toISOString(),
      received_ms: now.getTime(),
    };
    const inserted = this.#store.insert(row);
    const logFields = {
      mesh: ctx.slug,
      message_id: push.messageId,
      session: sessionPubkey?.slice(0, 12) ?? null,
    };
    if (!inserted) {
      this.#log.debug(logFields, "duplicate push; acked again");
      return false;
    }
    if (!opened.ok) this.#log.warn({ ...logFields, reason: opened.reason }, "push could not be decrypted");
    else this.#log.info(logFields, "message stored");
    const message = inboxMessage(row, false);
    const event: MessageEvent = { message, session_pubkey: sessionPubkey };
    this.#events.publish("message", event, { meshId: ctx.meshId, sessionPubkey }, eventId);
    if (row.topic !== null) {
      const topicEvent: TopicMessageEvent = {
        mesh: ctx.slug,
        topic: row.topic,
        message: {
          id: row.id,
          from_name: row.from_name,
          from_pubkey: row.from_pubkey,
          body: row.body,
          reply_to: row.reply_to,
          sent_at: row.sent_at,
          encrypted: row.encrypted,
          undecryptable: row.undecryptable,
        },
      };
      this.#events.publish("topic_message", topicEvent, { meshId: ctx.meshId, sessionPubkey });
    }
    return true;
  }
}

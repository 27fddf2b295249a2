/**
 * Accept-time work of `send`: resolve the target against the mesh's roster and live peers, then
 * encrypt (protocol.md §5.2 DMs with crypto_box from the member key, or the session key when a launched
 * session sends; §5.3/§5.5 multicast as `bodyVersion` 2 under the key derived from the root key) and
 * fingerprint the exact bytes. The result is the outbox row; nothing here touches the network for sending.
 */
import { envelopeOf } from "../../client/send-envelope.js";
import { sha256Hex } from "../../crypto/index.js";
import {
  resolveTarget,
  type ResolvedTarget,
  type TargetResolution,
} from "../../daemon-api/resolve-target.js";
import {
  MAX_MESSAGE_TEXT_KB,
  MAX_SEND_PAYLOAD,
  type MemberEntry,
  type Priority,
} from "../../protocol/index.js";
import { requestFingerprint } from "../../protocol/canonical.js";
import { LocalError, brokerFailure } from "../ipc/errors.js";
import type { MeshRuntime } from "../meshes/mesh-runtime.js";
import type { NewOutboxRow } from "./store.js";

export interface SendIntent {
  to: string;
  message: string;
  priority: Priority;
  replyTo: string | null;
  clientMessageId: string;
}

/** The sending session (its key encrypts DMs), or null for the member. */
export interface Sender {
  sessionPubkey: string;
  sessionSecret: string;
}

/** Hash of what the caller asked for, to tell an idempotent retry from a reuse of its id. */
export function contentHash(meshId: string, intent: SendIntent, sender: Sender | null): string {
  return sha256Hex(
    JSON.stringify([
      meshId,
      intent.to,
      intent.message,
      intent.priority,
      intent.replyTo,
      sender?.sessionPubkey ?? null,
    ]),
  );
}

const NEEDS_ROSTER = (to: string): boolean => !/^(\*|@.*|#.*|[0-9a-fA-F]{64})$/.test(to.trim());

/**
 * Resolves the target of a send; names and prefixes need the roster and the peers (the last ones seen
 * while the broker is unreachable). A name that matches no one in lists a cache served is looked up once
 * more in fresh ones: someone who joined a moment ago is reachable at once.
 */
export async function resolveSendTarget(mesh: MeshRuntime, to: string): Promise<SendTarget> {
  const asked = Date.now();
  let { resolved, live } = await resolveAgainstNames(mesh, to);
  if (!resolved.ok && resolved.error === "unknown_target" && mesh.namesMayBeOutdated(asked)) {
    mesh.invalidate();
    ({ resolved, live } = await resolveAgainstNames(mesh, to));
  }
  if (!resolved.ok) {
    const hint =
      resolved.candidates.length > 0
        ? `did you mean: ${resolved.candidates.map((c) => c.display_name).join(", ")}?`
        : "`claudemesh peers` and `claudemesh members` list who is there";
    throw new LocalError(resolved.error, resolved.message, hint, resolved.candidates);
  }
  const target = live ? resolved.target : { ...resolved.target, online: false };
  if (target.kind === "topic") {
    return { ...target, topicKey: await topicKeyForSend(mesh, target.spec.slice(1)) };
  }
  return target;
}

async function resolveAgainstNames(
  mesh: MeshRuntime,
  to: string,
): Promise<{ resolved: TargetResolution; live: boolean }> {
  let members: MemberEntry[];
  try {
    members = await mesh.members({ allowStale: true });
  } catch (error) {
    if (NEEDS_ROSTER(to)) throw error;
    members = [];
  }
  const { peers, live } = await mesh.peersForNames();
  const resolved = resolveTarget({ input: to, members, peers, selfMemberPubkey: mesh.config.pubkey });
  return { resolved, live };
}

/** A resolved target, with the topic key for `#topic` (its bodies are `bodyVersion` 2 under it, §5.4). */
export type SendTarget = ResolvedTarget & { topicKey?: Uint8Array };

/** The key to post to a topic with: held, fetched, or claimed for a keyless topic this member is in. */
export async function topicKeyForSend(mesh: MeshRuntime, topic: string): Promise<Uint8Array> {
  let found;
  try {
    found = await mesh.topics.keyFor(topic);
  } catch (error) {
    const failure = brokerFailure(error, mesh.slug);
    if (failure.code === "forbidden") {
      throw new LocalError(
        "forbidden",
        `you are not a member of topic #${topic}`,
        `join it first: \`claudemesh topic join ${topic}\``,
      );
    }
    if (failure.code === "topic_not_found") {
      throw new LocalError(
        "topic_not_found",
        `no topic #${topic} in mesh "${mesh.slug}"`,
        "`claudemesh topic list` shows the topics; `claudemesh topic create <name>` makes one",
      );
    }
    throw failure;
  }
  if (found === null) {
    throw new LocalError(
      "key_not_sealed",
      `your copy of the key of topic #${topic} has not arrived yet`,
      "a member who holds it seals one for you automatically while online; try again shortly",
    );
  }
  return found.key;
}

/**
 * The envelope of `text` for a resolved target: crypto_box from the sending session's key, else the
 * member key, for DMs; `bodyVersion` 2 under the derived key for multicast, or the topic key for `#topic`. What `send` queues and what
 * `schedule` hands the broker to fire later (always from the member key then, protocol.md §5.7).
 */
export function envelopeFor(
  mesh: MeshRuntime,
  text: string,
  target: SendTarget,
  sender: Sender | null,
): { nonce: string; ciphertext: string; bodyVersion?: number } {
  return envelopeOf(text, target, {
    senderSecretKey: sender?.sessionSecret ?? mesh.config.secret_key,
    rootKey: mesh.rootKey,
  });
}

/** Encrypts the message for the resolved target and builds the outbox row. */
export function buildOutboxRow(
  mesh: MeshRuntime,
  intent: SendIntent,
  target: SendTarget,
  sender: Sender | null,
): NewOutboxRow {
  const body = envelopeFor(mesh, intent.message, target, sender);
  const payload = body.nonce.length + body.ciphertext.length + target.spec.length;
  if (payload > MAX_SEND_PAYLOAD) {
    throw new LocalError(
      "too_large",
      `the message is too long (${Math.ceil(Buffer.byteLength(intent.message) / 1024)} KB of text); ` +
        `the limit is about ${MAX_MESSAGE_TEXT_KB} KB of text`,
      "send a shorter message, or split it into several",
    );
  }
  return {
    id: intent.clientMessageId,
    mesh_id: mesh.meshId,
    to_input: intent.to,
    target_spec: target.spec,
    target_kind: target.kind,
    target_display: target.display,
    priority: intent.priority,
    reply_to: intent.replyTo,
    nonce: body.nonce,
    ciphertext: body.ciphertext,
    body_version: body.bodyVersion ?? null,
    fingerprint: requestFingerprint({
      targetSpec: target.spec,
      priority: intent.priority,
      nonce: body.nonce,
      ciphertext: body.ciphertext,
    }),
    content_hash: contentHash(mesh.meshId, intent, sender),
    sender_session_pubkey: sender?.sessionPubkey ?? null,
    recipient_online: target.online ? 1 : 0,
  };
}

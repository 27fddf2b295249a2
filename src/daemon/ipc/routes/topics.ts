/**
 * Topics (protocol.md §6.4) on the member's own connection, which holds the topic keys (§5.4). A topic the
 * daemon creates gets its key at once: created keyless, then claimed with a signed copy for the member
 * (the broker names the topic id only once it exists, and the copy's signature covers it). History is
 * opened here; posting is `send` to `#<name>`.
 */
import { openTopicHistoryEntry } from "../../../client/index.js";
import { topicMemberView, topicView, type TopicMessageView } from "../../../daemon-api/topics.js";
import type { MemberEntry, TopicHistoryEntry } from "../../../protocol/index.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import type { Implementations, RouteContext } from "../app.js";
import { LocalError } from "../errors.js";
import { ask } from "./tasks.js";

function topicMesh({ daemon, caller }: RouteContext, wanted: string | undefined): MeshRuntime {
  const mesh = daemon.meshFor(wanted, caller.session);
  mesh.assertUsable();
  return mesh;
}

/** A member's pubkey from a full key, a display name, or a key prefix of 4+ characters. */
async function memberKey(mesh: MeshRuntime, who: string): Promise<string> {
  if (/^[0-9a-f]{64}$/.test(who)) return who;
  const lower = who.toLowerCase();
  const find = (members: MemberEntry[]) =>
    members.filter(
      (m) => m.displayName.toLowerCase() === lower || (lower.length >= 4 && m.pubkey.startsWith(lower)),
    );
  let matches = find(await mesh.members());
  if (matches.length === 0) {
    // The roster is cached for a few seconds: someone who joined just now is not in it yet.
    mesh.invalidate();
    matches = find(await mesh.members());
  }
  if (matches.length === 1) return matches[0]!.pubkey;
  throw new LocalError(
    matches.length === 0 ? "unknown_target" : "ambiguous_target",
    matches.length === 0 ? `no member "${who}" in mesh "${mesh.slug}"` : `"${who}" matches several members`,
    "`claudemesh members` lists them; give a display name or a key prefix",
  );
}

/** One history entry, opened with the topic key when there is one. */
export function openHistoryEntry(
  m: TopicHistoryEntry,
  topic: { id: string; name: string },
  key: Uint8Array | undefined,
): TopicMessageView {
  const opened = openTopicHistoryEntry(m, topic, key);
  return {
    id: m.id,
    from_name: m.senderName,
    from_pubkey: m.senderMemberPubkey ?? m.senderPubkey,
    body: opened.ok
      ? opened.text
      : `message from ${m.senderName} could not be decrypted${opened.reason === "no_key" ? " (no topic key yet)" : ""}`,
    reply_to: m.replyToId ?? null,
    sent_at: m.createdAt,
    encrypted: opened.ok ? opened.encrypted : true,
    undecryptable: !opened.ok,
  };
}

export const topicRoutes = {
  createTopic: async (ctx, input) => {
    const mesh = topicMesh(ctx, input.mesh);
    const created = await ask(mesh.slug, () =>
      mesh.control.createTopic({
        name: input.name,
        visibility: input.private === true ? "private" : "public",
        ...(input.description === undefined ? {} : { description: input.description }),
      }),
    );
    mesh.topics.learn(created.topic.id, created.topic.name);
    // The creator makes the key; an existing keyless topic this member is in gets one the same way.
    const key = await mesh.topics.keyFor(created.topic.id).catch(() => null);
    return {
      id: created.topic.id,
      name: created.topic.name,
      visibility: created.topic.visibility,
      created: created.created,
      encrypted: key !== null,
    };
  },

  listTopics: async (ctx, input) => {
    const mesh = topicMesh(ctx, input.mesh);
    const { topics } = await ask(mesh.slug, () => mesh.control.listTopics());
    for (const t of topics) mesh.topics.learn(t.id, t.name);
    return { topics: topics.map(topicView) };
  },

  joinTopic: async (ctx, input) => {
    const mesh = topicMesh(ctx, input.mesh);
    const member = input.member === undefined ? undefined : await memberKey(mesh, input.member);
    await ask(mesh.slug, () => mesh.control.joinTopic(input.name, member === undefined ? {} : { member }));
    // A newcomer's copy is sealed by a holder's daemon; ask for it now in case one is already there.
    if (member === undefined) void mesh.topics.fetch(input.name, false).catch(() => null);
    return { topic: input.name, joined: true };
  },

  leaveTopic: async (ctx, input) => {
    const mesh = topicMesh(ctx, input.mesh);
    await ask(mesh.slug, () => mesh.control.leaveTopic(input.name));
    return { topic: input.name, joined: false };
  },

  topicMembers: async (ctx, input) => {
    const mesh = topicMesh(ctx, input.mesh);
    const reply = await ask(mesh.slug, () => mesh.control.topicMembers(input.name));
    return { topic: reply.topic, members: reply.members.map(topicMemberView) };
  },

  topicHistory: async (ctx, input) => {
    const mesh = topicMesh(ctx, input.mesh);
    const page = {
      ...(input.limit === undefined ? {} : { limit: input.limit }),
      ...(input.before === undefined ? {} : { beforeId: input.before }),
    };
    const reply = await ask(mesh.slug, () => mesh.control.topicHistory(input.name, page));
    const topicId = reply.topicId ?? input.name;
    mesh.topics.learn(topicId, reply.topic);
    const key =
      mesh.topics.cached(topicId) ?? (await mesh.topics.fetch(topicId, false).catch(() => null))?.key;
    const topic = { id: topicId, name: reply.topic };
    // The broker pages newest first; people read oldest first.
    const messages = reply.messages.map((m) => openHistoryEntry(m, topic, key)).reverse();
    return { topic: reply.topic, messages };
  },

  markTopicRead: async (ctx, input) => {
    const mesh = topicMesh(ctx, input.mesh);
    await ask(mesh.slug, () => mesh.control.markTopicRead(input.name));
    return { topic: input.name };
  },
} satisfies Partial<Implementations>;

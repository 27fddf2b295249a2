/**
 * Topics: `topic create|list|join|leave|members|post|history|tail` through the daemon (or its one-shot form
 * with --no-daemon), which holds the topic keys: it encrypts posts, opens history and seals copies of the
 * key for newcomers on its own.
 */
import { followEvents } from "../../daemon-api/events.js";
import type { TopicMessageEvent, TopicMessageView } from "../../daemon-api/topics.js";
import type { DaemonClient } from "../../daemon-api/client.js";
import { isTopicName } from "../../protocol/targets.js";
import type { Context } from "../command.js";
import { usageError } from "../errors.js";
import type { SEND_FLAGS } from "../flags/talk.js";
import type { TOPIC_CREATE_FLAGS, TOPIC_HISTORY_FLAGS, TOPIC_JOIN_FLAGS } from "../flags/topics.js";
import { daemon, meshParam, shortKey } from "../services.js";
import { send } from "./talk.js";

/** How often `topic tail --no-daemon` asks for new history. */
const TAIL_POLL_MS = 1_000;

function topicName(ctx: Context): string {
  const raw = (ctx.args.name ?? "").trim();
  const name = raw.startsWith("#") ? raw.slice(1) : raw;
  if (name === "") throw usageError("no topic given", "e.g. claudemesh topic history general");
  return name;
}

function showMessage(ctx: Context, m: TopicMessageView): void {
  const c = ctx.out.c;
  const clock = m.sent_at.slice(11, 19);
  const mark = m.undecryptable ? "" : m.encrypted ? "" : ` ${c.yellow("[unencrypted]")}`;
  const reply = m.reply_to === null ? "" : c.dim(` ↩ ${m.reply_to.slice(0, 8)}`);
  const body = m.undecryptable ? c.red(m.body) : m.body;
  ctx.out.line(`${c.dim(clock)} ${c.bold(m.from_name)}${mark}${reply}: ${body}  ${c.dim(m.id)}`);
}

function messageJson(m: TopicMessageView): Record<string, unknown> {
  return {
    id: m.id,
    from_name: m.from_name,
    from_pubkey: m.from_pubkey,
    body: m.body,
    reply_to: m.reply_to,
    sent_at: m.sent_at,
    encrypted: m.encrypted,
  };
}

export async function topicCreate(ctx: Context<typeof TOPIC_CREATE_FLAGS>): Promise<void> {
  const name = topicName(ctx);
  if (!isTopicName(name)) {
    throw usageError(
      `"${name}" is not a topic name`,
      "use 1-50 characters of a-z, 0-9 and -, not starting with -",
    );
  }
  const view = await (
    await daemon(ctx)
  ).call("createTopic", {
    name,
    description: ctx.flags.description,
    private: ctx.flags.private || undefined,
    mesh: meshParam(ctx),
  });
  ctx.out.result({ ...view }, () => {
    const c = ctx.out.c;
    const what = view.created ? "created" : "already exists:";
    const lock = view.encrypted ? c.green("end-to-end encrypted") : c.yellow("no key yet");
    ctx.out.line(`${what} #${view.name} (${view.visibility}, ${lock})  ${c.dim(view.id)}`);
  });
}

export async function topicList(ctx: Context): Promise<void> {
  const { topics } = await (await daemon(ctx)).call("listTopics", { mesh: meshParam(ctx) });
  ctx.out.result({ topics }, () => {
    const c = ctx.out.c;
    ctx.out.table(
      [
        { header: "TOPIC" },
        { header: "VISIBILITY" },
        { header: "MEMBERS" },
        { header: "JOINED" },
        { header: "UNREAD" },
        { header: "DESCRIPTION" },
      ],
      topics.map((t) => [
        `#${t.name}`,
        t.visibility,
        String(t.member_count),
        t.joined ? c.green("yes") : c.dim("no"),
        t.unread > 0 ? c.bold(String(t.unread)) : c.dim("0"),
        t.description,
      ]),
      "no topics",
    );
  });
}

export async function topicJoin(ctx: Context<typeof TOPIC_JOIN_FLAGS>): Promise<void> {
  const view = await (
    await daemon(ctx)
  ).call("joinTopic", { name: topicName(ctx), member: ctx.flags.member, mesh: meshParam(ctx) });
  ctx.out.result({ ...view }, () =>
    ctx.out.line(
      ctx.flags.member === undefined
        ? `joined #${view.topic}`
        : `added ${ctx.flags.member} to #${view.topic}`,
    ),
  );
}

export async function topicLeave(ctx: Context): Promise<void> {
  const view = await (await daemon(ctx)).call("leaveTopic", { name: topicName(ctx), mesh: meshParam(ctx) });
  ctx.out.result({ ...view }, () => ctx.out.line(`left #${view.topic}`));
}

export async function topicMembers(ctx: Context): Promise<void> {
  const { topic, members } = await (
    await daemon(ctx)
  ).call("topicMembers", { name: topicName(ctx), mesh: meshParam(ctx) });
  ctx.out.result({ topic, members }, () => {
    const c = ctx.out.c;
    ctx.out.table(
      [
        { header: "NAME" },
        { header: "KEY" },
        { header: "ROLE" },
        { header: "TOPIC KEY" },
        { header: "JOINED" },
      ],
      members.map((m) => [
        m.display_name,
        shortKey(m.pubkey),
        m.role,
        m.has_key ? c.green("held") : c.yellow("waiting"),
        m.joined_at,
      ]),
      "no members",
    );
  });
}

export async function topicPost(ctx: Context<typeof SEND_FLAGS>): Promise<void> {
  await send({ ...ctx, args: { ...ctx.args, to: `#${topicName(ctx)}` } });
}

export async function topicHistory(ctx: Context<typeof TOPIC_HISTORY_FLAGS>): Promise<void> {
  const limit = ctx.flags.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw usageError(`--limit ${limit} is out of range`, "give 1-200");
  const { topic, messages } = await (
    await daemon(ctx)
  ).call("topicHistory", { name: topicName(ctx), limit, before: ctx.flags.before, mesh: meshParam(ctx) });
  ctx.out.result({ topic, messages: messages.map(messageJson) }, () => {
    if (messages.length === 0) ctx.out.note(ctx.out.c.dim(`no messages in #${topic}`));
    for (const m of messages) showMessage(ctx, m);
  });
}

export async function topicTail(ctx: Context): Promise<void> {
  const name = topicName(ctx);
  const mesh = meshParam(ctx);
  const client = await daemon(ctx);
  const print = (m: TopicMessageView) => {
    if (ctx.json) ctx.out.jsonLine({ schema_version: "1", topic: name, ...messageJson(m) });
    else showMessage(ctx, m);
  };
  // Anything before now is history; this shows what comes next, and marks the topic read as it goes.
  const first = await client.call("topicHistory", { name, limit: 1, mesh });
  await client.call("markTopicRead", { name, mesh });
  ctx.out.note(ctx.out.c.dim(`following #${name} (Ctrl-C to stop)`));
  if (client.inProcess) return pollTail(ctx, client, name, first.messages[0]?.id ?? null, print);
  const stream = followEvents(client, {
    mesh,
    signal: ctx.signal,
    onLost: () => ctx.out.note(ctx.out.c.dim("daemon connection lost; reconnecting…")),
  });
  for await (const { event, data } of stream) {
    if (event !== "topic_message") continue;
    const e = data as TopicMessageEvent;
    if (e.topic !== name && e.topic !== first.topic) continue;
    print(e.message);
    await client.call("markTopicRead", { name, mesh }).catch(() => undefined);
  }
}

/** Without a daemon there is no event stream: new history, asked for once a second. */
async function pollTail(
  ctx: Context,
  client: DaemonClient,
  name: string,
  newest: string | null,
  print: (m: TopicMessageView) => void,
): Promise<void> {
  const mesh = meshParam(ctx);
  const seen = new Set<string>(newest === null ? [] : [newest]);
  let last = newest;
  while (!ctx.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, TAIL_POLL_MS));
    if (ctx.signal.aborted) return;
    const { messages } = await client.call("topicHistory", { name, limit: 200, mesh });
    const start = last === null ? 0 : messages.findIndex((m) => m.id === last) + 1;
    const fresh = messages.slice(start).filter((m) => !seen.has(m.id));
    for (const m of fresh) {
      seen.add(m.id);
      print(m);
    }
    if (fresh.length > 0) {
      last = fresh[fresh.length - 1]!.id;
      await client.call("markTopicRead", { name, mesh });
    }
  }
}

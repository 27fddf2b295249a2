/** `inbox`: received messages, newest last; `--follow` streams new ones. Shown messages become surfaced. */
import type { InboxMessage, MessageEvent } from "../../daemon-api/contract.js";
import { describeUnsynced } from "../../daemon-api/unsynced.js";
import type { DaemonClient } from "../../daemon-api/client.js";
import { followEvents } from "../../daemon-api/events.js";
import type { Context } from "../command.js";
import type { INBOX_FLAGS } from "../flags/inbox.js";
import { usageError } from "../errors.js";
import { formatMessage } from "../format.js";
import { parseDuration } from "../parse.js";
import { daemon, meshParam } from "../services.js";

/** `--since`: an ISO time, or a duration meaning "that long ago" (`10m`, `2h`, `1d`). */
export function parseSince(text: string, now = Date.now()): string {
  if (/^\d+(ms|s|m|h|d|w)$/.test(text.trim())) return new Date(now - parseDuration(text)).toISOString();
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw usageError(
      `--since "${text}" is not a time`,
      "use an ISO time (2025-01-31T12:00Z) or an age like 10m, 2h, 1d",
    );
  }
  return date.toISOString();
}

function isMessageEvent(data: unknown): data is MessageEvent {
  return typeof data === "object" && data !== null && "message" in data && typeof data.message === "object";
}

async function markSurfaced(client: DaemonClient, messages: readonly InboxMessage[]): Promise<void> {
  const ids = messages.filter((m) => !m.surfaced).map((m) => m.id);
  if (ids.length > 0) await client.call("markSurfaced", { ids, lane: "inbox" });
}

export async function inbox(ctx: Context<typeof INBOX_FLAGS>): Promise<void> {
  const since = ctx.flags.since === undefined ? undefined : parseSince(ctx.flags.since);
  const mesh = meshParam(ctx);
  const client = await daemon(ctx);
  const show = async (): Promise<string[]> => {
    const { messages, unsynced = [] } = await client.call("inbox", {
      mesh,
      unread: ctx.flags.unread,
      since,
      limit: ctx.flags.limit,
      sync: true,
    });
    ctx.out.result(unsynced.length === 0 ? { messages } : { messages, unsynced }, () => {
      const empty = messages.length === 0 && !ctx.flags.follow;
      if (empty && unsynced.length === 0) ctx.out.line(ctx.out.c.dim("no messages"));
      for (const m of messages) ctx.out.line(formatMessage(m, ctx.out.c));
      for (const u of unsynced) ctx.out.line(ctx.out.c.yellow(describeUnsynced(u)));
    });
    await markSurfaced(client, messages);
    return messages.map((m) => m.id);
  };
  if (!ctx.flags.follow) {
    await show();
    return;
  }
  // The snapshot is read once the stream is open, so nothing arriving in between is missed.
  const seen = new Set<string>();
  const stream = followEvents(client, {
    mesh,
    signal: ctx.signal,
    onOpen: async (resumed) => {
      if (!resumed) for (const id of await show()) seen.add(id);
    },
    onLost: () => ctx.out.note(ctx.out.c.dim("daemon connection lost; reconnecting…")),
  });
  for await (const { event, data } of stream) {
    if (event !== "message" || !isMessageEvent(data) || seen.has(data.message.id)) continue;
    seen.add(data.message.id);
    if (ctx.json) ctx.out.jsonLine({ schema_version: "1", message: data.message });
    else ctx.out.line(formatMessage(data.message, ctx.out.c));
    await markSurfaced(client, [data.message]);
  }
}

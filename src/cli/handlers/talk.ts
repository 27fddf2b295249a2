/** Talking: `peers`, `send`, `message status`. */
import type { MessageStatusResponse, PeerView, SendResponse } from "../../daemon-api/contract.js";
import { DaemonApiError } from "../../daemon-api/client.js";
import { sendOnce } from "../../daemon-api/send.js";
import { roleLabel, shownByDefault } from "../../daemon-api/views.js";
import { MAX_MESSAGE_TEXT_BYTES, MAX_MESSAGE_TEXT_KB } from "../../protocol/constants.js";
import type { Context } from "../command.js";
import type { Output } from "../output.js";
import type { PEERS_FLAGS, SEND_FLAGS } from "../flags/talk.js";
import { CliError, exitCodeFor, usageError } from "../errors.js";
import { daemon, meshParam, readStdin, shortKey, withoutFinalNewline } from "../services.js";
import { countOf } from "../../claude-code/peer-text.js";
import { meshColumn } from "../format.js";

/** Rethrows a daemon refusal of a target with its candidates in the hint. */
export function withCandidates(err: unknown): never {
  if (err instanceof DaemonApiError && err.candidates && err.candidates.length > 0) {
    const names = err.candidates
      .map(
        (c) =>
          `${c.display_name} (${(c.session_pubkey ?? c.pubkey).slice(0, 8)}${c.online ? "" : ", offline"})`,
      )
      .join(", ");
    throw new CliError(err.code, err.message, `candidates: ${names}`, exitCodeFor(err.code));
  }
  throw err;
}

export async function peers(ctx: Context<typeof PEERS_FLAGS>): Promise<void> {
  const client = await daemon(ctx);
  const list: PeerView[] = (await client.call("peers", { mesh: meshParam(ctx), all: true })).peers;
  const visible = list.filter((p) => ctx.flags.all || shownByDefault(p));
  const hidden = list.length - visible.length;
  const shown = visible.map(({ self: _self, ...peer }) => peer);
  ctx.out.result({ peers: shown }, () => {
    const c = ctx.out.c;
    const mesh = meshColumn(visible);
    ctx.out.table(
      [
        ...mesh.columns,
        { header: "NAME" },
        { header: "ROLE" },
        { header: "GROUPS" },
        { header: "STATUS" },
        { header: "SUMMARY" },
        { header: "CWD" },
        { header: "KEY" },
      ],
      visible.map((p) => [
        ...mesh.cell(p),
        p.display_name + (p.this_session ? c.dim(" (this session)") : ""),
        roleLabel(p),
        p.groups.join(",") || "-",
        p.status === "idle"
          ? c.green(p.status)
          : p.status === "working"
            ? c.yellow(p.status)
            : c.red(p.status),
        p.summary ?? "-",
        p.cwd || "-",
        shortKey(p.session_pubkey ?? p.pubkey),
      ]),
      hidden > 0
        ? `no sessions online (${countOf(hidden, "daemon connection")} hidden: \`claudemesh peers --all\` shows them)`
        : "no peers online",
    );
  });
}

/**
 * What an acked send means for its recipients. The broker only says whether at least one recipient was
 * online, so a broadcast or group send never claims more than that.
 */
function sentState(kind: SendResponse["target"]["kind"], online: boolean, c: Output["c"]): string {
  if (kind === "broadcast") {
    return online
      ? c.green("sent to everyone; those online get it now")
      : c.yellow("sent to everyone; nobody else is online, they get it when they return");
  }
  if (kind === "group") {
    return online
      ? c.green("sent to the group; its members online get it now")
      : c.yellow("sent to the group; none of its members is online, they get it when they return");
  }
  return online
    ? c.green("sent; the recipient is online")
    : c.yellow("sent; the recipient is offline and gets it when it returns");
}

/** The message of a command line (`-` reads stdin): refused when empty or over the text limit. */
export async function messageArg(
  ctx: { args: { message?: string }; stdin: Context["stdin"] },
  tooLongHint: string,
): Promise<string> {
  const message =
    ctx.args.message === "-" ? withoutFinalNewline(await readStdin(ctx.stdin)) : (ctx.args.message ?? "");
  if (message.trim() === "")
    throw usageError("the message is empty", "give the text as an argument, or pipe it with -");
  const bytes = Buffer.byteLength(message);
  if (bytes > MAX_MESSAGE_TEXT_BYTES) {
    throw usageError(
      `the message is too long (${Math.ceil(bytes / 1024)} KB of text); the limit is about ${MAX_MESSAGE_TEXT_KB} KB of text`,
      tooLongHint,
      "too_large",
    );
  }
  return message;
}

export async function send(ctx: Context<typeof SEND_FLAGS>): Promise<void> {
  const to = ctx.args.to ?? "";
  const message = await messageArg(ctx, "send a shorter message, or split it into several");
  const priority = ctx.flags.priority === "now" || ctx.flags.priority === "low" ? ctx.flags.priority : "next";
  const client = await daemon(ctx);
  const result: SendResponse = await sendOnce(client, {
    to,
    message,
    mesh: meshParam(ctx),
    priority,
    reply_to: ctx.flags.replyTo,
    wait_ms: 2_000,
  }).catch(withCandidates);
  ctx.out.result(
    {
      message_id: result.message_id,
      broker_message_id: result.broker_message_id,
      status: result.status,
      recipient_online: result.recipient_online,
      ...(result.last_error === undefined ? {} : { last_error: result.last_error }),
    },
    () => {
      const c = ctx.out.c;
      const state =
        result.status === "queued"
          ? c.yellow(
              `queued: ${result.last_error === undefined ? "the broker has not confirmed yet" : `not sent yet (${result.last_error})`}; the daemon keeps trying`,
            )
          : sentState(result.target.kind, result.recipient_online, c);
      // Without the daemon the client id dies with this command; the broker's id is the one to ask by.
      const id = ctx.noDaemon ? (result.broker_message_id ?? result.message_id) : result.message_id;
      ctx.out.line(`${c.bold(id)} → ${result.target.display}: ${state}`);
    },
  );
}

export async function messageStatus(ctx: Context): Promise<void> {
  const id = ctx.args.id ?? "";
  const client = await daemon(ctx);
  const status: MessageStatusResponse = await client.call("messageStatus", { id, mesh: meshParam(ctx) });
  ctx.out.result({ ...status }, () => {
    const c = ctx.out.c;
    ctx.out.line(
      `${c.bold(status.message_id)}  broker id: ${status.broker_message_id ?? c.dim("(not acked yet)")}`,
    );
    const paint = (s: string) =>
      s === "delivered" ? c.green(s) : s === "expired" ? c.red(s) : s === "held" ? c.yellow(s) : s;
    ctx.out.table(
      [{ header: "RECIPIENT" }, { header: "KEY" }, { header: "STATE" }],
      status.recipients.map((r) => [r.display_name, shortKey(r.pubkey), paint(r.state)]),
      status.outbox_status === "pending" || status.outbox_status === "inflight"
        ? "still in the outbox (see `claudemesh daemon outbox`)"
        : "no recipients",
    );
  });
}

/** Sending: `send`, the outbox, and per-recipient delivery state of a sent message. */
import { timeOrderedUuid } from "../../../crypto/index.js";
import type { MessageStatusResponse } from "../../../daemon-api/contract.js";
import { DEFAULT_WAIT_MS } from "../../../daemon-api/endpoints.js";
import { SEND_MAX_WAIT_MS } from "../../../daemon-api/schemas.js";
import { deadRowFailure, outboxItem, sendResponse } from "../../outbox/service.js";
import type { Implementations } from "../app.js";
import { LocalError, brokerFailure } from "../errors.js";

const BROKER_ID = /^[A-Za-z0-9]{8,32}$/;

/** Wire states (§4.11 and the delivery states of §4.6) → the CLI's four. */
export function recipientState(status: string): "queued" | "held" | "delivered" | "expired" {
  if (status === "delivered") return "delivered";
  if (status === "held") return "held";
  if (status === "expired" || status === "cancelled") return "expired";
  return "queued"; // pending, claimed, disconnected
}

export const messageRoutes = {
  send: async ({ daemon, caller }, input) => {
    const mesh = daemon.meshFor(input.mesh, caller.session);
    mesh.assertUsable();
    const row = await daemon.outbox.accept(
      mesh,
      {
        to: input.to,
        message: input.message,
        priority: input.priority ?? "next",
        replyTo: input.reply_to ?? null,
        clientMessageId: input.client_message_id ?? timeOrderedUuid(),
      },
      daemon.sessionSender(caller.session, mesh),
    );
    // The row is committed: from here on the send is accepted, whatever the broker says or when.
    const link =
      row.sender_session_pubkey === null
        ? mesh.control
        : daemon.sessions.byPubkey(row.sender_session_pubkey)?.link;
    const connected = link?.connected === true;
    // A one-shot daemon keeps nothing after the command: it answers only what the broker confirmed.
    const wait = !connected ? 0 : daemon.oneShot ? SEND_MAX_WAIT_MS : (input.wait_ms ?? DEFAULT_WAIT_MS);
    const settled = (await daemon.outbox.waitForOutcome(row.id, wait)) ?? row;
    if (settled.status === "dead") throw deadRowFailure(settled);
    if (daemon.oneShot && settled.status !== "done") {
      const sent =
        settled.status === "inflight" ? "may have been sent (its ack did not come back)" : "was not sent";
      throw new LocalError(
        "broker_unreachable",
        `the broker of mesh "${mesh.slug}" did not confirm message ${settled.id}: it ${sent}`,
        "check the broker (`claudemesh doctor`), or send without --no-daemon: the daemon keeps a message until the broker takes it",
      );
    }
    return sendResponse(settled);
  },
  outbox: ({ daemon, caller }, input) => {
    const mesh = input.mesh === undefined ? undefined : daemon.meshFor(input.mesh, caller.session);
    const rows = daemon.outbox.store.list({
      ...(input.status === undefined ? {} : { status: input.status }),
      ...(mesh === undefined ? {} : { mesh_id: mesh.meshId }),
      limit: input.limit ?? 200,
    });
    return { items: rows.map((row) => outboxItem(row, daemon.meshById(row.mesh_id)?.slug ?? row.mesh_id)) };
  },
  requeue: ({ daemon }, input) => {
    const row = daemon.outbox.requeue(input.id);
    return { ok: true, item: outboxItem(row, daemon.meshById(row.mesh_id)?.slug ?? row.mesh_id) };
  },
  messageStatus: async ({ daemon, caller }, input) => {
    const id = input.id;
    const row = daemon.outbox.store.find(id);
    const brokerId = row === null ? id : row.broker_message_id;
    if (row === null && !BROKER_ID.test(id)) {
      // The broker answers by its own id only (protocol.md §4.11): a client id maps to a message in the
      // outbox of the daemon that sent it, and nowhere else.
      throw new LocalError(
        "not_found",
        daemon.oneShot
          ? `no message "${id}" here: a client message id is known only to the daemon that sent the message, and --no-daemon keeps none`
          : `no message "${id}" in this daemon's outbox: a client message id is known only to the daemon that sent the message`,
        "the broker message id works everywhere: `send --json` prints it as broker_message_id (`send --no-daemon` prints it), `claudemesh daemon outbox` lists them",
      );
    }
    const mesh = row === null ? daemon.meshFor(input.mesh, caller.session) : daemon.meshById(row.mesh_id);
    const response: MessageStatusResponse = {
      message_id: row?.id ?? id,
      broker_message_id: row === null ? null : row.broker_message_id,
      outbox_status: row?.status ?? null,
      recipients: [],
    };
    if (brokerId === null || mesh === undefined) return response;
    mesh.assertUsable();
    try {
      const result = await mesh.control.messageStatus(brokerId);
      response.broker_message_id = result.messageId;
      response.recipients = result.recipients.map((r) => ({
        pubkey: r.pubkey,
        display_name: r.name,
        state: recipientState(r.status),
      }));
    } catch (error) {
      throw brokerFailure(error, mesh.slug);
    }
    return response;
  },
} satisfies Partial<Implementations>;

/** Sending: `POST /v1/send`, the outbox, and per-recipient delivery state of a sent message. */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { MessageStatusResponse } from "../../../daemon-api/contract.js";
import { Priority } from "../../../protocol/index.js";
import { deadRowFailure, outboxItem, sendResponse } from "../../outbox/service.js";
import { ok, parseInput, type RouteTable } from "../app.js";
import { ApiFailure, brokerFailure } from "../errors.js";

const DEFAULT_WAIT_MS = 2_000;
const MAX_WAIT_MS = 10_000;
const BROKER_ID = /^[A-Za-z0-9]{8,32}$/;

const SendBody = z.object({
  to: z.string().min(1).max(256),
  message: z.string().min(1),
  mesh: z.string().min(1).optional(),
  priority: Priority.optional(),
  reply_to: z.string().min(1).max(128).optional(),
  client_message_id: z.string().min(1).max(128).optional(),
  wait_ms: z.number().int().min(0).max(MAX_WAIT_MS).optional(),
});

const RequeueBody = z.object({ id: z.string().min(1).max(128) });
const OutboxQuery = z.object({
  status: z.enum(["pending", "inflight", "done", "dead"]).optional(),
  mesh: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
});

/** Wire states (§4.11 and the delivery states of §4.6) → the CLI's four. */
export function recipientState(status: string): "queued" | "held" | "delivered" | "expired" {
  if (status === "delivered") return "delivered";
  if (status === "held") return "held";
  if (status === "expired" || status === "cancelled") return "expired";
  return "queued"; // pending, claimed, disconnected
}

export const messageRoutes: RouteTable = [
  [
    "POST",
    "/v1/send",
    async ({ daemon, caller, body }) => {
      const input = parseInput(SendBody, body);
      const mesh = daemon.meshFor(input.mesh, caller.session);
      mesh.assertUsable();
      const row = await daemon.outbox.accept(
        mesh,
        {
          to: input.to,
          message: input.message,
          priority: input.priority ?? "next",
          replyTo: input.reply_to ?? null,
          clientMessageId: input.client_message_id ?? randomUUID(),
        },
        daemon.sessionSender(caller.session, mesh),
      );
      // The row is committed: from here on the send is accepted, whatever the broker says or when.
      const link =
        row.sender_session_pubkey === null
          ? mesh.control
          : daemon.sessions.byPubkey(row.sender_session_pubkey)?.link;
      const wait = link?.connected === true ? (input.wait_ms ?? DEFAULT_WAIT_MS) : 0;
      const settled = (await daemon.outbox.waitForOutcome(row.id, wait)) ?? row;
      if (settled.status === "dead") throw deadRowFailure(settled);
      return ok(sendResponse(settled), 202);
    },
  ],
  [
    "GET",
    "/v1/outbox",
    ({ daemon, caller, query }) => {
      const input = parseInput(OutboxQuery, Object.fromEntries(query));
      const mesh = input.mesh === undefined ? undefined : daemon.meshFor(input.mesh, caller.session);
      const rows = daemon.outbox.store.list({
        ...(input.status === undefined ? {} : { status: input.status }),
        ...(mesh === undefined ? {} : { mesh_id: mesh.meshId }),
        limit: input.limit ?? 200,
      });
      const items = rows.map((row) => outboxItem(row, daemon.meshById(row.mesh_id)?.slug ?? row.mesh_id));
      return ok({ items });
    },
  ],
  [
    "POST",
    "/v1/outbox/requeue",
    ({ daemon, body }) => {
      const input = parseInput(RequeueBody, body);
      const row = daemon.outbox.requeue(input.id);
      return ok({ ok: true, item: outboxItem(row, daemon.meshById(row.mesh_id)?.slug ?? row.mesh_id) });
    },
  ],
  [
    "GET",
    "/v1/messages/:id/status",
    async ({ daemon, caller, params, query }) => {
      const id = params.id ?? "";
      const row = daemon.outbox.store.find(id);
      const brokerId = row === null ? id : row.broker_message_id;
      if (row === null && !BROKER_ID.test(id)) {
        throw new ApiFailure(
          404,
          "not_found",
          `no sent message "${id}"`,
          "use the message id `send` printed",
        );
      }
      const mesh =
        row === null
          ? daemon.meshFor(query.get("mesh") ?? undefined, caller.session)
          : daemon.meshById(row.mesh_id);
      const response: MessageStatusResponse = {
        message_id: row?.id ?? id,
        broker_message_id: row === null ? null : row.broker_message_id,
        outbox_status: row?.status ?? null,
        recipients: [],
      };
      if (brokerId === null || mesh === undefined) return ok(response);
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
      return ok(response);
    },
  ],
];

/** send / client_ack / message_status (protocol.md §4). */
import { ErrorCode } from "../../protocol/index.js";
import { messageStatus } from "../delivery/message-status.js";
import type { HandlerTable } from "./types.js";

export const messagingHandlers: Pick<HandlerTable, "send" | "client_ack" | "message_status"> = {
  send({ ctx, conn, presence }, frame) {
    ctx.delivery.accept(presence, frame, (ack) => conn.reply(frame, ack));
  },

  client_ack({ ctx, conn, presence }, frame) {
    ctx.delivery.clientAck(presence, frame.brokerMessageId, frame.clientMessageId);
    conn.ok(frame);
  },

  async message_status({ ctx, conn, presence }, frame) {
    if (!/^[A-Za-z0-9]{8,32}$/.test(frame.messageId)) {
      conn.error(frame, ErrorCode.invalidArgument, "messageId must be 8-32 characters of [A-Za-z0-9]");
      return;
    }
    const result = await messageStatus(ctx, presence, frame.messageId);
    if (result === "not_found")
      conn.error(frame, ErrorCode.notFound, "no such message sent by you in this mesh");
    else if (result === "ambiguous")
      conn.error(frame, ErrorCode.ambiguousPrefix, "prefix matches several messages");
    else conn.reply(frame, result);
  },
};

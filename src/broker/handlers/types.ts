import type { ClientFrameType, FrameOf, OkReply, ReplyOf, RequestType } from "../../protocol/index.js";
import type { Connection } from "../connection.js";
import type { BrokerContext } from "../context.js";
import type { Presence } from "../presence/presence.js";

export interface HandlerArgs {
  ctx: BrokerContext;
  conn: Connection;
  presence: Presence;
}

export type Handler<T extends ClientFrameType> = (
  args: HandlerArgs,
  frame: FrameOf<T>,
) => Promise<void> | void;

/** One handler per frame type; a family module provides a slice of this table. */
export type HandlerTable = { [K in ClientFrameType]: Handler<K> };

/** `Omit` applied to each member of a union (and `never` kept as `never`). */
type WithoutReqId<R> = R extends unknown ? Omit<R, "_reqId"> : never;

/**
 * What a handler passes to `conn.reply` for a request of type `T`: its family's reply shape, without the
 * `_reqId` the connection copies from the request. A wrong shape is a compile error.
 */
export type ReplyPayload<T extends RequestType> = WithoutReqId<ReplyOf<T>>;

/** Requests whose success is a bare `ok` (fire-and-forget, §1.9): the only ones `conn.ok` accepts. */
export type OkRequest = {
  [K in ClientFrameType]: [ReplyOf<K>] extends [never]
    ? never
    : ReplyOf<K> extends OkReply
      ? FrameOf<K>
      : never;
}[ClientFrameType];

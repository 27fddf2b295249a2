import type { ClientFrameType, FrameOf } from "../../protocol/index.js";
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

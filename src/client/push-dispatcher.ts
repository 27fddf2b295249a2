/**
 * Broker-initiated frames: pushes go to the one push handler, one at a time in arrival order, and are
 * acked only after it succeeds (§4.9, §9 item 56); system events and other frames go to their listeners.
 * A push the handler already took (the broker redelivers when an ack was lost with a connection or a
 * node) is acked again without reaching the handler, so the application sees each message once.
 */
import { PushFrame } from "../protocol/frames.js";
import { errorText } from "./frame-io.js";
import type { Logger } from "./options.js";
import type { BrokerFrame, FrameHandler, PushHandler, SystemEvent, SystemEventHandler } from "./types.js";

/** Sends `client_ack` for a handled push; does nothing when the connection is gone (redelivery follows). */
export type AckSender = (push: PushFrame) => void;

/** How many handled message ids are remembered to recognise redeliveries. */
const HANDLED_IDS_KEPT = 10_000;

export class PushDispatcher {
  readonly #log: Logger;
  readonly #ack: AckSender;
  readonly #systemHandlers = new Set<SystemEventHandler>();
  readonly #frameHandlers = new Set<FrameHandler>();
  #pushHandler: PushHandler | null = null;
  #chain: Promise<void> = Promise.resolve();
  /** Message ids the handler took, oldest first (a `Set` iterates in insertion order). */
  readonly #handled = new Set<string>();

  constructor(log: Logger, ack: AckSender) {
    this.#log = log;
    this.#ack = ack;
  }

  setPushHandler(handler: PushHandler): () => void {
    this.#pushHandler = handler;
    return () => {
      if (this.#pushHandler === handler) this.#pushHandler = null;
    };
  }

  addSystemHandler(handler: SystemEventHandler): () => void {
    this.#systemHandlers.add(handler);
    return () => {
      this.#systemHandlers.delete(handler);
    };
  }

  addFrameHandler(handler: FrameHandler): () => void {
    this.#frameHandlers.add(handler);
    return () => {
      this.#frameHandlers.delete(handler);
    };
  }

  /** A `push` frame: validated, then a system event or a message for the push handler. */
  push(frame: BrokerFrame): void {
    const parsed = PushFrame.safeParse(frame);
    if (!parsed.success) {
      this.#log.warn({ messageId: frame.messageId }, "ignored an invalid push");
      return;
    }
    const push = parsed.data;
    if (isSystemEvent(push)) {
      for (const handler of [...this.#systemHandlers])
        this.#call(() => handler(push), "system event handler");
      return;
    }
    this.#chain = this.#chain.then(() => this.#deliver(push));
  }

  /** Runs `run` once every push received so far has been handled (stored and acked, or refused). */
  afterPushes(run: () => void): void {
    this.#chain = this.#chain.then(() => this.#call(run, "after-pushes handler"));
  }

  /** Any other broker-initiated frame. */
  frame(frame: BrokerFrame): void {
    for (const handler of [...this.#frameHandlers]) this.#call(() => handler(frame), "frame handler");
  }

  async #deliver(push: PushFrame): Promise<void> {
    const handler = this.#pushHandler;
    if (handler === null) {
      this.#log.warn({ messageId: push.messageId }, "push received without a handler; not acked");
      return;
    }
    if (this.#handled.has(push.messageId)) {
      this.#log.debug({ messageId: push.messageId }, "acked a redelivered push the handler already took");
      this.#ack(push);
      return;
    }
    try {
      await handler(push);
    } catch (error) {
      this.#log.warn(
        { messageId: push.messageId, err: errorText(error) },
        "push handler failed; not acked, the broker will redeliver",
      );
      return;
    }
    this.#remember(push.messageId);
    this.#ack(push);
  }

  #remember(messageId: string): void {
    this.#handled.add(messageId);
    if (this.#handled.size > HANDLED_IDS_KEPT) {
      const oldest = this.#handled.values().next().value;
      if (oldest !== undefined) this.#handled.delete(oldest);
    }
  }

  #call(run: () => void, what: string): void {
    try {
      run();
    } catch (error) {
      this.#log.error({ err: errorText(error) }, `${what} threw`);
    }
  }
}

function isSystemEvent(push: PushFrame): push is SystemEvent {
  return push.subtype === "system";
}

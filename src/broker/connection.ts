/**
 * One WebSocket: parse, validate and dispatch frames (protocol.md §1.5), run the handshake, and hand
 * the socket to the presence service. The only place that touches `ws`.
 */
import type { Duplex } from "node:stream";
import type { WebSocket, RawData } from "ws";
import {
  ClientFrame,
  CloseCode,
  CloseReason,
  ErrorCode,
  HELLO_TYPES,
  HelloFrame,
  JsonTooDeepError,
  SessionHelloFrame,
  clientFrameSchemas,
  describeZodError,
  parseJsonText,
  sendErrorText,
  type AckFrame,
  type ErrorFrame,
  type RequestFrame,
} from "../protocol/index.js";
import type { BrokerContext } from "./context.js";
import { handleHello } from "./handshake/handle-hello.js";
import type { HandlerTable, OkRequest, ReplyPayload } from "./handlers/types.js";
import type { Presence, PresenceSocket } from "./presence/presence.js";
import { TokenBucket } from "./token-bucket.js";

type Parsed = { type: string; _reqId?: unknown; id?: unknown } & Record<string, unknown>;

/** A JSON text's top-level object when it has a string `type`, else undefined (also when not JSON). */
function typedFrame(text: string): Parsed | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      typeof (value as Parsed).type === "string"
      ? (value as Parsed)
      : undefined;
  } catch {
    // Not JSON after all: answered without a `_reqId`.
    return undefined;
  }
}

export class Connection implements PresenceSocket {
  presence: Presence | null = null;
  private handshaking = false;
  private readonly backlog: Parsed[] = [];
  private readonly frameBucket: TokenBucket | null;
  private readonly helloTimer: NodeJS.Timeout;
  private saidBye = false;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly ws: WebSocket,
    private readonly handlers: HandlerTable,
    /** The TCP (or TLS) stream under `ws`, for corking. */
    private readonly stream: Duplex,
  ) {
    const rate = ctx.opts.frameRatePerSec;
    this.frameBucket = rate > 0 ? new TokenBucket(rate * 2, rate) : null;
    const helloTimeoutMs = ctx.opts.helloTimeoutMs;
    this.helloTimer = setTimeout(() => {
      if (!this.presence) {
        const within = `${helloTimeoutMs / 1000} s`;
        this.refuse(ErrorCode.helloTimeout, `no hello within ${within}`, CloseCode.policy, undefined);
      }
    }, helloTimeoutMs).unref();
    ws.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    ws.on("pong", () => {
      if (this.presence && this.presence.socket === this) this.presence.lastPongAt = Date.now();
    });
    ws.on("close", () => void this.onClose());
    ws.on("error", (err) => ctx.log.debug({ err: err.message }, "socket error"));
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  send(frame: object): void {
    this.sendRaw(JSON.stringify(frame));
  }

  sendRaw(json: string): void {
    if (this.open) this.ws.send(json);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING)
      this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  ping(): void {
    if (this.open) this.ws.ping();
  }

  cork(): void {
    this.stream.cork();
  }

  uncork(): void {
    this.stream.uncork();
  }

  /** A direct reply to `request`, carrying its `_reqId` back; typed to the reply of the request's family. */
  reply<F extends RequestFrame>(request: F, payload: ReplyPayload<F["type"]>): void {
    this.send(request._reqId === undefined ? payload : { ...payload, _reqId: request._reqId });
  }

  error(
    request: { type?: unknown; _reqId?: unknown; id?: unknown } | undefined,
    code: string,
    message: string,
    extra: object = {},
  ): void {
    const frame: ErrorFrame = { type: "error", code, message, ...extra };
    if (typeof request?._reqId === "string") frame._reqId = request._reqId;
    // A send answered with an error instead of an ack carries its `id` (§1.3): clients match it that way.
    if (request?.type === "send" && typeof request.id === "string") frame.id = request.id;
    this.send(frame);
  }

  /** Success of a fire-and-forget request: nothing, or `ok` with capability `ok_replies`. */
  ok(request: OkRequest): void {
    if (request._reqId !== undefined && this.presence?.capabilities.has("ok_replies")) {
      this.send({ type: "ok", _reqId: request._reqId });
    }
  }

  /** Marks the next close as a deliberate leave (`bye`). */
  markBye(): void {
    this.saidBye = true;
  }

  refuse(
    code: string,
    message: string,
    closeCode: number,
    request: Parsed | undefined,
    extra: object = {},
  ): void {
    this.error(request, code, message, extra);
    this.close(closeCode, code === ErrorCode.revoked ? CloseReason.banned : code);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.ctx.metrics.framesTotal.inc();
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString("utf8")
      : Buffer.isBuffer(data)
        ? data.toString("utf8")
        : Buffer.from(data).toString("utf8");
    let parsed: unknown;
    try {
      parsed = parseJsonText(text);
    } catch (err) {
      if (err instanceof JsonTooDeepError) {
        this.refuseTooDeep(text, err.maxDepth);
        return;
      }
      // Not JSON (text or binary alike): answered, connection stays open.
      this.error(
        undefined,
        ErrorCode.malformedFrame,
        isBinary ? "binary frame is not UTF-8 JSON" : "frame is not JSON",
      );
      return;
    }
    if (
      typeof parsed !== "object" ||
      parsed === null ||
      Array.isArray(parsed) ||
      typeof (parsed as Parsed).type !== "string"
    ) {
      this.error(undefined, ErrorCode.malformedFrame, "frame must be a JSON object with a string `type`");
      return;
    }
    const frame = parsed as Parsed;
    if (this.handshaking) {
      this.backlog.push(frame);
      return;
    }
    this.dispatch(frame);
  }

  /**
   * A frame nested too deeply for anything past the parser. JSON.parse itself does not recurse, so the
   * frame is read once more, only for its `type` and `_reqId`: a hello is refused as malformed (and the
   * socket closed, as for any bad hello); anything else gets `malformed_frame` with its `_reqId`.
   */
  private refuseTooDeep(text: string, maxDepth: number): void {
    const frame = typedFrame(text);
    const message = `frame is nested deeper than ${maxDepth} levels`;
    if (frame && HELLO_TYPES.has(frame.type) && !this.presence && !this.handshaking) {
      this.ctx.metrics.connectionsRejected.inc({ reason: "malformed" });
      this.refuse(ErrorCode.malformed, message, CloseCode.policy, frame);
      return;
    }
    this.error(frame, ErrorCode.malformedFrame, message);
  }

  private dispatch(frame: Parsed): void {
    const { type } = frame;
    if (HELLO_TYPES.has(type)) {
      if (this.presence) {
        this.error(frame, ErrorCode.alreadyAuthenticated, "this connection is already authenticated");
        return;
      }
      void this.runHandshake(frame);
      return;
    }
    const schema = clientFrameSchemas.get(type);
    if (!schema) {
      this.error(frame, ErrorCode.unknownMessageType, `unknown message type: ${type.slice(0, 64)}`);
      return;
    }
    const presence = this.presence;
    if (!presence) {
      this.error(frame, ErrorCode.noHello, "must send hello first");
      return;
    }
    // client_ack answers the broker's own pushes; throttling it would only cause redelivery.
    if (type !== "send" && type !== "client_ack" && this.frameBucket && !this.frameBucket.take()) {
      this.ctx.metrics.messagesRejected.inc({ reason: "frame_rate" });
      this.error(frame, ErrorCode.rateLimit, "too many frames; slow down");
      return;
    }
    const result = schema.safeParse(frame);
    if (!result.success) {
      const detail = describeZodError(result.error);
      this.ctx.metrics.messagesRejected.inc({ reason: "invalid" });
      if (type === "send") {
        const ack: AckFrame = {
          type: "ack",
          id: typeof frame.id === "string" ? frame.id : "",
          messageId: "",
          queued: false,
          error: sendErrorText.invalid(detail),
        };
        if (typeof frame._reqId === "string") ack._reqId = frame._reqId;
        this.send(ack);
      } else {
        this.error(frame, ErrorCode.invalidMessage, detail);
      }
      return;
    }
    const valid = result.data as ClientFrame;
    const handler = this.handlers[valid.type] as (args: unknown, f: ClientFrame) => Promise<void> | void;
    Promise.resolve()
      .then(() => handler({ ctx: this.ctx, conn: this, presence }, valid))
      .catch((err: unknown) => {
        if (!this.ctx.storeHealth.report(err))
          this.ctx.log.error({ err, presenceId: presence.id, type }, "handler failed");
        this.error(frame, ErrorCode.internalError, "internal error");
      });
  }

  private async runHandshake(frame: Parsed): Promise<void> {
    this.handshaking = true;
    try {
      const schema = frame.type === "hello" ? HelloFrame : SessionHelloFrame;
      const result = schema.safeParse(frame);
      if (!result.success) {
        this.ctx.metrics.connectionsRejected.inc({ reason: "malformed" });
        this.refuse(ErrorCode.malformed, describeZodError(result.error), CloseCode.policy, frame);
        return;
      }
      const presence = await handleHello(this.ctx, this, result.data);
      if (presence) {
        clearTimeout(this.helloTimer);
        this.presence = presence;
      }
    } catch (err) {
      if (!this.ctx.storeHealth.report(err)) this.ctx.log.error({ err }, "handshake failed");
      this.refuse(ErrorCode.internalError, "internal error", CloseCode.policy, frame);
    } finally {
      this.handshaking = false;
      for (const queued of this.backlog.splice(0)) this.dispatch(queued);
    }
  }

  private async onClose(): Promise<void> {
    clearTimeout(this.helloTimer);
    const presence = this.presence;
    if (!presence) return;
    try {
      await this.ctx.presence.socketClosed(presence, this, this.saidBye);
    } catch (err) {
      if (!this.ctx.storeHealth.report(err))
        this.ctx.log.error({ err, presenceId: presence.id }, "close handling failed");
    }
  }
}

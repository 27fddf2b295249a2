/**
 * The broker connection core: open the socket, sign the hello, reconnect by protocol.md §2.8, correlate
 * replies by `_reqId`, hand pushes to one handler and ack them after it succeeds, and watch the link.
 * `MeshClient` adds the typed requests and the encryption helpers on top.
 */
import WebSocket, { type RawData } from "ws";
import type { z } from "zod";

import { randomString } from "../crypto/index.js";
import { CloseCode } from "../protocol/close-codes.js";
import { HELLO_ACK_WAIT_MS, MAX_FRAME_BYTES } from "../protocol/constants.js";
import { Capability } from "../protocol/features.js";
import {
  AckFrame,
  BrokerFrameEnvelope,
  ErrorFrame,
  HelloAck,
  PushFrame,
  type Priority,
} from "../protocol/frames.js";
import { Backoff } from "./backoff.js";
import { decideOnClose, type ConnectionError } from "./close-policy.js";
import { ClientErrorCode, MeshClientError } from "./errors.js";
import {
  buildMemberHello,
  buildSessionHello,
  canMintAttestation,
  type HelloFrameOut,
  type HelloProfile,
} from "./hello.js";
import { IdleWatchdog } from "./idle-watchdog.js";
import { TypedListeners } from "./listeners.js";
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  helloProfile,
  silentLogger,
  type Logger,
  type MeshClientOptions,
} from "./options.js";
import { PendingRequests } from "./pending-requests.js";

/** A frame the client sends; `_reqId` is added by `request`/`send`. */
export type OutboundFrame = { type: string; [field: string]: unknown };
/** Any broker frame after envelope validation. */
export type BrokerFrame = BrokerFrameEnvelope;
/** A system event (§3.6): a push with `subtype:"system"`. Never decrypted, never acked. */
export type SystemEvent = PushFrame & { subtype: "system" };

export type PushHandler = (push: PushFrame) => void | Promise<void>;
export type SystemEventHandler = (event: SystemEvent) => void;
export type FrameHandler = (frame: BrokerFrame) => void;

export type DisconnectInfo = {
  code: number;
  reason: string;
  willReconnect: boolean;
  /** Delay before the next attempt, when `willReconnect`. */
  retryInMs?: number;
};
/** The client gave up for good: kicked, banned/left, replaced, or a permanent hello failure. */
export type TerminalInfo = {
  /** WebSocket close code (0 when the hello could not even be built). */
  code: number;
  /** Close reason, or the wire error code when the close carried none. */
  reason: string;
  /** For the user: the broker's message where it sent one (e.g. "Contact the mesh owner to rejoin."). */
  message: string;
  /** The wire error code (`revoked`, `kicked`, `unauthorized`, `session_replaced`, `timestamp_skew`, …). */
  errorCode: string;
};

export type MeshClientEvents = {
  connected: [ack: HelloAck];
  disconnected: [info: DisconnectInfo];
  terminal: [info: TerminalInfo];
};

export type RequestOptions = {
  /** @default the client's requestTimeoutMs (10 s) */
  timeoutMs?: number;
};

export type SendInput = {
  targetSpec: string;
  /** @default "next" */
  priority?: Priority;
  nonce: string;
  ciphertext: string;
  /** Idempotency key (§4.5); also used as the correlation `id`. A random `id` is used when absent. */
  clientMessageId?: string;
  requestFingerprint?: string;
  replyToId?: string;
  mentions?: string[];
  bodyVersion?: number;
};

type Deferred<T> = {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: MeshClientError) => void;
};

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: MeshClientError) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** How long `close()` waits for the closing handshake before cutting the socket. */
const CLOSE_GRACE_MS = 1_000;

export class MeshConnection {
  protected readonly options: MeshClientOptions;
  protected readonly log: Logger;
  readonly #profile: HelloProfile;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  readonly #pending = new PendingRequests();
  readonly #events: TypedListeners<MeshClientEvents>;
  readonly #watchdog: IdleWatchdog;
  readonly #systemHandlers = new Set<SystemEventHandler>();
  readonly #frameHandlers = new Set<FrameHandler>();
  #pushHandler: PushHandler | null = null;
  #pushChain: Promise<void> = Promise.resolve();

  #ws: WebSocket | null = null;
  #helloAck: HelloAck | null = null;
  /** The hello kind sent on the current socket; a broker without `session_hello` makes it `hello`. */
  #helloKind: HelloFrameOut["type"] | null = null;
  #sessionHelloUnsupported = false;
  /** The caller wants to be online: set by `connect()`, cleared by `close()` and by terminal stops. */
  #wanted = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #helloTimer: NodeJS.Timeout | null = null;
  #lastError: ConnectionError | null = null;
  #lastSocketError: string | null = null;
  /** A failure on our side (e.g. the hello cannot be built) that ends the attempt for good. */
  #localFailure: MeshClientError | null = null;
  readonly #resigned = new Set<string>();
  #connectWaiter: Deferred<HelloAck> | null = null;
  #closed: Promise<void> | null = null;

  constructor(options: MeshClientOptions) {
    this.options = options;
    const logger = options.logger ?? silentLogger;
    const base = { component: "client", meshId: options.meshId };
    this.log = {
      debug: (fields, message) => logger.debug({ ...base, ...fields }, message),
      info: (fields, message) => logger.info({ ...base, ...fields }, message),
      warn: (fields, message) => logger.warn({ ...base, ...fields }, message),
      error: (fields, message) => logger.error({ ...base, ...fields }, message),
    };
    this.#profile = helloProfile(options);
    this.#now = options.now ?? Date.now;
    this.#backoff = new Backoff(options.backoff);
    this.#events = new TypedListeners((event, error) =>
      this.log.error({ event: String(event), err: errorText(error) }, "event listener threw"),
    );
    this.#watchdog = new IdleWatchdog(
      options.watchdog ?? {},
      () => this.#ws?.ping(),
      () => this.#onStale(),
    );
  }

  // ---- state ---------------------------------------------------------------------------------------

  /** The `hello_ack` of the current connection, or null while not authenticated. */
  get helloAck(): HelloAck | null {
    return this.#helloAck;
  }

  get connected(): boolean {
    return this.#helloAck !== null && this.#ws?.readyState === WebSocket.OPEN;
  }

  /** `session` when the current connection was opened with `session_hello`, else `member`. */
  get connectionKind(): "member" | "session" {
    return this.#helloKind === "session_hello" ? "session" : "member";
  }

  /** Whether fire-and-forget requests are answered with `ok` on this connection (§1.9). */
  get okReplies(): boolean {
    return (
      this.#profile.capabilities.includes(Capability.okReplies) &&
      (this.#helloAck?.features?.includes("ok_replies") ?? false)
    );
  }

  // ---- listeners -----------------------------------------------------------------------------------

  /** `connected(helloAck)`, `disconnected({code, reason, willReconnect})`, `terminal({code, reason, message})`. */
  on<K extends keyof MeshClientEvents>(
    event: K,
    listener: (...args: MeshClientEvents[K]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * The one push handler (a new one replaces the old). Pushes are handled one at a time, in arrival
   * order; each is acked with `client_ack` only after the handler's promise resolves. A handler that
   * throws leaves the push unacked, so the broker redelivers it. Without a handler, pushes are not acked.
   */
  onPush(handler: PushHandler): () => void {
    this.#pushHandler = handler;
    return () => {
      if (this.#pushHandler === handler) this.#pushHandler = null;
    };
  }

  /** System events (`peer_joined`, `peer_left`, …). */
  onSystemEvent(handler: SystemEventHandler): () => void {
    this.#systemHandlers.add(handler);
    return () => {
      this.#systemHandlers.delete(handler);
    };
  }

  /** Other broker-initiated frames (`state_change`, uncorrelated `error`s, …). */
  onFrame(handler: FrameHandler): () => void {
    this.#frameHandlers.add(handler);
    return () => {
      this.#frameHandlers.delete(handler);
    };
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  /**
   * Connects and authenticates; resolves with the `hello_ack`. With `reconnect` (the default) transient
   * failures are retried with backoff until a hello succeeds; permanent ones (§2.8) reject with the
   * broker's code (`unauthorized`, `revoked`, `timestamp_skew`, …). Calling it while connected or
   * connecting returns the same result.
   */
  connect(): Promise<HelloAck> {
    if (this.connected && this.#helloAck !== null) return Promise.resolve(this.#helloAck);
    if (this.#connectWaiter !== null) return this.#connectWaiter.promise;
    const waiter = deferred<HelloAck>();
    this.#connectWaiter = waiter;
    if (!this.#wanted) {
      this.#wanted = true;
      this.#closed = null;
      this.#resigned.clear();
      this.#backoff.reset();
    }
    if (this.#ws === null && this.#retryTimer === null) this.#openSocket();
    return waiter.promise;
  }

  /** Says goodbye (the broker evicts the presence at once, §3.2) and closes with 1000. */
  bye(): Promise<void> {
    if (this.connected) this.#write(this.#ws, { type: "bye" });
    return this.close();
  }

  /** Closes without goodbye (the presence enters grace) and stops reconnecting. Safe to call twice. */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#wanted = false;
    this.#clearRetry();
    const closedError = new MeshClientError(ClientErrorCode.closed, "the client was closed");
    this.#settleConnect(closedError);
    this.#pending.rejectAll(new MeshClientError(ClientErrorCode.connectionClosed, "the client was closed"));
    const ws = this.#ws;
    if (ws === null) {
      this.#closed = Promise.resolve();
      return this.#closed;
    }
    this.#closed = new Promise<void>((resolve) => {
      const cut = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      cut.unref();
      ws.once("close", () => {
        clearTimeout(cut);
        resolve();
      });
    });
    if (ws.readyState === WebSocket.OPEN) ws.close(CloseCode.normal);
    else ws.terminate();
    return this.#closed;
  }

  // ---- requests ------------------------------------------------------------------------------------

  /**
   * Sends `frame` with a fresh `_reqId` and resolves with the reply that carries it. An `error` reply
   * rejects with a `MeshClientError` holding the broker's `code` and `message`; no reply within the
   * timeout rejects with `request_timeout`; a closing connection rejects with `connection_closed`.
   * With `schema`, the reply is validated and typed (`invalid_reply` when it does not match).
   */
  request(frame: OutboundFrame, options?: RequestOptions): Promise<BrokerFrame>;
  request<T>(frame: OutboundFrame, options: RequestOptions & { schema: z.ZodType<T> }): Promise<T>;
  async request(
    frame: OutboundFrame,
    options: RequestOptions & { schema?: z.ZodType } = {},
  ): Promise<unknown> {
    const ws = this.#authenticatedSocket();
    const reqId = this.#pending.nextReqId();
    const text = this.#serialize({ ...frame, _reqId: reqId });
    const reply = this.#pending.add(reqId, options.timeoutMs ?? this.#requestTimeoutMs);
    ws.send(text);
    const frameBack = await reply;
    if (options.schema === undefined) return frameBack;
    const parsed = options.schema.safeParse(frameBack);
    if (!parsed.success) {
      throw new MeshClientError(
        ClientErrorCode.invalidReply,
        `unexpected reply to ${frame.type}: ${frameBack.type}`,
      );
    }
    return parsed.data;
  }

  /** Sends a frame that expects no reply (§1.9). Throws `not_connected` when not authenticated. */
  fire(frame: OutboundFrame): void {
    const ws = this.#authenticatedSocket();
    ws.send(this.#serialize(frame));
  }

  /**
   * A fire-and-forget request: awaits `{type:"ok"}` where the connection has `ok_replies`, else resolves
   * once written. Failures still reject when the broker answers with an `error`.
   */
  protected async fireOrAwaitOk(frame: OutboundFrame, options?: RequestOptions): Promise<void> {
    if (this.okReplies) await this.request(frame, options);
    else this.fire(frame);
  }

  /**
   * Sends a message (§4.1) and resolves with its `ack`, correlated by `id` and `_reqId`. A failed ack
   * (`queued:false`, `error:"<code>: …"`) resolves too, so the caller can read `error`; an `error` frame
   * for this send rejects.
   */
  async send(input: SendInput, options: RequestOptions = {}): Promise<AckFrame> {
    const ws = this.#authenticatedSocket();
    const id = input.clientMessageId ?? randomString(ID_ALPHABET, 24);
    const reqId = this.#pending.nextReqId();
    const text = this.#serialize({
      type: "send",
      targetSpec: input.targetSpec,
      priority: input.priority ?? "next",
      nonce: input.nonce,
      ciphertext: input.ciphertext,
      id,
      client_message_id: input.clientMessageId,
      request_fingerprint: input.requestFingerprint,
      replyToId: input.replyToId,
      mentions: input.mentions,
      bodyVersion: input.bodyVersion,
      _reqId: reqId,
    });
    const reply = this.#pending.add(reqId, options.timeoutMs ?? this.#requestTimeoutMs, id);
    ws.send(text);
    const parsed = AckFrame.safeParse(await reply);
    if (!parsed.success) throw new MeshClientError(ClientErrorCode.invalidReply, "unexpected reply to send");
    return parsed.data;
  }

  get #requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  #authenticatedSocket(): WebSocket {
    const ws = this.#ws;
    if (ws === null || this.#helloAck === null || ws.readyState !== WebSocket.OPEN) {
      throw new MeshClientError(ClientErrorCode.notConnected, "not connected to the broker");
    }
    return ws;
  }

  #serialize(frame: OutboundFrame): string {
    const text = JSON.stringify(frame);
    // A frame over the broker's limit would kill the socket (1009); refuse it here instead.
    if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
      throw new MeshClientError(
        ClientErrorCode.frameTooLarge,
        `${frame.type} frame is larger than ${MAX_FRAME_BYTES} bytes; not sent`,
      );
    }
    return text;
  }

  #write(ws: WebSocket | null, frame: OutboundFrame): void {
    if (ws === null || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(frame));
  }

  // ---- socket --------------------------------------------------------------------------------------

  #openSocket(): void {
    this.#lastError = null;
    this.#lastSocketError = null;
    this.#localFailure = null;
    this.#helloAck = null;
    this.#helloKind = null;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url, {
        handshakeTimeout: this.options.helloTimeoutMs ?? HELLO_ACK_WAIT_MS,
        perMessageDeflate: false,
      });
    } catch (error) {
      this.#stop(
        0,
        "",
        new MeshClientError(ClientErrorCode.badConfig, `bad broker URL: ${errorText(error)}`),
      );
      return;
    }
    this.#ws = ws;
    ws.on("open", () => void this.#sendHello(ws));
    ws.on("message", (data) => this.#onMessage(ws, data));
    ws.on("ping", () => this.#watchdog.touch());
    ws.on("pong", () => this.#watchdog.touch());
    ws.on("error", (error) => {
      this.#lastSocketError = error.message;
      this.log.debug({ err: error.message }, "socket error");
    });
    ws.on("close", (code, reason) => this.#onClose(ws, code, reason.toString()));
  }

  async #sendHello(ws: WebSocket, forceMember = false): Promise<void> {
    let frame: HelloFrameOut;
    try {
      const { meshId, identity, session } = this.options;
      frame =
        session !== undefined && !forceMember && !this.#sessionHelloUnsupported
          ? await buildSessionHello(meshId, identity, session, this.#profile, this.#now)
          : buildMemberHello(meshId, identity, this.#profile, this.#now);
    } catch (error) {
      if (ws !== this.#ws) return;
      this.#localFailure =
        error instanceof MeshClientError
          ? error
          : new MeshClientError(ClientErrorCode.badConfig, `cannot build the hello: ${errorText(error)}`);
      ws.close(CloseCode.normal);
      return;
    }
    if (ws !== this.#ws || ws.readyState !== WebSocket.OPEN) return;
    this.#helloKind = frame.type;
    ws.send(JSON.stringify(frame));
    this.#clearHelloTimer();
    const timeoutMs = this.options.helloTimeoutMs ?? HELLO_ACK_WAIT_MS;
    this.#helloTimer = setTimeout(() => {
      this.#helloTimer = null;
      this.#lastError ??= {
        code: ClientErrorCode.helloAckTimeout,
        message: `no hello_ack within ${timeoutMs} ms`,
      };
      ws.terminate();
    }, timeoutMs);
    this.#helloTimer.unref();
  }

  #onMessage(ws: WebSocket, data: RawData): void {
    if (ws !== this.#ws) return;
    this.#watchdog.touch();
    let json: unknown;
    try {
      json = JSON.parse(rawText(data));
    } catch {
      this.log.warn({}, "ignored a broker frame that is not JSON");
      return;
    }
    const envelope = BrokerFrameEnvelope.safeParse(json);
    if (!envelope.success) {
      this.log.warn({}, "ignored a broker frame without a string type");
      return;
    }
    if (this.#helloAck === null) this.#onHelloPhaseFrame(ws, envelope.data);
    else this.#dispatch(envelope.data);
  }

  #onHelloPhaseFrame(ws: WebSocket, frame: BrokerFrame): void {
    if (frame.type === "hello_ack") {
      const ack = HelloAck.safeParse(frame);
      if (!ack.success) {
        this.log.warn({}, "invalid hello_ack; retrying");
        this.#lastError = { code: ClientErrorCode.invalidReply, message: "invalid hello_ack" };
        ws.terminate();
        return;
      }
      this.#onAuthenticated(ack.data);
      return;
    }
    if (frame.type !== "error") {
      this.log.debug({ type: frame.type }, "ignored a frame before hello_ack");
      return;
    }
    const error = connectionError(frame);
    if (
      error.code === "unknown_message_type" &&
      this.#helloKind === "session_hello" &&
      this.options.identity.secretKey !== undefined
    ) {
      // A broker without session_hello (§2.4): fall back to a member hello on the same socket.
      this.log.info({}, "broker does not know session_hello; falling back to hello");
      this.#sessionHelloUnsupported = true;
      void this.#sendHello(ws, true);
      return;
    }
    this.#lastError = error;
  }

  #onAuthenticated(ack: HelloAck): void {
    this.#clearHelloTimer();
    this.#helloAck = ack;
    this.#backoff.reset();
    this.#resigned.clear();
    this.#lastError = null;
    this.#watchdog.start();
    this.log.info({ presenceId: ack.presenceId, kind: this.#helloKind }, "connected");
    const waiter = this.#connectWaiter;
    this.#connectWaiter = null;
    waiter?.resolve(ack);
    this.#events.emit("connected", ack);
  }

  #dispatch(frame: BrokerFrame): void {
    const reqId = this.#pending.match(frame);
    if (reqId !== undefined) {
      if (frame.type === "error") {
        const error = connectionError(frame);
        this.#pending.reject(
          reqId,
          new MeshClientError(error.code, error.message, optionalServerTime(error.serverTime)),
        );
      } else {
        this.#pending.resolve(reqId, frame);
      }
      return;
    }
    if (frame._reqId !== undefined) {
      this.log.debug({ type: frame.type }, "dropped a late reply");
      return;
    }
    if (frame.type === "push") {
      this.#onPush(frame);
      return;
    }
    if (frame.type === "error") {
      const error = connectionError(frame);
      this.#lastError = error;
      this.log.warn({ code: error.code, detail: error.message }, "broker error");
    }
    for (const handler of [...this.#frameHandlers]) {
      try {
        handler(frame);
      } catch (error) {
        this.log.error({ err: errorText(error) }, "frame handler threw");
      }
    }
  }

  // ---- pushes --------------------------------------------------------------------------------------

  #onPush(frame: BrokerFrame): void {
    const parsed = PushFrame.safeParse(frame);
    if (!parsed.success) {
      this.log.warn({ messageId: frame.messageId }, "ignored an invalid push");
      return;
    }
    const push = parsed.data;
    if (isSystemEvent(push)) {
      for (const handler of [...this.#systemHandlers]) {
        try {
          handler(push);
        } catch (error) {
          this.log.error({ err: errorText(error) }, "system event handler threw");
        }
      }
      return;
    }
    this.#pushChain = this.#pushChain.then(() => this.#deliver(push));
  }

  async #deliver(push: PushFrame): Promise<void> {
    const handler = this.#pushHandler;
    if (handler === null) {
      this.log.warn({ messageId: push.messageId }, "push received without a handler; not acked");
      return;
    }
    try {
      await handler(push);
    } catch (error) {
      this.log.warn(
        { messageId: push.messageId, err: errorText(error) },
        "push handler failed; not acked, the broker will redeliver",
      );
      return;
    }
    // Acked on whichever socket is current: a reattached presence may ack what its predecessor got.
    if (!this.connected) return;
    this.#write(this.#ws, {
      type: "client_ack",
      clientMessageId: push.client_message_id ?? push.messageId,
      brokerMessageId: push.messageId,
    });
  }

  // ---- closing and reconnecting --------------------------------------------------------------------

  #onStale(): void {
    this.log.warn({}, "no traffic from the broker for too long; reconnecting");
    this.#ws?.terminate();
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    this.#ws = null;
    const wasConnected = this.#helloAck !== null;
    this.#helloAck = null;
    this.#clearHelloTimer();
    this.#watchdog.stop();
    this.#pending.rejectAll(
      new MeshClientError(
        ClientErrorCode.connectionClosed,
        `connection closed (${code}${reason ? ` ${reason}` : ""})`,
        {
          closeCode: code,
        },
      ),
    );
    this.log.info({ code, reason, wasConnected }, "disconnected");
    if (!this.#wanted) {
      this.#events.emit("disconnected", { code, reason, willReconnect: false });
      return;
    }
    if (this.#localFailure !== null) {
      this.#stop(code, reason, this.#localFailure);
      return;
    }
    const decision = decideOnClose({
      code,
      reason,
      lastError: this.#lastError,
      resigned: this.#resigned,
      canMintAttestation:
        this.options.session !== undefined && canMintAttestation(this.options.identity, this.options.session),
    });
    if (decision.action === "stop") {
      const serverTime = this.#lastError?.serverTime;
      this.#stop(
        code,
        reason,
        new MeshClientError(decision.errorCode, decision.message, {
          closeCode: code,
          ...optionalServerTime(serverTime),
        }),
      );
      return;
    }
    if (decision.wait !== "now" && this.options.reconnect === false) {
      this.#giveUp(code, reason);
      return;
    }
    if (decision.resign !== undefined) this.#resigned.add(decision.resign);
    const delay =
      decision.wait === "now"
        ? 0
        : this.#backoff.next({
            atLeast: decision.wait === "long" ? this.#backoff.longest : 0,
            shutdown: decision.wait === "shutdown",
          });
    this.#events.emit("disconnected", { code, reason, willReconnect: true, retryInMs: delay });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#wanted) this.#openSocket();
    }, delay);
    this.#retryTimer.unref();
  }

  /** A permanent stop (§2.8): no reconnect, `terminal` event, `connect()` rejects. */
  #stop(code: number, reason: string, error: MeshClientError): void {
    this.#wanted = false;
    this.log.warn({ code, reason, errorCode: error.code }, "stopped for good");
    this.#events.emit("disconnected", { code, reason, willReconnect: false });
    this.#events.emit("terminal", {
      code,
      reason: reason !== "" ? reason : error.code,
      message: error.message,
      errorCode: error.code,
    });
    this.#settleConnect(error);
  }

  /** A transient failure with `reconnect:false`: report it, no terminal event. */
  #giveUp(code: number, reason: string): void {
    this.#wanted = false;
    this.#events.emit("disconnected", { code, reason, willReconnect: false });
    const last = this.#lastError;
    const error =
      last !== null
        ? new MeshClientError(last.code, last.message, {
            closeCode: code,
            ...optionalServerTime(last.serverTime),
          })
        : new MeshClientError(
            ClientErrorCode.connectFailed,
            `could not connect to ${this.options.url}: ${this.#lastSocketError ?? `closed (${code}${reason ? ` ${reason}` : ""})`}`,
            { closeCode: code },
          );
    this.#settleConnect(error);
  }

  #settleConnect(error: MeshClientError): void {
    const waiter = this.#connectWaiter;
    this.#connectWaiter = null;
    waiter?.reject(error);
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #clearHelloTimer(): void {
    if (this.#helloTimer !== null) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
  }
}

function isSystemEvent(push: PushFrame): push is SystemEvent {
  return push.subtype === "system";
}

function connectionError(frame: BrokerFrame): ConnectionError {
  const parsed = ErrorFrame.safeParse(frame);
  if (parsed.success)
    return { code: parsed.data.code, message: parsed.data.message, serverTime: parsed.data.serverTime };
  const code = typeof frame.code === "string" ? frame.code : "error";
  return { code, message: typeof frame.message === "string" ? frame.message : code };
}

function optionalServerTime(serverTime: number | undefined): { serverTime?: number } {
  return serverTime === undefined ? {} : { serverTime };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

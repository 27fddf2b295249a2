/**
 * The broker connection core: keep one authenticated link up (reconnecting by protocol.md §2.8),
 * correlate replies by `_reqId`, and route broker-initiated frames. `Link` handles a single socket;
 * `MeshClient` adds the typed requests and the encryption helpers on top.
 */
import type { z } from "zod";

import { randomString } from "../crypto/index.js";
import { Capability } from "../protocol/features.js";
import { AckFrame, HelloAck, type PushFrame } from "../protocol/frames.js";
import { Backoff } from "./backoff.js";
import { decideOnClose } from "./close-policy.js";
import { ClientErrorCode, MeshClientError } from "./errors.js";
import { connectionError, errorFromFrame, errorText, sendFrame, serializeFrame } from "./frame-io.js";
import { buildMemberHello, buildSessionHello, canMintAttestation, type HelloProfile } from "./hello.js";
import { Link, type LinkClosed } from "./link.js";
import { TypedListeners } from "./listeners.js";
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  brokerUrlsOf,
  clientLogger,
  helloProfile,
  silentLogger,
  type Logger,
  type MeshClientOptions,
} from "./options.js";
import { PendingRequests } from "./pending-requests.js";
import { PushDispatcher } from "./push-dispatcher.js";
import type {
  BrokerFrame,
  FrameHandler,
  MeshClientEvents,
  OutboundFrame,
  PushHandler,
  RequestOptions,
  SendInput,
  SystemEventHandler,
} from "./types.js";
import { unrefTimer } from "./timers.js";

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
  /** The broker URLs, tried round robin: one, or the nodes of a broker cluster. */
  readonly #urls: readonly string[];
  /** Index in `#urls` of the current link, or of the next attempt. */
  #urlIndex = 0;
  /** Why each attempt of the current pass over `#urls` ended (`<url> (<why>)`), for error messages. */
  #passFailures: string[] = [];
  readonly #pending = new PendingRequests();
  readonly #events: TypedListeners<MeshClientEvents>;
  readonly #inbound: PushDispatcher;

  #link: Link | null = null;
  #helloAck: HelloAck | null = null;
  /** See {@link backlogReceived}. */
  #backlogReceived = false;
  #connectionKind: "member" | "session" = "member";
  /** Set once a broker answered `session_hello` with `unknown_message_type`: use `hello` from then on. */
  #sessionHelloUnsupported = false;
  /** The caller wants to be online: set by `connect()`, cleared by `close()` and by terminal stops. */
  #wanted = false;
  #retryTimer: NodeJS.Timeout | null = null;
  /** Codes whose one re-sign retry was used since the last successful hello (§2.8). */
  readonly #resigned = new Set<string>();
  #connectWaiter: Deferred<HelloAck> | null = null;
  #closed: Promise<void> | null = null;

  constructor(options: MeshClientOptions) {
    this.options = options;
    this.log = clientLogger(options.logger ?? silentLogger, options.meshId);
    this.#profile = helloProfile(options);
    this.#now = options.now ?? Date.now;
    this.#backoff = new Backoff(options.backoff);
    this.#urls = [...brokerUrlsOf(options)];
    this.#events = new TypedListeners((event, error) =>
      this.log.error({ event: String(event), err: errorText(error) }, "event listener threw"),
    );
    this.#inbound = new PushDispatcher(this.log, (push) => this.#sendClientAck(push));
  }

  // ---- state and listeners -------------------------------------------------------------------------

  /** The `hello_ack` of the current connection, or null while not authenticated. */
  get helloAck(): HelloAck | null {
    return this.#helloAck;
  }

  /**
   * Whether every push the broker held for this connection when it came up has been handled: set once the
   * broker's `backlog_sent` (§4.6) follows the pushes before it through the push handler. Without that
   * frame on offer (a broker that lacks the feature, or a client that did not declare the capability) it is
   * set at connect: nothing can tell. False while not connected.
   */
  get backlogReceived(): boolean {
    return this.connected && this.#backlogReceived;
  }

  /** The broker URL of the current connection, or the one the next attempt goes to. */
  get brokerUrl(): string {
    return this.#urls[this.#urlIndex] ?? "";
  }

  get connected(): boolean {
    return this.#helloAck !== null && this.#link?.ready === true;
  }

  /** `session` when the current connection was opened with `session_hello`, else `member`. */
  get connectionKind(): "member" | "session" {
    return this.#connectionKind;
  }

  /** Whether fire-and-forget requests are answered with `ok` on this connection (§1.9). */
  get okReplies(): boolean {
    return (
      this.#profile.capabilities.includes(Capability.okReplies) &&
      (this.#helloAck?.features?.includes("ok_replies") ?? false)
    );
  }

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
    return this.#inbound.setPushHandler(handler);
  }

  /** System events (`peer_joined`, `peer_left`, …): never decrypted, never acked. */
  onSystemEvent(handler: SystemEventHandler): () => void {
    return this.#inbound.addSystemHandler(handler);
  }

  /** Other broker-initiated frames (`state_change`, uncorrelated `error`s, …). */
  onFrame(handler: FrameHandler): () => void {
    return this.#inbound.addFrameHandler(handler);
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  /**
   * Connects and authenticates; resolves with the `hello_ack`. With `reconnect` (the default) transient
   * failures are retried with backoff until a hello succeeds; permanent ones (§2.8) reject with the
   * broker's code (`unauthorized`, `revoked`, `timestamp_skew`, …). While connected or connecting it
   * returns the same result.
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
      this.#passFailures = [];
    }
    if (this.#link === null && this.#retryTimer === null) this.#openLink();
    return waiter.promise;
  }

  /** Says goodbye (the broker evicts the presence at once, §3.2) and closes with 1000. */
  bye(): Promise<void> {
    if (this.connected) this.#link?.send(serializeFrame({ type: "bye" }));
    return this.close();
  }

  /**
   * Cuts a reconnect wait short: the attempt it waits for starts now. The backoff step stays where it was,
   * so a broker that is still down is not retried any faster after that attempt fails. For a caller that
   * knows the broker just came back (`claudemesh up` started it again). Returns whether an attempt was
   * waiting.
   */
  retryNow(): boolean {
    if (!this.#wanted || this.#link !== null || this.#retryTimer === null) return false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#openLink();
    return true;
  }

  /** Closes without goodbye (the presence enters grace) and stops reconnecting. Safe to call twice. */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#wanted = false;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#settleConnect(new MeshClientError(ClientErrorCode.closed, "the client was closed"));
    this.#pending.rejectAll(new MeshClientError(ClientErrorCode.connectionClosed, "the client was closed"));
    this.#closed = this.#link?.close(CLOSE_GRACE_MS) ?? Promise.resolve();
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
    const link = this.#readyLink();
    const reqId = this.#pending.nextReqId();
    const text = serializeFrame({ ...frame, _reqId: reqId });
    const reply = this.#pending.add(reqId, options.timeoutMs ?? this.#requestTimeoutMs);
    link.send(text);
    const replyFrame = await reply;
    if (options.schema === undefined) return replyFrame;
    const parsed = options.schema.safeParse(replyFrame);
    if (!parsed.success) {
      throw new MeshClientError(
        ClientErrorCode.invalidReply,
        `unexpected reply to ${frame.type}: ${replyFrame.type}`,
      );
    }
    return parsed.data;
  }

  /** Sends a frame that expects no reply (§1.9). Throws `not_connected` when not authenticated. */
  fire(frame: OutboundFrame): void {
    this.#readyLink().send(serializeFrame(frame));
  }

  /**
   * A fire-and-forget request: awaits `{type:"ok"}` where the connection has `ok_replies`, else resolves
   * once written. Failures reject when the broker answers with an `error`.
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
    const link = this.#readyLink();
    const id = input.clientMessageId ?? randomString(ID_ALPHABET, 24);
    const reqId = this.#pending.nextReqId();
    const text = serializeFrame(sendFrame(input, id, reqId));
    const reply = this.#pending.add(reqId, options.timeoutMs ?? this.#requestTimeoutMs, id);
    link.send(text);
    const parsed = AckFrame.safeParse(await reply);
    if (!parsed.success) throw new MeshClientError(ClientErrorCode.invalidReply, "unexpected reply to send");
    return parsed.data;
  }

  get #requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  #readyLink(): Link {
    const link = this.#link;
    if (link === null || this.#helloAck === null || !link.ready) {
      throw new MeshClientError(ClientErrorCode.notConnected, "not connected to the broker");
    }
    return link;
  }

  /** Acks on whichever socket is current: a reattached presence may ack what its predecessor got. */
  #sendClientAck(push: PushFrame): void {
    if (!this.connected) return;
    const frame = {
      type: "client_ack",
      clientMessageId: push.client_message_id ?? push.messageId,
      brokerMessageId: push.messageId,
    };
    this.#link?.send(serializeFrame(frame));
  }

  // ---- links --------------------------------------------------------------------------------------

  #openLink(): void {
    const { meshId, identity, session } = this.options;
    const url = this.#urls[this.#urlIndex];
    if (url === undefined) {
      this.#stop(0, "", new MeshClientError(ClientErrorCode.badConfig, "no broker URL given"));
      return;
    }
    let link: Link;
    try {
      link = new Link({
        url,
        helloTimeoutMs: this.options.helloTimeoutMs,
        watchdog: this.options.watchdog,
        log: this.log,
        buildHello: async (memberOnly) => {
          if (memberOnly) this.#sessionHelloUnsupported = true;
          return session !== undefined && !this.#sessionHelloUnsupported
            ? buildSessionHello(meshId, identity, session, this.#profile, this.#now)
            : buildMemberHello(meshId, identity, this.#profile, this.#now);
        },
        canFallBackToMember: session !== undefined && identity.secretKey !== undefined,
        onAuthenticated: (ack) => {
          if (this.#link === link) this.#onAuthenticated(link, ack);
        },
        onFrame: (frame) => {
          if (this.#link === link) this.#dispatch(link, frame);
        },
        onClosed: (closed) => {
          if (this.#link === link) this.#onClosed(closed);
        },
      });
    } catch (error) {
      const failure = new MeshClientError(
        ClientErrorCode.badConfig,
        `bad broker URL "${url}": ${errorText(error)}`,
      );
      this.#stop(0, "", failure);
      return;
    }
    this.#link = link;
  }

  #onAuthenticated(link: Link, ack: HelloAck): void {
    this.#helloAck = ack;
    this.#backlogReceived = !(
      this.#profile.capabilities.includes(Capability.backlogSent) &&
      (ack.features?.includes("backlog_sent") ?? false)
    );
    this.#connectionKind = link.helloKind === "session_hello" ? "session" : "member";
    this.#backoff.reset();
    this.#passFailures = [];
    this.#resigned.clear();
    this.log.info({ presenceId: ack.presenceId, kind: link.helloKind, url: link.url }, "connected");
    const waiter = this.#connectWaiter;
    this.#connectWaiter = null;
    waiter?.resolve(ack);
    this.#events.emit("connected", ack);
    if (this.#backlogReceived) this.#events.emit("backlog");
  }

  #dispatch(link: Link, frame: BrokerFrame): void {
    const reqId = this.#pending.match(frame);
    if (reqId !== undefined) {
      if (frame.type === "error") this.#pending.reject(reqId, errorFromFrame(connectionError(frame)));
      else this.#pending.resolve(reqId, frame);
      return;
    }
    if (frame._reqId !== undefined) {
      this.log.debug({ type: frame.type }, "dropped a late reply");
      return;
    }
    if (frame.type === "push") {
      this.#inbound.push(frame);
      return;
    }
    if (frame.type === "backlog_sent") {
      this.#inbound.afterPushes(() => {
        if (this.#link !== link || this.#backlogReceived) return;
        this.#backlogReceived = true;
        this.#events.emit("backlog");
      });
      return;
    }
    if (frame.type === "error") {
      const error = connectionError(frame);
      link.noteError(error);
      this.log.warn({ code: error.code, detail: error.message }, "broker error");
    }
    this.#inbound.frame(frame);
  }

  // ---- closing and reconnecting --------------------------------------------------------------------

  #onClosed(link: LinkClosed): void {
    const { code, reason, lastError } = link;
    this.#link = null;
    this.#helloAck = null;
    const closed = `connection closed (${code}${reason ? ` ${reason}` : ""})`;
    this.#pending.rejectAll(
      new MeshClientError(ClientErrorCode.connectionClosed, closed, { closeCode: code }),
    );
    this.log.info({ code, reason, url: link.url, wasAuthenticated: link.wasAuthenticated }, "disconnected");
    if (!this.#wanted) {
      this.#events.emit("disconnected", { code, reason, willReconnect: false, url: link.url });
      return;
    }
    if (link.localFailure !== null) {
      this.#stop(code, reason, link.localFailure);
      return;
    }
    const session = this.options.session;
    const decision = decideOnClose({
      code,
      reason,
      lastError,
      resigned: this.#resigned,
      canMintAttestation: session !== undefined && canMintAttestation(this.options.identity, session),
    });
    if (decision.action === "stop") {
      const failure = errorFromFrame(
        { code: decision.errorCode, message: decision.message, serverTime: lastError?.serverTime },
        code,
      );
      this.#stop(code, reason, failure);
      return;
    }
    if (decision.resign !== undefined) this.#resigned.add(decision.resign);
    // The one re-sign retry of §2.8 is part of the same attempt: same URL, at once, even without `reconnect`.
    let delay = 0;
    let allFailed = false;
    if (decision.wait !== "now") {
      this.#passFailures.push(`${link.url} (${link.socketError ?? closed})`);
      this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
      const passDone = this.#passFailures.length >= this.#urls.length;
      // Without `reconnect`, trying each URL once is still part of connecting; a lost connection stays lost.
      if (this.options.reconnect === false && (passDone || link.wasAuthenticated)) {
        this.#giveUp(link, closed);
        return;
      }
      // Backoff per full pass over the URLs, not per attempt: a dead node costs its clients one failed
      // attempt and they move to the next node at once; only when every node failed in a row does the
      // next pass wait the next backoff step, so a cluster that is down is not hammered. With one URL
      // every attempt is a full pass, so the delays are exactly the single-broker ones.
      if (passDone) {
        allFailed = true;
        this.#passFailures = [];
        delay = this.#backoff.next({
          atLeast: decision.wait === "long" ? this.#backoff.longest : 0,
          shutdown: decision.wait === "shutdown",
        });
      } else {
        delay = this.#backoff.switchDelay({ shutdown: decision.wait === "shutdown" });
      }
    }
    this.#events.emit("disconnected", {
      code,
      reason,
      willReconnect: true,
      retryInMs: delay,
      url: link.url,
      nextUrl: this.brokerUrl,
      allFailed,
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#wanted) this.#openLink();
    }, delay);
    unrefTimer(this.#retryTimer);
  }

  /** A permanent stop (§2.8): no reconnect, a `terminal` event, `connect()` rejects. */
  #stop(code: number, reason: string, error: MeshClientError): void {
    this.#wanted = false;
    this.log.warn({ code, reason, errorCode: error.code, url: this.brokerUrl }, "stopped for good");
    this.#events.emit("disconnected", { code, reason, willReconnect: false, url: this.brokerUrl });
    this.#events.emit("terminal", {
      code,
      reason: reason !== "" ? reason : error.code,
      message: error.message,
      errorCode: error.code,
    });
    this.#settleConnect(error);
  }

  /** A transient failure with `reconnect:false`: report it, no terminal event. */
  #giveUp(link: LinkClosed, closed: string): void {
    const { code, reason, lastError } = link;
    this.#wanted = false;
    this.#events.emit("disconnected", { code, reason, willReconnect: false, url: link.url, allFailed: true });
    const failures = this.#passFailures;
    this.#passFailures = [];
    const message =
      failures.length > 1
        ? `could not connect to any broker: ${failures.join("; ")}`
        : `could not connect to ${link.url}: ${link.socketError ?? closed}`;
    const error =
      lastError !== null
        ? errorFromFrame(lastError, code)
        : new MeshClientError(ClientErrorCode.connectFailed, message, { closeCode: code });
    this.#settleConnect(error);
  }

  #settleConnect(error: MeshClientError): void {
    const waiter = this.#connectWaiter;
    this.#connectWaiter = null;
    waiter?.reject(error);
  }
}

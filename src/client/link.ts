/**
 * One socket to the broker, from upgrade to close: send the hello, wait 5 s for `hello_ack`, remember
 * why the broker refused it, fall back from `session_hello` when the broker does not know it, and watch
 * the link once authenticated. Reconnecting is the owner's job (`MeshConnection`).
 */
import WebSocket, { type RawData } from "ws";

import { CloseCode } from "../protocol/close-codes.js";
import { HELLO_ACK_WAIT_MS } from "../protocol/constants.js";
import { HelloAck } from "../protocol/frames.js";
import type { ConnectionError } from "./close-policy.js";
import { ClientErrorCode, MeshClientError } from "./errors.js";
import { connectionError, errorText, parseBrokerFrame } from "./frame-io.js";
import type { HelloFrameOut } from "./hello.js";
import { IdleWatchdog, type WatchdogOptions } from "./idle-watchdog.js";
import type { Logger } from "./options.js";
import type { BrokerFrame } from "./types.js";
import { unrefTimer } from "./timers.js";

/** Everything the owner needs to decide what to do after a close. */
export type LinkClosed = {
  /** The broker URL this socket went to. */
  url: string;
  code: number;
  reason: string;
  /** The last connection-level `error` frame (why a hello was refused), or a local timeout. */
  lastError: ConnectionError | null;
  /** A failure on our side (the hello could not be built): the attempt ends for good. */
  localFailure: MeshClientError | null;
  /** The socket-level error text (ECONNREFUSED, …), if any. */
  socketError: string | null;
  wasAuthenticated: boolean;
};

export type LinkOptions = {
  url: string;
  /** @default 5000 */
  helloTimeoutMs?: number | undefined;
  watchdog?: WatchdogOptions | undefined;
  log: Logger;
  /** Builds the hello; `memberOnly` after the broker refused `session_hello` as unknown. */
  buildHello: (memberOnly: boolean) => Promise<HelloFrameOut>;
  /** Whether a member hello is possible when the broker does not know `session_hello`. */
  canFallBackToMember: boolean;
  onAuthenticated: (ack: HelloAck) => void;
  onFrame: (frame: BrokerFrame) => void;
  onClosed: (closed: LinkClosed) => void;
};

export class Link {
  readonly #options: LinkOptions;
  readonly #ws: WebSocket;
  readonly #watchdog: IdleWatchdog;
  readonly #helloTimeoutMs: number;
  #helloKind: HelloFrameOut["type"] | null = null;
  #authenticated = false;
  #helloTimer: NodeJS.Timeout | null = null;
  #lastError: ConnectionError | null = null;
  #localFailure: MeshClientError | null = null;
  #socketError: string | null = null;
  /** The TCP socket under the WebSocket, where there is one (Node): see {@link send}. */
  #stream: { cork(): void; uncork(): void } | null = null;
  #corked = false;

  /** Opens the socket. Throws (synchronously) on a URL the WebSocket client cannot use. */
  constructor(options: LinkOptions) {
    this.#options = options;
    this.#helloTimeoutMs = options.helloTimeoutMs ?? HELLO_ACK_WAIT_MS;
    const ws = new WebSocket(options.url, {
      handshakeTimeout: this.#helloTimeoutMs,
      perMessageDeflate: false,
    });
    this.#ws = ws;
    this.#watchdog = new IdleWatchdog(
      options.watchdog ?? {},
      () => ws.ping(),
      () => {
        options.log.warn({}, "no traffic from the broker for too long; reconnecting");
        ws.terminate();
      },
    );
    ws.on("upgrade", (response) => (this.#stream = response.socket));
    ws.on("open", () => void this.#sendHello(false));
    ws.on("message", (data) => this.#onMessage(data));
    ws.on("ping", () => this.#watchdog.touch());
    ws.on("pong", () => this.#watchdog.touch());
    ws.on("error", (error) => {
      this.#socketError = error.message;
      options.log.debug({ err: error.message }, "socket error");
    });
    ws.on("close", (code, reason) => this.#onClose(code, reason.toString()));
  }

  /** The broker URL this socket goes to. */
  get url(): string {
    return this.#options.url;
  }

  /** The kind of hello sent on this socket (null before it is sent). */
  get helloKind(): HelloFrameOut["type"] | null {
    return this.#helloKind;
  }

  /** Authenticated and open: frames may be sent. */
  get ready(): boolean {
    return this.#authenticated && this.#ws.readyState === WebSocket.OPEN;
  }

  /**
   * Sends a frame. Frames sent during one event-loop turn leave in one write (the socket is corked until
   * the turn ends): a burst of sends or acks costs one system call instead of one per frame.
   */
  send(text: string): void {
    const stream = this.#stream;
    if (stream && !this.#corked) {
      this.#corked = true;
      stream.cork();
      setImmediate(() => {
        this.#corked = false;
        stream.uncork();
      });
    }
    this.#ws.send(text);
  }

  /** A connection-level error the broker sent after the hello (kept for the close decision). */
  noteError(error: ConnectionError): void {
    this.#lastError = error;
  }

  /** Closes with 1000, or cuts a socket that is not open. Resolves once closed (≤ `graceMs`). */
  close(graceMs: number): Promise<void> {
    const ws = this.#ws;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    const closed = new Promise<void>((resolve) => {
      const cut = setTimeout(() => ws.terminate(), graceMs);
      unrefTimer(cut);
      ws.once("close", () => {
        clearTimeout(cut);
        resolve();
      });
    });
    if (ws.readyState === WebSocket.OPEN) ws.close(CloseCode.normal);
    else ws.terminate();
    return closed;
  }

  async #sendHello(memberOnly: boolean): Promise<void> {
    let frame: HelloFrameOut;
    try {
      frame = await this.#options.buildHello(memberOnly);
    } catch (error) {
      this.#localFailure =
        error instanceof MeshClientError
          ? error
          : new MeshClientError(ClientErrorCode.badConfig, `cannot build the hello: ${errorText(error)}`);
      this.#ws.close(CloseCode.normal);
      return;
    }
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#helloKind = frame.type;
    this.#ws.send(JSON.stringify(frame));
    this.#clearHelloTimer();
    this.#helloTimer = setTimeout(() => {
      this.#helloTimer = null;
      this.#lastError ??= {
        code: ClientErrorCode.helloAckTimeout,
        message: `no hello_ack within ${this.#helloTimeoutMs} ms`,
      };
      this.#ws.terminate();
    }, this.#helloTimeoutMs);
    unrefTimer(this.#helloTimer);
  }

  #onMessage(data: RawData): void {
    this.#watchdog.touch();
    const parsed = parseBrokerFrame(data);
    if ("problem" in parsed) {
      this.#options.log.warn({ problem: parsed.problem }, "ignored an invalid broker frame");
      return;
    }
    if (this.#authenticated) this.#options.onFrame(parsed.frame);
    else this.#onHelloPhaseFrame(parsed.frame);
  }

  #onHelloPhaseFrame(frame: BrokerFrame): void {
    if (frame.type === "hello_ack") {
      const ack = HelloAck.safeParse(frame);
      if (!ack.success) {
        this.#options.log.warn({}, "invalid hello_ack; retrying");
        this.#lastError = { code: ClientErrorCode.invalidReply, message: "invalid hello_ack" };
        this.#ws.terminate();
        return;
      }
      this.#clearHelloTimer();
      this.#authenticated = true;
      this.#lastError = null;
      this.#watchdog.start();
      this.#options.onAuthenticated(ack.data);
      return;
    }
    if (frame.type !== "error") {
      this.#options.log.debug({ type: frame.type }, "ignored a frame before hello_ack");
      return;
    }
    const error = connectionError(frame);
    if (
      error.code === "unknown_message_type" &&
      this.#helloKind === "session_hello" &&
      this.#options.canFallBackToMember
    ) {
      // A broker without session_hello (§2.4): fall back to a member hello on the same socket.
      this.#options.log.info({}, "broker does not know session_hello; falling back to hello");
      void this.#sendHello(true);
      return;
    }
    this.#lastError = error;
  }

  #onClose(code: number, reason: string): void {
    this.#clearHelloTimer();
    this.#watchdog.stop();
    this.#options.onClosed({
      url: this.#options.url,
      code,
      reason,
      lastError: this.#lastError,
      localFailure: this.#localFailure,
      socketError: this.#socketError,
      wasAuthenticated: this.#authenticated,
    });
  }

  #clearHelloTimer(): void {
    if (this.#helloTimer !== null) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
  }
}

/**
 * The part of the `ws` package's client the shared connection core (src/client/link.ts) uses, over the
 * browser's own WebSocket, injected by the bundler in place of `ws`.
 *
 * Browsers answer the broker's pings themselves and never show them to the page, and a page cannot send
 * a ping frame. So `ping()` sends the cheapest request there is (`list_peers` for one entry): its answer
 * is inbound traffic, which is all the idle watchdog needs (protocol.md §3.2); the connection core drops
 * the reply as late since no request waits for it.
 */
type Listener = (...args: unknown[]) => void;

const KEEPALIVE = JSON.stringify({ type: "list_peers", limit: 1, _reqId: "keepalive" });

export default class WebSocketShim {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readonly #socket: WebSocket;
  readonly #listeners = new Map<string, Listener[]>();

  constructor(url: string) {
    this.#socket = new WebSocket(url);
    this.#socket.onopen = () => this.#emit("open");
    this.#socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data === "string") this.#emit("message", event.data);
    };
    this.#socket.onerror = () => this.#emit("error", new Error("WebSocket error"));
    this.#socket.onclose = (event: CloseEvent) => this.#emit("close", event.code, event.reason);
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  on(event: string, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  once(event: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.#listeners.set(
        event,
        (this.#listeners.get(event) ?? []).filter((l) => l !== wrapped),
      );
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  send(data: string): void {
    this.#socket.send(data);
  }

  ping(): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(KEEPALIVE);
  }

  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }

  /** Browsers have no abrupt close: a normal close is the nearest. */
  terminate(): void {
    if (this.#socket.readyState === WebSocket.CLOSED) return;
    this.#socket.close();
    // The close event can lag behind a dead network; the owner is told now.
    if (this.#socket.readyState !== WebSocket.CLOSED) this.#emit("close", 1006, "");
    this.#socket.onclose = null;
  }

  #emit(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) listener(...args);
  }
}

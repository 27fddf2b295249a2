/**
 * The client side of the heartbeat (protocol.md §3.2): ping when the link has been quiet for 30 s,
 * give up after 75 s without any inbound frame, ping or pong. `touch()` is on the hot path, so it only
 * records a time; the single timer re-arms itself from the deadlines.
 */
import { PING_INTERVAL_MS, STALE_PONG_MS } from "../protocol/constants.js";
import { unrefTimer } from "./timers.js";

export type WatchdogOptions = {
  /** @default 30000 */
  pingIntervalMs?: number;
  /** @default 75000 */
  staleMs?: number;
};

export class IdleWatchdog {
  readonly #pingIntervalMs: number;
  readonly #staleMs: number;
  readonly #ping: () => void;
  readonly #onStale: () => void;
  #lastInbound = 0;
  #lastPing = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: WatchdogOptions, ping: () => void, onStale: () => void) {
    this.#pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS;
    this.#staleMs = options.staleMs ?? STALE_PONG_MS;
    this.#ping = ping;
    this.#onStale = onStale;
  }

  start(): void {
    this.stop();
    this.#lastInbound = Date.now();
    this.#lastPing = 0;
    this.#arm(this.#pingIntervalMs);
  }

  /** Any inbound traffic: a frame, a ping or a pong. */
  touch(): void {
    this.#lastInbound = Date.now();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, delayMs));
    unrefTimer(this.#timer);
  }

  #check(): void {
    this.#timer = null;
    const now = Date.now();
    const staleAt = this.#lastInbound + this.#staleMs;
    if (now >= staleAt) {
      this.#onStale();
      return;
    }
    if (now - Math.max(this.#lastInbound, this.#lastPing) >= this.#pingIntervalMs) {
      this.#lastPing = now;
      this.#ping();
    }
    const nextPingAt = Math.max(this.#lastInbound, this.#lastPing) + this.#pingIntervalMs;
    this.#arm(Math.min(nextPingAt, staleAt) - now);
  }
}

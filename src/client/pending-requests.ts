/**
 * Requests waiting for a reply, correlated by `_reqId` (and, for `send`, by the older `id` field,
 * protocol.md §1.3). Every entry has a timer and is settled when the connection closes.
 */
import { randomString } from "../crypto/index.js";
import { ClientErrorCode, MeshClientError } from "./errors.js";
import type { BrokerFrame } from "./types.js";
import { unrefTimer } from "./timers.js";

type Entry = {
  resolve: (frame: BrokerFrame) => void;
  reject: (error: MeshClientError) => void;
  timer: NodeJS.Timeout;
  sendId: string | undefined;
};

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export class PendingRequests {
  readonly #byReqId = new Map<string, Entry>();
  /** `send.id` → `_reqId`, so acks and errors from brokers that only echo `id` still find their send. */
  readonly #sendIds = new Map<string, string>();
  /** Random per client, so `_reqId`s never collide across clients in one log. */
  readonly #prefix = randomString(ID_ALPHABET, 8);
  #counter = 0;

  get size(): number {
    return this.#byReqId.size;
  }

  nextReqId(): string {
    this.#counter += 1;
    return `${this.#prefix}-${this.#counter}`;
  }

  /** Registers a pending request and returns the promise its reply settles. */
  add(reqId: string, timeoutMs: number, sendId?: string): Promise<BrokerFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#remove(reqId);
        reject(new MeshClientError(ClientErrorCode.requestTimeout, `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      unrefTimer(timer);
      this.#byReqId.set(reqId, { resolve, reject, timer, sendId });
      if (sendId !== undefined) this.#sendIds.set(sendId, reqId);
    });
  }

  /** The `_reqId` a reply belongs to: its own, else (for `ack`/`error`) the one of the send with its `id`. */
  match(frame: { _reqId?: unknown; id?: unknown; type: string }): string | undefined {
    if (typeof frame._reqId === "string" && this.#byReqId.has(frame._reqId)) return frame._reqId;
    if ((frame.type === "ack" || frame.type === "error") && typeof frame.id === "string" && frame.id !== "") {
      return this.#sendIds.get(frame.id);
    }
    return undefined;
  }

  resolve(reqId: string, frame: BrokerFrame): void {
    this.#remove(reqId)?.resolve(frame);
  }

  reject(reqId: string, error: MeshClientError): void {
    this.#remove(reqId)?.reject(error);
  }

  /** Rejects every pending request (the connection closed). */
  rejectAll(error: MeshClientError): void {
    for (const reqId of [...this.#byReqId.keys()]) this.reject(reqId, error);
  }

  #remove(reqId: string): Entry | undefined {
    const entry = this.#byReqId.get(reqId);
    if (entry === undefined) return undefined;
    clearTimeout(entry.timer);
    this.#byReqId.delete(reqId);
    if (entry.sendId !== undefined && this.#sendIds.get(entry.sendId) === reqId)
      this.#sendIds.delete(entry.sendId);
    return entry;
  }
}

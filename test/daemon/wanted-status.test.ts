/**
 * The daemon keeps each connection's status and applies it whenever the connection is (re)established: a
 * status handed over while the broker is away lands after the reconnect; a late report never undoes a
 * newer one; a manual dnd is re-sent first, so the broker's sticky-dnd rule still holds after a reconnect.
 */
import pino from "pino";
import { describe, expect, it } from "vitest";
import { StatusKeeper } from "../../src/daemon/meshes/wanted-status.js";
import type { PresenceStatus, StatusSource } from "../../src/protocol/index.js";

class FakeLink {
  connected = false;
  readonly #onConnected: Array<() => void> = [];
  on(_event: "connected", listener: () => void): () => void {
    this.#onConnected.push(listener);
    return () => undefined;
  }
  readonly sent: Array<[PresenceStatus, StatusSource | undefined]> = [];
  setStatus(status: PresenceStatus, source?: StatusSource): Promise<void> {
    if (!this.connected) return Promise.reject(new Error("not connected"));
    this.sent.push([status, source]);
    return Promise.resolve();
  }
  reconnect(): void {
    this.connected = true;
    for (const listener of this.#onConnected) listener();
  }
}

const log = pino({ level: "silent" });

describe("StatusKeeper", () => {
  it("applies a status handed over while disconnected once the connection is back", async () => {
    const link = new FakeLink();
    const keeper = new StatusKeeper(link, log);
    expect(await keeper.set({ status: "idle", source: "hook", at: 10 })).toEqual({
      recorded: true,
      sent: false,
    });
    expect(link.sent).toEqual([]);
    link.reconnect();
    await new Promise((resolve) => setImmediate(resolve));
    expect(link.sent).toEqual([["idle", "hook"]]);
  });

  it("drops a report older than the one it holds", async () => {
    const link = new FakeLink();
    link.connected = true;
    const keeper = new StatusKeeper(link, log);
    await keeper.set({ status: "working", source: "hook", at: 20 });
    expect(await keeper.set({ status: "idle", source: "hook", at: 10 })).toEqual({
      recorded: false,
      sent: false,
    });
    expect(keeper.current).toMatchObject({ status: "working" });
    expect(link.sent).toEqual([["working", "hook"]]);
  });

  it("re-sends manual then hook on every reconnect; a manual dnd stays the current status", async () => {
    const link = new FakeLink();
    link.connected = true;
    const keeper = new StatusKeeper(link, log);
    await keeper.set({ status: "dnd", source: "manual", at: 1 });
    await keeper.set({ status: "working", source: "hook", at: 2 });
    expect(keeper.current).toMatchObject({ status: "dnd", source: "manual" });
    link.sent.length = 0;
    link.reconnect();
    await new Promise((resolve) => setImmediate(resolve));
    expect(link.sent).toEqual([
      ["dnd", "manual"],
      ["working", "hook"],
    ]);
  });
});

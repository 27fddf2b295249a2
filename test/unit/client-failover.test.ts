/**
 * A client given the URLs of several broker nodes: it moves to the next URL after a close or a failed
 * attempt (round robin), backs off once per full pass over the list, and names the URLs that failed.
 * Fake brokers stand in for the nodes; the real failover against broker processes is an integration test.
 */
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MeshClient, type DisconnectInfo, type MeshClientOptions } from "../../src/index.js";
import { generateIdentity } from "../../src/crypto/index.js";
import { waitUntil } from "../helpers/deadline.js";
import { FakeBroker } from "../helpers/fake-ws-broker.js";

const alice = { memberId: "mem_alice", ...generateIdentity() };
const brokers: FakeBroker[] = [];
const clients: MeshClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

async function fakeBroker(): Promise<FakeBroker> {
  const broker = await FakeBroker.start();
  brokers.push(broker);
  return broker;
}

/** A loopback URL where nothing listens: a port that was just bound and released. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return `ws://127.0.0.1:${address.port}/ws`;
}

function client(url: MeshClientOptions["url"], overrides: Partial<MeshClientOptions> = {}): MeshClient {
  const c = new MeshClient({
    url,
    meshId: "mesh_test",
    identity: alice,
    backoff: { steps: [5, 10, 20, 40], random: () => 0 },
    ...overrides,
  });
  clients.push(c);
  return c;
}

function record(c: MeshClient): DisconnectInfo[] {
  const seen: DisconnectInfo[] = [];
  c.on("disconnected", (info) => seen.push(info));
  return seen;
}

describe("several broker URLs", () => {
  it("connects through the next URL when the first node is down, at once", async () => {
    const dead = await deadUrl();
    const live = await fakeBroker();
    const c = client([dead, live.url]);
    const seen = record(c);
    await c.connect();
    expect(c.brokerUrl).toBe(live.url);
    expect(seen).toEqual([
      expect.objectContaining({ url: dead, nextUrl: live.url, willReconnect: true, retryInMs: 0 }),
    ]);
  });

  it("without reconnect, still tries each URL once while connecting", async () => {
    const dead = await deadUrl();
    const live = await fakeBroker();
    const c = client([dead, live.url], { reconnect: false });
    await c.connect();
    expect(live.hellos).toHaveLength(1);
  });

  it("without reconnect, names every URL that failed", async () => {
    const [a, b] = [await deadUrl(), await deadUrl()];
    const c = client([a, b], { reconnect: false });
    const failure = c.connect();
    await expect(failure).rejects.toMatchObject({ code: "connect_failed" });
    await expect(failure).rejects.toThrow(`could not connect to any broker: ${a} (`);
    await expect(failure).rejects.toThrow(`; ${b} (`);
  });

  it("after a close moves to the next node, round robin", async () => {
    const [a, b] = [await fakeBroker(), await fakeBroker()];
    const c = client([a.url, b.url]);
    const seen = record(c);
    await c.connect();
    expect(c.brokerUrl).toBe(a.url);

    (await a.connection(0)).ws.terminate();
    await waitUntil(() => (c.connected && b.hellos.length === 1 ? true : undefined), {
      message: "reconnect to b",
    });
    expect(c.brokerUrl).toBe(b.url);

    (await b.connection(0)).ws.terminate();
    await waitUntil(() => (c.connected && a.hellos.length === 2 ? true : undefined), {
      message: "reconnect to a",
    });
    // The same session id on every node: the cluster reattaches it.
    expect(new Set([...a.hellos, ...b.hellos].map((h) => h.sessionId)).size).toBe(1);
    expect(seen.map((d) => [d.url, d.nextUrl, d.retryInMs])).toEqual([
      [a.url, b.url, 0],
      [b.url, a.url, 0],
    ]);
  });

  it("backs off once per full pass over the list, not per node", async () => {
    const [a, b] = [await deadUrl(), await deadUrl()];
    const c = client([a, b]);
    const seen = record(c);
    void c.connect().catch(() => undefined);
    await waitUntil(() => (seen.length >= 6 ? true : undefined), { message: "six failed attempts" });
    await c.close();
    expect(seen.slice(0, 6).map((d) => [d.url, d.retryInMs, d.allFailed])).toEqual([
      [a, 0, false],
      [b, 5, true],
      [a, 0, false],
      [b, 10, true],
      [a, 0, false],
      [b, 20, true],
    ]);
  });

  it("keeps the single-URL delays when given one URL in a list", async () => {
    const dead = await deadUrl();
    const c = client([dead]);
    const seen = record(c);
    void c.connect().catch(() => undefined);
    await waitUntil(() => (seen.length >= 3 ? true : undefined), { message: "three failed attempts" });
    await c.close();
    expect(seen.slice(0, 3).map((d) => d.retryInMs)).toEqual([5, 10, 20]);
  });

  it("refuses an empty list when connecting", async () => {
    await expect(client([]).connect()).rejects.toMatchObject({ code: "bad_config" });
  });
});

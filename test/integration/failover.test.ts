/**
 * Clients that survive a broker node: a mesh whose broker lists several URLs, against real broker
 * processes. Two SQLite brokers started from copies of one data dir stand in for two nodes of a cluster
 * (both know the mesh and its members); the point here is the client moving between URLs.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeshClient, type MeshClientOptions } from "../../src/client/index.js";
import { BrokerUnreachableError, health, previewInvite } from "../../src/client/broker-http.js";
import { inviteLinkForBroker, parseInviteLink } from "../../src/protocol/invite-link.js";
import {
  addMember,
  buildInvite,
  createTestMesh,
  startBroker,
  waitUntil,
  type BrokerProcess,
  type TestInvite,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";
import { registerInvite } from "../../src/client/broker-http.js";
import { CliUser, json } from "../helpers/cli.js";

let a: BrokerProcess;
let b: BrokerProcess;
let mesh: TestMesh;
let bob: TestMember;
let invite: TestInvite;
let dead: string;
const clients: MeshClient[] = [];

/** A loopback URL where nothing listens: a port that was just bound and released. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return `ws://127.0.0.1:${address.port}/ws`;
}

function client(member: TestMember, url: MeshClientOptions["url"], sessionId?: string): MeshClient {
  const c = new MeshClient({
    url,
    sessionId,
    meshId: mesh.meshId,
    identity: { memberId: member.memberId, publicKey: member.pubkey, secretKey: member.secretKey },
    displayName: member.displayName,
    backoff: { steps: [50, 100, 200], random: () => 0 },
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  a = await startBroker();
  mesh = await createTestMesh(a);
  bob = await addMember(a, mesh, "bob");
  invite = buildInvite(mesh, mesh.owner, { maxUses: 5 });
  await registerInvite(a.url, {
    meshId: mesh.meshId,
    pubkey: mesh.owner.pubkey,
    secretKey: mesh.owner.secretKey,
    invite: invite.registration,
  });
  // A stopped broker has closed its store: its data dir copies cleanly into a second node.
  await a.stop();
  const copy = mkdtempSync(join(tmpdir(), "cm-broker-b-"));
  cpSync(a.dataDir, copy, { recursive: true });
  rmSync(join(copy, "node-id"), { force: true });
  await a.restart();
  b = await startBroker({ dataDir: copy });
  dead = await deadUrl();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([a?.dispose(), b?.dispose()]);
});

describe("a broker with several URLs", () => {
  it("connects through the live node when the first URL is dead", async () => {
    const c = client(bob, [dead, a.url]);
    const ack = await c.connect();
    expect(ack.presenceId).toEqual(expect.any(String));
    expect(c.brokerUrl).toBe(a.url);
    const peers = await c.listPeers();
    expect(peers.map((p) => p.pubkey)).toContain(bob.pubkey);
    await c.close();
  });

  it("sends HTTP calls to the next URL when one refuses, and names every URL when all do", async () => {
    const preview = await previewInvite([dead, a.url], invite.code);
    expect(preview).toMatchObject({ mesh_id: mesh.meshId, role: "member" });
    expect((await health([dead, b.url])).status).toBe("ok");
    const other = await deadUrl();
    const failure = health([dead, other]);
    await expect(failure).rejects.toBeInstanceOf(BrokerUnreachableError);
    await expect(failure).rejects.toThrow(/127\.0\.0\.1:\d+ \(ECONNREFUSED\), http:\/\/127\.0\.0\.1:\d+ \(/);
  });

  it("joins through the CLI with a link whose primary is down, storing every URL", async () => {
    const carol = new CliUser("carol");
    try {
      const link = inviteLinkForBroker({
        brokerUrl: [dead, b.url],
        code: invite.code,
        secret: invite.secret,
      });
      expect(link).toContain(`?tls=0&broker=127.0.0.1:${b.port}#`);
      const joined = await carol.runJson(["join", link, "--name", "carol"]);
      expect(joined).toMatchObject({ mesh_id: mesh.meshId, display_name: "carol" });
      const who = await carol.runJson<{ meshes: Array<{ broker_url: string; broker_urls: string[] }> }>([
        "whoami",
      ]);
      expect(who.meshes[0]).toMatchObject({ broker_url: dead, broker_urls: [dead, b.url] });
      // A one-shot connection of the CLI moves past the dead primary too.
      const peers = json<{ peers: Array<{ display_name: string }> }>(
        await carol.run(["peers", "--no-daemon", "--all", "--json"]),
      );
      expect(peers.peers.map((p) => p.display_name)).toContain("carol");
    } finally {
      await carol.dispose();
    }
  });

  it("creates a mesh with several --broker URLs and invites with all of them", async () => {
    const dave = new CliUser("dave");
    try {
      const help = await dave.run(["mesh", "create", "--help"]);
      expect(help.stdout).toMatch(/--broker <url>.*repeat it/s);
      const bad = await dave.run(["mesh", "create", "x", "--broker", `${b.url},${b.url}`]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`--broker lists "${b.url}" twice`);

      // CLAUDEMESH_BROKER_URL holds a comma list; the request skips the node that refuses.
      const created = await dave.runJson(
        ["mesh", "create", "team", "--admin-token", b.adminToken, "--name", "dave"],
        { env: { CLAUDEMESH_BROKER_URL: `${dead}, ${b.url}` } },
      );
      expect(created).toMatchObject({ broker_url: dead, broker_urls: [dead, b.url] });
      const invited = await dave.runJson<{ link: string }>(["invite"]);
      expect(parseInviteLink(invited.link).brokerUrls).toEqual([dead, b.url]);

      const flags = await dave.runJson([
        "mesh",
        "create",
        "two",
        "--broker",
        b.url,
        "--broker",
        dead,
        "--admin-token",
        b.adminToken,
      ]);
      expect(flags).toMatchObject({ broker_url: b.url, broker_urls: [b.url, dead] });
      const listed = await dave.runJson<{ meshes: Array<{ slug: string; broker_urls: string[] }> }>(["list"]);
      expect(listed.meshes.map((m) => m.broker_urls)).toEqual([
        [dead, b.url],
        [b.url, dead],
      ]);

      // A node list changed later is set on each machine with `mesh brokers`.
      expect(await dave.runJson(["mesh", "brokers", "--mesh", "two"])).toMatchObject({
        broker_urls: [b.url, dead],
        changed: false,
      });
      const refused = await dave.run(["mesh", "brokers", "ftp://x", "--mesh", "two"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('has "ftp://x", which must start with ws:// or wss://');
      expect(await dave.runJson(["mesh", "brokers", dead, b.url, "--mesh", "two"])).toMatchObject({
        broker_url: dead,
        broker_urls: [dead, b.url],
        changed: true,
      });
      expect(await dave.runJson(["mesh", "brokers", b.url, "--mesh", "two"])).toMatchObject({
        broker_urls: [b.url],
      });
      const after = await dave.runJson<{ meshes: Array<{ slug: string; broker_urls: string[] }> }>([
        "whoami",
      ]);
      expect(after.meshes.find((m) => m.slug === "two")?.broker_urls).toEqual([b.url]);
    } finally {
      await dave.dispose();
    }
  });

  it("reconnects to the next node's URL when the node it is on is killed", async () => {
    const owner = client(mesh.owner, [b.url]);
    await owner.connect();
    const c = client(bob, [a.url, b.url], "bob-failover");
    await c.connect();
    expect(c.brokerUrl).toBe(a.url);

    await a.kill9();
    await waitUntil(() => (c.connected && c.brokerUrl === b.url ? true : undefined), {
      timeoutMs: 10_000,
      message: "client did not reconnect to the second node",
    });
    // Bob is on node b now, under the same session id, and the owner there sees him.
    const seen = await waitUntil(
      async () => (await owner.listPeers()).find((p) => p.sessionId === "bob-failover"),
      { message: "owner does not see bob on node b" },
    );
    expect(seen.pubkey).toBe(bob.pubkey);
  });
});

/**
 * Two users on one machine (separate HOMEs and config dirs) against a real broker process: mesh create,
 * invite, join, and the refusals of bad links — through the real CLI binary.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, waitUntil, type BrokerProcess } from "../helpers/broker.js";
import { CliUser, json } from "../helpers/cli.js";

interface InviteJson {
  schema_version: string;
  link: string;
  code: string;
  role: string;
  expires_at: string;
  max_uses: number;
}

let broker: BrokerProcess;
let alice: CliUser;
let bob: CliUser;
let carol: CliUser;

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** The link with its secret part replaced by another valid-looking secret. */
function withOtherSecret(link: string): string {
  const [head, secret] = link.split("#");
  const flipped = `${secret?.[0] === "A" ? "B" : "A"}${secret?.slice(1) ?? ""}`;
  return `${head}#${flipped}`;
}

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  bob = new CliUser("bob");
  carol = new CliUser("carol");
});

afterAll(async () => {
  await Promise.all([alice, bob, carol].map((u) => u?.dispose()));
  await broker?.dispose();
});

describe("mesh create, invite, join", () => {
  let meshId = "";

  it("creates a mesh with documented --json fields and a 0600 config", async () => {
    const created = await alice.createMesh(broker, "team", "alice");
    expect(created).toMatchObject({
      schema_version: "1",
      slug: "team",
      name: "team",
      broker_url: broker.url,
    });
    expect(created.mesh_id).toEqual(expect.any(String));
    expect(created.owner_pubkey).toMatch(/^[0-9a-f]{64}$/);
    meshId = String(created.mesh_id);
    expect(mode(join(alice.configDir, "config.json"))).toBe(0o600);
    expect(mode(alice.configDir)).toBe(0o700);
  });

  it("refuses mesh create with a wrong admin token (exit 3)", async () => {
    const result = await bob.run(["mesh", "create", "x", "--broker", broker.url, "--admin-token", "nope"]);
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("admin-token");
  });

  it("invites and joins, with the documented --json fields", async () => {
    const invite = await alice.runJson<InviteJson>(["invite", "--uses", "1"]);
    expect(invite).toMatchObject({ schema_version: "1", role: "member", max_uses: 1 });
    expect(invite.code).toMatch(/^[A-Z2-9]{8}$/);
    expect(invite.link).toBe(
      `claudemesh://join/127.0.0.1:${broker.port}/${invite.code}?tls=0#${invite.link.split("#")[1]}`,
    );
    expect(Date.parse(invite.expires_at)).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const joined = await bob.runJson(["join", invite.link, "--name", "bob"]);
    expect(joined).toMatchObject({ schema_version: "1", mesh_id: meshId, slug: "team", display_name: "bob" });
    expect(joined.member_id).toEqual(expect.any(String));
    expect(joined.pubkey).toMatch(/^[0-9a-f]{64}$/);
    expect(mode(join(bob.configDir, "config.json"))).toBe(0o600);

    const who = await bob.runJson<{ meshes: Array<Record<string, unknown>> }>(["whoami"]);
    expect(who.meshes).toEqual([
      expect.objectContaining({
        mesh_id: meshId,
        slug: "team",
        display_name: "bob",
        role: "member",
        pubkey: joined.pubkey,
      }),
    ]);

    const used = await carol.run(["join", invite.link, "--name", "carol"]);
    expect(used.code).toBe(3);
    expect(used.stderr).toMatch(/used up/);
    expect(used.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("refuses a link whose secret was changed (forged) with exit 3 and nothing written", async () => {
    const invite = await alice.runJson<InviteJson>(["invite"]);
    const result = await carol.run(["join", withOtherSecret(invite.link), "--json"]);
    expect(result.code).toBe(3);
    const error = JSON.parse(result.stderr) as {
      schema_version: string;
      error: { code: string; message: string; hint: string };
    };
    expect(error.schema_version).toBe("1");
    expect(error.error.code).toBe("bad_claim_token");
    expect(error.error.hint).not.toBe("");
    expect(result.stdout).toBe("");
    expect((await carol.runJson<{ meshes: unknown[] }>(["whoami"])).meshes).toEqual([]);
  });

  it("refuses a link without its #secret (exit 2, explains why)", async () => {
    const invite = await alice.runJson<InviteJson>(["invite"]);
    const result = await carol.run(["join", invite.link.split("#")[0] ?? ""]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/secret part after '#' is missing/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("refuses an expired invite (exit 3)", async () => {
    const invite = await alice.runJson<InviteJson>(["invite", "--expires", "1s"]);
    await waitUntil(async () => (await fetch(`${broker.httpUrl}/invites/${invite.code}`)).status === 410, {
      timeoutMs: 10_000,
      message: "invite did not expire",
    });
    const result = await carol.run(["join", invite.link]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/expired/);
  });

  it("lets a member list the roster but not invite (exit 3)", async () => {
    const result = await bob.run(["invite"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/only the owner or an admin/);
    const list = await bob.runJson<{ meshes: Array<Record<string, unknown>> }>(["list"]);
    expect(list.meshes[0]).toMatchObject({ slug: "team", role: "member", broker_url: broker.url });
  });

  it("prints the web form of the link for a public URL, and joins through it", async () => {
    const erin = new CliUser("erin");
    try {
      const invite = await alice.runJson<InviteJson & { web_link: string }>([
        "invite",
        "--public-url",
        broker.httpUrl,
      ]);
      const secret = invite.link.split("#")[1];
      expect(invite.web_link).toBe(`${broker.httpUrl}/join/${invite.code}#${secret}`);
      const joined = await erin.runJson(["join", invite.web_link, "--name", "erin"]);
      expect(joined).toMatchObject({ slug: "team", display_name: "erin" });
      const who = await erin.runJson<{ meshes: Array<{ broker_url: string }> }>(["whoami"]);
      expect(who.meshes[0]?.broker_url).toBe(broker.url);
    } finally {
      await erin.dispose();
    }
  });

  it("joining under a name another member has prints and stores the name the broker gave", async () => {
    const bob2 = new CliUser("bob2");
    try {
      const link = (await alice.runJson<InviteJson>(["invite"])).link;
      const joined = await bob2.run(["join", link, "--name", "bob"]);
      expect(joined.code, joined.stderr).toBe(0);
      expect(joined.stdout).toMatch(/\bas bob 2 \(/);
      const who = await bob2.runJson<{ meshes: Array<{ display_name: string }> }>(["whoami"]);
      expect(who.meshes[0]?.display_name).toBe("bob 2");
    } finally {
      await bob2.dispose();
    }
  });

  it("refuses to join under a name a send would read as a group or topic (exit 2), using no invite", async () => {
    const frank = new CliUser("frank");
    try {
      const invite = await alice.runJson<InviteJson>(["invite"]);
      for (const name of ["@backend", "#ops", "*"]) {
        const result = await frank.run(["join", invite.link, "--name", name]);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(/a display name must not (start with [@#]|be "\*")/);
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
      }
      const preview = await fetch(`${broker.httpUrl}/invites/${invite.code}`);
      expect(await preview.json()).toMatchObject({ uses_left: 1 });
      expect((await frank.runJson(["join", invite.link, "--name", "backend"])).display_name).toBe("backend");
    } finally {
      await frank.dispose();
    }
  });

  it("lets a member leave: revoked on the broker, keys removed locally", async () => {
    const dave = new CliUser("dave");
    try {
      const link = (await alice.runJson<InviteJson>(["invite"])).link;
      await dave.runJson(["join", link, "--name", "dave"]);
      const refused = await dave.run(["leave", "team"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/-y/);
      const left = await dave.runJson(["leave", "team", "-y"]);
      expect(left).toMatchObject({ ok: true, slug: "team", revoked: true });
      expect((await dave.runJson<{ meshes: unknown[] }>(["whoami"])).meshes).toEqual([]);
      const { members } = await alice.runJson<{ members: Array<{ display_name: string }> }>([
        "members",
        "--no-daemon",
      ]);
      expect(members.map((m) => m.display_name)).not.toContain("dave");
    } finally {
      await dave.dispose();
    }
  });

  it("keeps the daemon socket and key files private", async () => {
    const peers = await bob.run(["peers", "--json"]);
    expect(peers.code).toBe(0);
    expect(mode(join(bob.daemonDir, "daemon.sock"))).toBe(0o600);
    expect(mode(join(bob.configDir, "config.json"))).toBe(0o600);
    expect(json(peers)).toHaveProperty("peers");
  });
});

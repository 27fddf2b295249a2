/**
 * One user in several meshes on two brokers, through the real CLI binary: slugs stay unique (mesh create
 * refuses a taken one, join picks a free one), every way of naming a mesh that is unknown or ambiguous is
 * refused with the choices, lists say which mesh a row is from, and a mesh whose broker is gone for good
 * can still be left.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type BrokerProcess } from "../helpers/broker.js";
import { CliUser, json, type CliResult } from "../helpers/cli.js";

interface ErrorJson {
  error: { code: string; message: string; hint: string };
}

interface ListJson {
  meshes: Array<{ mesh_id: string; slug: string; broker_url: string }>;
}

let brokerA: BrokerProcess;
let brokerB: BrokerProcess;
let alice: CliUser;
let bob: CliUser;

function errorOf(result: CliResult): ErrorJson["error"] {
  expect(result.stdout).toBe("");
  return (JSON.parse(result.stderr) as ErrorJson).error;
}

async function slugs(user: CliUser): Promise<string[]> {
  return (await user.runJson<ListJson>(["list"])).meshes.map((m) => m.slug);
}

async function invite(owner: CliUser, mesh: string): Promise<string> {
  return (await owner.runJson<{ link: string }>(["invite", "--mesh", mesh])).link;
}

beforeAll(async () => {
  [brokerA, brokerB] = await Promise.all([startBroker(), startBroker()]);
  alice = new CliUser("alice");
  bob = new CliUser("bob");
});

afterAll(async () => {
  await Promise.all([alice, bob].map((u) => u?.dispose()));
  await Promise.all([brokerA, brokerB].map((b) => b?.dispose()));
});

describe("slugs stay unique", () => {
  it("mesh create refuses a name whose slug the user already has, before the broker makes a mesh", async () => {
    await alice.createMesh(brokerA, "team", "alice");
    for (const name of ["team", "Team!"]) {
      const refused = await alice.run([
        "mesh",
        "create",
        name,
        "--broker",
        brokerB.url,
        "--admin-token",
        brokerB.adminToken,
        "--json",
      ]);
      expect(refused.code).toBe(2);
      const error = errorOf(refused);
      expect(error.code).toBe("slug_taken");
      expect(error.message).toContain(`you already have a mesh "team"`);
      expect(error.hint).toContain("claudemesh mesh create team-2");
    }
    expect(await slugs(alice)).toEqual(["team"]);

    const other = await alice.createMesh(brokerB, "team-2", "alice");
    expect(other).toMatchObject({ slug: "team-2", broker_url: brokerB.url });
    expect(await slugs(alice)).toEqual(["team", "team-2"]);
  });

  it("join keeps a mesh whose slug the user already has under a free one, and says so", async () => {
    await bob.createMesh(brokerB, "team", "bob");
    const link = await invite(alice, "team");

    const joined = await bob.run(["join", link, "--name", "bob"]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toContain("joined team-2 (team)");
    expect(joined.stdout).toContain(`you already had a mesh "team", so this one is "team-2" here`);
    expect(await slugs(bob)).toEqual(["team", "team-2"]);

    const { peers } = await bob.runJson<{ peers: unknown[] }>(["peers", "--mesh", "team-2", "--all"]);
    expect(peers.length).toBeGreaterThan(0);
  });

  it("join --json reports the slug the mesh is stored under", async () => {
    const carol = new CliUser("carol");
    try {
      await carol.createMesh(brokerB, "team", "carol");
      const joined = await carol.runJson(["join", await invite(alice, "team"), "--name", "carol"]);
      expect(joined).toMatchObject({ slug: "team-2" });
    } finally {
      await carol.dispose();
    }
  });
});

describe("naming a mesh", () => {
  it("without --mesh, a verb about one mesh lists the choices (CLI and daemon say the same)", async () => {
    for (const args of [["send", "alice", "hi"], ["invite"], ["info"]]) {
      const result = await bob.run([...args, "--json"]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(errorOf(result)).toMatchObject({
        code: "mesh_required",
        hint: "pass --mesh <slug> (one of: team, team-2)",
      });
    }
  });

  it("an unknown --mesh names the joined ones", async () => {
    for (const argv of [
      ["peers", "--mesh", "nope", "--json"],
      ["send", "alice", "hi", "--mesh", "nope", "--json"],
      ["invite", "--mesh", "nope", "--json"],
      ["leave", "nope", "-y", "--json"],
    ]) {
      const result = await bob.run(argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(errorOf(result)).toMatchObject({ code: "unknown_mesh", hint: "joined meshes: team, team-2" });
    }
  });

  it("lists of several meshes say which mesh each row is from", async () => {
    const members = await bob.run(["members"]);
    expect(members.code, members.stderr).toBe(0);
    const [header, ...rows] = members.stdout.trim().split("\n");
    expect(header).toMatch(/^MESH\s+NAME\s+ROLE/);
    expect(rows.some((row) => /^team\s+bob\b/.test(row))).toBe(true);
    expect(rows.some((row) => /^team-2\s+alice\b/.test(row))).toBe(true);

    const peers = await bob.run(["peers", "--all"]);
    expect(peers.stdout.trim().split("\n")[0]).toMatch(/^MESH\s+NAME/);
    const one = await bob.run(["members", "--mesh", "team"]);
    expect(one.stdout.trim().split("\n")[0]).toMatch(/^NAME\s+ROLE/);
  });

  it("a config written with two meshes of one slug: that slug is ambiguous, and leave removes nothing", async () => {
    const user = new CliUser("legacy");
    try {
      await user.createMesh(brokerA, "ops", "legacy");
      await user.createMesh(brokerB, "ops-2", "legacy");
      const file = join(user.configDir, "config.json");
      const config = JSON.parse(readFileSync(file, "utf8")) as { meshes: Array<{ slug: string }> };
      for (const mesh of config.meshes) mesh.slug = "ops";
      writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
      const ids = (await user.runJson<ListJson>(["list"])).meshes.map((m) => m.mesh_id);

      for (const argv of [
        ["info", "--mesh", "ops", "--json"],
        ["leave", "ops", "-y", "--json"],
      ]) {
        const result = await user.run(argv);
        expect(result.code, argv.join(" ")).toBe(2);
        const error = errorOf(result);
        expect(error).toMatchObject({ code: "mesh_required", message: `"ops" matches several meshes` });
        for (const id of ids) expect(error.hint).toContain(id);
      }
      const unnamed = errorOf(await user.run(["send", "x", "hi", "--json"]));
      expect(unnamed.hint).toBe(`pass --mesh <slug> (one of: ${ids[0]} (ops), ${ids[1]} (ops))`);
      expect((await user.runJson<ListJson>(["list"])).meshes).toHaveLength(2);
      expect(await user.runJson(["info", "--mesh", ids[0] ?? ""])).toMatchObject({});
    } finally {
      await user.dispose();
    }
  });
});

describe("a broker gone for good", () => {
  it("leave says to use --force, --force leaves, and doctor names that command", async () => {
    const dave = new CliUser("dave");
    const gone = await startBroker();
    try {
      await dave.createMesh(brokerA, "home", "dave");
      await dave.createMesh(gone, "away", "dave");
      expect((await dave.run(["peers", "--all", "--mesh", "away"])).code).toBe(0);
      await gone.dispose();

      const refused = await dave.run(["leave", "away", "-y", "--json"]);
      expect(refused.code).toBe(4);
      expect(errorOf(refused).hint).toContain("`claudemesh leave away --force -y`");

      const doctor = json<{ checks: Array<{ name: string; level: string; fix: string | null }> }>(
        await dave.run(["doctor", "--json"]),
      );
      expect(doctor.checks).toContainEqual(
        expect.objectContaining({
          name: `broker ${gone.url}`,
          level: "fail",
          fix: expect.stringContaining("if it is gone for good: `claudemesh leave away --force -y`"),
        }),
      );

      expect(await dave.runJson(["leave", "away", "--force", "-y"])).toMatchObject({
        slug: "away",
        revoked: false,
      });
      expect(await slugs(dave)).toEqual(["home"]);
    } finally {
      await dave.dispose();
      await gone.dispose();
    }
  });

  it("rejoins a mesh after leaving it", async () => {
    const erin = new CliUser("erin");
    try {
      await erin.runJson(["join", await invite(alice, "team"), "--name", "erin"]);
      const again = await erin.run(["join", await invite(alice, "team"), "--name", "erin", "--json"]);
      expect(again.code).toBe(2);
      expect(errorOf(again).code).toBe("already_joined");
      expect(await erin.runJson(["leave", "team", "-y"])).toMatchObject({ revoked: true });
      expect(await erin.runJson(["join", await invite(alice, "team"), "--name", "erin"])).toMatchObject({
        slug: "team",
      });
    } finally {
      await erin.dispose();
    }
  });
});

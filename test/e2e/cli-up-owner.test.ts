/**
 * `claudemesh up` and what it owns: the broker's admin token stays out of its log (the data dir's
 * 0600 `admin-token` holds it), and `up` runs the broker of the mesh it created only — never one for a
 * mesh the user joined, even one called `local` — while still recognising a mesh an older `up` created.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidAlive } from "../../src/host/process-info.js";
import { waitUntil } from "../helpers/deadline.js";
import { CliUser } from "../helpers/cli.js";

interface UpJson {
  broker_url: string;
  broker_started: boolean;
  mesh: { mesh_id: string; slug: string; name: string; role: string };
  mesh_created: boolean;
  admin_token_file: string | null;
  invite: { link: string } | null;
}

interface ConfigFile {
  meshes: Array<{ mesh_id: string; slug: string; role: string; broker_url: string; local_broker?: boolean }>;
}

let carol: CliUser;
let dave: CliUser;
let erin: CliUser;

const brokerDir = (u: CliUser): string => join(u.configDir, "broker");
const configOf = (u: CliUser): ConfigFile =>
  JSON.parse(readFileSync(join(u.configDir, "config.json"), "utf8")) as ConfigFile;

function brokerPid(u: CliUser): number | null {
  try {
    return Number(readFileSync(join(brokerDir(u), "broker.pid"), "utf8").trim());
  } catch {
    return null;
  }
}

async function answers(brokerUrl: string): Promise<boolean> {
  const health = brokerUrl.replace(/^ws:/, "http:").replace(/\/ws$/, "/health");
  return fetch(health).then(
    (r) => r.ok,
    () => false,
  );
}

beforeAll(() => {
  carol = new CliUser("up-carol");
  dave = new CliUser("up-dave");
  erin = new CliUser("up-erin");
});

afterAll(async () => {
  const users = [carol, dave, erin];
  const pids = users.map((u) => (u ? brokerPid(u) : null));
  await Promise.all(users.map((u) => u?.dispose()));
  for (const pid of pids) {
    if (pid === null) continue;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
});

describe("claudemesh up and what it owns", () => {
  let carolUp: UpJson;
  let token: string;

  it("keeps the admin token out of the broker's log; the data dir's admin-token holds it", async () => {
    const result = await carol.run(["up", "--detach", "--port", "0", "--name", "carol"], {
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const tokenFile = join(brokerDir(carol), "admin-token");
    token = readFileSync(tokenFile, "utf8").trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const log = readFileSync(join(brokerDir(carol), "broker.log"), "utf8");
    expect(log).toContain("listening on");
    expect(log).not.toContain(token);
    // The terminal says where the token is, without the token itself.
    expect(result.stdout).toContain(`admin   token in ${tokenFile}`);
    expect(result.stdout + result.stderr).not.toContain(token);

    carolUp = await carol.runJson<UpJson>(["up"], { timeoutMs: 60_000 });
    expect(carolUp).toMatchObject({
      broker_started: false,
      mesh_created: false,
      admin_token_file: tokenFile,
      mesh: { slug: "local", role: "owner" },
    });
    expect(configOf(carol).meshes).toEqual([expect.objectContaining({ slug: "local", local_broker: true })]);
  }, 120_000);

  it("the token from admin-token creates a mesh on that broker, as the docs show", async () => {
    const created = await carol.createMesh({ url: carolUp.broker_url, adminToken: token }, "team", "carol");
    expect(created).toMatchObject({ slug: "team", broker_url: carolUp.broker_url });
    expect(readFileSync(join(brokerDir(carol), "broker.log"), "utf8")).not.toContain(token);
  }, 60_000);

  it("recognises the mesh an older up created (no mark in the config) and marks it", async () => {
    const path = join(carol.configDir, "config.json");
    const config = JSON.parse(readFileSync(path, "utf8")) as ConfigFile;
    for (const m of config.meshes) delete m.local_broker;
    writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });

    const again = await carol.runJson<UpJson>(["up"], { timeoutMs: 60_000 });
    expect(again).toMatchObject({
      broker_url: carolUp.broker_url,
      broker_started: false,
      mesh_created: false,
      mesh: { mesh_id: carolUp.mesh.mesh_id, slug: "local" },
    });
    const marked = configOf(carol).meshes.filter((m) => m.local_broker === true);
    expect(marked.map((m) => m.slug)).toEqual(["local"]);
  }, 90_000);

  it("beside a joined mesh called local, creates its own under a free slug and says so", async () => {
    await dave.runJson(["join", carolUp.invite?.link ?? "", "--name", "dave"]);
    expect(configOf(dave).meshes).toEqual([expect.objectContaining({ slug: "local", role: "member" })]);

    const result = await dave.run(["up", "--detach", "--port", "0", "--name", "dave"], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/mesh {4}local-2 \(created\), role owner/);
    expect(result.stdout).toContain(
      `local is a mesh you joined (${carolUp.broker_url}), so yours is local-2`,
    );
    const meshes = configOf(dave).meshes;
    expect(meshes).toHaveLength(2);
    expect(meshes.find((m) => m.slug === "local")?.local_broker).toBeUndefined();
    const own = meshes.find((m) => m.slug === "local-2");
    expect(own).toMatchObject({ role: "owner", local_broker: true });
    expect(own?.broker_url).not.toBe(carolUp.broker_url);
  }, 120_000);

  it("never takes a mesh called local that it owns on another broker for its own", async () => {
    // Erin made a mesh `local` on carol's broker (with its admin token): hers, on loopback, not up's.
    const made = await erin.createMesh({ url: carolUp.broker_url, adminToken: token }, "local", "erin");
    expect(made).toMatchObject({ slug: "local" });
    const result = await erin.run(["up", "--detach", "--port", "0"], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `local is a mesh on another broker (${carolUp.broker_url}), so yours is local-2`,
    );
    const meshes = configOf(erin).meshes;
    expect(meshes.find((m) => m.slug === "local")?.local_broker).toBeUndefined();
    const own = meshes.find((m) => m.slug === "local-2");
    expect(own).toMatchObject({ role: "owner", local_broker: true });
    expect(own?.broker_url).not.toBe(carolUp.broker_url);
  }, 120_000);

  it("with the joined mesh's broker down, runs its own mesh's broker and never one for the joined mesh", async () => {
    const pid = brokerPid(carol);
    expect(pid).not.toBeNull();
    process.kill(pid ?? 0, "SIGTERM");
    await waitUntil(() => !pidAlive(pid ?? 0), { timeoutMs: 15_000, message: "carol's broker did not stop" });

    const up = await dave.runJson<UpJson>(["up"], { timeoutMs: 60_000 });
    const own = configOf(dave).meshes.find((m) => m.slug === "local-2");
    expect(up).toMatchObject({
      broker_url: own?.broker_url,
      broker_started: false,
      mesh_created: false,
      mesh: { slug: "local-2", role: "owner" },
    });
    expect(await answers(carolUp.broker_url)).toBe(false);
  }, 90_000);
});

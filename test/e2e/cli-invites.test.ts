/**
 * `invite list` and `invite revoke` through the real CLI binary against a real broker process: an owner
 * revokes one of two links, a join with it is refused as revoked while the other still works, and a
 * plain member is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type BrokerProcess } from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";

interface InviteJson {
  link: string;
  code: string;
}

interface ListedInvite {
  code: string;
  state: string;
  role: string;
  uses: number;
  max_uses: number;
  expires_at: string;
  created_at: string;
  revoked_at: string | null;
  inviter_name: string;
  inviter_pubkey: string;
}

interface ErrorJson {
  error: { code: string; message: string; hint: string };
}

let broker: BrokerProcess;
let alice: CliUser;
let bob: CliUser;
let carol: CliUser;

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  bob = new CliUser("bob");
  carol = new CliUser("carol");
  await alice.createMesh(broker, "team", "alice");
});

afterAll(async () => {
  await Promise.all([alice, bob, carol].map((u) => u?.dispose()));
  await broker?.dispose();
});

describe("invite list and invite revoke", () => {
  let leaked: InviteJson;
  let kept: InviteJson;

  it("lists the invites an owner made, with the documented --json fields", async () => {
    leaked = await alice.runJson<InviteJson>(["invite", "--uses", "3", "--role", "admin"]);
    kept = await alice.runJson<InviteJson>(["invite"]);
    const { schema_version, invites } = await alice.runJson<{
      schema_version: string;
      invites: ListedInvite[];
    }>(["invite", "list"]);
    expect(schema_version).toBe("1");
    expect(invites.map((i) => i.code).sort()).toEqual([leaked.code, kept.code].sort());
    const who = await alice.runJson<{ meshes: Array<{ pubkey: string }> }>(["whoami"]);
    expect(invites.find((i) => i.code === leaked.code)).toEqual({
      code: leaked.code,
      state: "active",
      role: "admin",
      uses: 0,
      max_uses: 3,
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      revoked_at: null,
      inviter_name: "alice",
      inviter_pubkey: who.meshes[0]?.pubkey,
    });
    expect(JSON.stringify(invites)).not.toContain(leaked.link.split("#")[1]);
  });

  it("revokes an invite given its whole link; a join with that link is refused as revoked", async () => {
    const revoked = await alice.runJson<ListedInvite & { already_revoked: boolean }>([
      "invite",
      "revoke",
      leaked.link,
    ]);
    expect(revoked).toMatchObject({
      schema_version: "1",
      code: leaked.code,
      state: "revoked",
      already_revoked: false,
      revoked_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const refused = await bob.run(["join", leaked.link, "--name", "bob"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/this invite was revoked/);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect((await bob.runJson<{ meshes: unknown[] }>(["whoami"])).meshes).toEqual([]);

    const joined = await carol.runJson(["join", kept.link, "--name", "carol"]);
    expect(joined).toMatchObject({ slug: "team", display_name: "carol" });
  });

  it("shows the states in a table, --active only the ones that still work", async () => {
    const table = await alice.run(["invite", "list"]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^CODE\s+STATE\s+ROLE\s+USES\s+EXPIRES \(UTC\)\s+CREATED \(UTC\)\s+INVITER$/);
    expect(lines.find((l) => l.startsWith(leaked.code))).toMatch(/\brevoked\s+admin\s+0\/3\b.*\balice$/);
    expect(lines.find((l) => l.startsWith(kept.code))).toMatch(/\bexhausted\s+member\s+1\/1\b/);

    const active = await alice.run(["invite", "list", "--active"]);
    expect(active.stdout.trim()).toBe("no active invites");
    const fresh = await alice.runJson<InviteJson>(["invite"]);
    const { invites } = await alice.runJson<{ invites: ListedInvite[] }>(["invite", "list", "--active"]);
    expect(invites.map((i) => i.code)).toEqual([fresh.code]);
  });

  it("revoking again changes nothing and says so (exit 0); the code alone, in any case, is enough", async () => {
    const again = await alice.run(["invite", "revoke", leaked.code.toLowerCase()]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`invite ${leaked.code} was already revoked`));
    const asJson = await alice.runJson<{ already_revoked: boolean }>(["invite", "revoke", leaked.code]);
    expect(asJson.already_revoked).toBe(true);
  });

  it("refuses an unknown code (exit 2, not_found) and what is no code at all (exit 2)", async () => {
    const unknown = await alice.run(["invite", "revoke", "ZZZZZZZZ", "--json"]);
    expect(unknown.code).toBe(2);
    const error = JSON.parse(unknown.stderr) as ErrorJson;
    expect(error.error).toMatchObject({ code: "not_found", message: `"team" has no invite ZZZZZZZZ` });
    expect(error.error.hint).toMatch(/invite list/);

    const garbage = await alice.run(["invite", "revoke", "not-a-code"]);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/is not an invite code/);
    expect(garbage.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("refuses a plain member with exit 3, forbidden, for both", async () => {
    for (const args of [
      ["invite", "list"],
      ["invite", "revoke", kept.code],
    ]) {
      const result = await carol.run([...args, "--json"]);
      expect(result.code).toBe(3);
      expect(result.stdout).toBe("");
      const error = JSON.parse(result.stderr) as ErrorJson;
      expect(error.error.code).toBe("forbidden");
      expect(error.error.message).toMatch(/only the owner or an admin of "team" can .* \(you are a member\)/);
    }
    const human = await carol.run(["invite", "list"]);
    expect(human.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("documents both verbs in --help, and `invite --help` points to them", async () => {
    const help = await alice.run(["invite", "--help"]);
    expect(help.stdout).toMatch(/claudemesh invite list/);
    expect(help.stdout).toMatch(/claudemesh invite revoke <code>/);
    const revokeHelp = await alice.run(["invite", "revoke", "--help"]);
    expect(revokeHelp.code).toBe(0);
    expect(revokeHelp.stdout).toMatch(/^Usage: claudemesh invite revoke <code> \[flags\]/);
    expect(revokeHelp.stdout).toMatch(/whole link/);
    const missing = await alice.run(["invite", "revoke"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/code/);
  });
});

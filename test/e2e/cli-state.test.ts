/**
 * Shared state and contexts through the real CLI, real daemons and a real broker, each verb through the
 * daemon and with `--no-daemon`: JSON and string values, stdin, the 32 KB limit's own error, `state
 * watch`, context share/get/list with the search over decrypted summaries, and none of the plaintext
 * our clients wrote anywhere in the broker's data dir.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type BrokerProcess } from "../helpers/broker.js";
import { CliUser, json } from "../helpers/cli.js";
import { leaked, watchState } from "../helpers/state-watch.js";

let broker: BrokerProcess;
let alice: CliUser;
let bob: CliUser;
/** Every plaintext the users wrote; none may reach the broker's disk. */
const SECRETS: string[] = [];
function secret(label: string): string {
  const text = `PLAIN-${label}-${Math.random().toString(36).slice(2, 10)}`;
  SECRETS.push(text);
  return text;
}

interface Entry {
  key: string;
  value: unknown;
  updated_by: string;
  updated_at: string;
}
interface ContextView {
  peer_name: string;
  summary: string;
  files_read: string[];
  key_findings: string[];
  tags: string[];
  updated_at: string;
}

const MODES = [
  { name: "through the daemon", flags: [] as string[] },
  { name: "with --no-daemon", flags: ["--no-daemon"] },
];

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  bob = new CliUser("bob");
  await alice.createMesh(broker, "team", "alice");
  const { link } = await alice.runJson<{ link: string }>(["invite"]);
  await bob.runJson(["join", link, "--name", "bob"]);
  for (const user of [alice, bob]) expect((await user.run(["daemon", "up"])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await Promise.all([alice?.dispose(), bob?.dispose()]);
  await broker?.dispose();
});

describe.each(MODES)("state $name", ({ flags }) => {
  it("sets JSON when it parses, else a string; --string forces one; - reads stdin", async () => {
    const tag = flags.length === 0 ? "d" : "n";
    const obj = { release: secret(`obj-${tag}`), n: 3 };
    expect(await alice.runJson(["state", "set", `obj-${tag}`, JSON.stringify(obj), ...flags])).toEqual({
      schema_version: "1",
      key: `obj-${tag}`,
      ok: true,
    });
    const text = `${secret(`text-${tag}`)} not json`;
    await alice.runJson(["state", "set", `text-${tag}`, text, ...flags]);
    await alice.runJson(["state", "set", `num-${tag}`, "42", "--string", ...flags]);
    const piped = secret(`stdin-${tag}`);
    await alice.runJson(["state", "set", `stdin-${tag}`, "-", ...flags], { stdin: `{"piped":"${piped}"}\n` });

    const got = await bob.runJson<Entry>(["state", "get", `obj-${tag}`, ...flags]);
    expect(got).toEqual({
      schema_version: "1",
      key: `obj-${tag}`,
      value: obj,
      updated_by: "alice",
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    expect((await bob.runJson<Entry>(["state", "get", `text-${tag}`, ...flags])).value).toBe(text);
    expect((await bob.runJson<Entry>(["state", "get", `num-${tag}`, ...flags])).value).toBe("42");
    expect((await bob.runJson<Entry>(["state", "get", `stdin-${tag}`, ...flags])).value).toEqual({ piped });

    const { entries } = await bob.runJson<{ entries: Entry[] }>(["state", "list", ...flags]);
    expect(entries.map((e) => e.key)).toEqual(expect.arrayContaining([`obj-${tag}`, `text-${tag}`]));
    expect(entries.find((e) => e.key === `obj-${tag}`)?.value).toEqual(obj);

    const human = await bob.run(["state", "get", `text-${tag}`, ...flags]);
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toBe(text);
  });

  it("a missing key is null with exit 0", async () => {
    expect(await bob.runJson(["state", "get", "never-set", ...flags])).toEqual({
      schema_version: "1",
      key: "never-set",
      value: null,
      updated_by: "",
      updated_at: "",
    });
    const human = await bob.run(["state", "get", "never-set", ...flags]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("not set");
  });

  it("refuses a 40 KB value with too_large (exit 2), and one that only grows too large once encrypted", async () => {
    const big = await alice.run(["state", "set", "big", "-", "--json", ...flags], {
      stdin: "x".repeat(40_000),
    });
    expect(big.code).toBe(2);
    const error = json<{ error: { code: string; message: string; hint: string } }>({
      ...big,
      stdout: big.stderr,
    });
    expect(error.error.code).toBe("too_large");
    expect(error.error.message).toMatch(/too large.*32768/);
    // 30,000 bytes of JSON fit the broker's limit as plaintext, not as an encrypted envelope.
    const grown = await alice.run(["state", "set", "grown", "-", "--json", ...flags], {
      stdin: "y".repeat(30_000),
    });
    expect(grown.code).toBe(2);
    expect(
      json<{ error: { code: string; message: string } }>({ ...grown, stdout: grown.stderr }).error,
    ).toMatchObject({
      code: "too_large",
      message: expect.stringContaining("once encrypted"),
    });
    const deep = await alice.run(["state", "set", "deep", "-", "--json", ...flags], {
      stdin: `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
    });
    expect(deep.code).toBe(2);
    expect(
      json<{ error: { code: string; message: string } }>({ ...deep, stdout: deep.stderr }).error,
    ).toEqual({
      code: "invalid_argument",
      message: expect.stringMatching(/nested deeper than \d+ levels/),
      hint: expect.stringContaining("--string"),
    });
    const longKey = await alice.run(["state", "set", "k".repeat(257), "1", ...flags]);
    expect(longKey.code).toBe(2);
    expect(longKey.stderr).toMatch(/256/);
    expect((await bob.runJson<Entry>(["state", "get", "big", ...flags])).value).toBeNull();
    expect((await bob.runJson<Entry>(["state", "get", "deep", ...flags])).value).toBeNull();
  });

  it("state watch streams other peers' changes, one JSON object per line, for every key or one", async () => {
    const all = await watchState(bob, flags);
    const one = await watchState(bob, ["only-this", ...flags]);
    try {
      const value = secret("watched");
      await alice.runJson(["state", "set", "other-key", JSON.stringify({ value })]);
      await alice.runJson(["state", "set", "only-this", "7"]);
      expect(await all.next("other-key")).toEqual({
        schema_version: "1",
        key: "other-key",
        value: { value },
        updated_by: "alice",
        updated_at: expect.any(String),
      });
      expect(await all.next("only-this", 7)).toMatchObject({ updated_by: "alice" });
      expect(await one.next("only-this", 7)).toMatchObject({ key: "only-this", value: 7 });
      expect(one.lines().map((l) => l.key)).toEqual(["only-this"]);
      // A context shows up as _context:<name>, decrypted.
      const summary = secret("ctx-watched");
      await alice.runJson(["context", "share", summary]);
      expect(await all.next("_context:alice", summary)).toMatchObject({ updated_by: "alice" });
    } finally {
      expect(await all.stop()).toBe(0);
      expect(await one.stop()).toBe(0);
    }
  });
});

describe.each(MODES)("context $name", ({ flags }) => {
  it("shares (replacing the previous one), searches decrypted summaries and tags, lists", async () => {
    const tag = flags.length === 0 ? "d" : "n";
    const summary = `Refactoring the Auth middleware ${secret(`summary-${tag}`)}`;
    const file = `src/${secret(`file-${tag}`)}.ts`;
    const finding = secret(`finding-${tag}`);
    const shared = await bob.runJson<{ id: string }>([
      "context",
      "share",
      summary,
      "--files",
      `${file},README.md`,
      "--findings",
      `${finding}; second finding`,
      "--tags",
      `auth,tag-${tag}`,
      ...flags,
    ]);
    expect(shared.id).toEqual(expect.any(String));
    const found = await alice.runJson<{ contexts: ContextView[] }>([
      "context",
      "get",
      "auth MIDDLEWARE",
      ...flags,
    ]);
    expect(found.contexts).toEqual([
      {
        peer_name: "bob",
        summary,
        files_read: [file, "README.md"],
        key_findings: [finding, "second finding"],
        tags: ["auth", `tag-${tag}`],
        updated_at: expect.any(String),
      },
    ]);
    expect(
      (await alice.runJson<{ contexts: ContextView[] }>(["context", "get", `tag-${tag}`, ...flags])).contexts,
    ).toHaveLength(1);
    expect(
      (await alice.runJson<{ contexts: ContextView[] }>(["context", "get", "nothing-like-it", ...flags]))
        .contexts,
    ).toEqual([]);

    const replaced = await bob.runJson<{ id: string }>(["context", "share", "now on docs", ...flags]);
    expect(replaced.id).toBe(shared.id);
    const { contexts } = await alice.runJson<{ contexts: ContextView[] }>(["context", "list", ...flags]);
    expect(contexts.find((c) => c.peer_name === "bob")).toMatchObject({
      summary: "now on docs",
      files_read: [],
      tags: [],
    });

    const human = await alice.run(["context", "list", ...flags]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("now on docs");
  });

  it("refuses an empty summary and an empty query with exit 2", async () => {
    const empty = await bob.run(["context", "share", " ", "--json", ...flags]);
    expect(empty.code).toBe(2);
    expect(json<{ error: { code: string } }>({ ...empty, stdout: empty.stderr }).error.code).toBe(
      "invalid_argument",
    );
    expect((await bob.run(["context", "get", "", ...flags])).code).toBe(2);
  });
});

describe("what the broker keeps", () => {
  it("holds none of the plaintext the CLI wrote in any file of its data dir", async () => {
    expect(SECRETS.length).toBeGreaterThan(10);
    // The info verb counts the keys (names are metadata the broker may see).
    const info = await alice.runJson<{ state_keys: string[] }>(["info"]);
    expect(info.state_keys).toEqual(expect.arrayContaining(["obj-d", "obj-n", "only-this"]));
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(broker.dataDir);
    expect(files.some((f) => f.endsWith(".db") || f.endsWith(".sqlite"))).toBe(true);
    for (const file of files)
      expect({ file, leaked: leaked(readFileSync(file), SECRETS) }).toEqual({ file, leaked: [] });
    // The scan does find what the broker may see: the key names.
    expect(files.some((f) => leaked(readFileSync(f), ["only-this"]).length > 0)).toBe(true);
  });
});

/**
 * Files through the real CLI, real daemons and a real broker (three users, three HOMEs): a 5 MiB file shared
 * `--to bob` downloads byte-identical for bob (through his daemon and with `--no-daemon`) and is `forbidden`
 * (exit 3) for carol, who gets nothing written; bob's daemon raises `file_shared`; list, info and delete
 * rules; and nothing in the broker's data dir holds the file's plaintext. A get never replaces a file
 * unless `--force`, saves into a directory under the shared name, and never uses a shared name that is not
 * a plain file name (a dotfile, `..`); sizes are the file's own, and exactly 50 MiB may be shared. A share
 * or get naming a
 * `transfer_id` streams `file_progress` events up to `done === total`, and on a terminal the CLI draws them
 * as a progress bar (through the daemon and with `--no-daemon`), none with `--json`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, waitUntil, type BrokerProcess, filesUnder } from "../helpers/broker.js";
import { CLI_BIN, CliUser, type CliResult } from "../helpers/cli.js";
import { DaemonClient } from "../../src/daemon-api/client.js";
import { daemonEvents, type DaemonEvent } from "../../src/daemon-api/events.js";

interface Shared {
  id: string;
  name: string;
  size: number;
  sha256: string;
}

function errorOf(result: CliResult): { code: string; message: string } {
  return (JSON.parse(result.stderr) as { error: { code: string; message: string } }).error;
}

/** `script` (util-linux) runs a command on a pseudo-terminal, the way a user's shell does. */
const HAS_SCRIPT = (() => {
  try {
    return statSync("/usr/bin/script").isFile();
  } catch {
    return false;
  }
})();

/**
 * Runs the CLI as `user` on a pseudo-terminal; stdout and stderr come back as one text, with each
 * line-clearing `\r ESC[2K` shown as `<clear>`.
 */
async function onTerminal(user: CliUser, args: readonly string[]): Promise<string> {
  const command = [process.execPath, CLI_BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const { stdout } = await promisify(execFile)("/usr/bin/script", ["-qfec", command, "/dev/null"], {
    // A terminal outside CI (the bar, like the spinner, stays off under CI).
    env: { ...user.env, TERM: "xterm", CI: "" },
  });
  return stdout.replaceAll("\r\u001b[2K", "<clear>");
}

describe("file share|get|list|delete through the CLI", () => {
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
    for (const user of [bob, carol]) {
      const { link } = await alice.runJson<{ link: string }>(["invite"]);
      await user.runJson(["join", link, "--name", user.name]);
    }
    for (const user of [alice, bob]) expect((await user.run(["daemon", "up"])).code).toBe(0);
    await waitUntil(
      async () =>
        (await alice.runJson<{ peers: Array<{ display_name: string }> }>(["peers", "--all"])).peers.some(
          (p) => p.display_name === "bob",
        ),
      { timeoutMs: 20_000, message: "alice never saw bob's daemon" },
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice, bob, carol].map((u) => u?.dispose()));
    await broker?.dispose();
  });

  it("5 MiB shared --to bob: byte-identical for bob, forbidden for carol, announced to bob's daemon", async () => {
    const events = new DaemonClient({ socketPath: join(bob.daemonDir, "daemon.sock"), token: null });
    const abort = new AbortController();
    const seen: DaemonEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      void (async () => {
        try {
          for await (const event of daemonEvents(events, { signal: abort.signal, onOpen: resolve }))
            seen.push(event);
        } catch (error) {
          if (!abort.signal.aborted) reject(error instanceof Error ? error : new Error(String(error)));
        }
      })();
    });

    const marker = Buffer.from(`cli-plaintext-${randomBytes(8).toString("hex")}|`);
    const content = Buffer.concat([marker, randomBytes(5 * 1024 * 1024 - marker.length)]);
    const source = join(alice.root, "design.bin");
    writeFileSync(source, content);
    let shared: Shared;
    try {
      shared = await alice.runJson<Shared>(["file", "share", source, "--to", "bob"]);
      expect(shared).toMatchObject({
        name: "design.bin",
        size: content.length,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      await waitUntil(() => seen.find((e) => e.event === "file_shared"), {
        timeoutMs: 10_000,
        message: "no file_shared event",
      });
      expect(seen.find((e) => e.event === "file_shared")?.data).toMatchObject({
        mesh: "team",
        fileId: shared.id,
        name: "design.bin",
        from: "alice",
      });
    } finally {
      abort.abort();
    }

    for (const extra of [[], ["--no-daemon"]]) {
      const target = join(bob.root, `got${extra.length}.bin`);
      const got = await bob.runJson<Shared & { path: string }>([
        "file",
        "get",
        shared.id,
        "-o",
        target,
        ...extra,
      ]);
      expect(got).toMatchObject({ id: shared.id, size: content.length, sha256: shared.sha256, path: target });
      expect(readFileSync(target).equals(content)).toBe(true);
      expect(statSync(target).mode & 0o777).toBe(0o600);
    }

    const refusedPath = join(carol.root, "stolen.bin");
    const refused = await carol.run(["file", "get", shared.id, "-o", refusedPath, "--json", "--no-daemon"]);
    expect(refused.code).toBe(3);
    expect(errorOf(refused).code).toBe("forbidden");
    expect(existsSync(refusedPath)).toBe(false);

    const bobList = await bob.runJson<{
      files: Array<{ id: string; name: string; size: number; uploaded_by: string; persistent: boolean }>;
    }>(["file", "list"]);
    expect(bobList.files).toContainEqual(
      expect.objectContaining({
        id: shared.id,
        name: "design.bin",
        size: content.length,
        uploaded_by: "alice",
        persistent: false,
      }),
    );
    const carolList = await carol.runJson<{ files: Array<{ id: string }> }>(["file", "list", "--no-daemon"]);
    expect(carolList.files.map((f) => f.id)).not.toContain(shared.id);

    const needle = marker;
    for (const file of filesUnder(broker.dataDir))
      expect(readFileSync(file).includes(needle), file).toBe(false);
  }, 120_000);

  it("without --to every member may open it; only the uploader or an admin deletes it", async () => {
    const source = join(bob.root, "notes.txt");
    writeFileSync(source, "shared notes for everyone\n");
    const shared = await bob.runJson<Shared>([
      "file",
      "share",
      source,
      "--name",
      "notes-v2.txt",
      "--persistent",
    ]);
    expect(shared.name).toBe("notes-v2.txt");
    const target = join(carol.root, "notes.txt");
    await carol.runJson(["file", "get", shared.id, "-o", target, "--no-daemon"]);
    expect(readFileSync(target, "utf8")).toBe("shared notes for everyone\n");
    expect((await alice.runJson<{ file_count: number }>(["info"])).file_count).toBeGreaterThanOrEqual(1);

    const fromCarol = join(carol.root, "answer.txt");
    writeFileSync(fromCarol, "carol's answer\n");
    const answer = await carol.runJson<Shared>(["file", "share", fromCarol, "--to", "alice", "--no-daemon"]);
    const answerPath = join(alice.root, "answer.txt");
    await alice.runJson(["file", "get", answer.id, "-o", answerPath]);
    expect(readFileSync(answerPath, "utf8")).toBe("carol's answer\n");

    const denied = await carol.run(["file", "delete", shared.id, "--json", "--no-daemon"]);
    expect(denied.code).toBe(3);
    expect(errorOf(denied).code).toBe("forbidden");
    // Alice owns the mesh.
    expect(await alice.runJson(["file", "delete", shared.id])).toEqual({
      schema_version: "1",
      id: shared.id,
      deleted: true,
    });
    const gone = await bob.run(["file", "get", shared.id, "-o", join(bob.root, "x"), "--json"]);
    expect(errorOf(gone).code).toBe("not_found");
  }, 60_000);

  it("a file for every member opens for one who joins after it was shared; one --to bob does not", async () => {
    const source = join(bob.root, "handbook.md");
    writeFileSync(source, "# how we work\n");
    const forAll = await bob.runJson<Shared>(["file", "share", source]);
    const onlyBob = await alice.runJson<Shared>(["file", "share", source, "--to", "bob", "--name", "b.md"]);

    const dave = new CliUser("dave");
    try {
      const { link } = await alice.runJson<{ link: string }>(["invite"]);
      await dave.runJson(["join", link, "--name", "dave"]);
      const listed = await dave.runJson<{ files: Array<{ id: string }> }>(["file", "list"]);
      expect(listed.files.map((f) => f.id)).toContain(forAll.id);
      expect(listed.files.map((f) => f.id)).not.toContain(onlyBob.id);
      const target = join(dave.root, "handbook.md");
      const got = await dave.runJson<Shared & { path: string }>(["file", "get", forAll.id, "-o", target]);
      expect(got.sha256).toBe(forAll.sha256);
      expect(readFileSync(target, "utf8")).toBe("# how we work\n");
      const denied = await dave.run(["file", "get", onlyBob.id, "-o", join(dave.root, "b.md"), "--json"]);
      expect(denied.code).toBe(3);
      expect(errorOf(denied).code).toBe("forbidden");
    } finally {
      await dave.dispose();
    }
  }, 60_000);

  it("a share and a get that name a transfer_id stream file_progress events up to done === total", async () => {
    const source = join(alice.root, "progress.bin");
    const content = randomBytes(3 * 1024 * 1024);
    writeFileSync(source, content);
    const follow = async (user: CliUser, transfer: () => Promise<unknown>): Promise<DaemonEvent[]> => {
      const client = new DaemonClient({ socketPath: join(user.daemonDir, "daemon.sock"), token: null });
      const abort = new AbortController();
      const seen: DaemonEvent[] = [];
      const streaming = new Promise<void>((opened, reject) => {
        void (async () => {
          try {
            for await (const event of daemonEvents(client, { signal: abort.signal, onOpen: opened }))
              if (event.event === "file_progress") seen.push(event);
          } catch (error) {
            if (!abort.signal.aborted) reject(error instanceof Error ? error : new Error(String(error)));
          }
        })();
      });
      await streaming;
      try {
        await transfer();
        await waitUntil(
          () =>
            seen.some(
              (e) => (e.data as { done: number; total: number }).done === (e.data as { total: number }).total,
            ),
          { timeoutMs: 10_000, message: "no final file_progress event" },
        );
      } finally {
        abort.abort();
      }
      return seen;
    };
    const expectProgress = (seen: DaemonEvent[], transferId: string, direction: "up" | "down"): void => {
      const mine = seen
        .map((e) => e.data as Record<string, unknown>)
        .filter((d) => d.transferId === transferId);
      expect(mine.length).toBeGreaterThan(0);
      for (const d of mine) expect(d).toMatchObject({ mesh: "team", transferId, direction });
      const done = mine.map((d) => d.done as number);
      expect(done).toEqual([...done].sort((a, b) => a - b));
      const last = mine.at(-1)!;
      expect(last.done).toBe(last.total);
      expect(last.total as number).toBeGreaterThanOrEqual(content.length);
    };

    const alicePath = join(alice.root, "progress.bin");
    const aliceApi = new DaemonClient({ socketPath: join(alice.daemonDir, "daemon.sock"), token: null });
    let shared: Shared | undefined;
    const upSeen = await follow(alice, async () => {
      shared = await aliceApi.call("shareFile", {
        path: alicePath,
        to: ["bob"],
        transfer_id: "up-transfer-1",
      });
    });
    expectProgress(upSeen, "up-transfer-1", "up");

    const target = join(bob.root, "progress-got.bin");
    const bobApi = new DaemonClient({ socketPath: join(bob.daemonDir, "daemon.sock"), token: null });
    const downSeen = await follow(bob, () =>
      bobApi.call("getFile", { id: shared!.id, path: target, transfer_id: "down-transfer-1" }),
    );
    expectProgress(downSeen, "down-transfer-1", "down");
    expect(readFileSync(target).equals(content)).toBe(true);
  }, 60_000);

  it.skipIf(!HAS_SCRIPT)(
    "on a terminal share and get draw a byte progress bar, cleared before the result; --json draws none",
    async () => {
      const source = join(alice.root, "bar.bin");
      writeFileSync(source, randomBytes(4 * 1024 * 1024));
      const bar = /<clear>(uploading|downloading) bar\.bin \[[█░]{20}\] [\d.]+ (B|KiB|MiB) \/ 4\.0 MiB +\d+%/;
      const shared = await onTerminal(alice, ["file", "share", source, "--to", "bob"]);
      expect(shared).toMatch(bar);
      expect(shared).toMatch(/<clear>shared bar\.bin \(4\.0 MiB\) as \S+\r\n$/);
      const id = /as (\S+)\r\n$/.exec(shared)![1]!;
      for (const extra of [[], ["--no-daemon"]]) {
        const dir = mkdtempSync(join(bob.root, "bar-"));
        const got = await onTerminal(bob, ["file", "get", id, "-o", join(dir, "bar.bin"), ...extra]);
        expect(got).toMatch(bar);
        expect(got).toMatch(/<clear>saved bar\.bin \(4\.0 MiB, sha256 [0-9a-f]{16}…\) to \S+\r\n$/);
      }
      const quiet = await onTerminal(bob, ["file", "get", id, "-o", join(bob.root, "bar2.bin"), "--json"]);
      expect(quiet).not.toContain("<clear>");
      expect(JSON.parse(quiet)).toMatchObject({ id, size: 4 * 1024 * 1024 });
    },
    60_000,
  );

  it("get never replaces a file unless --force, and saves into a directory under the shared name", async () => {
    const source = join(alice.root, "report.txt");
    writeFileSync(source, "hello world");
    const shared = await alice.runJson<Shared>(["file", "share", source]);
    expect(shared.size).toBe(11);

    const cwd = mkdtempSync(join(bob.root, "cwd-"));
    const mine = join(cwd, "report.txt");
    writeFileSync(mine, "bob's own report\n");
    for (const [args, daemonMode] of [
      [[], []],
      [["-o", mine], ["--no-daemon"]],
    ] as const) {
      const refused = await bob.run(["file", "get", shared.id, ...args, ...daemonMode, "--json"], { cwd });
      expect(refused.code).toBe(2);
      const error = (JSON.parse(refused.stderr) as { error: { code: string; message: string; hint: string } })
        .error;
      expect(error).toMatchObject({ code: "file_exists", message: expect.stringContaining(mine) });
      expect(error.hint).toContain("--force");
      expect(error.hint).toContain("-o <path>");
      expect(readFileSync(mine, "utf8")).toBe("bob's own report\n");
      expect(readdirSync(cwd)).toEqual(["report.txt"]);
    }
    const plain = await bob.run(["file", "get", shared.id], { cwd });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain(mine);
    expect(plain.stderr).toContain("--force");

    const forced = await bob.runJson<Shared & { path: string }>(["file", "get", shared.id, "--force"], {
      cwd,
    });
    expect(forced).toMatchObject({ id: shared.id, name: "report.txt", size: 11, path: mine });
    expect(readFileSync(mine, "utf8")).toBe("hello world");
    expect(readdirSync(cwd)).toEqual(["report.txt"]);

    const into = mkdtempSync(join(bob.root, "into-"));
    for (const extra of [[], ["--no-daemon"]]) {
      const dir = join(into, `d${extra.length}`);
      mkdirSync(dir);
      const got = await bob.runJson<Shared & { path: string }>([
        "file",
        "get",
        shared.id,
        "-o",
        dir,
        ...extra,
      ]);
      expect(got.path).toBe(join(dir, "report.txt"));
      expect(readFileSync(join(dir, "report.txt"), "utf8")).toBe("hello world");
      const again = await bob.run(["file", "get", shared.id, "-o", dir, ...extra, "--json"]);
      expect(again.code).toBe(2);
      expect(errorOf(again).code).toBe("file_exists");
      expect(readdirSync(dir)).toEqual(["report.txt"]);
    }
    // The list shows the file's own size too, not the 40 bytes more the broker stores.
    const table = await bob.run(["file", "list"]);
    expect(table.stdout).toMatch(new RegExp(`${shared.id}\\s+report\\.txt\\s+11 B\\s`));
  }, 60_000);

  it("a shared name that is not a plain file name is never used: a dotfile, `..`", async () => {
    const source = join(alice.root, "payload.sh");
    writeFileSync(source, "echo pwned\n");
    const home = mkdtempSync(join(bob.root, "home-"));
    const rc = join(home, ".bashrc");
    writeFileSync(rc, "# bob's shell\n");
    for (const [name, extra] of [
      [".bashrc", []],
      [".bashrc", ["--no-daemon"]],
      [".envrc", []],
      ["..", []],
    ] as const) {
      const shared = await alice.runJson<Shared>(["file", "share", source, "--name", name]);
      const refused = await bob.run(["file", "get", shared.id, ...extra, "--json"], { cwd: home });
      expect(refused.code, name).toBe(2);
      expect(errorOf(refused), name).toMatchObject({
        code: "unsafe_file_name",
        message: expect.stringContaining(JSON.stringify(name)),
      });
      const intoDir = await bob.run(["file", "get", shared.id, "-o", home, ...extra, "--json"]);
      expect(errorOf(intoDir).code, name).toBe("unsafe_file_name");
      expect(readdirSync(home)).toEqual([".bashrc"]);
      expect(readFileSync(rc, "utf8")).toBe("# bob's shell\n");
    }
    // Named by the user, a dotfile is fine.
    const shared = await alice.runJson<Shared>(["file", "share", source, "--name", ".envrc"]);
    const chosen = join(home, ".envrc");
    await bob.runJson(["file", "get", shared.id, "-o", chosen]);
    expect(readFileSync(chosen, "utf8")).toBe("echo pwned\n");
  }, 60_000);

  it("the 50 MiB limit is on the file: exactly 50 MiB is shared, one byte more is refused", async () => {
    const limit = 50 * 1024 * 1024;
    const source = join(alice.root, "limit.bin");
    writeFileSync(source, "");
    truncateSync(source, limit + 1);
    const over = await alice.run(["file", "share", source, "--to", "bob", "--json"]);
    expect(over.code).toBe(2);
    expect(errorOf(over)).toMatchObject({ code: "too_large", message: expect.stringContaining("50 MiB") });
    truncateSync(source, limit);
    const shared = await alice.runJson<Shared>(["file", "share", source, "--to", "bob"], {
      timeoutMs: 60_000,
    });
    expect(shared.size).toBe(limit);
    const listed = await bob.runJson<{ files: Array<{ id: string; size: number }> }>(["file", "list"]);
    expect(listed.files.find((f) => f.id === shared.id)?.size).toBe(limit);
    await alice.runJson(["file", "delete", shared.id]);
  }, 120_000);

  it("bad input gets a coded error: a missing file, an unknown recipient", async () => {
    const missing = await alice.run(["file", "share", join(alice.root, "nope.bin"), "--json"]);
    expect(missing.code).not.toBe(0);
    expect(errorOf(missing).code).toBe("not_found");
    const source = join(alice.root, "small.txt");
    writeFileSync(source, "x");
    const nobody = await alice.run(["file", "share", source, "--to", "zed", "--json"]);
    expect(errorOf(nobody).code).toBe("unknown_target");
  }, 60_000);
});

/** The benchmark's command line: the store and node flags, and the bad input they refuse. */
import { describe, expect, it } from "vitest";
import { parseBenchArgs, UsageError } from "../../bench/options.js";

const SERVER = "postgres://bench:pw@127.0.0.1:5432/postgres";

describe("bench options", () => {
  it("runs one broker on SQLite by default", () => {
    expect(parseBenchArgs([])).toMatchObject({ databaseUrl: null, nodes: 1, peers: 100 });
  });

  it("runs as many client workers as the broker nodes leave cores for, 1 to 4, unless told", () => {
    expect(parseBenchArgs([], {}, 2)?.workers).toBe(1);
    expect(parseBenchArgs([], {}, 4)?.workers).toBe(3);
    expect(parseBenchArgs([], {}, 16)?.workers).toBe(4);
    expect(parseBenchArgs(["--nodes", "3", "--database-url", SERVER], {}, 2)?.workers).toBe(1);
    expect(parseBenchArgs(["--nodes", "3", "--database-url", SERVER], {}, 6)?.workers).toBe(3);
    expect(parseBenchArgs(["--peers", "2"], {}, 16)?.workers).toBe(2);
    expect(parseBenchArgs(["--workers", "4"], {}, 2)?.workers).toBe(4);
  });

  it("takes the PostgreSQL server from --database-url, or else from DATABASE_URL", () => {
    expect(parseBenchArgs(["--database-url", SERVER])?.databaseUrl).toBe(SERVER);
    expect(parseBenchArgs([], { DATABASE_URL: SERVER })?.databaseUrl).toBe(SERVER);
    const flag = "postgresql://other@db.example:6543/x";
    expect(parseBenchArgs(["--database-url", flag], { DATABASE_URL: SERVER })?.databaseUrl).toBe(flag);
    expect(parseBenchArgs([], { DATABASE_URL: "" })?.databaseUrl).toBeNull();
  });

  it("runs several nodes on one database", () => {
    expect(parseBenchArgs(["--nodes", "3", "--database-url", SERVER])).toMatchObject({
      nodes: 3,
      databaseUrl: SERVER,
    });
    expect(parseBenchArgs(["--nodes", "3", "--rate", "1000"], { DATABASE_URL: SERVER })).toMatchObject({
      nodes: 3,
      rate: 1000,
    });
  });

  it("refuses what cannot run, saying why and never echoing the URL", () => {
    const refused = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      try {
        parseBenchArgs(argv, env);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error(`accepted: ${argv.join(" ")}`);
    };
    expect(refused(["--nodes", "2"])).toMatch(/--nodes 2 needs --database-url/);
    expect(refused(["--nodes", "0", "--database-url", SERVER])).toMatch(/--nodes must be an integer ≥ 1/);
    expect(refused(["--nodes", "5", "--peers", "4", "--database-url", SERVER])).toMatch(
      /more than the 4 peers/,
    );
    expect(refused(["--idle-peers", "10", "--nodes", "2", "--database-url", SERVER])).toMatch(/--idle-peers/);
    const secret = "mysql://bench:s3cret@127.0.0.1/x";
    const message = refused(["--database-url", secret]);
    expect(message).toMatch(/must be a postgres:\/\/ URL/);
    expect(message).not.toContain("s3cret");
    expect(refused([], { DATABASE_URL: "not a url s3cret" })).toMatch(/^DATABASE_URL is not a URL/);
  });

  it("keeps --idle-peers working on PostgreSQL", () => {
    expect(parseBenchArgs(["--idle-peers", "50", "--restart", "--database-url", SERVER])).toMatchObject({
      idlePeers: 50,
      restart: true,
      databaseUrl: SERVER,
      nodes: 1,
    });
  });
});

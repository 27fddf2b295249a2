/**
 * The user config's broker address: files written before `broker_urls` existed load and save unchanged,
 * a list of cluster nodes is kept with the primary first, and a bad list is refused naming the field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  brokerUrlFields,
  loadConfig,
  meshBrokerUrls,
  saveConfig,
  updateConfig,
} from "../../src/host/config.js";
import { userHome } from "../../src/host/paths.js";
import { claudeFiles } from "../../src/claude-code/files.js";

const dir = mkdtempSync(join(tmpdir(), "cm-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A mesh entry as a version without `broker_urls` wrote it. */
const OLD_MESH = {
  mesh_id: "mesh-1",
  slug: "team",
  name: "team",
  broker_url: "ws://127.0.0.1:7900/ws",
  member_id: "member-1",
  pubkey: "a".repeat(64),
  secret_key: "b".repeat(128),
  root_key: "c".repeat(43),
  display_name: "alice",
  role: "owner",
  owner_pubkey: "a".repeat(64),
  joined_at: "2025-01-01T00:00:00.000Z",
};

function write(meshes: unknown[]): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, `${JSON.stringify({ version: 1, meshes }, null, 2)}\n`);
  return path;
}

describe("config broker URLs", () => {
  it("loads and rewrites a file that has only broker_url byte for byte", () => {
    const path = write([OLD_MESH]);
    const before = readFileSync(path, "utf8");
    const config = loadConfig(path);
    expect(config.meshes[0]?.broker_urls).toBeUndefined();
    expect(meshBrokerUrls(config.meshes[0] ?? OLD_MESH)).toEqual([OLD_MESH.broker_url]);
    updateConfig(() => undefined, path);
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  it("keeps the nodes of a broker cluster, primary first, and always writes broker_url", () => {
    const urls = ["wss://a.example/ws", "wss://b.example/ws", "wss://c.example:8443/p/ws"];
    const path = join(dir, `config-${++files}.json`);
    saveConfig({ version: 1, meshes: [{ ...OLD_MESH, role: "owner", ...brokerUrlFields(urls) }] }, path);
    const raw = JSON.parse(readFileSync(path, "utf8")) as { meshes: Array<Record<string, unknown>> };
    expect(raw.meshes[0]?.broker_url).toBe(urls[0]);
    expect(raw.meshes[0]?.broker_urls).toEqual(urls);
    expect(meshBrokerUrls(loadConfig(path).meshes[0] ?? OLD_MESH)).toEqual(urls);
    // One URL is stored the old way, with no list.
    expect(brokerUrlFields([urls[0] ?? ""])).toEqual({ broker_url: urls[0] });
  });

  it("refuses a bad list, naming the field and the problem", () => {
    const bad = (broker_urls: unknown, broker_url = "wss://a.example/ws") =>
      loadConfig(write([{ ...OLD_MESH, broker_url, broker_urls }]));
    expect(() => bad(["wss://a.example/ws", "wss://a.example/ws"])).toThrow(ConfigError);
    expect(() => bad(["wss://a.example/ws", "wss://a.example/ws"])).toThrow(
      /field "meshes\.0\.broker_urls" lists "wss:\/\/a\.example\/ws" twice/,
    );
    expect(() => bad(["wss://a.example/ws", "https://b.example/ws"])).toThrow(
      /field "meshes\.0\.broker_urls\.1" must start with ws:\/\/ or wss:\/\//,
    );
    expect(() => bad(["wss://b.example/ws", "wss://a.example/ws"])).toThrow(
      /field "meshes\.0\.broker_urls" must start with broker_url/,
    );
    expect(() => bad([])).toThrow(/field "meshes\.0\.broker_urls" lists no broker URL/);
    expect(() => bad("wss://a.example/ws")).toThrow(/field "meshes\.0\.broker_urls"/);
  });
});

describe("the home directory", () => {
  it("is HOME when that is an absolute path, else the account's: never the working directory", () => {
    const account = userInfo().homedir;
    expect(userHome({ HOME: "/home/someone" })).toBe("/home/someone");
    for (const HOME of [undefined, "", "  ", "relative/dir", "."]) expect(userHome({ HOME })).toBe(account);
    expect(claudeFiles.dir({ HOME: "" })).toBe(join(account, ".claude"));
  });
});

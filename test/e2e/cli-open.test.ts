/**
 * `claudemesh open` through the platform opener: the browser is sent to a one-time page on 127.0.0.1, so
 * the login link (member secret key, mesh root key) never appears on the opener's or the browser's command
 * line, where other local users could read it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type BrokerProcess } from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";

let broker: BrokerProcess;
let alice: CliUser;
let bin: string;

/**
 * A stand-in for `xdg-open` and the browser: records its arguments, loads the page twice (the second
 * load must find nothing) and keeps what the first one answered.
 */
function fakeOpener(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, "xdg-open");
  writeFileSync(
    script,
    `#!/usr/bin/env node
const { writeFileSync } = require("node:fs");
const out = ${JSON.stringify(dir)};
writeFileSync(out + "/argv.json", JSON.stringify(process.argv.slice(2)));
(async () => {
  const first = await fetch(process.argv[2]);
  writeFileSync(out + "/page.html", await first.text());
  // The page is gone once taken: refused, or not found.
  const again = await fetch(process.argv[2]).then((r) => String(r.status), () => "refused");
  writeFileSync(out + "/again.txt", again);
})().catch((err) => { writeFileSync(out + "/error.txt", String(err)); process.exit(1); });
`,
  );
  chmodSync(script, 0o755);
}

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("open-alice");
  await alice.createMesh(broker, "team", "alice");
  bin = join(alice.root, "bin");
}, 60_000);

afterAll(async () => {
  await alice?.dispose();
  await broker?.dispose();
});

describe.skipIf(process.platform !== "linux")("claudemesh open with a browser", () => {
  it("hands the login link over through a one-time local page, never on a command line", async () => {
    fakeOpener(bin);
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}` };
    const out = await alice.runJson<{ url: string; opened: boolean }>(["open"], { env });
    expect(out).toEqual({ schema_version: "1", url: `${broker.httpUrl}/`, opened: true });

    const argv = JSON.parse(readFileSync(join(bin, "argv.json"), "utf8")) as string[];
    expect(argv).toHaveLength(1);
    expect(argv[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}$/);
    const config = readFileSync(join(alice.configDir, "config.json"), "utf8");
    const secretKey = (JSON.parse(config) as { meshes: { secret_key: string }[] }).meshes[0]!.secret_key;
    expect(argv[0]).not.toContain("#login=");
    expect(argv[0]).not.toContain(secretKey);

    // The page takes the browser on to the login link, which holds the membership.
    const page = readFileSync(join(bin, "page.html"), "utf8");
    const link = /location\.replace\("([^"]+)"\)/.exec(page)?.[1] ?? "";
    expect(link.startsWith(`${broker.httpUrl}/#login=`)).toBe(true);
    const payload = JSON.parse(Buffer.from(link.split("#login=")[1] ?? "", "base64url").toString("utf8"));
    expect(payload).toMatchObject({ kind: "claudemesh-login", membership: { displayName: "alice" } });
    expect(payload.membership.secretKey).toBe(secretKey);
    // Once only.
    expect(["404", "refused"]).toContain(readFileSync(join(bin, "again.txt"), "utf8"));
    expect(existsSync(join(bin, "error.txt"))).toBe(false);
  });

  it("prints the link when no browser comes for the page", async () => {
    const dir = join(alice.root, "no-browser");
    mkdirSync(dir, { recursive: true });
    // An opener that starts and returns, and a browser that never loads anything.
    writeFileSync(join(dir, "xdg-open"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(dir, "xdg-open"), 0o755);
    const env = { PATH: `${dir}:${process.env.PATH ?? ""}`, CLAUDEMESH_OPEN_WAIT_MS: "200" };
    const result = await alice.run(["open"], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("no browser came for the login page");
    expect(result.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#login=[A-Za-z0-9_-]+$/);
  });
});

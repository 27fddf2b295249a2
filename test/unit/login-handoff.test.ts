/** The one-time login page of `claudemesh open`: another local user who learned its address gets nothing. */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { serveLoginOnce } from "../../src/cli/login-handoff.js";

const LINK = "http://127.0.0.1:1/#login=secret";
const asRoot = process.platform === "linux" && process.getuid?.() === 0;

/** A GET of `url` from a process running as `uid`: its status and whether it saw the link, or "refused". */
function fetchAs(uid: number, url: string): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}).then((r) => r.text().then((t) => console.log(r.status, t.includes("login=secret"))), () => console.log("refused"))`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], { uid, gid: uid, cwd: "/", timeout: 30_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout.trim()),
    );
  });
}

describe("the login hand-off page", () => {
  it("answers its own user once, with a page that goes on to the link", async () => {
    const handoff = await serveLoginOnce(LINK, 60_000);
    const page = await fetch(handoff.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`location.replace("${LINK}")`);
    expect(await handoff.taken).toBe(true);
    await expect(fetch(handoff.url)).rejects.toThrow();
  });

  it("answers a wrong address with nothing, and stays for the right one", async () => {
    const handoff = await serveLoginOnce(LINK, 60_000);
    const wrong = await fetch(`${handoff.url}x`);
    expect(wrong.status).toBe(404);
    expect(await wrong.text()).not.toContain("secret");
    expect((await fetch(handoff.url)).status).toBe(200);
    expect(await handoff.taken).toBe(true);
  });

  it.skipIf(!asRoot)("refuses a connection made by another user, and stays for its own", async () => {
    const handoff = await serveLoginOnce(LINK, 60_000);
    expect(await fetchAs(65534, handoff.url)).toBe("404 false");
    expect((await fetch(handoff.url)).status).toBe(200);
    expect(await handoff.taken).toBe(true);
  });

  it("gives up after its time, untaken", async () => {
    const handoff = await serveLoginOnce(LINK, 10);
    expect(await handoff.taken).toBe(false);
  });
});

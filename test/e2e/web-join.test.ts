/**
 * The web app served by a real broker process, driven in Chromium: a person opens a CLI user's invite
 * link, joins from the browser, and sees the CLI user online; a peer's hostile name and summary show as
 * text and never run. Skipped, with the reason printed, when Chromium is not installed.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveInviteKeys, generateIdentity } from "../../src/crypto/index.js";
import { claimInvite } from "../../src/client/broker-http.js";
import { signInviteClaim } from "../../src/client/invites.js";
import { parseInviteLink } from "../../src/protocol/invite-link.js";
import { connectMember, startBroker, type BrokerProcess, type RawPeer } from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";

const CHROMIUM = process.env.CLAUDEMESH_TEST_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`web browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const EVIL_NAME = `<img src=x onerror="window.__pwned=1">`;
const EVIL_SUMMARY = `<script>window.__pwned=2</script><b>bold</b>`;

/** GET `path` exactly as written (no URL normalisation), with the status, headers and body. */
function rawGet(
  httpUrl: string,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(httpUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

let broker: BrokerProcess;
let alice: CliUser;
let meshId = "";

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  meshId = String((await alice.createMesh(broker, "team", "alice")).mesh_id);
});

afterAll(async () => {
  await alice?.dispose();
  await broker?.dispose();
});

describe("the broker serves the web app", () => {
  it("serves the page at / and /join/<code> with a strict CSP", async () => {
    for (const path of ["/", "/join/ABCDEFGH"]) {
      const page = await rawGet(broker.httpUrl, path);
      expect(page.status).toBe(200);
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
      const csp = String(page.headers["content-security-policy"]);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(page.headers["x-content-type-options"]).toBe("nosniff");
      expect(page.body).toContain('<script type="module" src="/assets/app.js"></script>');
      expect(page.body).not.toMatch(/<script>/);
    }
  });

  it("serves the bundle with its content type", async () => {
    const js = await rawGet(broker.httpUrl, "/assets/app.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    const css = await rawGet(broker.httpUrl, "/assets/app.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("answers 404 for unknown files and any way out of the app's directory", async () => {
    for (const path of [
      "/assets/nope.js",
      "/assets/../index.html",
      "/assets/..%2F..%2Fpackage.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/.hidden.js",
      "/assets/",
      "/index.html",
      "/join/ABCDEFGH/extra",
      "/../../package.json",
    ]) {
      const res = await rawGet(broker.httpUrl, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('"name": "claudemesh"');
    }
  });
});

describe.skipIf(!haveChromium)("joining from the browser", () => {
  let browser: BrowserContext;
  let page: Page;
  let evil: RawPeer;
  let profileDir: string;

  beforeAll(async () => {
    expect((await alice.run(["daemon", "up"])).code).toBe(0);
    // A member whose name and summary are markup, joined through an invite of alice's.
    const evilLink = parseInviteLink(String((await alice.runJson(["invite"])).link));
    const identity = generateIdentity();
    const { claimToken } = deriveInviteKeys(evilLink.secret, evilLink.code);
    const claimed = await claimInvite(
      broker.url,
      evilLink.code,
      signInviteClaim({ code: evilLink.code, claimToken, identity, displayName: "mallory" }),
    );
    evil = await connectMember(
      broker.url,
      meshId,
      { memberId: claimed.member_id, pubkey: identity.publicKey, secretKey: identity.secretKey },
      { displayName: EVIL_NAME },
    );
    evil.send({ type: "set_summary", summary: EVIL_SUMMARY });

    profileDir = mkdtempSync(join(tmpdir(), "cm-chromium-"));
    // A fresh profile directory per run (Playwright's way of passing --user-data-dir).
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    });
    page = await browser.newPage();
  });

  afterAll(async () => {
    evil?.close();
    await browser?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it("joins with the invite link and shows the CLI user online", async () => {
    const invite = await alice.runJson<{ web_link: string; code: string }>([
      "invite",
      "--public-url",
      broker.httpUrl,
    ]);
    const failures: string[] = [];
    page.on("pageerror", (err) => failures.push(err.message));

    await page.goto(invite.web_link);
    await expect.poll(() => page.textContent("#invite-preview")).toContain("team");
    await page.fill("#display-name", "dana");
    await page.click("#join");

    const alicePeer = page.locator("tr.peer", { has: page.locator(".peer-name", { hasText: /^alice$/ }) });
    await alicePeer.first().waitFor();
    expect(await alicePeer.first().locator(".peer-kind").textContent()).toBe("daemon");
    await expect.poll(() => page.textContent("#connection")).toContain("online");
    // The secret is gone from the address bar once used.
    expect(page.url()).toBe(`${broker.httpUrl}/`);
    expect(failures).toEqual([]);

    // The CLI user sees the person too.
    const peers = await alice.runJson<{ peers: Array<{ displayName: string; peerType?: string }> }>([
      "peers",
      "--all",
    ]);
    expect(peers.peers).toContainEqual(expect.objectContaining({ displayName: "dana", peerType: "human" }));
  });

  it("shows a hostile name and summary as text and never runs them", async () => {
    const row = page.locator("tr.peer", { has: page.locator(".peer-name", { hasText: EVIL_NAME }) });
    await row.first().waitFor();
    expect(await row.first().locator(".peer-name").textContent()).toBe(EVIL_NAME);
    await expect.poll(() => row.first().locator(".peer-summary").textContent()).toBe(EVIL_SUMMARY);
    expect(await page.locator("#peers img, #peers script, #peers b").count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("keeps the membership: a reload reconnects without the link", async () => {
    await page.reload();
    await expect.poll(() => page.textContent("#connection")).toContain("online");
    await page.locator(".peer-name", { hasText: /^alice$/ }).first().waitFor();
  });
});

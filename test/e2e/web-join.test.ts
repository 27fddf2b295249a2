/**
 * The web app served by a real broker process, driven in Chromium: a person opens a CLI user's invite
 * link, joins from the browser, sees the CLI user online, and the two talk (the person's message in the
 * CLI's inbox, the CLI's reply on the page without a reload); a peer's hostile name, summary and message
 * show as text and never run; the broker holds none of the browser's plaintext.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveInviteKeys, generateIdentity } from "../../src/crypto/index.js";
import { claimInvite } from "../../src/client/broker-http.js";
import { signInviteClaim } from "../../src/client/invites.js";
import { parseInviteLink } from "../../src/protocol/invite-link.js";
import {
  brokerDataContains,
  connectMember,
  startBroker,
  type BrokerProcess,
  type RawPeer,
} from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";
import { haveChromium, joinFromBrowser, openBrowser, type TestBrowser } from "../helpers/web.js";

const EVIL_NAME = `<img src=x onerror="window.__pwned=1">`;
const EVIL_SUMMARY = `<script>window.__pwned=2</script><b>bold</b>`;
const EVIL_MESSAGE = `<script>window.__pwned=3</script><img src=x onerror="window.__pwned=4">`;

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

describe.skipIf(!haveChromium)("a person in the browser", () => {
  let browser: TestBrowser;
  let evil: RawPeer;

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
    browser = await openBrowser();
  });

  afterAll(async () => {
    evil?.close();
    await browser?.close();
  });

  it("joins with the invite link and sees the CLI user online", async () => {
    const { page } = browser;
    await joinFromBrowser(page, alice, broker, "dana");
    const alicePeer = page.locator("tr.peer", { has: page.locator(".peer-name", { hasText: /^alice$/ }) });
    await alicePeer.first().waitFor();
    expect(await alicePeer.first().locator(".peer-kind").textContent()).toBe("daemon");
    // The secret is gone from the address bar once used.
    expect(page.url()).toBe(`${broker.httpUrl}/`);
    expect(browser.errors).toEqual([]);

    // The CLI user sees the person too.
    const peers = await alice.runJson<{ peers: Array<{ display_name: string; peer_type: string }> }>([
      "peers",
      "--all",
    ]);
    expect(peers.peers).toContainEqual(
      expect.objectContaining({ display_name: "dana", peer_type: "human", channel: "claudemesh-web" }),
    );
    // A person is listed without --all; daemons are not.
    const shown = await alice.runJson<{ peers: Array<{ display_name: string }> }>(["peers"]);
    expect(shown.peers.map((p) => p.display_name)).toEqual(["dana"]);
  });

  it("sends a direct message that arrives in the CLI user's inbox, and sees the reply without reloading", async () => {
    const { page } = browser;
    const alicePeer = page.locator("tr.peer", { has: page.locator(".peer-name", { hasText: /^alice$/ }) });
    await alicePeer.first().locator("button.message-peer").click();
    await page.fill("#compose-text", "hello from the browser");
    await page.click("#compose-send");
    await expect
      .poll(
        async () =>
          (await alice.runJson<{ messages: Array<{ body: string; from_name: string }> }>(["inbox"])).messages,
      )
      .toContainEqual(expect.objectContaining({ body: "hello from the browser", from_name: "dana" }));
    await expect
      .poll(() => page.locator(".chat-message.mine .chat-state").last().textContent())
      .toContain("delivered");

    expect((await alice.run(["send", "dana", "hello back from the CLI"])).code).toBe(0);
    // Well within 2 s on an idle machine; the poll allows for a loaded one.
    await page.locator(".chat-message.theirs .chat-text", { hasText: "hello back from the CLI" }).waitFor();
  });

  it("shows a hostile name, summary and message as text and never runs them", async () => {
    const { page } = browser;
    await page.click("#nav-peers");
    const row = page.locator("tr.peer", { has: page.locator(".peer-name", { hasText: EVIL_NAME }) });
    await row.first().waitFor();
    expect(await row.first().locator(".peer-name").textContent()).toBe(EVIL_NAME);
    await expect.poll(() => row.first().locator(".peer-summary").textContent()).toBe(EVIL_SUMMARY);
    expect(await page.locator("#peers img, #peers script, #peers b").count()).toBe(0);

    expect((await alice.run(["send", "dana", EVIL_MESSAGE])).code).toBe(0);
    await page.click("#nav-messages");
    await page.locator(".conversation a", { hasText: "alice" }).click();
    const shown = page.locator(".chat-message.theirs .chat-text", { hasText: "__pwned=3" });
    await shown.waitFor();
    expect(await shown.textContent()).toBe(EVIL_MESSAGE);
    expect(await page.locator("#chat script, #chat img").count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("sets the person's status and summary, which the CLI user sees", async () => {
    const { page } = browser;
    await page.click("#nav-peers");
    await page.selectOption("#own-status", "working");
    await page.fill("#own-summary", "reviewing the login fix");
    await page.click("#own-presence button[type=submit]");
    await expect
      .poll(async () =>
        (await alice.runJson<{ peers: Array<Record<string, unknown>> }>(["peers"])).peers.find(
          (p) => p.display_name === "dana",
        ),
      )
      .toMatchObject({ status: "working", summary: "reviewing the login fix" });
  });

  it("keeps the membership and the conversation: a reload reconnects without the link", async () => {
    const { page } = browser;
    await page.reload();
    await expect.poll(() => page.textContent("#connection")).toContain("online");
    await page.click("#nav-messages");
    await page.locator(".conversation a", { hasText: "alice" }).click();
    await page.locator(".chat-text", { hasText: "hello back from the CLI" }).waitFor();
    expect(browser.errors).toEqual([]);
  });

  it("leaves no plaintext of what the browser wrote in the broker's data", () => {
    expect(brokerDataContains(broker, "hello from the browser")).toBe(false);
  });
});

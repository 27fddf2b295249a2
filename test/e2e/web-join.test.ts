/**
 * The web app served by a real broker process, driven in Chromium: a person opens a CLI user's invite
 * link, joins from the browser, sees the CLI user online, and the two talk (the person's message in the
 * CLI's inbox, the CLI's reply on the page without a reload; a reply to the CLI user's browser session
 * reaching that session); a peer's hostile name, summary and message show as text and never run; a
 * reload keeps one presence; forgetting the mesh leaves nothing of it in the browser; the broker holds
 * none of the browser's plaintext. Invite links that cannot be used say why in words.
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

  it("refuses an empty message and one longer than a message holds, saying why, and cuts nothing", async () => {
    const { page } = browser;
    await page.click("#nav-messages");
    await page.locator(".conversation a", { hasText: "alice" }).click();
    const before = await page.locator(".chat-message.mine").count();
    await page.fill("#compose-text", "   ");
    await page.click("#compose-send");
    expect(await page.textContent("#compose-error")).toContain("the message is empty");
    const long = "x".repeat(50_000);
    await page.fill("#compose-text", long);
    expect((await page.inputValue("#compose-text")).length).toBe(50_000);
    await page.click("#compose-send");
    expect(await page.textContent("#compose-error")).toContain("the message is too long");
    expect(await page.inputValue("#compose-text")).toBe(long);
    expect(await page.locator(".chat-message.mine").count()).toBe(before);
    await page.fill("#compose-text", "");
  });

  it("keeps the membership, the conversation and one presence: a reload reconnects without the link", async () => {
    const { page } = browser;
    await page.reload();
    await expect.poll(() => page.textContent("#connection")).toContain("online");
    // The page said goodbye, or took its presence over: never a second "dana" left behind for the grace.
    const danas = async (): Promise<number> =>
      (await alice.runJson<{ peers: Array<{ display_name: string }> }>(["peers", "--all"])).peers.filter(
        (p) => p.display_name === "dana",
      ).length;
    await expect.poll(danas).toBe(1);
    await page.click("#nav-peers");
    await page
      .locator("tr.peer .peer-name", { hasText: /^alice$/ })
      .first()
      .waitFor();
    expect(await page.locator("tr.peer .peer-name", { hasText: /^dana$/ }).count()).toBe(1);
    await page.click("#nav-messages");
    await page.locator(".conversation a", { hasText: "alice" }).click();
    await page.locator(".chat-text", { hasText: "hello back from the CLI" }).waitFor();
    expect(browser.errors).toEqual([]);
  });

  it("answers alice's browser session in it, not in her CLI inbox", async () => {
    const { page } = browser;
    const aliceWeb = await openBrowser();
    try {
      const { url } = await alice.runJson<{ url: string }>(["open", "--print"]);
      await aliceWeb.page.goto(url);
      await expect
        .poll(() => aliceWeb.page.textContent("#connection"), { timeout: 20_000 })
        .toContain("online");
      const danaRow = aliceWeb.page.locator("tr.peer", {
        has: aliceWeb.page.locator(".peer-name", { hasText: /^dana$/ }),
      });
      await danaRow.first().locator("button.message-peer").click();
      await aliceWeb.page.fill("#compose-text", "from alice's browser");
      await aliceWeb.page.click("#compose-send");

      await page.click("#nav-messages");
      await page.locator(".conversation a", { hasText: "alice" }).click();
      await page.locator(".chat-message.theirs .chat-text", { hasText: "from alice's browser" }).waitFor();
      await expect.poll(() => page.textContent("#compose-to")).toContain("alice-web");
      await page.fill("#compose-text", "reply for alice's browser");
      await page.click("#compose-send");

      await aliceWeb.page
        .locator(".chat-message.theirs .chat-text", { hasText: "reply for alice's browser" })
        .waitFor();
      await expect
        .poll(() => page.locator(".chat-message.mine .chat-state").last().textContent())
        .toContain("delivered");
      const inbox = await alice.runJson<{ messages: Array<{ body: string }> }>(["inbox"]);
      expect(inbox.messages.map((m) => m.body)).not.toContain("reply for alice's browser");
      expect(aliceWeb.errors).toEqual([]);
    } finally {
      await aliceWeb.close();
    }
  }, 60_000);

  it("leaves no plaintext of what the browser wrote in the broker's data", () => {
    expect(brokerDataContains(broker, "hello from the browser")).toBe(false);
  });

  it("forgets the mesh: nothing of it stays in the browser, and the presence goes at once", async () => {
    const { page } = browser;
    const stored = (): Promise<string[]> =>
      page.evaluate(
        (id) =>
          [localStorage, sessionStorage].flatMap((storage) =>
            Object.keys(storage).filter((key) => key.includes(id)),
          ),
        meshId,
      );
    // The conversations with alice are there to forget.
    expect((await stored()).some((key) => key.startsWith("claudemesh.chats.v1."))).toBe(true);
    await page.click("#nav-account");
    page.once("dialog", (dialog) => void dialog.accept());
    await page.click("#forget-mesh");
    await page.locator("section.welcome").waitFor();
    expect(await stored()).toEqual([]);
    expect(await page.evaluate(() => localStorage.getItem("claudemesh.memberships.v1"))).toBe("[]");
    const peers = await alice.runJson<{ peers: Array<{ display_name: string }> }>(["peers", "--all"]);
    expect(peers.peers.map((p) => p.display_name)).not.toContain("dana");
    expect(browser.errors).toEqual([]);
  });
});

describe.skipIf(!haveChromium)("an invite link that cannot be used", () => {
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function webLink(uses = 1): Promise<string> {
    const invite = await alice.runJson<{ web_link: string }>([
      "invite",
      "--public-url",
      broker.httpUrl,
      "--uses",
      String(uses),
    ]);
    return invite.web_link;
  }

  it("says the part after # is missing, and offers no form", async () => {
    const { page } = browser;
    const link = await webLink();
    await page.goto(link.split("#")[0] as string);
    expect(await page.textContent("#join-error")).toContain("the secret part after '#' is missing");
    expect(await page.locator("#display-name").count()).toBe(0);
  });

  it("says an invite is used up, in words, and offers no form", async () => {
    const { page } = browser;
    const link = await webLink(1);
    const erin = new CliUser("erin");
    try {
      await erin.runJson(["join", link, "--name", "erin"]);
    } finally {
      await erin.dispose();
    }
    await page.goto(link);
    await expect.poll(() => page.textContent("#join-error")).toContain("this invite has been used up");
    expect(await page.textContent("#join-error")).toContain("ask the mesh owner for a new invite");
    expect(await page.textContent("#join-error")).not.toContain("exhausted");
    expect(await page.locator("#display-name").count()).toBe(0);
  });

  it("says the broker knows no such invite", async () => {
    const { page } = browser;
    await page.goto(`${broker.httpUrl}/join/ABCDEFGH#${"A".repeat(43)}`);
    await expect.poll(() => page.textContent("#join-error")).toContain("the broker knows no such invite");
    expect(await page.locator("#display-name").count()).toBe(0);
  });

  it("asks for a name instead of joining with spaces, and says a wrong secret is wrong", async () => {
    const { page } = browser;
    const link = await webLink(1);
    const [head, secret] = link.split("#") as [string, string];
    const wrong = `${secret[0] === "A" ? "B" : "A"}${secret.slice(1)}`;
    await page.goto(`${head}#${wrong}`);
    await page.fill("#display-name", "   ");
    await page.click("#join");
    expect(await page.textContent("#join-error")).toContain("type the name");
    await page.fill("#display-name", "mallory");
    await page.click("#join");
    await expect.poll(() => page.textContent("#join-error")).toContain("its secret does not match");
    expect(await page.locator("#display-name").count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });
});

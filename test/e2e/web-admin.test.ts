/**
 * The owner's side of the web app, driven in Chromium against a real broker process and real CLI users:
 * `claudemesh open` logs the owner in with a one-time link (refused twice and after its expiry); the
 * Members view kicks, bans and unbans a member whose CLI and daemon feel it; the Invites view makes an
 * invite signed in the browser that a CLI user joins with, lists every invite and revokes one; the Audit view lists the moderation and
 * verifies the hash chain. Screenshots of each view at laptop and phone sizes go to
 * $CLAUDEMESH_SCREENSHOTS (default: a temporary directory).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBase64Url, generateIdentity } from "../../src/crypto/index.js";
import {
  brokerDataContains,
  connectSession,
  startBroker,
  type BrokerProcess,
  type RawPeer,
} from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";
import { haveChromium, openBrowser, openView, type TestBrowser } from "../helpers/web.js";

const SHOTS = process.env.CLAUDEMESH_SCREENSHOTS ?? join(tmpdir(), "claudemesh-web-admin-shots");

interface MeshEntry {
  mesh_id: string;
  root_key: string;
  member_id: string;
  pubkey: string;
  secret_key: string;
}

let broker: BrokerProcess;
let alice: CliUser;
let bob: CliUser;
let carol: CliUser;
let meshId = "";

function configOf(user: CliUser): { meshes: MeshEntry[] } {
  return JSON.parse(readFileSync(join(user.configDir, "config.json"), "utf8")) as { meshes: MeshEntry[] };
}

/** The login link's payload, changed by `change`, as a link again. */
function rewriteLogin(url: string, change: (payload: Record<string, unknown>) => void): string {
  const [base, encoded] = url.split("#login=") as [string, string];
  const payload = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as Record<string, unknown>;
  change(payload);
  return `${base}#login=${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
}

async function peerNames(user: CliUser): Promise<string[]> {
  const out = await user.runJson<{ peers: { display_name: string }[] }>(["peers", "--all"]);
  return out.peers.map((p) => p.display_name);
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  bob = new CliUser("bob");
  carol = new CliUser("carol");
  meshId = String((await alice.createMesh(broker, "team", "alice")).mesh_id);
  expect((await alice.run(["daemon", "up"])).code).toBe(0);
});

afterAll(async () => {
  await Promise.all([alice, bob, carol].map((u) => u?.dispose()));
  await broker?.dispose();
});

describe("claudemesh open", () => {
  it("prints a one-time login link for the broker's dashboard", async () => {
    const out = await alice.runJson<{ url: string; opened: boolean }>(["open", "--print"]);
    expect(out.opened).toBe(false);
    expect(out.url.startsWith(`${broker.httpUrl}/#login=`)).toBe(true);
    const payload = JSON.parse(Buffer.from(out.url.split("#login=")[1] ?? "", "base64url").toString("utf8"));
    expect(payload).toMatchObject({
      kind: "claudemesh-login",
      membership: { meshId, role: "owner", displayName: "alice" },
    });
    expect(payload.exp).toBeGreaterThan(Date.now());
    expect(payload.exp).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    const human = await alice.run(["open", "--print"]);
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#login=[A-Za-z0-9_-]+$/);
    expect(human.stderr).toContain("holds your keys");
    const help = await alice.run(["open", "--help"]);
    expect(help.stdout).toContain("--print");
  });
});

describe.skipIf(!haveChromium)("the owner in the browser", () => {
  let browser: TestBrowser;
  let page: Page;
  let bobSession: RawPeer | undefined;

  beforeAll(async () => {
    browser = await openBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    bobSession?.close();
    await browser?.close();
  });

  it("logs in with `claudemesh open`, once", async () => {
    const { url } = await alice.runJson<{ url: string }>(["open", "--print"]);
    await page.goto(url);
    await expect.poll(() => page.textContent("#connection"), { timeout: 20_000 }).toContain("online");
    const connection = await page.textContent("#connection");
    expect(connection).toContain("alice");
    expect(connection).toContain("(owner)");
    expect(page.url()).not.toContain("#login=");
    expect(page.url()).not.toContain("#");

    await page.goto("about:blank");
    await page.goto(url);
    await expect.poll(() => page.textContent("#login-error")).toContain("already used");

    const expired = rewriteLogin(url, (p) => {
      p.exp = Date.now() - 1_000;
      p.nonce = "expired-nonce";
    });
    await page.goto("about:blank");
    await page.goto(expired);
    await expect.poll(() => page.textContent("#login-error")).toContain("expired");
    expect(page.url()).not.toContain("#login=");
    expect(browser.errors).toEqual([]);
  }, 60_000);

  it("is one more session of the CLI user, so a message to alice still reaches her daemon's inbox", async () => {
    // A session presence of alice, shown to her own CLI as a person in the web app.
    await expect
      .poll(async () =>
        (await alice.runJson<{ peers: Array<Record<string, unknown>> }>(["peers"])).peers.find(
          (p) => p.channel === "claudemesh-web",
        ),
      )
      .toMatchObject({ display_name: "alice-web", peer_role: "session", peer_type: "human" });

    const invite = await alice.runJson<{ link: string }>(["invite", "--uses", "1"]);
    const erin = new CliUser("erin");
    try {
      await erin.runJson(["join", invite.link, "--name", "erin"]);
      const sent = await erin.run(["send", "alice", "for alice's sessions"]);
      expect(sent.code, sent.stderr).toBe(0);
    } finally {
      await erin.dispose();
    }
    await expect
      .poll(async () => (await alice.runJson<{ messages: Array<{ body: string }> }>(["inbox"])).messages)
      .toContainEqual(expect.objectContaining({ body: "for alice's sessions" }));
    await openView(page, "messages");
    expect(await page.locator(".chat-text", { hasText: "for alice's sessions" }).count()).toBe(0);
  });

  it("kicks, bans and unbans a member from the Members view", async () => {
    const invite = await alice.runJson<{ link: string }>(["invite", "--uses", "1"]);
    await bob.runJson(["join", invite.link, "--name", "bob"]);
    expect((await bob.run(["daemon", "up"])).code).toBe(0);
    const bobKeys = configOf(bob).meshes[0] as MeshEntry;
    // A session of bob's besides his daemon: kick closes it (member-key connections only go with a ban).
    bobSession = await connectSession(
      broker.url,
      meshId,
      { memberId: bobKeys.member_id, pubkey: bobKeys.pubkey, secretKey: bobKeys.secret_key },
      generateIdentity(),
      { displayName: "bob" },
    );
    await expect.poll(() => peerNames(alice), { timeout: 20_000 }).toContain("bob");

    await page.goto(`${broker.httpUrl}/?view=members`);
    const bobRow = page.locator("#members tr.member", { hasText: "bob" });
    await bobRow.waitFor();
    await expect
      .poll(() => bobRow.locator(".member-online").textContent(), { timeout: 20_000 })
      .toContain("online");
    await shoot(page, "members-1280");

    await bobRow.locator(".member-kick").click();
    await page.locator("#members-confirm").waitFor();
    expect(await page.textContent("#members-confirm")).toContain("Kick bob?");
    await page.click("#members-confirm-yes");
    await expect.poll(() => page.textContent("#members-notice")).toContain("1 connection closed");
    expect(await page.textContent("#members-notice")).toContain("left open");
    const closed = await bobSession.closed;
    expect(closed.code).toBe(4001);

    await bobRow.locator(".member-ban").click();
    await page.click("#members-confirm-yes");
    await expect.poll(() => page.textContent("#members-notice")).toContain("bob is banned");
    await page.locator("#bans tr.ban", { hasText: "bob" }).waitFor();
    await expect.poll(() => peerNames(alice), { timeout: 20_000 }).not.toContain("bob");
    await expect
      .poll(
        async () => {
          const r = await bob.run(["send", "alice", "still here?"]);
          return `${r.code} ${r.stdout} ${r.stderr}`;
        },
        { timeout: 20_000 },
      )
      .toMatch(/banned|disabled|revoked/i);
    await shoot(page, "members-banned-1280");

    await page.locator("#bans tr.ban", { hasText: "bob" }).locator(".ban-unban").click();
    await page.click("#members-confirm-yes");
    await expect.poll(() => page.textContent("#members-notice")).toContain("no longer banned");
    await page.locator("#bans-empty").waitFor();
    expect(browser.errors).toEqual([]);
  }, 120_000);

  it("makes an invite in the browser that a CLI user joins with", async () => {
    await openView(page, "invites");
    await page.selectOption("#invite-role", "member");
    await page.fill("#invite-uses", "2");
    await page.click("#invite-create");
    const link = page.locator("#invite-link");
    await link.waitFor();
    const web = (await link.textContent()) ?? "";
    expect(web).toMatch(new RegExp(`^${broker.httpUrl}/join/[A-Z2-9]{8}#[A-Za-z0-9_-]{43}$`));
    expect(await page.locator("svg#invite-qr rect").count()).toBeGreaterThan(50);
    await shoot(page, "invites-1280");
    const joined = await carol.runJson<{ mesh_id: string }>(["join", web, "--name", "carol"]);
    // The broker never saw the secret, the mesh key or alice's secret key.
    const aliceKeys = configOf(alice).meshes[0] as MeshEntry;
    const secret = web.split("#")[1] ?? "";
    expect(brokerDataContains(broker, secret)).toBe(false);
    expect(brokerDataContains(broker, fromBase64Url(secret))).toBe(false);
    expect(brokerDataContains(broker, aliceKeys.root_key)).toBe(false);
    expect(brokerDataContains(broker, fromBase64Url(aliceKeys.root_key))).toBe(false);
    expect(brokerDataContains(broker, aliceKeys.secret_key)).toBe(false);
    expect(joined.mesh_id).toBe(meshId);
    await expect
      .poll(() =>
        alice
          .runJson<{ members: { display_name: string }[] }>(["members"])
          .then((m) => m.members.map((x) => x.display_name)),
      )
      .toContain("carol");
    expect(browser.errors).toEqual([]);
  }, 60_000);

  it("lists every invite with its state and revokes one, which a CLI join then cannot use", async () => {
    const { link } = await alice.runJson<{ link: string }>(["invite", "--uses", "3"]);
    const code = /\/join\/[^/]+\/([A-Z2-9]{8})/.exec(link)?.[1] ?? "";
    expect(code).not.toBe("");
    await openView(page, "invites");
    // Made elsewhere while the view was open: shown once the list is read again.
    await page.click("#invites-refresh");
    const row = page.locator(`#invites tr.invite[data-code="${code}"]`);
    await expect.poll(() => row.locator(".invite-state").textContent()).toBe("active");
    expect(await row.textContent()).toContain("0/3");
    // Made by the CLI: the page never had its secret, so it has no link to show.
    expect(await row.locator(".invite-show").count()).toBe(0);

    await row.locator(".invite-revoke").click();
    await page.click("#invites-confirm-yes");
    await expect.poll(() => page.textContent("#invites-notice")).toContain(`invite ${code} is revoked`);
    await expect.poll(() => row.locator(".invite-state").textContent()).toBe("revoked");
    expect(await row.locator(".invite-revoke").count()).toBe(0);
    await shoot(page, "invites-revoked-1280");

    const dave = new CliUser("dave");
    try {
      const refused = await dave.run(["join", link, "--name", "dave"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("revoked");
    } finally {
      await dave.dispose();
    }
    const listed = await alice.runJson<{ invites: { code: string; state: string }[] }>(["invite", "list"]);
    expect(listed.invites.find((i) => i.code === code)?.state).toBe("revoked");
    expect(browser.errors).toEqual([]);
  }, 60_000);

  it("lists the audit log and verifies its chain", async () => {
    await openView(page, "audit");
    const log = page.locator("#audit");
    await log.waitFor();
    for (const action of ["member.kicked", "member.banned", "member.unbanned", "member.joined"])
      await page.locator("#audit tr.audit-entry", { hasText: action }).first().waitFor();
    await page.click("#audit-verify");
    await expect.poll(() => page.textContent("#audit-verified")).toContain("intact");
    await shoot(page, "audit-1280");
    expect(browser.errors).toEqual([]);
  }, 60_000);

  it("reads on a phone", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const view of ["members", "invites", "audit"]) {
      await page.goto(`${broker.httpUrl}/?view=${view}`);
      await expect.poll(() => page.textContent("#connection"), { timeout: 20_000 }).toContain("online");
      if (view === "invites") {
        await page.click("#invite-create");
        await page.locator("svg#invite-qr").waitFor();
      } else {
        await page.locator(`#${view} tbody tr`).first().waitFor();
      }
      await shoot(page, `${view}-390`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(browser.errors).toEqual([]);
  }, 60_000);
});

/**
 * The web app while its broker connection comes and goes, driven in Chromium against a real broker and a
 * CLI user with a daemon; the page's socket passes through the test, which takes the broker away and
 * loses its answers. A view opened before the page is connected loads once it is, and again after a
 * reconnect; the header says it is reconnecting in words; a message written while the broker is away
 * waits in the page (across a reload too), says why, and is sent when the broker is back — once, even
 * when the broker took it and only its answer was lost.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type BrokerProcess } from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";
import {
  haveChromium,
  joinFromBrowser,
  openBrowser,
  routeBroker,
  type BrokerRoute,
  type TestBrowser,
} from "../helpers/web.js";

let broker: BrokerProcess;
let alice: CliUser;
let files: string;

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  await alice.createMesh(broker, "team", "alice");
  files = mkdtempSync(join(tmpdir(), "cm-web-connection-"));
}, 60_000);

afterAll(async () => {
  await alice?.dispose();
  await broker?.dispose();
  if (files) rmSync(files, { recursive: true, force: true });
});

/** The bodies of alice's inbox that equal `body`. */
async function inboxCopies(body: string): Promise<number> {
  const inbox = await alice.runJson<{ messages: Array<{ body: string }> }>(["inbox"]);
  return inbox.messages.filter((m) => m.body === body).length;
}

describe.skipIf(!haveChromium)("the page while the broker comes and goes", () => {
  let browser: TestBrowser;
  let route: BrokerRoute;

  beforeAll(async () => {
    expect((await alice.run(["daemon", "up"])).code).toBe(0);
    browser = await openBrowser();
    route = await routeBroker(browser.context);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("joins through alice's invite", async () => {
    await joinFromBrowser(browser.page, alice, broker, "dana");
  });

  it("loads a view opened before the page is connected, and again after a reconnect", async () => {
    const { page } = browser;
    await route.down();
    await page.goto(`${broker.httpUrl}/?view=files`);
    await page.locator("#file-upload-form").waitFor();
    await expect
      .poll(() => page.textContent("#connection"), { timeout: 20_000 })
      .toContain("reconnecting to the broker…");
    expect(await page.textContent("#connection")).not.toMatch(/connection closed|\(\d{4}\)/);

    route.up();
    await expect.poll(() => page.textContent("#connection"), { timeout: 30_000 }).toContain("online");
    await page.locator("section.files p", { hasText: "No files shared yet." }).waitFor();

    // Shared while the page is away: no event reaches it, the reconnect's reload shows it.
    await route.down();
    await expect.poll(() => page.textContent("#connection")).toContain("reconnecting");
    const path = join(files, "while-away.txt");
    writeFileSync(path, "shared while the page was away\n");
    const shared = await alice.run(["file", "share", path]);
    expect(shared.code, shared.stderr).toBe(0);
    route.up();
    await page.locator("tr.file .file-name", { hasText: "while-away.txt" }).waitFor({ timeout: 30_000 });
    expect(browser.errors).toEqual([]);
  }, 90_000);

  it("keeps a message written while the broker is away, says why, and sends it once it is back", async () => {
    const { page } = browser;
    await page.click("#nav-peers");
    const alicePeer = page.locator("tr.peer", { has: page.locator(".peer-name", { hasText: /^alice$/ }) });
    await alicePeer.first().locator("button.message-peer").click();
    await page.locator("#compose-text").waitFor();

    await route.down();
    await expect.poll(() => page.textContent("#connection")).toContain("reconnecting to the broker…");
    const body = "written while the broker was away";
    await page.fill("#compose-text", body);
    await page.click("#compose-send");
    const sent = page.locator(".chat-message.mine", { hasText: body });
    await expect.poll(() => sent.locator(".chat-state").textContent()).toContain("not sent yet");
    expect(await sent.locator(".chat-problem").textContent()).toContain("not connected to the broker");
    expect(await sent.locator("button.chat-retry").count()).toBe(1);

    // Kept in the page: a reload still has it, still waiting.
    await page.reload();
    await expect.poll(() => sent.locator(".chat-state").textContent()).toContain("not sent yet");

    route.up();
    await expect
      .poll(() => sent.locator(".chat-state").textContent(), { timeout: 30_000 })
      .toContain("delivered");
    expect(await sent.locator(".chat-problem").count()).toBe(0);
    await expect.poll(() => inboxCopies(body)).toBe(1);
    expect(browser.errors).toEqual([]);
  }, 90_000);

  it("sends a message once when the broker took it but its answer was lost", async () => {
    const { page } = browser;
    const body = "the broker took this one, its answer was lost";
    route.dropFromBroker((frame) => frame.type === "ack");
    await page.fill("#compose-text", body);
    await page.click("#compose-send");
    await expect.poll(() => inboxCopies(body), { timeout: 20_000 }).toBe(1);
    const sent = page.locator(".chat-message.mine", { hasText: body });
    expect(await sent.locator(".chat-state").textContent()).toContain("sending");

    // The connection drops before the answer comes: the page sends it again when it is back.
    await route.down();
    await expect.poll(() => sent.locator(".chat-state").textContent()).toContain("not sent yet");
    route.dropFromBroker(null);
    route.up();
    await expect
      .poll(() => sent.locator(".chat-state").textContent(), { timeout: 30_000 })
      .toContain("delivered");
    expect(await inboxCopies(body)).toBe(1);
    expect(await page.locator(".chat-message.mine", { hasText: body }).count()).toBe(1);
    expect(browser.errors).toEqual([]);
  }, 90_000);
});

/**
 * The topics and files views, driven in Chromium against a real broker and a CLI user with a daemon: a
 * person who joined from the browser posts to #general and reads alice's posts live, joins a topic alice
 * made and reads its history; files go both ways encrypted (browser upload, CLI download and the reverse)
 * byte for byte; the broker holds neither the post text nor the file bytes.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerDataContains, startBroker, type BrokerProcess } from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";
import { haveChromium, joinFromBrowser, openBrowser, openView, type TestBrowser } from "../helpers/web.js";

const FROM_PAGE = `hello from the browser ${randomBytes(6).toString("hex")}`;
const FROM_ALICE = `alice answers ${randomBytes(6).toString("hex")}`;
const IN_DESIGN = `design notes ${randomBytes(6).toString("hex")}`;
const SHOTS = process.env.CLAUDEMESH_SCREENSHOTS ?? join(tmpdir(), "claudemesh-web-topics-files");

let broker: BrokerProcess;
let alice: CliUser;

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  await alice.createMesh(broker, "team", "alice");
});

afterAll(async () => {
  await alice?.dispose();
  await broker?.dispose();
});

describe.skipIf(!haveChromium)("topics and files in the browser", () => {
  let browser: TestBrowser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    expect((await alice.run(["daemon", "up"])).code).toBe(0);
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("joins from alice's invite", async () => {
    await joinFromBrowser(browser.page, alice, broker, "pat");
  });

  it("posts to #general and reads alice's posts live", async () => {
    const { page } = browser;
    await openView(page, "topics");
    await page.locator('#topics li[data-topic="general"] a').click();
    // The person's copy of the key is sealed by alice's daemon; until then the view says it waits.
    await page.locator("#topic-compose-send:not([disabled])").waitFor({ timeout: 60_000 });
    await page.fill("#topic-compose-text", FROM_PAGE);
    await page.click("#topic-compose-send");
    await page.locator("#topic-posts .topic-post.mine", { hasText: FROM_PAGE }).waitFor();

    await expect
      .poll(
        async () =>
          (
            await alice.runJson<{ messages: Array<{ body: string; from_name: string }> }>([
              "topic",
              "history",
              "general",
            ])
          ).messages.map((m) => `${m.from_name}: ${m.body}`),
        { timeout: 20_000 },
      )
      .toContain(`pat: ${FROM_PAGE}`);

    await alice.runJson(["topic", "post", "general", FROM_ALICE]);
    await page
      .locator("#topic-posts .topic-post.theirs", { hasText: FROM_ALICE })
      .waitFor({ timeout: 20_000 });
    expect(await page.locator("#topic-posts .unreadable").count()).toBe(0);
  });

  it("joins a topic alice created and reads its history", async () => {
    const { page } = browser;
    await alice.runJson(["topic", "create", "design"]);
    await alice.runJson(["topic", "post", "design", IN_DESIGN]);
    // A topic made elsewhere shows after a reload of the list (opening the view again).
    await openView(page, "peers");
    await openView(page, "topics");
    await page.locator('#topics li[data-topic="design"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.textContent('#topics li[data-topic="design"]')).toContain("not joined");
    await page.locator('#topics li[data-topic="design"] a').click();
    await page.click("#topic-join");
    await page.locator("#topic-leave").waitFor();
    await page.locator("#topic-posts .topic-post", { hasText: IN_DESIGN }).waitFor({ timeout: 60_000 });
    expect(await page.locator("#topic-posts .unreadable").count()).toBe(0);
  });

  it("attaches a file to a topic: shared with its members, its name and id posted", async () => {
    const { page } = browser;
    const marker = `ATTACHED-${randomBytes(8).toString("hex")}`;
    const bytes = Buffer.concat([Buffer.from(marker), randomBytes(64 * 1024)]);
    await page.setInputFiles("#topic-attach", {
      name: "spec.bin",
      mimeType: "application/octet-stream",
      buffer: bytes,
    });
    await page
      .locator("#topic-posts .topic-post.mine", { hasText: "shared a file: spec.bin" })
      .waitFor({ timeout: 30_000 });
    let id = "";
    await expect
      .poll(
        async () => {
          const { messages } = await alice.runJson<{ messages: Array<{ body: string }> }>([
            "topic",
            "history",
            "design",
          ]);
          id =
            /file id (\S+)/.exec(
              messages.map((m) => m.body).find((b) => b.includes("spec.bin")) ?? "",
            )?.[1] ?? "";
          return id;
        },
        { timeout: 20_000 },
      )
      .not.toBe("");
    const out = join(alice.root, "spec.bin");
    await alice.runJson(["file", "get", id, "-o", out]);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    expect(brokerDataContains(broker, marker)).toBe(false);
  });

  it("counts unread posts of another topic, and creates a private topic only its members see", async () => {
    const { page } = browser;
    await page.locator('#topics li[data-topic="general"] a').click();
    await page.locator("#topic-posts .topic-post", { hasText: FROM_ALICE }).waitFor();
    await alice.runJson(["topic", "post", "design", `more notes ${randomBytes(4).toString("hex")}`]);
    await page.locator('#topics li[data-topic="design"] .topic-unread').waitFor({ timeout: 20_000 });
    expect(await page.textContent('#topics li[data-topic="design"] .topic-unread')).toBe("1");

    await page.fill("#topic-create-name", "pat-private");
    await page.check("#topic-create-private");
    await page.click("#topic-create-submit");
    await page.locator('#topics li[data-topic="pat-private"] .topic-private').waitFor();
    await page.locator("#topic-compose-send:not([disabled])").waitFor();
    const secret = `private words ${randomBytes(6).toString("hex")}`;
    await page.fill("#topic-compose-text", secret);
    await page.click("#topic-compose-send");
    await page.locator("#topic-posts .topic-post.mine", { hasText: secret }).waitFor();
    const seen = await alice.runJson<{ topics: Array<{ name: string }> }>(["topic", "list"]);
    expect(seen.topics.map((t) => t.name)).not.toContain("pat-private");
    expect(brokerDataContains(broker, secret)).toBe(false);
  });

  it("uploads a file for everyone that alice downloads byte for byte", async () => {
    const { page } = browser;
    const marker = `MARKER-${randomBytes(8).toString("hex")}`;
    const bytes = Buffer.concat([Buffer.from(marker), randomBytes(300 * 1024), Buffer.from(marker)]);
    await openView(page, "files");
    await page.setInputFiles("#file-input", {
      name: "notes.bin",
      mimeType: "application/octet-stream",
      buffer: bytes,
    });
    await page.click("#file-upload");
    const row = page.locator("#files tr.file", { hasText: "notes.bin" });
    await row.waitFor({ timeout: 30_000 });
    const id = String(await row.getAttribute("data-file-id"));
    expect(await row.locator(".file-for").textContent()).toBe("everyone");

    const out = join(alice.root, "notes.bin");
    await alice.runJson(["file", "get", id, "-o", out]);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    expect(brokerDataContains(broker, marker)).toBe(false);
    expect(brokerDataContains(broker, FROM_PAGE)).toBe(false);
    expect(brokerDataContains(broker, FROM_ALICE)).toBe(false);

    // The uploader deletes it.
    await row.locator(".file-delete").click();
    await row.waitFor({ state: "detached" });
    const left = await alice.runJson<{ files: Array<{ id: string }> }>(["file", "list"]);
    expect(left.files.map((f) => f.id)).not.toContain(id);
  });

  it("downloads a file alice shared, decrypted in the browser", async () => {
    const { page } = browser;
    const bytes = randomBytes(200 * 1024);
    const source = join(alice.root, "from-alice.dat");
    writeFileSync(source, bytes);
    await alice.runJson(["file", "share", source]);
    // The `file_shared` event refreshes the list.
    const row = page.locator("#files tr.file", { hasText: "from-alice.dat" });
    await row.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 30_000 }),
      row.locator(".file-download").click(),
    ]);
    expect(download.suggestedFilename()).toBe("from-alice.dat");
    const path = await download.path();
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it("reads well on a laptop and on a phone", async () => {
    const { page } = browser;
    await page.screenshot({ path: join(SHOTS, "files-1280.png") });
    await openView(page, "topics");
    await page.locator('#topics li[data-topic="general"] a').click();
    await page.locator("#topic-posts .topic-post", { hasText: FROM_ALICE }).waitFor();
    await page.screenshot({ path: join(SHOTS, "topics-1280.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, "topics-390.png"), fullPage: true });
    await openView(page, "files");
    await page.locator("#files").waitFor();
    await page.screenshot({ path: join(SHOTS, "files-390.png"), fullPage: true });
    expect(browser.errors).toEqual([]);
  });

  it("a newcomer waits for the key of #general until a holder comes online, then posts", async () => {
    // No holder online: pat's page closes and alice's daemon stops.
    await browser.close();
    expect((await alice.run(["daemon", "down"])).code).toBe(0);
    const later = await openBrowser({ width: 390, height: 844 });
    try {
      const { page } = later;
      await joinFromBrowser(page, alice, broker, "sam");
      await openView(page, "topics");
      await page.locator('#topics li[data-topic="general"] a').click();
      await page.locator("#topic-key-waiting").waitFor({ timeout: 20_000 });
      expect(await page.locator("#topic-compose-send").isDisabled()).toBe(true);
      // Earlier posts say they cannot be opened yet; never bytes.
      await expect.poll(() => page.locator("#topic-posts .topic-post.unreadable").count()).toBeGreaterThan(0);
      expect(await page.textContent("#topic-posts")).toContain("waiting for the topic key");
      await page.screenshot({ path: join(SHOTS, "topics-waiting-390.png"), fullPage: true });

      expect((await alice.run(["daemon", "up"])).code).toBe(0);
      await page.locator("#topic-compose-send:not([disabled])").waitFor({ timeout: 60_000 });
      await page.locator("#topic-posts .topic-post", { hasText: FROM_ALICE }).waitFor();
      expect(await page.locator("#topic-posts .unreadable").count()).toBe(0);
      const fromSam = `sam is here ${randomBytes(6).toString("hex")}`;
      await page.fill("#topic-compose-text", fromSam);
      await page.click("#topic-compose-send");
      await expect
        .poll(
          async () =>
            (
              await alice.runJson<{ messages: Array<{ body: string }> }>(["topic", "history", "general"])
            ).messages.map((m) => m.body),
          { timeout: 20_000 },
        )
        .toContain(fromSam);
      expect(later.errors).toEqual([]);
    } finally {
      await later.close();
    }
  });
});

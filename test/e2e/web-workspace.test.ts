/**
 * The workspace views of the web app against a real broker, a CLI user with a daemon and a person who
 * joined from the browser: the tasks board (live, claim, complete, a lost claim that keeps saying why),
 * shared state both ways, memory search, scheduled messages (one delivered to the CLI user's inbox, one
 * cancelled, a bad cron rule refused in words) and leases (renewing never shortens one); empty input is
 * answered, never ignored; the broker holds none of the browser's plaintext; each view at laptop and
 * phone size.
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerDataContains, startBroker, type BrokerProcess } from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";
import {
  haveChromium,
  joinFromBrowser,
  openBrowser,
  openView,
  routeBroker,
  settled,
  type BrokerRoute,
  type TestBrowser,
} from "../helpers/web.js";

const TASK_TITLE = "plaintext-task-2c9e71 ship the release notes";
const BROWSER_TASK = "plaintext-webtask-81f0aa draft the migration";
const STATE_VALUE = "plaintext-state-5d33b0 green";
const MEMORY = "the plaintext-memory-a71c04 staging database listens on port 5433";
const SCHEDULED = "plaintext-schedule-0be61d stand-up in five";
const SHOTS = process.env.CLAUDEMESH_SCREENSHOTS ?? join(tmpdir(), "claudemesh-web-workspace-shots");

interface TaskRow {
  id: string;
  title: string;
  status: string;
  claimed_by: string | null;
  result: string | null;
}

let broker: BrokerProcess;
let alice: CliUser;

beforeAll(async () => {
  broker = await startBroker({ schedulePollMs: 200 });
  alice = new CliUser("alice");
  await alice.createMesh(broker, "team", "alice");
}, 60_000);

afterAll(async () => {
  await alice?.dispose();
  await broker?.dispose();
});

/** `YYYY-MM-DDTHH:MM:SS` in local time, what a `datetime-local` input takes. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

describe.skipIf(!haveChromium)("the workspace views", () => {
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

  it("shows a task created with the CLI live, claims and completes it", async () => {
    const { page } = browser;
    await openView(page, "tasks");
    await page.locator("#task-create").waitFor();
    const { id } = await alice.runJson<{ id: string }>(["task", "create", TASK_TITLE, "--priority", "high"]);
    const card = page.locator(`#tasks-open li.task[data-id="${id}"]`);
    await card.waitFor();
    expect(await card.locator(".task-title").textContent()).toBe(TASK_TITLE);

    await card.locator("button.task-claim").click();
    const claimed = page.locator(`#tasks-claimed li.task[data-id="${id}"]`);
    await claimed.waitFor();
    await expect
      .poll(async () =>
        (await alice.runJson<{ tasks: TaskRow[] }>(["task", "list"])).tasks.find((t) => t.id === id),
      )
      .toMatchObject({ status: "claimed", claimed_by: "dana" });

    await claimed.locator("button.task-complete").click();
    await claimed.locator(".task-result-input").fill("done from the browser");
    await claimed.locator("button.task-done").click();
    await page
      .locator(`#tasks-done li.task[data-id="${id}"] .task-result`, { hasText: "done from the browser" })
      .waitFor();
    await expect
      .poll(async () =>
        (await alice.runJson<{ tasks: TaskRow[] }>(["task", "list"])).tasks.find((t) => t.id === id),
      )
      .toMatchObject({ status: "done", result: "done from the browser" });

    // A task the browser creates reads back in the CLI.
    await page.fill("#task-title", BROWSER_TASK);
    await page.click("#task-add");
    await page.locator("#tasks-open .task-title", { hasText: BROWSER_TASK }).waitFor();
    await expect
      .poll(async () =>
        (await alice.runJson<{ tasks: TaskRow[] }>(["task", "list"])).tasks.map((t) => t.title),
      )
      .toContain(BROWSER_TASK);
  });

  it("keeps saying why a claim was lost after the board reloads, and asks for a title", async () => {
    const { page } = browser;
    await openView(page, "tasks");
    const { id } = await alice.runJson<{ id: string }>(["task", "create", "a task two want"]);
    const card = page.locator(`#tasks-open li.task[data-id="${id}"]`);
    await card.waitFor();
    // alice claims first, and the page does not hear of it: its Claim button is still there.
    route.dropFromBroker((frame) => frame.event === "task_change");
    try {
      await alice.runJson(["task", "claim", id]);
      await card.locator("button.task-claim").click();
      // The board reloads after the claim and shows the task claimed; the reason stays.
      await page.locator(`#tasks-claimed li.task[data-id="${id}"]`).waitFor();
      await settled(page);
      expect(await page.locator("#tasks-view p.error", { hasText: "cannot be claimed" }).count()).toBe(1);
    } finally {
      route.dropFromBroker(null);
    }
    await page.fill("#task-title", "   ");
    await page.click("#task-add");
    expect(await page.textContent("#tasks-error")).toContain("give the task a title");
    // A pasted title is taken whole, up to the limit; past it, the page says so and keeps the text.
    const long = `long ${"x".repeat(1_495)}`;
    await page.fill("#task-title", long);
    await page.click("#task-add");
    await page.locator("#tasks-open .task-title", { hasText: "long xxx" }).waitFor();
    expect(await page.locator("#tasks-open .task-title", { hasText: "long xxx" }).textContent()).toBe(long);
    await page.fill("#task-title", "y".repeat(5_000));
    await page.click("#task-add");
    expect(await page.textContent("#tasks-error")).toContain(
      "the title is too long: at most 4,096 characters (this one has 5,000)",
    );
    expect(await page.inputValue("#task-title")).toHaveLength(5_000);
    await page.fill("#task-title", "");
  });

  it("shows markup in a task title, a state value and a memory as text, never running it", async () => {
    const { page } = browser;
    const evil = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
    await openView(page, "tasks");
    await alice.runJson(["task", "create", evil]);
    const card = page.locator("#tasks-open .task-title", { hasText: "__pwned=1" });
    await card.waitFor();
    expect(await card.textContent()).toBe(evil);
    await alice.runJson(["state", "set", "evil", evil, "--string"]);
    await openView(page, "state");
    const value = page.locator('tr.state-entry[data-key="evil"] .state-value');
    await value.waitFor();
    expect(await value.textContent()).toBe(JSON.stringify(evil));
    expect(await page.locator("main img, main script").count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("shows state set with the CLI live and sets a key the CLI reads", async () => {
    const { page } = browser;
    await openView(page, "state");
    await page.locator("#state-set").waitFor();
    await alice.runJson(["state", "set", "build", JSON.stringify({ ok: true, n: 3 })]);
    const row = page.locator('tr.state-entry[data-key="build"]');
    await row.waitFor();
    expect(await row.locator(".state-value").textContent()).toBe('{ "ok": true, "n": 3 }');
    expect(await row.locator(".state-by").textContent()).toBe("alice");

    await page.fill("#state-key", "deploy");
    await page.fill("#state-value", STATE_VALUE);
    await page.click("#state-save");
    await page.locator('tr.state-entry[data-key="deploy"]').waitFor();
    await expect
      .poll(async () => (await alice.runJson<{ value: unknown }>(["state", "get", "deploy"])).value)
      .toBe(STATE_VALUE);
    await page.fill("#state-key", "replicas");
    await page.fill("#state-value", "4");
    await page.click("#state-save");
    await expect
      .poll(async () => (await alice.runJson<{ value: unknown }>(["state", "get", "replicas"])).value)
      .toBe(4);
    await page.fill("#state-key", "  ");
    await page.fill("#state-value", "5");
    await page.click("#state-save");
    expect(await page.textContent("#state-error")).toContain("give the key a name");
  });

  it("finds what the CLI user remembered", async () => {
    const { page } = browser;
    await alice.runJson(["remember", MEMORY, "--tags", "db,staging"]);
    await openView(page, "memory");
    await page.fill("#memory-query", "staging database");
    await page.click("#memory-find");
    const found = page.locator("li.memory", { hasText: "plaintext-memory-a71c04" });
    await found.waitFor();
    expect(await found.locator(".memory-content").textContent()).toBe(MEMORY);
    expect(await found.locator(".memory-tags").textContent()).toBe("#db #staging");
    expect(await found.locator(".memory-meta").textContent()).toContain("alice");
    // Not the person's: no forget button.
    expect(await found.locator("button.memory-forget").count()).toBe(0);

    await page.fill("#memory-content", "browser note about the flaky runner");
    await page.fill("#memory-tags", "ci");
    await page.click("#memory-save");
    await page.locator("#memory-view p.muted", { hasText: "Remembered." }).waitFor();
    await expect
      .poll(async () =>
        (
          await alice.runJson<{ memories: Array<{ content: string }> }>(["recall", "flaky runner"])
        ).memories.map((m) => m.content),
      )
      .toContain("browser note about the flaky runner");
    // Nothing to remember: said so, and the earlier "Remembered." is gone.
    await page.fill("#memory-content", "   ");
    await page.click("#memory-save");
    expect(await page.textContent("#memory-remember-error")).toContain("write what the mesh should remember");
    expect(await page.locator("#memory-view p.muted", { hasText: "Remembered." }).count()).toBe(0);
    await page.fill("#memory-query", "flaky");
    await page.click("#memory-find");
    const mine = page.locator("li.memory", { hasText: "flaky runner" });
    await mine.locator("button.memory-forget").click();
    await expect.poll(() => mine.count()).toBe(0);
  });

  it("schedules a message that reaches the CLI user's inbox, and cancels another", async () => {
    const { page } = browser;
    await openView(page, "schedules");
    await page.locator("#schedule-create").waitFor();
    await expect.poll(() => page.locator("#schedule-to option", { hasText: /^alice$/ }).count()).toBe(1);

    // One far away, to cancel.
    await page.selectOption("#schedule-to", { label: "alice" });
    await page.fill("#schedule-message", "never sent");
    await page.fill("#schedule-minutes", "60");
    await page.click("#schedule-add");
    const later = page.locator("tr.schedule");
    await expect.poll(() => later.count()).toBe(1);
    const laterId = await later.first().getAttribute("data-id");

    // One a few seconds ahead.
    await page.selectOption("#schedule-when", "at");
    await page.fill("#schedule-message", SCHEDULED);
    await page.fill("#schedule-at", localInput(Date.now() + 3_000));
    await page.click("#schedule-add");
    await expect.poll(() => page.locator("tr.schedule").count()).toBe(2);
    await expect
      .poll(
        async () =>
          (await alice.runJson<{ messages: Array<{ body: string; from_name: string }> }>(["inbox"])).messages,
        { timeout: 30_000 },
      )
      .toContainEqual(expect.objectContaining({ body: SCHEDULED, from_name: "dana" }));

    await page.locator(`tr.schedule[data-id="${laterId}"] button.schedule-cancel`).click();
    await expect.poll(() => page.locator(`tr.schedule[data-id="${laterId}"]`).count()).toBe(0);
    const none = await page.locator("tr.schedule").count();
    expect(none).toBe(0);
    expect(brokerDataContains(broker, SCHEDULED)).toBe(false);
  });

  it("says why a cron rule is refused, and the list reload after it does not hide that", async () => {
    const { page } = browser;
    await openView(page, "schedules");
    await page.selectOption("#schedule-to", { label: "alice" });
    await page.fill("#schedule-message", "never scheduled");
    await page.selectOption("#schedule-when", "cron");
    await page.fill("#schedule-cron", "61 * * * *");
    const listed = route.next((frame) => frame.type === "scheduled_list");
    await page.click("#schedule-add");
    await listed;
    await settled(page);
    expect(await page.locator("#schedules-view p.error", { hasText: /cron/i }).count()).toBe(1);
    expect(await page.locator("tr.schedule").count()).toBe(0);
  });

  it("shows a lease the CLI user holds, live, and takes and releases its own", async () => {
    const { page } = browser;
    await openView(page, "leases");
    await page.locator("#lease-acquire").waitFor();
    await alice.runJson(["lease", "acquire", "src/broker/", "--ttl", "45m", "--reason", "refactor"]);
    // The CLI names a path inside its repository as `<repo>:<path>`.
    const held = page.locator("tr.lease", {
      has: page.locator(".lease-resource", { hasText: /:src\/broker\/$/ }),
    });
    await held.waitFor();
    expect(await held.locator(".lease-holder").textContent()).toBe("alice");
    expect(await held.locator(".lease-reason").textContent()).toBe("refactor");
    expect(await held.locator("button.lease-release").count()).toBe(0);

    await page.fill("#lease-resource", "docs/");
    await page.fill("#lease-reason", "rewrite");
    await page.click("#lease-take");
    const mine = page.locator('tr.lease[data-resource="docs/"]');
    await mine.waitFor();
    const expiry = async (): Promise<number> => {
      const { leases } = await alice.runJson<{ leases: Array<{ resource: string; expires_at: string }> }>([
        "lease",
        "list",
      ]);
      return Date.parse(leases.find((l) => l.resource === "docs/")?.expires_at ?? "");
    };
    const taken = await expiry();
    expect(taken - Date.now()).toBeGreaterThan(25 * 60_000);

    // Renew adds the minutes to what is left: 2 more minutes, never a lease of 2 minutes.
    await page.fill("#lease-minutes", "2");
    await mine.locator("button.lease-renew").click();
    await expect.poll(expiry).toBeGreaterThan(taken + 60_000);
    expect(await mine.locator("button.lease-renew").textContent()).toBe("Renew +2 min");

    // A duration a lease cannot have is refused, for acquire and renew alike, and nothing is sent.
    await page.fill("#lease-minutes", "-5");
    await page.fill("#lease-resource", "tmp/");
    await page.click("#lease-take");
    expect(await page.textContent("#leases-error")).toContain("whole number of minutes from 1 to 1440");
    const renewed = await expiry();
    await mine.locator("button.lease-renew").click();
    expect(await page.textContent("#leases-error")).toContain("whole number of minutes");
    expect(await expiry()).toBe(renewed);
    const { leases } = await alice.runJson<{ leases: Array<{ resource: string }> }>(["lease", "list"]);
    expect(leases.map((l) => l.resource)).not.toContain("tmp/");
    await page.fill("#lease-minutes", "30");
    await page.fill("#lease-resource", "");
    await mine.locator("button.lease-release").click();
    await expect.poll(() => mine.count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it("leaves no plaintext of what the browser wrote in the broker's data", () => {
    expect(brokerDataContains(broker, BROWSER_TASK)).toBe(false);
    expect(brokerDataContains(broker, "done from the browser")).toBe(false);
    expect(brokerDataContains(broker, STATE_VALUE)).toBe(false);
    expect(brokerDataContains(broker, "flaky runner")).toBe(false);
  });

  it("reads well at laptop and phone size", async () => {
    const { page } = browser;
    // Something to show in every view.
    await alice.runJson(["task", "create", "review the phone layout", "--priority", "normal"]);
    await openView(page, "schedules");
    await page.selectOption("#schedule-to", { label: "alice" });
    await page.fill("#schedule-message", "weekly check-in");
    await page.selectOption("#schedule-when", "cron");
    await page.fill("#schedule-cron", "0 9 * * 1");
    await page.click("#schedule-add");
    await page.locator("tr.schedule .schedule-when", { hasText: "0 9 * * 1" }).waitFor();
    mkdirSync(SHOTS, { recursive: true });
    for (const [label, size] of [
      ["laptop", { width: 1280, height: 800 }],
      ["phone", { width: 390, height: 844 }],
    ] as const) {
      await page.setViewportSize(size);
      for (const view of ["tasks", "state", "memory", "schedules", "leases"]) {
        await openView(page, view);
        await page.locator(`#${view}-view`).waitFor();
        if (view === "memory") {
          await page.fill("#memory-query", "staging");
          await page.click("#memory-find");
          await page.locator("li.memory").first().waitFor();
        }
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(SHOTS, `${view}-${label}.png`), fullPage: true });
      }
    }
    expect(browser.errors).toEqual([]);
  });
});

/**
 * Driving the web app in Debian's Chromium through playwright-core (no browser download): a fresh profile
 * per browser, and a person who joins a CLI user's mesh through an invite link. Browser tests are skipped,
 * with the reason printed, when Chromium is not installed.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import type { BrokerProcess } from "./broker.js";
import type { CliUser } from "./cli.js";

export const CHROMIUM = process.env.CLAUDEMESH_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.log(`web browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page so far. */
  errors: string[];
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile and one page. */
export async function openBrowser(viewport = { width: 1280, height: 800 }): Promise<TestBrowser> {
  const profileDir = mkdtempSync(join(tmpdir(), "cm-chromium-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** `owner` invites; the page opens the web link, joins as `name`, and is online. */
export async function joinFromBrowser(
  page: Page,
  owner: CliUser,
  broker: Pick<BrokerProcess, "httpUrl">,
  name: string,
  role?: "member" | "admin",
): Promise<void> {
  const invite = await owner.runJson<{ web_link: string }>([
    "invite",
    "--public-url",
    broker.httpUrl,
    ...(role === undefined ? [] : ["--role", role]),
  ]);
  await page.goto(invite.web_link);
  await page.fill("#display-name", name);
  await page.click("#join");
  await expect.poll(() => page.textContent("#connection"), { timeout: 20_000 }).toContain("online");
}

/** Opens a view of the dashboard by its tab. */
export async function openView(page: Page, view: string): Promise<void> {
  await page.click(`#nav-${view}`);
}

/**
 * Driving the web app in Debian's Chromium through playwright-core (no browser download): a fresh profile
 * per browser, a person who joins a CLI user's mesh through an invite link, and the page's broker
 * connection passed through the test, to take the broker away and lose its answers. Browser tests are
 * skipped, with the reason printed, when Chromium is not installed.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page, type WebSocketRoute } from "playwright-core";
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

/** A frame the broker sends, as the page would parse it. */
export type BrokerFrame = Record<string, unknown>;

/**
 * The page's broker connections, passed through the test: `down()` closes them and refuses new ones, as a
 * broker that went away would; `up()` lets connections through again; `dropFromBroker` keeps the frames
 * it matches from reaching the page (an answer lost on the way); `next` resolves with the next frame from
 * the broker that matches.
 */
export interface BrokerRoute {
  down(): Promise<void>;
  up(): void;
  dropFromBroker(match: ((frame: BrokerFrame) => boolean) | null): void;
  next(match: (frame: BrokerFrame) => boolean): Promise<BrokerFrame>;
}

/** Routes every broker WebSocket (`…/ws`) of `context`'s pages through the test; call before they open. */
export async function routeBroker(context: BrowserContext): Promise<BrokerRoute> {
  let refusing = false;
  let drop: ((frame: BrokerFrame) => boolean) | null = null;
  const waiting = new Set<{
    match: (frame: BrokerFrame) => boolean;
    resolve: (frame: BrokerFrame) => void;
  }>();
  const live = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();
  // 4000: a close code a page may see and that means nothing in particular to the client, which retries.
  const refused = { code: 4000, reason: "broker unreachable (test)" };
  await context.routeWebSocket(/\/ws$/, (page) => {
    if (refusing) {
      page.close(refused).catch(() => undefined);
      return;
    }
    const server = page.connectToServer();
    const pair = { page, server };
    live.add(pair);
    server.onMessage((message) => {
      const frame = JSON.parse(String(message)) as BrokerFrame;
      for (const w of [...waiting]) {
        if (!w.match(frame)) continue;
        waiting.delete(w);
        w.resolve(frame);
      }
      if (drop?.(frame) !== true) page.send(message);
    });
    // Either side closing closes the other, with its code (4001 kicked, 1000 after a goodbye, …). Closing a
    // side that is already closed has nothing left to do.
    const ignore = (): void => undefined;
    server.onClose((code, reason) => {
      live.delete(pair);
      page.close({ code, reason }).catch(ignore);
    });
    page.onClose((code, reason) => {
      live.delete(pair);
      server.close({ code, reason }).catch(ignore);
    });
  });
  return {
    async down() {
      refusing = true;
      const pairs = [...live];
      live.clear();
      for (const { page, server } of pairs) {
        await page.close(refused).catch(() => undefined);
        await server.close().catch(() => undefined);
      }
    },
    up() {
      refusing = false;
    },
    dropFromBroker(match) {
      drop = match;
    },
    next(match) {
      return new Promise((resolve) => waiting.add({ match, resolve }));
    },
  };
}

/** Resolves once the page has painted twice: what it rendered for the frames it already had is on screen. */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
  );
}

/**
 * `npm run bench:web`: the web app's first load on loopback. A real broker (SQLite, temp dir) with a mesh
 * of `WEB_PEERS` members online; Debian's Chromium (playwright-core) opens the dashboard as one more
 * member (handed over with a login link, as `claudemesh open` does) in a fresh profile each run, so
 * nothing is cached. Reports the compressed JavaScript the page fetched before its peer list was shown
 * (what went over the wire, `encodedBodySize`) and the time from navigation start to the first rendered
 * peer list holding every online peer: median, min and max of `WEB_RUNS` runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { MeshClient } from "../src/client/index.js";
import { randomBytes, toBase64Url } from "../src/crypto/index.js";
import { startBroker } from "./broker-process.js";
import { createBenchMesh } from "./mesh-setup.js";

const CHROMIUM = process.env.CLAUDEMESH_TEST_CHROMIUM ?? "/usr/bin/chromium";
const PEERS = Number(process.env.WEB_PEERS ?? 20);
const RUNS = Number(process.env.WEB_RUNS ?? 5);

interface Sample {
  jsBytes: number;
  jsFiles: number;
  firstPeerListMs: number;
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return `median ${median.toFixed(0)}, min ${(sorted[0] ?? 0).toFixed(0)}, max ${(sorted.at(-1) ?? 0).toFixed(0)}`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cm-bench-web-"));
  const broker = await startBroker({ dataDir: dir, logDir: dir, profileDir: null, databaseUrl: null });
  const clients: MeshClient[] = [];
  try {
    const mesh = await createBenchMesh(broker.url, broker.adminToken, PEERS + 1);
    const [person, ...others] = mesh.peers;
    if (person === undefined) throw new Error("no member for the browser");
    for (const peer of others) {
      const client = new MeshClient({
        url: broker.url,
        meshId: mesh.meshId,
        identity: { memberId: peer.memberId, publicKey: peer.publicKey, secretKey: peer.secretKey },
        displayName: peer.displayName,
        presenceEvents: "none",
      });
      await client.connect();
      clients.push(client);
    }
    const httpBase = broker.url.replace(/^ws/, "http").replace(/\/ws$/, "");
    const samples: Sample[] = [];
    for (let run = 0; run < RUNS; run++) {
      const login = {
        kind: "claudemesh-login",
        exp: Date.now() + 300_000,
        nonce: toBase64Url(randomBytes(16)),
        membership: {
          meshId: mesh.meshId,
          meshName: "bench",
          slug: "bench",
          memberId: person.memberId,
          role: "owner",
          displayName: `person-${run}`,
          pubkey: person.publicKey,
          secretKey: person.secretKey,
          rootKey: toBase64Url(randomBytes(32)),
          brokerUrl: broker.url,
          joinedAt: new Date().toISOString(),
        },
      };
      const profile = mkdtempSync(join(dir, "profile-"));
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu"],
      });
      try {
        const page = browser.pages()[0] ?? (await browser.newPage());
        await page.goto(`${httpBase}/#login=${Buffer.from(JSON.stringify(login)).toString("base64url")}`);
        await page.waitForFunction((n) => document.querySelectorAll("tr.peer").length >= n, PEERS + 1, {
          timeout: 60_000,
          polling: "raf",
        });
        const sample = await page.evaluate(() => {
          const shown = performance.now();
          const js = performance
            .getEntriesByType("resource")
            .filter((e): e is PerformanceResourceTiming => e.name.endsWith(".js"));
          return {
            firstPeerListMs: shown,
            jsBytes: js.reduce((sum, e) => sum + e.encodedBodySize, 0),
            jsFiles: js.length,
          };
        });
        samples.push(sample);
        console.log(
          `run ${run + 1}: ${sample.jsFiles} JS files, ${sample.jsBytes} bytes compressed; ` +
            `peer list of ${PEERS} shown after ${sample.firstPeerListMs.toFixed(0)} ms`,
        );
      } finally {
        await browser.close();
      }
    }
    console.log("");
    console.log(`first load on loopback, ${RUNS} cold runs, ${PEERS} peers online:`);
    console.log(`  compressed JavaScript: ${stats(samples.map((s) => s.jsBytes))} bytes`);
    console.log(
      `  navigation start → first rendered peer list: ${stats(samples.map((s) => s.firstPeerListMs))} ms`,
    );
  } finally {
    for (const client of clients) await client.close().catch(() => undefined);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * A real full disk: the broker's data dir on a tmpfs of a few MiB, filled by sends until SQLite itself
 * answers SQLITE_FULL. The broker refuses sends with `store_unavailable` and is not ready; once space is
 * freed it is ready again on its own, and what a client retries is delivered exactly once. Mounting needs
 * root (or CAP_SYS_ADMIN); elsewhere the test is skipped with the reason printed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  closeAllPeers,
  connectMember,
  httpJson,
  isMessagePush,
  meshWith,
  startBroker,
  waitUntil,
  type BrokerProcess,
  type Frame,
  type RawPeer,
} from "../helpers/broker.js";

const MOUNT_SIZE = "8m";
/** Space taken before the broker starts and freed to end the fault. */
const BALLAST_BYTES = 5 * 1024 * 1024;
const PAYLOAD = "A".repeat(60_000);

const mountPoint = mkdtempSync(join(tmpdir(), "cm-disk-full-"));
let skipReason: string | null = null;
try {
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${MOUNT_SIZE}`, "tmpfs", mountPoint], { stdio: "pipe" });
} catch (err) {
  skipReason = `cannot mount a ${MOUNT_SIZE} tmpfs here (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
  rmSync(mountPoint, { recursive: true, force: true });
  console.warn(`disk-full.test.ts skipped: ${skipReason}`);
}

let broker: BrokerProcess | null = null;

afterAll(async () => {
  closeAllPeers();
  await broker?.stop();
  if (skipReason !== null) return;
  execFileSync("umount", ["-l", mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

function send(peer: RawPeer, to: string, cmid: string): Promise<Frame> {
  return peer.sendMessage({ targetSpec: to, ciphertext: PAYLOAD, client_message_id: cmid, id: cmid });
}

describe.skipIf(skipReason !== null)("a broker whose disk fills up", () => {
  it("refuses with store_unavailable while full, recovers when space is freed, and loses nothing", async () => {
    const ballast = join(mountPoint, "ballast");
    writeFileSync(ballast, Buffer.alloc(BALLAST_BYTES));
    const dataDir = join(mountPoint, "data");
    mkdirSync(dataDir, { mode: 0o700 });
    broker = await startBroker({ dataDir, sendRate: 0 });
    const b = broker;
    const { mesh, m } = await meshWith(b, ["alice", "bob"]);
    const alice = await connectMember(b.url, mesh.meshId, m.alice!);

    const accepted = new Map<string, string>();
    const refused: string[] = [];
    for (let i = 0; refused.length < 3; i++) {
      expect(i, "the disk never filled").toBeLessThan(200);
      const cmid = `fill-${i}`;
      const ack = await send(alice, m.bob!.pubkey, cmid);
      if (ack.queued === true) {
        expect(refused, "a send accepted after one was refused while still full").toEqual([]);
        accepted.set(cmid, ack.messageId as string);
      } else {
        expect(ack.error).toMatch(/^store_unavailable: /);
        refused.push(cmid);
      }
    }
    expect(accepted.size).toBeGreaterThan(0);
    const ready = await httpJson(b, "GET", "/health/ready");
    expect(ready).toMatchObject({ status: 503, body: { status: "not_ready", reason: "db_failing" } });
    expect(String((ready.body as { message?: string }).message)).toMatch(/SQLITE_FULL/);

    rmSync(ballast);
    await waitUntil(async () => (await httpJson(b, "GET", "/health/ready")).status === 200, {
      message: "ready again once space was freed",
    });
    for (const cmid of refused) {
      const ack = await send(alice, m.bob!.pubkey, cmid);
      expect(ack).toMatchObject({ queued: true });
      accepted.set(cmid, ack.messageId as string);
    }

    const bob = await connectMember(b.url, mesh.meshId, m.bob!);
    const pushed = () => bob.frames.filter(isMessagePush).map((f) => f.messageId as string);
    await waitUntil(() => new Set(pushed()).size === accepted.size, {
      timeoutMs: 10_000,
      message: "every accepted message pushed",
    });
    expect(pushed().sort()).toEqual([...accepted.values()].sort());
    const logs = b.logs().split("\n");

    expect(logs.filter((l) => l.includes("store failing"))).toHaveLength(1);
    expect(logs.filter((l) => l.includes("store recovered"))).toHaveLength(1);
  }, 60_000);
});

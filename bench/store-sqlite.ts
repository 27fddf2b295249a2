/**
 * Micro-benchmark of the SQLite store's hot path: accept → claim → ack of DMs in batches, the way the
 * broker batches per event-loop turn. Not a test; performance figures come from here.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/store-sqlite.js [messages] [batch] [file|memory]
 *
 * Wall-clock rates depend on what else the machine runs; the CPU column (this process's user + system
 * time) is steadier on a shared machine.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AckInput, AcceptInput, ClaimScope, MemberRow, Store } from "../src/broker/store/port/index.js";
import { createSqliteStore } from "../src/broker/store/sqlite/index.js";
import { timeOrderedMessageId, timeOrderedUuid } from "../src/crypto/index.js";

const TOTAL = Number(process.argv[2] ?? 20_000);
const BATCH = Number(process.argv[3] ?? 50);
const IN_MEMORY = process.argv[4] === "memory";
const RECIPIENTS = 50;
const LEASE_MS = 30_000;

const id = (): string => randomBytes(16).toString("hex");
const hex64 = (): string => randomBytes(32).toString("hex");

function member(meshId: string, role: MemberRow["role"], n: number): MemberRow {
  return {
    id: id(),
    meshId,
    pubkey: hex64(),
    displayName: `peer-${n}`,
    role,
    defaultGroups: [],
    joinedAt: Date.now(),
    revokedAt: null,
    revokeReason: null,
    saved: null,
  };
}

interface Fixture {
  store: Store;
  meshId: string;
  sender: MemberRow;
  recipients: MemberRow[];
  dir: string;
}

async function setup(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "claudemesh-bench-"));
  const store = createSqliteStore({ path: IN_MEMORY ? ":memory:" : join(dir, "broker.db") });
  await store.migrate();
  const meshId = id();
  const sender = member(meshId, "owner", 0);
  await store.createMesh(
    { id: meshId, name: "bench", slug: "bench", ownerMemberId: sender.id, createdAt: 0 },
    sender,
  );
  const recipients: MemberRow[] = [];
  for (let i = 1; i <= RECIPIENTS; i++) {
    const m = member(meshId, "member", i);
    await insertMember(store, meshId, m);
    recipients.push(m);
  }
  return { store, meshId, sender, recipients, dir };
}

/** Members join through an invite, like in production. */
async function insertMember(store: Store, meshId: string, m: MemberRow): Promise<void> {
  const code = `B${randomBytes(4).toString("hex")}`;
  await store.insertInvite({
    code,
    meshId,
    role: "member",
    maxUses: 1,
    uses: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
    inviterPubkey: "x",
    inviteSignature: "x",
    claimHash: "h",
    encryptedRootKey: "x",
    nonce: "x",
    revokedAt: null,
    createdAt: 0,
  });
  const result = await store.claimInvite({ code, claimHash: "h", newMember: m, now: 0 });
  if (result.status !== "ok") throw new Error(`bench setup: invite claim ${result.status}`);
}

function accepts(f: Fixture, count: number, seq: { n: number }): AcceptInput[] {
  const body = randomBytes(300).toString("base64");
  return Array.from({ length: count }, () => {
    const n = seq.n++;
    const to = f.recipients[n % RECIPIENTS];
    if (!to) throw new Error("no recipient");
    // As the daemon makes them.
    const clientMessageId = timeOrderedUuid();
    return {
      message: {
        // As the broker makes them (random ids cost a WAL page per message in the id index).
        id: timeOrderedMessageId(),
        meshId: f.meshId,
        senderMemberId: f.sender.id,
        senderPresenceId: "sender-presence",
        senderPubkey: f.sender.pubkey,
        senderName: "peer-0",
        targetSpec: to.pubkey,
        priority: "next",
        nonce: "bm9uY2Vub25jZW5vbmNlbm9uY2Vub25j",
        ciphertext: body,
        bodyVersion: null,
        replyToId: null,
        clientMessageId,
        requestFingerprint: null,
        topicId: null,
        createdAt: Date.now(),
      },
      deliveries: [
        {
          recipientKind: "member",
          recipientMemberId: to.id,
          recipientPubkey: to.pubkey,
          excludedPresence: "sender-presence",
        },
      ],
      idempotency: { clientMessageId, fingerprint: hex64() },
    };
  });
}

function scopes(f: Fixture): ClaimScope[] {
  return f.recipients.map((m) => ({
    meshId: f.meshId,
    presenceId: `presence-${m.id}`,
    sessionPubkey: null,
    memberId: m.id,
    priorities: ["now", "next", "low"],
    multicast: true,
  }));
}

/** Wall-clock milliseconds per phase, plus this process's CPU milliseconds (user + system) overall. */
interface Timings {
  accept: number;
  claim: number;
  ack: number;
  cpu: number;
  delivered: number;
}

function newTimings(): Timings {
  return { accept: 0, claim: 0, ack: 0, cpu: 0, delivered: 0 };
}

async function timed<T>(fn: () => Promise<T>, into: Timings, key: "accept" | "claim" | "ack"): Promise<T> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(cpu);
  into[key] += Number(process.hrtime.bigint() - start) / 1e6;
  into.cpu += (used.user + used.system) / 1e3;
  return result;
}

/** Claims everything claimable and acks it, one batch of scopes at a time. Returns how many were acked. */
async function drain(f: Fixture, t: Timings, perScope: number): Promise<number> {
  const claimed = await timed(
    () => f.store.claimDeliveries(scopes(f), Date.now(), LEASE_MS, perScope),
    t,
    "claim",
  );
  const acks: AckInput[] = [];
  claimed.forEach((rows, i) => {
    const m = f.recipients[i];
    if (!m) return;
    for (const row of rows) {
      acks.push({
        meshId: f.meshId,
        presenceId: `presence-${m.id}`,
        sessionPubkey: null,
        memberId: m.id,
        brokerMessageId: row.message.id,
        clientMessageId: row.message.clientMessageId,
      });
    }
  });
  let acked = 0;
  for (let i = 0; i < acks.length; i += BATCH) {
    const counts = await timed(() => f.store.ackDeliveries(acks.slice(i, i + BATCH), Date.now()), t, "ack");
    acked += counts.reduce((a, b) => a + b, 0);
  }
  return acked;
}

/** Accept a batch, claim it, ack it; repeat. */
async function interleaved(f: Fixture): Promise<Timings> {
  const t = newTimings();
  const seq = { n: 0 };
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    const batch = accepts(f, Math.min(BATCH, TOTAL - sent), seq);
    await timed(() => f.store.acceptMessages(batch), t, "accept");
    t.delivered += await drain(f, t, Math.ceil(BATCH / RECIPIENTS) + 1);
  }
  return t;
}

/** Accept everything first (a backlog, e.g. recipients offline), then drain it. */
async function backlog(f: Fixture): Promise<Timings> {
  const t = newTimings();
  const seq = { n: 0 };
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    const batch = accepts(f, Math.min(BATCH, TOTAL - sent), seq);
    await timed(() => f.store.acceptMessages(batch), t, "accept");
  }
  while (t.delivered < TOTAL) {
    const n = await drain(f, t, Math.max(1, Math.floor(BATCH / RECIPIENTS)));
    if (n === 0) throw new Error("backlog drain stalled");
    t.delivered += n;
  }
  return t;
}

function report(name: string, t: Timings): Record<string, number | string> {
  const total = t.accept + t.claim + t.ack;
  const perSec = (ms: number) => Math.round((t.delivered / ms) * 1000);
  return {
    scenario: name,
    messages: t.delivered,
    accept_per_s: perSec(t.accept),
    claim_per_s: perSec(t.claim),
    ack_per_s: perSec(t.ack),
    delivered_per_s: perSec(total),
    delivered_per_cpu_s: perSec(t.cpu),
    total_ms: Math.round(total),
  };
}

async function main(): Promise<void> {
  const results: Record<string, number | string>[] = [];
  for (const [name, run] of [
    ["interleaved", interleaved],
    ["backlog", backlog],
  ] as const) {
    const f = await setup();
    try {
      const t = await run(f);
      if (t.delivered !== TOTAL) throw new Error(`${name}: delivered ${t.delivered} of ${TOTAL}`);
      results.push(report(name, t));
      const start = process.hrtime.bigint();
      const swept = await f.store.sweep(Date.now() + 9 * 24 * 3_600_000, 1_000_000);
      results.push({
        scenario: `${name}: sweep after 9 days`,
        messages: swept.deletedMessages,
        total_ms: Math.round(Number(process.hrtime.bigint() - start) / 1e6),
      });
    } finally {
      await f.store.close();
      rmSync(f.dir, { recursive: true, force: true });
    }
  }
  console.table(results);
  console.log(JSON.stringify({ batch: BATCH, recipients: RECIPIENTS, inMemory: IN_MEMORY, results }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

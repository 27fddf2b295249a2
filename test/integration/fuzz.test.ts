/**
 * Fuzzing a live broker (protocol.md §1.2-§1.6, §1.10; must-never-happen 30, 31, 53): more than 10,000
 * malformed, oversized, wrong-typed and unknown frames over many connections, before and after hello,
 * plus mutated hellos. Every frame must get a structured reply (carrying its `_reqId` where it had one)
 * or a 1008/1009 close; the process must survive; and a well-behaved pair of peers keeps exchanging DMs
 * the whole time. The main broker runs with `--frame-rate 0` so frames reach validation; a second one
 * with the default limit checks that a blast is answered with `rate_limit` instead.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import {
  AppClient,
  RawPeer,
  addMember,
  connectMember,
  connectSession,
  createTestMesh,
  httpJson,
  memberHello,
  sessionHello,
  startBroker,
  useBroker,
  waitUntil,
  type Frame,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";
import { FuzzGenerator, prng, type FuzzFrame } from "../helpers/fuzz-frames.js";

const SEED = Number(process.env.CLAUDEMESH_FUZZ_SEED ?? Date.now() % 1_000_000_007);
const STREAMS = 16;
const FRAMES_PER_STREAM = 560;
const UNAUTH_STREAMS = 8;
const FRAMES_PER_UNAUTH = 150;
const HELLO_VARIANTS = 400;
const OVERSIZED = 20;
const RATE_BLAST = 400;
const REPLY_TIMEOUT_MS = 5_000;

/** Every error code the broker may send (protocol.md Appendix A). */
const ERROR_CODES = new Set([
  "malformed_frame",
  "unknown_message_type",
  "invalid_message",
  "no_hello",
  "already_authenticated",
  "internal_error",
  "rate_limit",
  "bad_session_pubkey",
  "bad_parent_pubkey",
  "attestation_mismatch",
  "capacity",
  "timestamp_skew",
  "malformed",
  "bad_signature",
  "replayed_hello",
  "expired",
  "ttl_too_long",
  "revoked",
  "unauthorized",
  "parent_member_id_mismatch",
  "hello_timeout",
  "forbidden",
  "invalid",
  "not_found",
  "invalid_argument",
  "ambiguous_prefix",
  "invalid_group_name",
  "too_large",
  "limit",
  "task_not_claimable",
  "task_not_found",
  "lease_held",
  "topic_not_found",
  "key_already_set",
  "key_not_sealed",
  "topic_unencrypted",
]);
const REPLY_TYPES = new Set([
  "hello_ack",
  "error",
  "ack",
  "ok",
  "peers_list",
  "members_list",
  "message_status_result",
  "list_bans_result",
  "disconnect_ack",
  "kick_ack",
  "ban_ack",
  "unban_ack",
  "mesh_info_result",
  "state_result",
  "state_list",
  "state_change",
  "context_shared",
  "context_results",
  "context_list",
  "memory_stored",
  "memory_results",
  "skill_ack",
  "skill_data",
  "skill_list",
  "task_created",
  "task_list",
  "lease_granted",
  "lease_released",
  "lease_list_result",
  "audit_result",
  "audit_verify_result",
  "topic_created",
  "topic_list_response",
  "topic_members_response",
  "topic_history_response",
  "topic_key_claimed",
  "topic_key",
  "topic_pending_seals_result",
  "topic_key_seal_ack",
  "file_url",
  "file_list",
  "file_status_result",
  "grant_file_access_ok",
  "scheduled_ack",
  "scheduled_list",
  "cancel_scheduled_ack",
]);

let mesh: TestMesh;
let fuzzers: TestMember[];
let alice: TestMember;
let bob: TestMember;

interface Tally {
  frames: number;
  replies: Map<string, number>;
  closes: Map<number, number>;
  internalErrors: string[];
}
const tally: Tally = { frames: 0, replies: new Map(), closes: new Map(), internalErrors: [] };

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

const broker = useBroker({ frameRate: 0, maxPeersPerMesh: 0 });

beforeAll(async () => {
  mesh = await createTestMesh(broker(), { name: "fuzz" });
  alice = await addMember(broker(), mesh, "alice");
  bob = await addMember(broker(), mesh, "bob");
  fuzzers = await Promise.all([0, 1, 2, 3].map((i) => addMember(broker(), mesh, `fuzzer-${i}`)));
  console.log(`fuzz seed ${SEED} (replay with CLAUDEMESH_FUZZ_SEED=${SEED})`);
});

function describeFrame(frame: FuzzFrame): string {
  const text = typeof frame.payload === "string" ? frame.payload : `<${frame.payload.length} bytes>`;
  return `${frame.kind}: ${text.slice(0, 200)} (seed ${SEED})`;
}

function transmit(peer: RawPeer, frame: FuzzFrame): void {
  if (frame.binary)
    peer.sendBinary(
      typeof frame.payload === "string" ? new TextEncoder().encode(frame.payload) : frame.payload,
    );
  else peer.sendText(frame.payload as string);
}

/**
 * Sends one frame and waits for its reply: the first non-push frame carrying the frame's `_reqId`, or
 * one without `_reqId`. Returns null when the socket closed instead.
 */
async function exchange(peer: RawPeer, frame: FuzzFrame): Promise<Frame | null> {
  const since = peer.mark();
  transmit(peer, frame);
  tally.frames++;
  try {
    const reply = await peer.waitFor(
      (f) => f.type !== "push" && (f._reqId === undefined || f._reqId === frame.reqId),
      { since, timeoutMs: REPLY_TIMEOUT_MS, what: `reply to ${describeFrame(frame)}` },
    );
    // An unauthenticated socket may reach its 10 s hello deadline mid-stream: that error ends it.
    if (reply.code !== "hello_timeout") checkReply(reply, frame);
    return reply;
  } catch (err) {
    if (peer.closeInfo) {
      count(tally.closes, peer.closeInfo.code);
      return null;
    }
    throw err;
  }
}

function checkReply(reply: Frame, frame: FuzzFrame): void {
  expect(REPLY_TYPES.has(reply.type), `reply type ${reply.type} to ${describeFrame(frame)}`).toBe(true);
  if (frame.reqId !== undefined) {
    expect(
      reply._reqId,
      `_reqId echoed for ${describeFrame(frame)}: ${JSON.stringify(reply).slice(0, 300)}`,
    ).toBe(frame.reqId);
  } else if (reply.type === "error") {
    // Only frames the broker cannot read a `_reqId` from are answered without one.
    expect(reply._reqId).toBeUndefined();
  }
  if (reply.type === "error") {
    expect(ERROR_CODES.has(reply.code as string), `error code ${String(reply.code)}`).toBe(true);
    expect(typeof reply.message).toBe("string");
    if (reply.code === "internal_error") tally.internalErrors.push(describeFrame(frame));
  }
  if (reply.type === "ack") expect(typeof reply.queued).toBe("boolean");
  count(tally.replies, reply.type === "error" ? `error:${String(reply.code)}` : reply.type);
}

/** Keeps alice and bob exchanging DMs until `stop` is set; every DM must arrive within 5 s. */
async function wellBehavedTraffic(stop: { done: boolean }): Promise<number> {
  const a = await AppClient.connect(broker().url, mesh.meshId, alice);
  const b = await AppClient.connect(broker().url, mesh.meshId, bob);
  let rounds = 0;
  while (!stop.done || rounds < 4) {
    const [from, to, key] = rounds % 2 === 0 ? [a, b, bob.pubkey] : [b, a, alice.pubkey];
    const ack = await from.client.sendDirect(key, `round ${rounds}`, { priority: "now" });
    expect(ack.queued, `DM round ${rounds}: ${ack.error ?? ""}`).toBe(true);
    expect((await to.waitFor(ack.messageId, 5_000)).text).toBe(`round ${rounds}`);
    rounds++;
    // Paced under the send rate limit (60/min per member; each sends every other round): a steady
    // stream for as long as the fuzz runs, never a burst that would drain the bucket.
    await new Promise((resolve) => setTimeout(resolve, 600));
  }
  return rounds;
}

async function authenticatedStream(gen: FuzzGenerator, index: number): Promise<void> {
  const member = fuzzers[index % fuzzers.length]!;
  const open = () =>
    index % 4 === 3
      ? connectSession(broker().url, mesh.meshId, member, generateIdentity(), {
          capabilities: ["client_ack", "ok_replies"],
          sessionId: `fz-session-${index}`,
        })
      : connectMember(broker().url, mesh.meshId, member, {
          capabilities: ["client_ack", "ok_replies"],
          sessionId: `fz-stream-${index}`,
        });
  let peer = await open();
  for (let i = 0; i < FRAMES_PER_STREAM; i++) {
    const reply = await exchange(peer, gen.authenticated());
    if (reply === null) {
      expect([1008, 1009]).toContain(peer.closeInfo?.code);
      peer = await open();
    }
  }
  peer.close();
}

async function unauthenticatedStream(gen: FuzzGenerator): Promise<void> {
  let peer = await RawPeer.connect(broker().url);
  for (let i = 0; i < FRAMES_PER_UNAUTH; i++) {
    const reply = await exchange(peer, gen.unauthenticated());
    if (reply === null || reply.code === "hello_timeout") {
      if (reply !== null) await peer.waitForClose();
      expect([1008, 1009]).toContain(peer.closeInfo?.code);
      peer = await RawPeer.connect(broker().url);
    } else {
      expect(["malformed_frame", "unknown_message_type", "no_hello"]).toContain(reply.code);
    }
  }
  peer.close();
}

async function helloVariant(gen: FuzzGenerator, index: number): Promise<void> {
  const member = fuzzers[index % fuzzers.length]!;
  const base =
    index % 2 === 0
      ? memberHello(mesh.meshId, member, { sessionId: `fz-hello-${index}` })
      : sessionHello(mesh.meshId, member, generateIdentity(), { sessionId: `fz-hello-${index}` });
  const frame = gen.mutateHello(base);
  const peer = await RawPeer.connect(broker().url);
  const reply = await exchange(peer, frame);
  if (reply === null) {
    // Closed without a reply: only a frame over the size limit does that.
    expect(peer.closeInfo?.code).toBe(1009);
  } else if (reply.type === "error") {
    const closed = await peer.waitForClose();
    count(tally.closes, closed.code);
    expect(closed.code, `close after ${String(reply.code)} for ${describeFrame(frame)}`).toBe(1008);
  } else {
    peer.send({ type: "bye" });
    await peer.waitForClose();
  }
}

async function oversizedFrame(gen: FuzzGenerator, authenticated: boolean, index: number): Promise<void> {
  const peer = authenticated
    ? await connectMember(broker().url, mesh.meshId, fuzzers[index % fuzzers.length]!, {
        sessionId: `fz-big-${index}`,
      })
    : await RawPeer.connect(broker().url);
  transmit(peer, gen.oversized());
  tally.frames++;
  const closed = await peer.waitForClose();
  count(tally.closes, closed.code);
  expect(closed.code).toBe(1009);
}

/** Runs `task(i)` for i < n with at most `width` in flight. */
async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

describe("fuzz", () => {
  it(
    "answers every hostile frame, never crashes, and keeps serving a well-behaved pair",
    { timeout: 120_000 },
    async () => {
      const stop = { done: false };
      const traffic = wellBehavedTraffic(stop).then(
        (rounds) => ({ rounds, error: null }),
        (error: unknown) => ({ rounds: 0, error }),
      );
      let fuzzError: unknown = null;
      try {
        await Promise.all([
          pool(STREAMS, STREAMS, (i) =>
            authenticatedStream(new FuzzGenerator(prng(SEED + i), bob.pubkey), i),
          ),
          pool(UNAUTH_STREAMS, UNAUTH_STREAMS, (i) =>
            unauthenticatedStream(new FuzzGenerator(prng(SEED + 100 + i), bob.pubkey)),
          ),
          (async () => {
            const gen = new FuzzGenerator(prng(SEED + 200), bob.pubkey);
            await pool(HELLO_VARIANTS, 16, (i) => helloVariant(gen, i));
          })(),
          (async () => {
            const gen = new FuzzGenerator(prng(SEED + 300), bob.pubkey);
            await pool(OVERSIZED, 4, (i) => oversizedFrame(gen, i % 2 === 0, i));
          })(),
        ]);
      } catch (err) {
        fuzzError = err;
      } finally {
        stop.done = true;
      }
      const { rounds, error } = await traffic;
      if (fuzzError) throw fuzzError;
      if (error) throw error;

      const summary = {
        seed: SEED,
        frames: tally.frames,
        rounds,
        replies: Object.fromEntries(tally.replies),
        closes: Object.fromEntries(tally.closes),
      };
      console.log(`fuzz summary ${JSON.stringify(summary)}`);
      expect(tally.frames).toBeGreaterThanOrEqual(10_000);
      expect(tally.internalErrors, "frames answered internal_error").toEqual([]);
      expect(rounds).toBeGreaterThanOrEqual(4);
      expect(broker().alive).toBe(true);
      const health = await httpJson(broker(), "GET", "/health");
      expect(health).toMatchObject({ status: 200, body: { status: "ok", db: "up" } });
    },
  );

  it("with the default frame rate, a blast of frames is answered with rate_limit, not dropped", async () => {
    const limited = await startBroker();
    try {
      const m = await createTestMesh(limited);
      const peer = await connectMember(limited.url, m.meshId, m.owner, {
        capabilities: ["client_ack", "ok_replies"],
      });
      const gen = new FuzzGenerator(prng(SEED + 400), m.owner.pubkey);
      const since = peer.mark();
      let expected = 0;
      for (let i = 0; i < RATE_BLAST; i++) {
        const frame = gen.validish();
        transmit(peer, frame);
        expected++;
      }
      const replies = await waitUntil(
        () => {
          const got = peer.frames.slice(since).filter((f) => f.type !== "push");
          return got.length >= expected ? got : undefined;
        },
        { timeoutMs: 15_000, message: `${expected} replies` },
      );
      expect(replies).toHaveLength(expected);
      const rateLimited = replies.filter((f) => f.type === "error" && f.code === "rate_limit");
      expect(rateLimited.length).toBeGreaterThan(0);
      expect(rateLimited.every((f) => typeof f._reqId === "string")).toBe(true);
      expect(peer.open).toBe(true);
      expect(limited.alive).toBe(true);
    } finally {
      await limited.dispose();
    }
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { boxEncrypt, generateIdentity } from "../../src/crypto/index.js";
import type { SseSink } from "../../src/daemon/ipc/app.js";
import type { RegisterSessionResponse } from "../../src/daemon-api/contract.js";
import { pushFrame, startHarness, type Harness } from "./fake-broker.js";
import { waitUntil } from "../helpers/deadline.js";

let h: Harness;
const peer = generateIdentity();

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

interface Received {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** Opens `GET /v1/events` in-process and collects what it writes. */
async function subscribe(token?: string, lastEventId?: number) {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `ClaudeMesh-Session ${token}`;
  if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
  const response = await h.app.handle({ method: "GET", url: "/v1/events", headers });
  if (!("sse" in response)) throw new Error(`not a stream: ${JSON.stringify(response.body)}`);
  let text = "";
  let ended = false;
  const closers: Array<() => void> = [];
  const sink: SseSink = {
    write: (chunk) => {
      text += chunk;
    },
    end: () => {
      ended = true;
    },
    onClose: (l) => closers.push(l),
  };
  response.sse(sink);
  return {
    get ended() {
      return ended;
    },
    get text() {
      return text;
    },
    /** The id of the last block without data: where the stream stands. */
    position(): number | null {
      const blocks = text.split("\n\n").filter((block) => /^id: \d+$/.test(block));
      return blocks.length === 0 ? null : Number(blocks.at(-1)!.slice(4));
    },
    /** The bodies of the `message` events, in order. */
    messageBodies(): string[] {
      return this.events()
        .filter((e) => e.event === "message")
        .map(bodyOf);
    },
    events(): Received[] {
      return text
        .split("\n\n")
        .filter((block) => block.startsWith("id:") && block.includes("\ndata:"))
        .map((block) => {
          const lines = Object.fromEntries(
            block.split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
          );
          return { id: Number(lines.id), event: lines.event ?? "", data: JSON.parse(lines.data ?? "null") };
        });
    },
    close: () => closers.forEach((c) => c()),
  };
}

async function register(sessionId: string): Promise<RegisterSessionResponse> {
  const res = await h.request<RegisterSessionResponse>("POST", "/v1/sessions/register", {
    body: { pid: process.pid, session_id: sessionId, cwd: "/" },
  });
  return res.body;
}

function dm(recipient: string, text: string) {
  return pushFrame({
    meshId: h.meshes[0]!.config.mesh_id,
    senderPubkey: peer.publicKey,
    senderMemberPubkey: peer.publicKey,
    targetSpec: recipient,
    recipientPubkey: recipient,
    ...boxEncrypt(text, recipient, peer.secretKey),
  });
}

const bodyOf = (e: Received): string => (e.data.message as { body: string }).body;

describe("GET /v1/events", () => {
  it("filters message events per caller like the inbox", async () => {
    const a = await register("a");
    const b = await register("b");
    const streamA = await subscribe(a.token);
    const ambient = await subscribe();
    await h.broker.sessionLink(a.session_pubkey).push(dm(a.session_pubkey, "to a"));
    await h.broker.sessionLink(b.session_pubkey).push(dm(b.session_pubkey, "to b"));
    await h.broker.control().push(dm(h.meshes[0]!.member.publicKey, "to member"));

    const messagesA = streamA.events().filter((e) => e.event === "message");
    expect(messagesA.map(bodyOf)).toEqual(["to a", "to member"]);
    expect(messagesA[0]!.data.session_pubkey).toBe(a.session_pubkey);
    expect(messagesA[1]!.data.session_pubkey).toBeNull();
    expect(ambient.messageBodies()).toEqual(["to member"]);
    const ids = messagesA.map((e) => e.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  it("replays missed message events from the inbox after Last-Event-ID", async () => {
    const a = await register("a");
    const first = await subscribe(a.token);
    await h.broker.sessionLink(a.session_pubkey).push(dm(a.session_pubkey, "one"));
    const seen = first.events().at(-1)!.id;
    first.close();
    await h.broker.sessionLink(a.session_pubkey).push(dm(a.session_pubkey, "two"));
    await h.broker.control().push(dm(h.meshes[0]!.member.publicKey, "three"));

    const resumed = await subscribe(a.token, seen);
    expect(resumed.messageBodies()).toEqual(["two", "three"]);
    // And it keeps streaming live events after the replay.
    await h.broker.sessionLink(a.session_pubkey).push(dm(a.session_pubkey, "four"));
    expect(resumed.messageBodies()).toEqual(["two", "three", "four"]);
  });

  it("gives each stream its position, so one that saw no event yet resumes without a gap", async () => {
    const stream = await subscribe();
    const position = stream.position();
    expect(position).not.toBeNull();
    expect(stream.events()).toEqual([]);
    stream.close();
    await h.broker.control().push(dm(h.meshes[0]!.member.publicKey, "while away"));
    await h.restart();
    const resumed = await subscribe(undefined, position!);
    expect(resumed.messageBodies()).toEqual(["while away"]);
    expect(resumed.position()).toBeGreaterThanOrEqual(resumed.events().at(-1)!.id);
  });

  it("survives a daemon restart: replay uses ids stored with the messages", async () => {
    const stream = await subscribe();
    await h.broker.control().push(dm(h.meshes[0]!.member.publicKey, "before"));
    const seen = stream.events().at(-1)!.id;
    await h.broker.control().push(dm(h.meshes[0]!.member.publicKey, "missed"));
    await h.restart();
    const resumed = await subscribe(undefined, seen);
    expect(resumed.messageBodies()).toEqual(["missed"]);
    await h.broker.control().push(dm(h.meshes[0]!.member.publicKey, "after restart"));
    const ids = resumed.events().map((e) => e.id);
    expect(ids[ids.length - 1]).toBeGreaterThan(ids[0]!);
  });

  it("turns system pushes into peer_join / peer_leave and broker state into broker_status", async () => {
    const stream = await subscribe();
    h.broker.control().system("peer_joined", {
      name: "bob",
      pubkey: "b".repeat(64),
      memberPubkey: "c".repeat(64),
      peerRole: "session",
      groups: [],
    });
    h.broker.control().system("peer_left", {
      name: "bob",
      pubkey: "b".repeat(64),
      memberPubkey: "c".repeat(64),
      peerRole: "session",
    });
    h.broker.setUp(false);
    const events = stream.events();
    expect(events.map((e) => e.event)).toEqual(["peer_join", "peer_leave", "broker_status"]);
    expect(events[0]!.data).toEqual({
      mesh: "alpha",
      display_name: "bob",
      pubkey: "c".repeat(64),
      session_pubkey: "b".repeat(64),
      peer_role: "session",
    });
    expect(events[2]!.data).toMatchObject({ mesh: "alpha", state: "disconnected" });
  });

  it("turns a coalesced peer_events push into one stream event each, and peers_changed when some were omitted", async () => {
    const stream = await subscribe();
    const bob = {
      name: "bob",
      pubkey: "b".repeat(64),
      memberPubkey: "b".repeat(64),
      peerRole: "control-plane",
    };
    h.broker.control().system("peer_events", {
      events: [
        { event: "peer_joined", ...bob, groups: [] },
        { event: "peer_hidden", ...bob },
        { event: "peer_left", ...bob },
      ],
      omitted: 5,
    });
    await waitUntil(() => stream.events().length >= 4);
    const events = stream.events();
    expect(events.map((e) => e.event)).toEqual(["peer_join", "system", "peer_leave", "system"]);
    expect(events[0]!.data).toEqual({
      mesh: "alpha",
      display_name: "bob",
      pubkey: "b".repeat(64),
      session_pubkey: null,
      peer_role: "control-plane",
    });
    expect(events[1]!.data).toMatchObject({ mesh: "alpha", event: "peer_hidden" });
    expect(events[3]!.data).toEqual({
      mesh: "alpha",
      event: "peers_changed",
      data: { shown: 3, omitted: 5 },
    });
  });

  it("sends session_end to the ended session's stream only, then ends that stream", async () => {
    const a = await register("a");
    const b = await register("b");
    const streamA = await subscribe(a.token);
    const streamB = await subscribe(b.token);
    expect((await h.request("DELETE", `/v1/sessions/${a.token}`)).status).toBe(200);
    await waitUntil(() => streamA.ended);
    expect(streamA.events().map((e) => e.event)).toEqual(["session_end"]);
    expect(streamB.events()).toEqual([]);
    expect(streamB.ended).toBe(false);
  });

  it("refuses an unknown session token instead of widening to the member stream", async () => {
    const response = await h.app.handle({
      method: "GET",
      url: "/v1/events",
      headers: { authorization: `ClaudeMesh-Session ${"0".repeat(64)}` },
    });
    expect(response).toMatchObject({ status: 401 });
  });
});

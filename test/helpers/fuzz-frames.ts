/**
 * Generated hostile input for the broker fuzz test: random JSON, known frame types with wrong field
 * types, random and look-alike type names, binary garbage, deep nesting, huge strings, prototype keys,
 * and mutated hellos. Everything comes from one seeded PRNG, so a failing seed can be replayed with
 * CLAUDEMESH_FUZZ_SEED.
 */

/** mulberry32: small, fast, good enough to pick fuzz cases reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One fuzz case: the bytes to send and how. `reqId` is set when the frame carries a usable `_reqId`. */
export interface FuzzFrame {
  kind: string;
  payload: string | Uint8Array;
  binary: boolean;
  /** The frame's `_reqId` when it is an object with a string `type` and a string `_reqId`. */
  reqId?: string;
}

/** Types that start a handshake or end the connection or membership: never generated at random. */
const SESSION_ENDING = new Set(["hello", "session_hello", "bye", "leave_mesh"]);

/** Frame types the broker knows after hello, except those that end the connection or the membership. */
export const FUZZ_KNOWN_TYPES = [
  "send",
  "client_ack",
  "message_status",
  "set_status",
  "set_summary",
  "set_stats",
  "set_visible",
  "set_profile",
  "join_group",
  "leave_group",
  "list_peers",
  "list_members",
  "disconnect",
  "kick",
  "ban",
  "unban",
  "list_bans",
  "mesh_info",
  "set_state",
  "get_state",
  "list_state",
  "share_context",
  "get_context",
  "list_contexts",
  "remember",
  "recall",
  "forget",
  "share_skill",
  "get_skill",
  "list_skills",
  "remove_skill",
  "create_task",
  "claim_task",
  "complete_task",
  "list_tasks",
  "lease_acquire",
  "lease_renew",
  "lease_release",
  "lease_list",
  "audit_query",
  "audit_verify",
  "topic_create",
  "topic_list",
  "topic_join",
  "topic_leave",
  "topic_members",
  "topic_history",
  "topic_mark_read",
  "topic_key_claim",
  "topic_key_get",
  "topic_pending_seals",
  "topic_key_seal",
  "get_file",
  "list_files",
  "file_status",
  "delete_file",
  "grant_file_access",
  "schedule",
  "list_scheduled",
  "cancel_scheduled",
] as const;

export class FuzzGenerator {
  private counter = 0;

  constructor(
    readonly random: () => number,
    /** A real member key, so some sends are valid DMs. */
    private readonly dmTarget: string,
  ) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  string(maxLength = 24): string {
    const alphabets = [
      "abcdefghijklmnopqrstuvwxyz",
      "0123456789abcdef",
      " |@#*/\\\"'{}[]:,\n\t\u0000",
      "é漢字🙂\u200b\ufeff",
    ];
    const alphabet = [...this.pick(alphabets)];
    let out = "";
    const n = this.int(maxLength + 1);
    for (let i = 0; i < n; i++) out += this.pick(alphabet);
    return out;
  }

  hugeString(): string {
    return this.pick(["x", "é", "🙂", "\\", "\u0000"]).repeat(1_000 + this.int(60_000));
  }

  /** A random JSON value up to `depth` levels deep. */
  json(depth = 3): unknown {
    const roll = this.int(depth <= 0 ? 5 : 8);
    switch (roll) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, -0, Number.MAX_SAFE_INTEGER + 2]);
      case 3:
        return this.string();
      case 4:
        return this.chance(0.02) ? this.hugeString() : this.string(8);
      case 5:
      case 6: {
        const obj: Record<string, unknown> = {};
        const n = this.int(5);
        for (let i = 0; i < n; i++) {
          const key = this.chance(0.3) ? this.pick(["type", "_reqId", "id"]) : this.string(6);
          const value = this.json(depth - 1);
          obj[key] = key === "type" && typeof value === "string" && SESSION_ENDING.has(value) ? "x" : value;
        }
        return obj;
      }
      default:
        return Array.from({ length: this.int(5) }, () => this.json(depth - 1));
    }
  }

  /** A value of a type the schema does not expect (or a shape it cannot take). */
  wrongValue(): unknown {
    return this.pick<() => unknown>([
      () => null,
      () => 42,
      () => -1,
      () => 1e308,
      () => true,
      () => [],
      () => ({}),
      () => "",
      () => this.string(),
      () => [this.string(), 1, null],
      () => ({ nested: { deeper: [this.string()] } }),
      () => this.hugeString(),
      () => "0".repeat(64),
      () => "Z".repeat(64),
      () => nestedArray(500),
    ])();
  }

  /** A valid-looking frame of `type`, before mutation. */
  template(type: string): Record<string, unknown> {
    switch (type) {
      case "send":
        return {
          type,
          targetSpec: this.pick([this.dmTarget, "*", "@all", "@team", "#topic", "nobody"]),
          priority: this.pick(["now", "next", "low"]),
          nonce: "",
          ciphertext: "eA==",
        };
      case "client_ack":
        return { type, brokerMessageId: this.string(32), clientMessageId: this.string(16) };
      case "message_status":
        return { type, messageId: this.pick(["abcdefgh", "A".repeat(32), this.string(40)]) };
      case "set_status":
        return {
          type,
          status: this.pick(["idle", "working", "dnd"]),
          source: this.pick(["hook", "manual", "inferred"]),
        };
      case "set_summary":
        return { type, summary: this.string(80) };
      case "set_stats":
        return { type, stats: { messagesIn: this.int(10), toolCalls: this.int(10) } };
      case "set_visible":
        return { type, visible: true };
      case "set_profile":
        return { type, title: this.string(10), capabilities: [this.string(5)] };
      case "join_group":
      case "leave_group":
        return { type, name: this.pick(["team", "a/b", "@bad", "a//b", "all", this.string(10)]) };
      case "disconnect":
      case "kick":
        return { type, target: this.string(10), all: this.chance(0.3) };
      case "ban":
      case "unban":
        return { type, target: this.string(10) };
      case "remember":
        return { type, content: this.string(40), tags: [this.string(5)] };
      case "recall":
        return { type, query: this.string(20), queryTokens: this.chance(0.3) ? ["0".repeat(32)] : undefined };
      case "forget":
        return { type, memoryId: this.string(36) };
      case "share_skill":
        return {
          type,
          name: this.pick(["review", "bad name", this.string(10)]),
          description: "",
          instructions: this.string(40),
        };
      case "get_skill":
      case "remove_skill":
        return { type, name: this.string(10) };
      case "list_skills":
        return { type, query: this.string(5) };
      case "create_task":
        return { type, title: this.string(20), priority: this.pick(["low", "high"]), tags: [this.string(4)] };
      case "claim_task":
      case "complete_task":
        return { type, taskId: this.pick([this.string(32), "A".repeat(32)]), result: this.string(10) };
      case "list_tasks":
        return { type, status: this.pick(["open", "claimed", "done", "closed"]) };
      case "lease_acquire":
      case "lease_renew":
        return {
          type,
          resource: this.pick(["r:src/", "r:src/a.ts", this.string(20)]),
          ttlMs: this.pick([60_000, 600_000, 1_000, 86_400_001]),
        };
      case "lease_release":
        return { type, resource: this.pick(["r:src/", this.string(20)]) };
      case "lease_list":
        return { type, prefix: this.string(4) };
      case "audit_query":
        return { type, limit: this.pick([1, 100, 500, 0, 501]), beforeSeq: this.pick([1, 5, -1]) };
      case "topic_create":
        return {
          type,
          name: this.pick(["general", "ops", "-bad", "Bad Name", this.string(8)]),
          visibility: this.pick(["public", "private", "dm", "secret"]),
        };
      case "topic_join":
      case "topic_leave":
      case "topic_members":
      case "topic_mark_read":
      case "topic_key_get":
        return {
          type,
          topic: this.pick(["general", "ops", this.string(36)]),
          member: this.pick([undefined, "0".repeat(64)]),
        };
      case "topic_history":
        return {
          type,
          topic: this.pick(["general", this.string(36)]),
          limit: this.pick([1, 50, 200, 0, 201]),
          beforeId: this.pick([undefined, "A".repeat(32)]),
        };
      case "topic_pending_seals":
        return { type, topic: this.pick([undefined, "general", this.string(10)]) };
      case "topic_key_claim":
      case "topic_key_seal":
        return {
          type,
          topic: this.pick(["general", "ops", this.string(36)]),
          memberPubkey: "0".repeat(64),
          keyId: this.pick(["0".repeat(16), this.string(16)]),
          sealedKey: this.string(108),
          sealSig: this.pick(["0".repeat(128), this.string(20)]),
        };
      case "get_file":
      case "file_status":
      case "delete_file":
        return { type, fileId: this.pick([this.string(32), "A".repeat(32), "../x"]) };
      case "list_files":
        return { type, query: this.string(5), from: this.string(5) };
      case "grant_file_access":
        return {
          type,
          fileId: this.string(32),
          peerPubkey: this.pick(["0".repeat(64), this.string(64)]),
          sealedKey: this.pick(["YQ==", "not base64!"]),
        };
      default:
        return { type };
    }
  }

  private nextReqId(): string {
    return `fz-${++this.counter}`;
  }

  private objectFrame(kind: string, frame: Record<string, unknown>, binary = this.chance(0.1)): FuzzFrame {
    const reqId =
      typeof frame.type === "string" && typeof frame._reqId === "string" ? frame._reqId : undefined;
    const text = JSON.stringify(frame);
    return { kind, payload: binary ? new TextEncoder().encode(text) : text, binary, reqId };
  }

  /** A frame for an authenticated connection (no hello, bye or leave_mesh). */
  authenticated(): FuzzFrame {
    const roll = this.random();
    if (roll < 0.4) return this.wrongTyped();
    if (roll < 0.55) return this.validish();
    if (roll < 0.65) return this.randomType();
    if (roll < 0.75) return this.randomJson();
    if (roll < 0.82) return this.binaryGarbage();
    if (roll < 0.88) return this.deepNesting();
    if (roll < 0.93) return this.prototypeKeys();
    if (roll < 0.96) return this.hugeField();
    return this.notJson();
  }

  /** A frame for a connection that has not said hello (no hello types). */
  unauthenticated(): FuzzFrame {
    const roll = this.random();
    if (roll < 0.35) return this.wrongTyped();
    if (roll < 0.5) return this.randomType();
    if (roll < 0.7) return this.randomJson();
    if (roll < 0.8) return this.binaryGarbage();
    if (roll < 0.9) return this.notJson();
    return this.deepNesting();
  }

  /** A known type with one to three fields given the wrong type, removed, or added. */
  wrongTyped(): FuzzFrame {
    const frame = this.template(this.pick(FUZZ_KNOWN_TYPES));
    const keys = Object.keys(frame).filter((k) => k !== "type");
    const edits = 1 + this.int(3);
    for (let i = 0; i < edits; i++) {
      const action = this.int(3);
      const key = keys.length > 0 && action < 2 ? this.pick(keys) : this.string(8) || "extra";
      if (action === 1) delete frame[key];
      else frame[key] = this.wrongValue();
    }
    frame._reqId = this.chance(0.9) ? this.nextReqId() : this.wrongValue();
    return this.objectFrame("wrong-typed", frame);
  }

  /** A plausible frame of a known type (some valid, some not). */
  validish(): FuzzFrame {
    const frame = this.template(this.pick(FUZZ_KNOWN_TYPES));
    frame._reqId = this.nextReqId();
    return this.objectFrame("validish", frame);
  }

  randomType(): FuzzFrame {
    const type = this.pick([
      this.string(12),
      this.string(300),
      "",
      "HELLO",
      "Send",
      "send ",
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "vector_search",
      "mcp_call",
      "set_state",
      "topic_create",
      "push",
      "ack",
      "error",
    ]);
    const safe = SESSION_ENDING.has(type) ? `${type}-x` : type;
    return this.objectFrame("random-type", { type: safe, _reqId: this.nextReqId(), data: this.json(2) });
  }

  randomJson(): FuzzFrame {
    const value = this.json(4);
    const text = JSON.stringify(value) ?? "null";
    const binary = this.chance(0.1);
    const frame =
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {};
    const reqId =
      typeof frame.type === "string" && typeof frame._reqId === "string" ? frame._reqId : undefined;
    return { kind: "random-json", payload: binary ? new TextEncoder().encode(text) : text, binary, reqId };
  }

  binaryGarbage(): FuzzFrame {
    const bytes = new Uint8Array(1 + this.int(this.chance(0.05) ? 100_000 : 512));
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.int(256);
    return { kind: "binary-garbage", payload: bytes, binary: true };
  }

  notJson(): FuzzFrame {
    const text = this.pick([
      "",
      "{",
      "}",
      "nul",
      "[1,2",
      '{"type":',
      '{"type":"send"',
      "NaN",
      "undefined",
      "'single'",
      this.string(40),
      '{"type":"send"}garbage',
    ]);
    return { kind: "not-json", payload: text, binary: false };
  }

  deepNesting(): FuzzFrame {
    const depth = this.pick([100, 1_000, 10_000, 50_000]);
    const where = this.pick(["array", "object", "field"]);
    let text: string;
    if (where === "array") text = "[".repeat(depth) + "]".repeat(depth);
    else if (where === "object") text = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    else {
      const type = this.pick(FUZZ_KNOWN_TYPES);
      const reqId = this.nextReqId();
      text = `{"type":"${type}","_reqId":"${reqId}","targetSpec":${"[".repeat(depth)}${"]".repeat(depth)},"name":${'{"x":'.repeat(Math.min(depth, 5_000))}1${"}".repeat(Math.min(depth, 5_000))}}`;
      return { kind: "deep-field", payload: text, binary: false, reqId };
    }
    return { kind: `deep-${where}`, payload: text, binary: false };
  }

  prototypeKeys(): FuzzFrame {
    const type = this.pick(FUZZ_KNOWN_TYPES);
    const reqId = this.nextReqId();
    const text = this.pick([
      `{"type":"${type}","_reqId":"${reqId}","__proto__":{"type":"bye","polluted":true}}`,
      `{"type":"${type}","_reqId":"${reqId}","constructor":{"prototype":{"polluted":true}}}`,
      `{"__proto__":{"type":"list_peers"},"_reqId":"${reqId}"}`,
      `{"type":"${type}","_reqId":"${reqId}","toString":1,"valueOf":null,"hasOwnProperty":"x"}`,
    ]);
    const hasType = !text.startsWith('{"__proto__"');
    return { kind: "prototype", payload: text, binary: false, reqId: hasType ? reqId : undefined };
  }

  hugeField(): FuzzFrame {
    const frame = this.template(this.pick(FUZZ_KNOWN_TYPES));
    const keys = Object.keys(frame).filter((k) => k !== "type");
    frame[keys.length > 0 ? this.pick(keys) : "pad"] = "h".repeat(100_000 + this.int(150_000));
    frame._reqId = this.nextReqId();
    return this.objectFrame("huge-field", frame, false);
  }

  /** A frame over the 262,144-byte limit. */
  oversized(): FuzzFrame {
    const text = JSON.stringify({
      type: this.pick(FUZZ_KNOWN_TYPES),
      pad: "o".repeat(262_145 + this.int(100_000)),
    });
    return { kind: "oversized", payload: text, binary: this.chance(0.3) };
  }

  /** A hello or session hello with one to three fields broken (or none: it may succeed). */
  mutateHello(hello: Record<string, unknown>): FuzzFrame {
    const frame: Record<string, unknown> = structuredClone(hello);
    const edits = this.int(4);
    for (let i = 0; i < edits; i++) {
      const keys = Object.keys(frame).filter((k) => k !== "type");
      const key = this.pick(keys);
      const action = this.int(4);
      if (action === 0) delete frame[key];
      else if (action === 1) frame[key] = this.wrongValue();
      else if (
        action === 2 &&
        typeof frame.parentAttestation === "object" &&
        frame.parentAttestation !== null
      ) {
        const att = frame.parentAttestation as Record<string, unknown>;
        att[this.pick(["expiresAt", "signature", "sessionPubkey", "parentMemberPubkey"])] = this.wrongValue();
      } else frame[this.string(8) || "extra"] = this.json(2);
    }
    if (this.chance(0.1)) frame.parentAttestation = this.pick([null, [], "att", 1, nestedArray(200)]);
    return this.objectFrame("hello-variant", frame);
  }
}

function nestedArray(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

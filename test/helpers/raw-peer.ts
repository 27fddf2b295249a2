/**
 * A raw WebSocket peer for integration tests: builds signed hellos (and deliberately broken ones), sends
 * any bytes, records every frame and the close, and waits for frames by predicate with a deadline.
 * It acks pushes itself unless told not to, so tests can also play a client that drops before acking.
 */
import WebSocket from "ws";
import { sign, type Identity } from "../../src/crypto/index.js";
import { attestationCanonical, helloCanonical, sessionHelloCanonical } from "../../src/protocol/canonical.js";

export type Frame = { type: string; [field: string]: unknown };
export interface CloseInfo {
  code: number;
  reason: string;
}

/** What a hello needs of a member. */
export interface MemberKeys {
  memberId: string;
  pubkey: string;
  secretKey: string;
}

const lastTimestamp = new Map<string, number>();

/** A timestamp never used before by `key` in this process (two hellos in one ms would be a replay). */
export function freshTimestamp(key: string, base = Date.now()): number {
  const ts = Math.max(base, (lastTimestamp.get(key) ?? 0) + 1);
  lastTimestamp.set(key, ts);
  return ts;
}

export interface HelloFields {
  sessionId?: string;
  displayName?: string;
  capabilities?: string[];
  groups?: { name: string; role?: string }[];
  pid?: number;
  cwd?: string;
  /** @default a fresh `Date.now()` */
  timestamp?: number;
}

function profile(fields: HelloFields): Record<string, unknown> {
  const out: Record<string, unknown> = {
    sessionId: fields.sessionId ?? `test-${Math.random().toString(36).slice(2, 10)}`,
    pid: fields.pid ?? process.pid,
    cwd: fields.cwd ?? "/tmp/claudemesh-test",
    capabilities: fields.capabilities ?? ["client_ack"],
  };
  if (fields.displayName !== undefined) out.displayName = fields.displayName;
  if (fields.groups !== undefined) out.groups = fields.groups;
  return out;
}

/** A member `hello` signed by the member key. `overrides` are applied after signing (to tamper). */
export function memberHello(
  meshId: string,
  member: MemberKeys,
  fields: HelloFields = {},
  overrides: Record<string, unknown> = {},
): Frame {
  const timestamp = fields.timestamp ?? freshTimestamp(member.pubkey);
  const signature = sign(
    helloCanonical({ meshId, memberId: member.memberId, pubkey: member.pubkey, timestamp }),
    member.secretKey,
  );
  return {
    type: "hello",
    meshId,
    memberId: member.memberId,
    pubkey: member.pubkey,
    ...profile(fields),
    timestamp,
    signature,
    ...overrides,
  };
}

export interface SessionHelloFields extends HelloFields {
  /** @default now + 12 h */
  expiresAt?: number;
  /** Secret key that signs the attestation. @default the member's */
  attestationSigner?: string;
  /** Secret key that signs the hello. @default the session's */
  helloSigner?: string;
}

/** A `session_hello` with a parent attestation. `overrides` are applied after signing. */
export function sessionHello(
  meshId: string,
  member: MemberKeys,
  session: Identity,
  fields: SessionHelloFields = {},
  overrides: Record<string, unknown> = {},
): Frame {
  const expiresAt = fields.expiresAt ?? Date.now() + 12 * 3_600_000;
  const attestation = {
    sessionPubkey: session.publicKey,
    parentMemberPubkey: member.pubkey,
    expiresAt,
    signature: sign(
      attestationCanonical({
        parentMemberPubkey: member.pubkey,
        sessionPubkey: session.publicKey,
        expiresAt,
      }),
      fields.attestationSigner ?? member.secretKey,
    ),
  };
  const timestamp = fields.timestamp ?? freshTimestamp(session.publicKey);
  const signature = sign(
    sessionHelloCanonical({
      meshId,
      parentMemberPubkey: member.pubkey,
      sessionPubkey: session.publicKey,
      timestamp,
    }),
    fields.helloSigner ?? session.secretKey,
  );
  return {
    type: "session_hello",
    meshId,
    parentMemberId: member.memberId,
    parentMemberPubkey: member.pubkey,
    sessionPubkey: session.publicKey,
    parentAttestation: attestation,
    channel: "claudemesh-session",
    ...profile(fields),
    timestamp,
    signature,
    ...overrides,
  };
}

interface Waiter {
  predicate: (frame: Frame) => boolean;
  since: number;
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface WaitForOptions {
  /** @default 5000 */
  timeoutMs?: number;
  /** Only frames at or after this index (see {@link RawPeer.mark}). @default 0 */
  since?: number;
  /** Named in the timeout message. */
  what?: string;
}

const openPeers = new Set<RawPeer>();

/** Terminates every peer opened in this process (afterEach/afterAll). */
export function closeAllPeers(): void {
  for (const peer of openPeers) peer.terminate();
  openPeers.clear();
}

let reqCounter = 0;

export class RawPeer {
  readonly frames: Frame[] = [];
  /** Raw text of frames that were not JSON objects (never expected from the broker). */
  readonly unparsed: string[] = [];
  closeInfo: CloseInfo | null = null;
  readonly closed: Promise<CloseInfo>;
  helloAck: Frame | null = null;
  /** Called for every frame, after it is recorded (e.g. to reply the instant a frame arrives). */
  onFrame: ((frame: Frame) => void) | null = null;
  private waiters: Waiter[] = [];

  private constructor(
    readonly ws: WebSocket,
    /** Sends `client_ack` for every non-system push as soon as it arrives. */
    public autoAck: boolean,
  ) {
    openPeers.add(this);
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        openPeers.delete(this);
        this.closeInfo = { code, reason: reason.toString("utf8") };
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(
            new Error(`socket closed (${code} ${this.closeInfo.reason}) while waiting; ${this.describe()}`),
          );
        }
        resolve(this.closeInfo);
      });
    });
    ws.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    ws.on("error", () => {
      // Surfaced through the close event (code 1006) that always follows.
    });
  }

  static async connect(url: string, options: { autoAck?: boolean } = {}): Promise<RawPeer> {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    const peer = new RawPeer(ws, options.autoAck ?? true);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return peer;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Index of the next frame; pass as `since` to look only at frames after this point. */
  mark(): number {
    return this.frames.length;
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  sendBinary(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  /** Sends `frame` with a fresh `_reqId` and waits for the frame that carries it back. */
  async request(frame: Frame, timeoutMs = 5_000): Promise<Frame> {
    const reqId = `r${++reqCounter}`;
    const since = this.mark();
    this.send({ ...frame, _reqId: reqId });
    return this.waitFor((f) => f._reqId === reqId, { since, timeoutMs, what: `reply to ${frame.type}` });
  }

  /** Sends a `send` frame and waits for its `ack` (matched by `_reqId`). */
  sendMessage(fields: Record<string, unknown>, timeoutMs = 5_000): Promise<Frame> {
    return this.request({ type: "send", priority: "now", nonce: "", ...fields } as Frame, timeoutMs);
  }

  /** The first frame (from `since`) matching `predicate`, now or when it arrives. */
  waitFor(predicate: (frame: Frame) => boolean, options: WaitForOptions = {}): Promise<Frame> {
    const since = options.since ?? 0;
    const found = this.frames.slice(since).find(predicate);
    if (found) return Promise.resolve(found);
    if (this.closeInfo) {
      return Promise.reject(new Error(`socket already closed (${this.closeInfo.code}); ${this.describe()}`));
    }
    const timeoutMs = options.timeoutMs ?? 5_000;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        since,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new Error(`no ${options.what ?? "matching frame"} within ${timeoutMs} ms; ${this.describe()}`),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits for an `error` frame with `code`. */
  waitForError(code: string, options: WaitForOptions = {}): Promise<Frame> {
    return this.waitFor((f) => f.type === "error" && f.code === code, { what: `error ${code}`, ...options });
  }

  /** Waits for a non-system push of `messageId` (or any non-system push). */
  waitForPush(messageId?: string, options: WaitForOptions = {}): Promise<Frame> {
    return this.waitFor((f) => isMessagePush(f) && (messageId === undefined || f.messageId === messageId), {
      what: `push ${messageId ?? ""}`,
      ...options,
    });
  }

  /** Waits for a system event (`peer_joined`, `peer_left`, …). */
  waitForEvent(event: string, options: WaitForOptions = {}): Promise<Frame> {
    return this.waitFor((f) => f.type === "push" && f.subtype === "system" && f.event === event, {
      what: `system event ${event}`,
      ...options,
    });
  }

  async waitForClose(timeoutMs = 5_000): Promise<CloseInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`socket not closed within ${timeoutMs} ms; ${this.describe()}`)),
        timeoutMs,
      );
    });
    return Promise.race([this.closed, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Observes the socket for `windowMs` and fails if a matching frame arrives (or already arrived after
   * `since`). A bounded observation window for "must not happen" checks, not a synchronisation sleep.
   */
  async expectNone(predicate: (frame: Frame) => boolean, windowMs: number, since = 0): Promise<void> {
    const early = this.frames.slice(since).find(predicate);
    if (early) throw new Error(`unexpected frame: ${JSON.stringify(early).slice(0, 300)}`);
    let arrived: Frame | null = null;
    try {
      arrived = await this.waitFor(predicate, { since, timeoutMs: windowMs });
    } catch {
      // Nothing arrived within the window (or the socket closed): what we wanted.
    }
    if (arrived) throw new Error(`unexpected frame: ${JSON.stringify(arrived).slice(0, 300)}`);
  }

  /** Non-system pushes received so far. */
  pushes(): Frame[] {
    return this.frames.filter(isMessagePush);
  }

  events(event: string, since = 0): Frame[] {
    return this.frames
      .slice(since)
      .filter((f) => f.type === "push" && f.subtype === "system" && f.event === event);
  }

  ack(push: Frame): void {
    this.send({
      type: "client_ack",
      clientMessageId: push.client_message_id ?? push.messageId,
      brokerMessageId: push.messageId,
    });
  }

  /** Sends a hello frame and waits for `hello_ack` or an `error`; returns whichever came. */
  async hello(frame: Frame, timeoutMs = 5_000): Promise<Frame> {
    const since = this.mark();
    this.send(frame);
    const reply = await this.waitFor((f) => f.type === "hello_ack" || f.type === "error", {
      since,
      timeoutMs,
      what: "hello_ack or error",
    });
    if (reply.type === "hello_ack") this.helloAck = reply;
    return reply;
  }

  close(code = 1000): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code);
  }

  /** Drops the TCP connection without a close frame (a crash or a cut network). */
  terminate(): void {
    this.ws.terminate();
  }

  describe(): string {
    const last = this.frames.slice(-5).map((f) => JSON.stringify(f).slice(0, 200));
    return `${this.frames.length} frames, last: ${last.join(" | ") || "none"}`;
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString("utf8")
      : Buffer.from(data as ArrayBuffer).toString("utf8");
    let frame: Frame;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || typeof (parsed as Frame).type !== "string") {
        this.unparsed.push(text);
        return;
      }
      frame = parsed as Frame;
    } catch {
      this.unparsed.push(isBinary ? `<binary ${text.length}>` : text);
      return;
    }
    this.frames.push(frame);
    if (this.autoAck && isMessagePush(frame)) this.ack(frame);
    this.onFrame?.(frame);
    const index = this.frames.length - 1;
    for (const w of [...this.waiters]) {
      if (index >= w.since && w.predicate(frame)) {
        clearTimeout(w.timer);
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(frame);
      }
    }
  }
}

export function isMessagePush(frame: Frame): boolean {
  return frame.type === "push" && frame.subtype !== "system";
}

/** Opens a socket and completes a member hello; throws when the broker refuses. */
export async function connectMember(
  url: string,
  meshId: string,
  member: MemberKeys,
  fields: HelloFields = {},
  options: { autoAck?: boolean } = {},
): Promise<RawPeer> {
  const peer = await RawPeer.connect(url, options);
  const reply = await peer.hello(memberHello(meshId, member, fields));
  if (reply.type !== "hello_ack") throw new Error(`hello refused: ${JSON.stringify(reply)}`);
  return peer;
}

/** Opens a socket and completes a session hello; throws when the broker refuses. */
export async function connectSession(
  url: string,
  meshId: string,
  member: MemberKeys,
  session: Identity,
  fields: SessionHelloFields = {},
  options: { autoAck?: boolean } = {},
): Promise<RawPeer> {
  const peer = await RawPeer.connect(url, options);
  const reply = await peer.hello(sessionHello(meshId, member, session, fields));
  if (reply.type !== "hello_ack") throw new Error(`session hello refused: ${JSON.stringify(reply)}`);
  return peer;
}

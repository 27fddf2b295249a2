/** Builders for the store contract suite. Every id is unique per call, so tests never collide. */
import { randomBytes } from "node:crypto";
import type { Priority } from "../../../src/protocol/index.js";
import type {
  AckInput,
  AcceptInput,
  ClaimScope,
  InviteRow,
  MemberRow,
  MessageRow,
  NewDelivery,
  PresenceRow,
  Store,
} from "../../../src/broker/store/port/index.js";

/** A fixed clock origin; tests pass explicit times derived from it. */
export const T0 = 1_750_000_000_000;
export const LEASE_MS = 30_000;
export const DAY_MS = 24 * 3_600_000;
export const ALL_PRIORITIES: readonly Priority[] = ["now", "next", "low"];

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A unique opaque id with a readable prefix. */
export function uid(prefix: string): string {
  return `${prefix}-${randomBytes(8).toString("hex")}`;
}

/** A broker message id (32 alphanumerics); `prefix` lets tests build colliding prefixes. */
export function messageId(prefix = ""): string {
  let out = prefix;
  for (const byte of randomBytes(32)) {
    if (out.length === 32) break;
    out += ALNUM[byte % ALNUM.length];
  }
  return out;
}

export function hex64(): string {
  return randomBytes(32).toString("hex");
}

export function newMember(meshId: string, overrides: Partial<MemberRow> = {}): MemberRow {
  return {
    id: uid("member"),
    meshId,
    pubkey: hex64(),
    displayName: "peer",
    role: "member",
    defaultGroups: [],
    joinedAt: T0,
    revokedAt: null,
    revokeReason: null,
    saved: null,
    ...overrides,
  };
}

export function newInvite(meshId: string, overrides: Partial<InviteRow> = {}): InviteRow {
  return {
    code: uid("INV").slice(0, 12).toUpperCase(),
    meshId,
    role: "member",
    maxUses: 1,
    uses: 0,
    expiresAt: T0 + 7 * DAY_MS,
    inviterPubkey: hex64(),
    inviteSignature: "ab".repeat(64),
    claimHash: hex64(),
    encryptedRootKey: "cm9vdC1rZXk=",
    nonce: "bm9uY2U=",
    revokedAt: null,
    createdAt: T0,
    ...overrides,
  };
}

export interface Mesh {
  id: string;
  owner: MemberRow;
  members: MemberRow[];
}

/** A mesh with its owner plus `extra` members (joined through invites, as in production). */
export async function seedMesh(store: Store, extra = 2): Promise<Mesh> {
  const id = uid("mesh");
  const owner = newMember(id, { role: "owner", displayName: "owner" });
  await store.createMesh({ id, name: "mesh", slug: "mesh", ownerMemberId: owner.id, createdAt: T0 }, owner);
  const members: MemberRow[] = [];
  for (let i = 0; i < extra; i++) members.push(await addMember(store, id, { displayName: `peer-${i}` }));
  return { id, owner, members };
}

/** A mesh with two members besides its owner, `a` and `b`. */
export async function seedTwoMembers(store: Store) {
  const mesh = await seedMesh(store, 2);
  const [a, b] = mesh.members;
  if (!a || !b) throw new Error("fixture");
  return { mesh, a, b };
}

/** A mesh with its owner and one member, `peer`. */
export async function seedPeer(store: Store): Promise<{ mesh: Mesh; peer: MemberRow }> {
  const mesh = await seedMesh(store, 1);
  const [peer] = mesh.members;
  if (!peer) throw new Error("fixture");
  return { mesh, peer };
}

export async function addMember(
  store: Store,
  meshId: string,
  overrides: Partial<MemberRow> = {},
): Promise<MemberRow> {
  const invite = newInvite(meshId);
  if ((await store.insertInvite(invite)) !== "ok") throw new Error("fixture invite conflict");
  const result = await store.claimInvite({
    code: invite.code,
    claimHash: invite.claimHash,
    newMember: newMember(meshId, overrides),
    now: T0,
  });
  if (result.status !== "ok") throw new Error(`fixture invite claim: ${result.status}`);
  return result.member;
}

export interface Sender {
  member: MemberRow;
  presenceId: string;
}

export function sender(member: MemberRow, presenceId = uid("presence")): Sender {
  return { member, presenceId };
}

export function message(from: Sender, overrides: Partial<MessageRow> = {}): MessageRow {
  return {
    id: messageId(),
    meshId: from.member.meshId,
    senderMemberId: from.member.id,
    senderPresenceId: from.presenceId,
    senderPubkey: from.member.pubkey,
    senderName: from.member.displayName,
    targetSpec: "*",
    priority: "next",
    nonce: "bm9uY2Vub25jZW5vbmNlbm9uY2Vub25j",
    ciphertext: "Y2lwaGVydGV4dA==",
    bodyVersion: null,
    replyToId: null,
    clientMessageId: null,
    requestFingerprint: null,
    topicId: null,
    createdAt: T0,
    ...overrides,
  };
}

export function toMemberDelivery(to: MemberRow, excludedPresence: string | null = null): NewDelivery {
  return { recipientKind: "member", recipientMemberId: to.id, recipientPubkey: to.pubkey, excludedPresence };
}

export function toSessionDelivery(
  to: MemberRow,
  sessionPubkey: string,
  excludedPresence: string | null = null,
): NewDelivery {
  return {
    recipientKind: "session",
    recipientMemberId: to.id,
    recipientPubkey: sessionPubkey,
    excludedPresence,
  };
}

/** A DM to a member (member-level delivery; the sending presence is excluded, §4.2). */
export function dmToMember(from: Sender, to: MemberRow, overrides: Partial<MessageRow> = {}): AcceptInput {
  return {
    message: message(from, { targetSpec: to.pubkey, ...overrides }),
    deliveries: [toMemberDelivery(to, from.presenceId)],
    idempotency: null,
  };
}

/** A DM to a proven session key (session-level delivery). */
export function dmToSession(
  from: Sender,
  to: MemberRow,
  sessionPubkey: string,
  overrides: Partial<MessageRow> = {},
): AcceptInput {
  return {
    message: message(from, { targetSpec: sessionPubkey, ...overrides }),
    deliveries: [toSessionDelivery(to, sessionPubkey, from.presenceId)],
    idempotency: null,
  };
}

/** A broadcast to `recipients` (member-level, multicast, no exclusion). */
export function broadcast(
  from: Sender,
  recipients: MemberRow[],
  overrides: Partial<MessageRow> = {},
): AcceptInput {
  return {
    message: message(from, { targetSpec: "*", ...overrides }),
    deliveries: recipients.map((r) => toMemberDelivery(r)),
    idempotency: null,
  };
}

export function withKey(
  input: AcceptInput,
  clientMessageId: string,
  fingerprint = "f".repeat(64),
): AcceptInput {
  return {
    ...input,
    message: { ...input.message, clientMessageId },
    idempotency: { clientMessageId, fingerprint },
  };
}

/** The claim scope of a member's control-plane presence (member-level rows only). */
export function memberScope(
  member: MemberRow,
  presenceId: string,
  overrides: Partial<ClaimScope> = {},
): ClaimScope {
  return {
    meshId: member.meshId,
    presenceId,
    sessionPubkey: null,
    memberId: member.id,
    priorities: ALL_PRIORITIES,
    multicast: true,
    ...overrides,
  };
}

/** The claim scope of a session presence: its key's rows, optionally its member's rows too. */
export function sessionScope(
  member: MemberRow,
  presenceId: string,
  sessionPubkey: string,
  overrides: Partial<ClaimScope> = {},
): ClaimScope {
  return {
    meshId: member.meshId,
    presenceId,
    sessionPubkey,
    memberId: null,
    priorities: ALL_PRIORITIES,
    multicast: true,
    ...overrides,
  };
}

export function ack(
  member: MemberRow,
  presenceId: string,
  ids: { broker?: string; client?: string; sessionPubkey?: string },
): AckInput {
  return {
    meshId: member.meshId,
    presenceId,
    sessionPubkey: ids.sessionPubkey ?? null,
    memberId: member.id,
    brokerMessageId: ids.broker ?? null,
    clientMessageId: ids.client ?? null,
  };
}

export function presence(member: MemberRow, overrides: Partial<PresenceRow> = {}): PresenceRow {
  return {
    id: uid("presence"),
    meshId: member.meshId,
    memberId: member.id,
    nodeId: "node-a",
    peerRole: "control-plane",
    sessionPubkey: null,
    sessionId: uid("session"),
    displayName: member.displayName,
    cwd: "/work",
    pid: 4242,
    hostname: "host",
    peerType: "ai",
    channel: "claude-code",
    model: "opus",
    groups: [{ name: "dev", role: "lead" }],
    status: "idle",
    statusSource: "manual",
    statusAt: T0,
    summary: "working on it",
    stats: { messagesIn: 1, messagesOut: 2 },
    visible: true,
    profile: { title: "agent", capabilities: ["code"] },
    connectedAt: T0,
    lastPingAt: T0,
    lease: "online",
    disconnectedAt: null,
    ...overrides,
  };
}

/** The state of each delivery of a message, or the lookup status when it is not found. */
export async function deliveryStates(
  store: Store,
  meshId: string,
  senderId: string,
  id: string,
): Promise<string[]> {
  const found = await store.lookupMessage(meshId, senderId, id);
  return found.status === "ok" ? found.deliveries.map((d) => d.state) : [found.status];
}

/** Ids of claimed messages, per scope. */
export function claimedIds(result: { message: { id: string } }[][]): string[][] {
  return result.map((rows) => rows.map((r) => r.message.id));
}

/** One idempotency lookup through the batch method. */
export async function findIdempotency(
  store: Store,
  meshId: string,
  senderMemberId: string,
  clientMessageId: string,
  now: number,
): Promise<{ fingerprint: string; messageId: string } | null> {
  const [record] = await store.findIdempotencies([{ meshId, senderMemberId, clientMessageId }], now);
  if (record === undefined) throw new Error("findIdempotencies returned no result for one key");
  return record;
}

/** One token take through the batch method. */
export async function takeToken(
  store: Store,
  key: string,
  burst: number,
  refillPerSec: number,
  now: number,
): Promise<boolean> {
  const [allowed] = await store.takeTokens([{ key, burst, refillPerSec }], now);
  if (allowed === undefined) throw new Error("takeTokens returned no result for one request");
  return allowed;
}

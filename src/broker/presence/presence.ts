/** A presence: one authenticated connection's identity in a mesh (protocol.md §3.1). */
import type { MemberRole, PeerEntry } from "../../protocol/index.js";
import type { MemberRow, PresenceRow } from "../store/port/index.js";
import type { PeerEventMode } from "./events.js";

/** What a presence needs from its socket; the connection module implements it. */
export interface PresenceSocket {
  send(frame: object): void;
  /** Serialized frame, for fan-out without re-serialising. */
  sendRaw(json: string): void;
  close(code: number, reason: string): void;
  /** Drops the socket without a close handshake (stale heartbeat). */
  terminate(): void;
  ping(): void;
  /** Holds writes until `uncork` (counted), so frames written in between leave in one write. */
  cork(): void;
  uncork(): void;
  readonly open: boolean;
}

/** The live form of a presence row: the store's fields plus what only the holding node knows. */
export interface Presence extends Omit<PresenceRow, "nodeId" | "lastPingAt" | "disconnectedAt"> {
  memberPubkey: string;
  memberRole: MemberRole;
  /** Unproven `hello.sessionPubkey`: only a decryption hint on messages this presence sends. */
  senderKeyHint: string | null;
  lastPongAt: number;
  socket: PresenceSocket | null;
  capabilities: ReadonlySet<string>;
  /** How this connection takes presence events (its hello's capabilities, §3.6). */
  peerEvents: PeerEventMode;
  /** Coalesced events numbered from here on concern it (the ones queued before it registered do not). */
  peerEventsFrom: number;
  /** Declared client_ack or has sent one (protocol.md §4.10). */
  acking: boolean;
  /**
   * Declared `backlog_sent` and its hello was answered, but the deliveries pending then are not all
   * pushed yet: the claim that takes the last of them is followed by a `backlog_sent` frame (§4.6).
   */
  backlogPending: boolean;
  /** Held a lease that expired without acking: deliveries are done when written. */
  nonAcking: boolean;
  graceTimer: NodeJS.Timeout | null;
}

/**
 * Who a message is accepted from: a presence, or a member without one (a scheduled message fires as its
 * creator's member, protocol.md §6.5: `id` is "" and `socket` null, so no presence is excluded).
 */
export type MessageSender = Pick<
  Presence,
  | "id"
  | "meshId"
  | "memberId"
  | "memberPubkey"
  | "memberRole"
  | "displayName"
  | "sessionPubkey"
  | "senderKeyHint"
  | "socket"
>;

/** The key peers see and route to: proven session key, else the member key (never the unproven hint). */
export function routableKey(p: Presence): string {
  return p.sessionPubkey ?? p.memberPubkey;
}

/** The key this presence encrypts with, as reported to recipients in `push.senderPubkey`. */
export function senderKey(p: Pick<Presence, "sessionPubkey" | "senderKeyHint" | "memberPubkey">): string {
  return p.sessionPubkey ?? p.senderKeyHint ?? p.memberPubkey;
}

export function canClaim(p: Presence): boolean {
  return p.lease === "online" && p.socket !== null && p.socket.open;
}

export function toPeerEntry(p: Presence | PresenceRow, memberPubkey: string): PeerEntry {
  const entry: PeerEntry = {
    pubkey: p.sessionPubkey ?? memberPubkey,
    memberPubkey,
    displayName: p.displayName,
    status: p.status,
    summary: p.summary,
    groups: p.groups,
    sessionId: p.sessionId,
    connectedAt: new Date(p.connectedAt).toISOString(),
    cwd: p.cwd,
    peerRole: p.peerRole,
    visible: p.visible,
  };
  if (p.hostname) entry.hostname = p.hostname;
  if (p.peerType) entry.peerType = p.peerType;
  if (p.channel) entry.channel = p.channel;
  if (p.model) entry.model = p.model;
  if (p.stats) entry.stats = p.stats;
  if (p.profile) entry.profile = p.profile;
  return entry;
}

export function toPresenceRow(p: Presence, nodeId: string): PresenceRow {
  return {
    id: p.id,
    meshId: p.meshId,
    memberId: p.memberId,
    nodeId,
    peerRole: p.peerRole,
    sessionPubkey: p.sessionPubkey,
    sessionId: p.sessionId,
    displayName: p.displayName,
    cwd: p.cwd,
    pid: p.pid,
    hostname: p.hostname,
    peerType: p.peerType,
    channel: p.channel,
    model: p.model,
    groups: p.groups,
    status: p.status,
    statusSource: p.statusSource,
    statusAt: p.statusAt,
    summary: p.summary,
    stats: p.stats,
    visible: p.visible,
    profile: p.profile,
    connectedAt: p.connectedAt,
    lastPingAt: p.lastPongAt,
    lease: p.lease,
    disconnectedAt: null,
  };
}

/** Initial groups and restore data for a member hello (§2.7, §3.4). */
export function restoreFor(member: MemberRow, helloGroups: Presence["groups"] | undefined) {
  const saved = member.saved;
  const groups = helloGroups ?? saved?.groups ?? member.defaultGroups;
  return {
    groups,
    restored: saved !== null,
    restoredGroups: !helloGroups && saved?.groups ? saved.groups : undefined,
    saved,
  };
}

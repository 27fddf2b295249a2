/**
 * The meshes this browser has joined, kept in the browser's local storage: the member key pair, the mesh
 * root key, and where the broker is. Nothing of it leaves the browser except the public key and
 * signatures. The same record is what an export file holds and what `claudemesh open` hands over in the
 * `#` part of its link (never sent to any server).
 */
import { isHex } from "../../src/crypto/encoding.js";
import { removeMeshData } from "./mesh-storage.js";

export interface Membership {
  meshId: string;
  meshName: string;
  slug: string;
  memberId: string;
  role: string;
  displayName: string;
  /** Member ed25519 public key, hex. */
  pubkey: string;
  /** Member ed25519 secret key, hex. */
  secretKey: string;
  /** Mesh root key, base64url. */
  rootKey: string;
  /** `ws(s)://…/ws` of the broker. */
  brokerUrl: string;
  joinedAt: string;
  /**
   * How this browser is present: "member" (a member hello: this browser is the member's inbox, as for a
   * person who joined here) or "session" (a session hello, like one Claude Code session: the member's
   * daemon stays its inbox, so a browser opened with `claudemesh open` never takes the messages meant for
   * the CLI user's sessions). Default "member".
   */
  presence?: "member" | "session";
}

const KEY = "claudemesh.memberships.v1";
/** What an export file says it is. */
export const EXPORT_KIND = "claudemesh-web-identity";

const B64URL32 = /^[A-Za-z0-9_-]{43}$/;

/** A membership from untrusted JSON (an export file, a login link), or why it is not one. */
export function parseMembership(value: unknown): Membership | string {
  if (typeof value !== "object" || value === null) return "not a claudemesh identity";
  const v = value as Record<string, unknown>;
  const text = (name: string): string | null => (typeof v[name] === "string" ? (v[name] as string) : null);
  const fields = ["meshId", "meshName", "slug", "memberId", "role", "displayName", "brokerUrl", "joinedAt"];
  const missing = fields.filter((name) => text(name) === null || text(name) === "");
  if (missing.length > 0) return `not a claudemesh identity: ${missing.join(", ")} missing`;
  if (!isHex(text("pubkey"), 64)) return "not a claudemesh identity: bad public key";
  if (!isHex(text("secretKey"), 128)) return "not a claudemesh identity: bad secret key";
  if (!B64URL32.test(text("rootKey") ?? "")) return "not a claudemesh identity: bad mesh key";
  if (!/^wss?:\/\//.test(text("brokerUrl") ?? "")) return "not a claudemesh identity: bad broker address";
  const m: Membership = {
    meshId: text("meshId") as string,
    meshName: text("meshName") as string,
    slug: text("slug") as string,
    memberId: text("memberId") as string,
    role: text("role") as string,
    displayName: text("displayName") as string,
    pubkey: text("pubkey") as string,
    secretKey: text("secretKey") as string,
    rootKey: text("rootKey") as string,
    brokerUrl: text("brokerUrl") as string,
    joinedAt: text("joinedAt") as string,
    ...(v.presence === "session" ? { presence: "session" as const } : {}),
  };
  return m;
}

export function loadMemberships(): Membership[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    if (!Array.isArray(value)) return [];
    return value.map(parseMembership).filter((m): m is Membership => typeof m !== "string");
  } catch {
    // Unreadable storage is treated as empty: the person joins again.
    return [];
  }
}

/** Adds `membership`, replacing an earlier one of the same mesh. */
export function saveMembership(membership: Membership): void {
  const others = loadMemberships().filter((m) => m.meshId !== membership.meshId);
  localStorage.setItem(KEY, JSON.stringify([...others, membership]));
}

/** Removes the membership and everything else this browser kept for the mesh (conversations, …). */
export function forgetMembership(meshId: string): void {
  localStorage.setItem(KEY, JSON.stringify(loadMemberships().filter((m) => m.meshId !== meshId)));
  removeMeshData(meshId);
}

/** The export file's text: this membership, keys included, to import on a second device. */
export function exportText(membership: Membership): string {
  return `${JSON.stringify({ kind: EXPORT_KIND, version: 1, ...membership }, null, 2)}\n`;
}

/** A membership from an export file's text, or why it is not one. */
export function importText(text: string): Membership | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "this file is not a claudemesh identity (not JSON)";
  }
  if (typeof value !== "object" || value === null || (value as { kind?: unknown }).kind !== EXPORT_KIND)
    return "this file is not a claudemesh identity export";
  return parseMembership(value);
}

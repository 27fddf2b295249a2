/**
 * The meshes this browser has joined, kept in the browser's local storage: the member key pair made here,
 * the mesh root key from the invite, and where the broker is. Nothing of it leaves the browser except the
 * public key and signatures.
 */
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
  /** `ws(s)://…/ws` of the broker that served this page. */
  brokerUrl: string;
  joinedAt: string;
}

const KEY = "claudemesh.memberships.v1";

export function loadMemberships(): Membership[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(value) ? (value as Membership[]) : [];
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

export function forgetMembership(meshId: string): void {
  localStorage.setItem(KEY, JSON.stringify(loadMemberships().filter((m) => m.meshId !== meshId)));
}

/**
 * The one-time login link of `claudemesh open` (`http://broker/#login=<base64url JSON>`): it hands the
 * CLI user's membership to this browser in the `#` part, which browsers never send to a server. The page
 * takes it once: it is refused after its expiry, refused when this browser already used its nonce, and
 * removed from the address bar and the history as soon as it is read.
 */
import { fromBase64Url } from "../../src/crypto/encoding.js";
import { parseMembership, type Membership } from "./membership.js";

export const LOGIN_KIND = "claudemesh-login";
const USED_KEY = "claudemesh.login-nonces.v1";

/** The login payload in `hash`, if any: the membership, or why it cannot be used. */
export function loginFromHash(hash: string, now = Date.now()): Membership | string | null {
  const match = /^#login=([A-Za-z0-9_-]+)$/.exec(hash);
  if (match === null) return null;
  let value: Record<string, unknown>;
  try {
    const json = new TextDecoder().decode(fromBase64Url(match[1] as string));
    value = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return "this login link is damaged; run `claudemesh open` again";
  }
  if (value.kind !== LOGIN_KIND || typeof value.exp !== "number" || typeof value.nonce !== "string")
    return "this is not a claudemesh login link";
  if (value.exp < now) return "this login link has expired; run `claudemesh open` again";
  const used = usedNonces();
  if (used.includes(value.nonce)) return "this login link was already used; run `claudemesh open` again";
  localStorage.setItem(USED_KEY, JSON.stringify([...used.slice(-99), value.nonce]));
  const membership = parseMembership(value.membership);
  // The CLI user's daemon is this member's inbox: the browser is present as one more session of it.
  return typeof membership === "string" ? membership : { ...membership, presence: "session" };
}

function usedNonces(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(USED_KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    // Unreadable: start a new list.
    return [];
  }
}

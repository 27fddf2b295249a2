/**
 * This tab's presence in a mesh — its `sessionId`, and its session key when the page is a session of a
 * CLI user — carried across a reload, so the new page takes the presence over (protocol.md §3.2: a hello
 * with the same member and `sessionId`, or the same session key, reattaches) instead of adding a second
 * one that stays listed for the 90 s grace. It passes from page to page through the tab's
 * sessionStorage: written when a page goes away, taken and removed when the next one starts. A
 * duplicated tab, which copies sessionStorage, so never starts with the presence of the tab it came from.
 */
import { isHex } from "../../src/crypto/encoding.js";
import { generateIdentity, type Identity } from "../../src/crypto/identity.js";
import { randomHexToken } from "../../src/crypto/ids.js";
import { meshKey } from "./mesh-storage.js";

export interface TabPresence {
  sessionId: string;
  /** Only for a session presence (`claudemesh open`). */
  sessionKey?: Identity;
}

function parse(text: string | null): TabPresence | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as {
      sessionId?: unknown;
      sessionKey?: { publicKey?: unknown; secretKey?: unknown };
    };
    if (typeof v.sessionId !== "string" || !/^web-[0-9a-f]{16}$/.test(v.sessionId)) return null;
    const key = v.sessionKey;
    if (key === undefined) return { sessionId: v.sessionId };
    if (!isHex(key.publicKey, 64) || !isHex(key.secretKey, 128)) return null;
    return { sessionId: v.sessionId, sessionKey: { publicKey: key.publicKey, secretKey: key.secretKey } };
  } catch {
    // Unreadable: this page starts a presence of its own.
    return null;
  }
}

/** The presence the page before this one in this tab left (taken once), or a new one. */
export function takeTabPresence(meshId: string, withSessionKey: boolean): TabPresence {
  const key = meshKey("tab", meshId);
  const kept = parse(sessionStorage.getItem(key));
  sessionStorage.removeItem(key);
  const sessionId = kept?.sessionId ?? `web-${randomHexToken(8)}`;
  if (!withSessionKey) return { sessionId };
  return { sessionId, sessionKey: kept?.sessionKey ?? generateIdentity() };
}

/** Leaves this page's presence to the next page of this tab (a reload). */
export function keepTabPresence(meshId: string, presence: TabPresence): void {
  sessionStorage.setItem(meshKey("tab", meshId), JSON.stringify(presence));
}

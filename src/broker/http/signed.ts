/** Signed HTTP requests (protocol.md §7.1): four headers, ±60 s, replay cache shared with hellos. */
import type { IncomingMessage } from "node:http";
import { REPLAY_WINDOW_MS, TIMESTAMP_SKEW_MS, httpCanonical, isPubkey } from "../../protocol/index.js";
import { sha256Hex, verify } from "../../crypto/index.js";
import type { BrokerContext } from "../context.js";
import type { MemberRow } from "../store/port/index.js";

export type SignedCaller =
  | { ok: true; meshId: string; pubkey: string; member: MemberRow; sessionPubkey: string | null }
  | { ok: false; error: "unauthorized" | "bad_signature" | "timestamp_skew" | "replayed" };

export function verifySignedRequest(
  ctx: BrokerContext,
  req: IncomingMessage,
  body: Buffer,
): Promise<SignedCaller> {
  return verifySignedHash(ctx, req, sha256Hex(body));
}

/** {@link verifySignedRequest} given the SHA-256 of a body already consumed (a streamed upload). */
export async function verifySignedHash(
  ctx: BrokerContext,
  req: IncomingMessage,
  bodySha256: string,
): Promise<SignedCaller> {
  const header = (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return typeof v === "string" ? v : "";
  };
  const meshId = header("X-Claudemesh-Mesh");
  const pubkey = header("X-Claudemesh-Pubkey");
  const timestamp = Number(header("X-Claudemesh-Timestamp"));
  const signature = header("X-Claudemesh-Signature");
  if (!meshId || !isPubkey(pubkey) || !/^[0-9a-f]{128}$/.test(signature) || !Number.isInteger(timestamp)) {
    return { ok: false, error: "unauthorized" };
  }
  const now = Date.now();
  if (Math.abs(now - timestamp) > TIMESTAMP_SKEW_MS) return { ok: false, error: "timestamp_skew" };
  const target = `${ctx.opts.basePath}${req.url ?? "/"}`;
  const canonical = httpCanonical({
    method: req.method ?? "GET",
    target,
    meshId,
    pubkey,
    timestamp,
    bodySha256,
  });
  if (!verify(canonical, signature, pubkey)) return { ok: false, error: "bad_signature" };
  if (!(await ctx.store.recordSignature(signature, now + REPLAY_WINDOW_MS, now)))
    return { ok: false, error: "replayed" };
  const member = await ctx.store.findMemberByPubkey(meshId, pubkey);
  if (member && member.revokedAt === null) return { ok: true, meshId, pubkey, member, sessionPubkey: null };
  const session = ctx.registry.bySession(meshId, pubkey);
  if (session) {
    const parent = await ctx.store.getMember(session.memberId);
    if (parent && parent.revokedAt === null)
      return { ok: true, meshId, pubkey, member: parent, sessionPubkey: pubkey };
  }
  return { ok: false, error: "unauthorized" };
}

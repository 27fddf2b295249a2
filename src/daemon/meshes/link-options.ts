/**
 * How the daemon's two kinds of broker connection introduce themselves: the member's control-plane
 * connection (member `hello`, `sessionId` `daemon-<pid>`) and a launched session's connection
 * (`session_hello` with a fresh attestation minted from the member key on every connect).
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { MeshClientOptions } from "../../client/index.js";
import type { Identity } from "../../crypto/index.js";
import { meshBrokerUrls, type MeshConfig } from "../../host/config.js";
import { Capability } from "../../protocol/index.js";

/** Every daemon connection acks pushes, wants `ok` replies and reads `bodyVersion` 2. */
export const DAEMON_CAPABILITIES = [Capability.clientAck, Capability.okReplies, Capability.bodyVersion];

function member(config: MeshConfig): MeshClientOptions["identity"] {
  return { memberId: config.member_id, publicKey: config.pubkey, secretKey: config.secret_key };
}

export function controlLinkOptions(config: MeshConfig, logger: Logger): MeshClientOptions {
  return {
    // Every node of the mesh's broker: the client moves to the next one when a connection drops.
    url: meshBrokerUrls(config),
    meshId: config.mesh_id,
    identity: member(config),
    displayName: config.display_name,
    sessionId: `daemon-${process.pid}`,
    pid: process.pid,
    cwd: process.cwd(),
    hostname: hostname(),
    peerType: "ai",
    channel: "claudemesh-daemon",
    // The member connection holds the topic keys: it hears who needs a copy and when its own arrives.
    // It is the member's inbox: `backlog_sent` tells when what waited at the broker is stored.
    capabilities: [...DAEMON_CAPABILITIES, Capability.topicKeys, Capability.backlogSent],
    // The daemon's stream shows peers coming and going; one push per broker tick is plenty for it.
    presenceEvents: "coalesced",
    // The client core adds its own `component: "client"`.
    logger: logger.child({ mesh: config.slug, link: "control" }),
  };
}

export interface SessionProfile {
  session_id: string;
  display_name: string;
  pid: number;
  cwd: string;
  role: string | null;
  groups: string[];
}

export function sessionLinkOptions(
  config: MeshConfig,
  profile: SessionProfile,
  sessionKey: Identity,
  logger: Logger,
): MeshClientOptions {
  return {
    url: meshBrokerUrls(config),
    meshId: config.mesh_id,
    identity: member(config),
    session: { sessionKey, ...(profile.role === null ? {} : { role: profile.role }) },
    displayName: profile.display_name,
    sessionId: profile.session_id,
    pid: profile.pid,
    cwd: profile.cwd,
    hostname: hostname(),
    peerType: "ai",
    channel: "claudemesh-session",
    groups: profile.groups.map(parseGroup),
    capabilities: [...DAEMON_CAPABILITIES],
    // The member's control-plane connection hears of peers (its own sessions included) for the stream.
    presenceEvents: "none",
    logger: logger.child({ mesh: config.slug, link: "session" }),
  };
}

/** `name` or `name:role` (as `launch --groups frontend:lead,reviewers` passes them). */
export function parseGroup(text: string): { name: string; role?: string } {
  const colon = text.indexOf(":");
  if (colon <= 0) return { name: text };
  return { name: text.slice(0, colon), role: text.slice(colon + 1) };
}

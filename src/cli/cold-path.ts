/**
 * The cold path (`--no-daemon`, `CLAUDEMESH_NO_DAEMON=1`, and moderation verbs): one short member
 * connection straight to the broker. It declares `no_inbox`, so it never takes a message meant for the
 * member's daemon, and says goodbye when done so no presence lingers.
 */
import { DEFAULT_CAPABILITIES, MeshClient } from "../client/index.js";
import { fromBase64Url, randomString } from "../crypto/index.js";
import { Capability } from "../protocol/features.js";
import { sendErrorCode } from "../protocol/errors.js";
import type { Priority } from "../protocol/index.js";
import type { MeshConfig } from "../host/config.js";
import type { SendResponse } from "../daemon-api/contract.js";
import { resolveTarget } from "../daemon-api/resolve-target.js";
import { CliError, exitCodeFor } from "./errors.js";

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Opens a one-shot connection for `mesh`, runs `work`, and closes it (with `bye`) whatever happens. */
export async function withBroker<T>(mesh: MeshConfig, work: (client: MeshClient) => Promise<T>): Promise<T> {
  const client = new MeshClient({
    url: mesh.broker_url,
    meshId: mesh.mesh_id,
    identity: { memberId: mesh.member_id, publicKey: mesh.pubkey, secretKey: mesh.secret_key },
    displayName: mesh.display_name,
    sessionId: `cli-${process.pid}-${randomString(ID_ALPHABET, 6)}`,
    channel: "claudemesh-cli",
    peerType: "human",
    capabilities: [...DEFAULT_CAPABILITIES, Capability.noInbox],
    reconnect: false,
  });
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.bye();
  }
}

/** Resolves `to` like the daemon does and sends `message`; waits for the broker's ack. */
export async function coldSend(
  mesh: MeshConfig,
  f: { to: string; message: string; priority: Priority; replyTo?: string | undefined },
): Promise<SendResponse> {
  return withBroker(mesh, async (client) => {
    const [members, peers] = await Promise.all([client.listMembers(), client.listPeers()]);
    const resolved = resolveTarget({ input: f.to, members, peers, selfMemberPubkey: mesh.pubkey });
    if (!resolved.ok) {
      const names = resolved.candidates.map((c) => `${c.display_name} (${c.pubkey.slice(0, 8)})`).join(", ");
      throw new CliError(
        resolved.error,
        resolved.message,
        names
          ? `did you mean: ${names}`
          : "run `claudemesh peers` or `claudemesh members` to see who is there",
        exitCodeFor(resolved.error === "invalid_target" ? "invalid_argument" : resolved.error),
      );
    }
    const target = resolved.target;
    const clientMessageId = `cm-${randomString(ID_ALPHABET, 24)}`;
    const options = { clientMessageId, priority: f.priority, ...(f.replyTo ? { replyToId: f.replyTo } : {}) };
    let ack;
    if (target.kind === "member" || target.kind === "session") {
      ack = await client.sendDirect(target.recipientPubkey ?? target.spec, f.message, options);
    } else if (target.kind === "broadcast" || target.kind === "group") {
      ack = await client.sendMulticast(target.spec, f.message, fromBase64Url(mesh.root_key), options);
    } else {
      throw new CliError(
        "unsupported",
        "topic messages need the daemon (it holds the topic keys)",
        "run without --no-daemon",
        2,
      );
    }
    if (!ack.queued) {
      const code = sendErrorCode(ack.error ?? "internal");
      throw new CliError(code, `the broker refused the message: ${ack.error ?? code}`, "", exitCodeFor(code));
    }
    return {
      message_id: clientMessageId,
      broker_message_id: ack.messageId,
      status: "sent",
      recipient_online: ack.recipientOnline ?? false,
      target: { spec: target.spec, kind: target.kind, display: target.display },
    };
  });
}

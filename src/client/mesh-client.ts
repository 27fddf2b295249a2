/**
 * The broker client used by the daemon, the CLI, the SDK and the load benchmark: the connection
 * core plus encryption helpers and typed requests.
 */
import {
  BanAck,
  DisconnectAck,
  KickAck,
  LeaveMeshAck,
  ListBansReply,
  MembersListReply,
  MeshInfoResult,
  MessageStatusResult,
  PeersListReply,
  UnbanAck,
  TaskCreated,
  TaskList,
  LeaseGranted,
  LeaseReleased,
  LeaseListResult,
  type TaskStatus,
  type AckFrame,
  type BanEntry,
  type MemberEntry,
  type ModerationTarget,
  type PeerEntry,
  type PresenceStatus,
  type StatusSource,
} from "../protocol/frames.js";
import { LIST_PEERS_MAX_LIMIT } from "../protocol/constants.js";
import { MeshConnection } from "./connection.js";
import { ClientErrorCode, MeshClientError } from "./errors.js";
import type { MeshClientOptions } from "./options.js";
import { openTaskList, sealText } from "./task-crypto.js";
import type { CreateTaskInput, RequestOptions, SendInput, SharedStateOptions } from "./types.js";
import {
  decryptPush,
  encryptDirect,
  encryptForTarget,
  type DecryptKeys,
  type DecryptResult,
} from "./push-crypto.js";

/** Options of the high-level send helpers: everything of `send` except target and body. */
export type MessageOptions = Omit<SendInput, "targetSpec" | "nonce" | "ciphertext" | "bodyVersion"> &
  RequestOptions;

export class MeshClient extends MeshConnection {
  constructor(options: MeshClientOptions) {
    super(options);
  }

  /** The member public key this client acts for. */
  get memberPubkey(): string {
    return this.options.identity.publicKey;
  }

  /**
   * The key this connection is routed by and encrypts DMs with: the session key on a `session_hello`
   * connection, else the member key.
   */
  get publicKey(): string {
    const session = this.options.session;
    return this.connectionKind === "session" && session !== undefined
      ? session.sessionKey.publicKey
      : this.options.identity.publicKey;
  }

  // ---- messaging -----------------------------------------------------------------------------------

  /** Encrypts `plaintext` to `recipientPubkey` with crypto_box (§5.2) and sends it. */
  sendDirect(recipientPubkey: string, plaintext: string, options: MessageOptions = {}): Promise<AckFrame> {
    const envelope = encryptDirect(plaintext, recipientPubkey, this.#encryptionSecret());
    const { timeoutMs, ...fields } = options;
    return this.send({ ...fields, targetSpec: recipientPubkey, ...envelope }, { timeoutMs });
  }

  /**
   * Encrypts `plaintext` for a broadcast or group (`*`, `@all`, `@<group>`) under the key derived from
   * the mesh root key and sends it as `bodyVersion` 2 (§5.3, §5.5). Topics use `send` with their key.
   */
  sendMulticast(
    targetSpec: string,
    plaintext: string,
    rootKey: Uint8Array,
    options: MessageOptions = {},
  ): Promise<AckFrame> {
    const body = encryptForTarget(plaintext, targetSpec, rootKey);
    const { timeoutMs, ...fields } = options;
    return this.send({ ...fields, targetSpec, ...body }, { timeoutMs });
  }

  /**
   * Opens a push with this client's own secret keys (session first, then member) plus `keys`
   * (root key, topic keys, further secrets tried first). See the standalone `decryptPush`.
   */
  decryptPush(push: Parameters<typeof decryptPush>[0], keys: Partial<DecryptKeys> = {}): DecryptResult {
    const secretKeys = new Map(keys.secretKeys ?? []);
    const session = this.options.session;
    if (session !== undefined && !secretKeys.has(session.sessionKey.publicKey)) {
      secretKeys.set(session.sessionKey.publicKey, session.sessionKey.secretKey);
    }
    const member = this.options.identity;
    if (member.secretKey !== undefined && !secretKeys.has(member.publicKey)) {
      secretKeys.set(member.publicKey, member.secretKey);
    }
    return decryptPush(push, { rootKey: keys.rootKey, topicKeys: keys.topicKeys, secretKeys });
  }

  #encryptionSecret(): string {
    const session = this.options.session;
    if (this.connectionKind === "session" && session !== undefined) return session.sessionKey.secretKey;
    const secret = this.options.identity.secretKey;
    if (secret === undefined) {
      throw new MeshClientError(
        ClientErrorCode.badConfig,
        "encrypting on a member connection needs the member secret key",
      );
    }
    return secret;
  }

  // ---- presence ------------------------------------------------------------------------------------

  /** Every live peer the broker shows this member, fetched a page at a time (§3.5). */
  async listPeers(options?: RequestOptions): Promise<PeerEntry[]> {
    const peers: PeerEntry[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.listPeersPage({ limit: LIST_PEERS_MAX_LIMIT, cursor }, options);
      peers.push(...page.peers);
      // A broker that does not page answers with the whole list and no cursor.
      if (typeof page.nextCursor !== "string") return peers;
      cursor = page.nextCursor;
    }
  }

  /**
   * One page of `list_peers` (§3.5): up to `limit` peers after `cursor`, in the order they connected,
   * and the cursor of the next page (null at the end).
   */
  async listPeersPage(
    page: { limit: number; cursor?: string | undefined },
    options?: RequestOptions,
  ): Promise<{ peers: PeerEntry[]; nextCursor: string | null }> {
    const frame = {
      type: "list_peers",
      limit: page.limit,
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
    };
    const reply = await this.request(frame, { ...options, schema: PeersListReply });
    return { peers: reply.peers, nextCursor: reply.nextCursor ?? null };
  }

  async listMembers(options?: RequestOptions): Promise<MemberEntry[]> {
    return (await this.request({ type: "list_members" }, { ...options, schema: MembersListReply })).members;
  }

  messageStatus(messageId: string, options?: RequestOptions): Promise<MessageStatusResult> {
    return this.request({ type: "message_status", messageId }, { ...options, schema: MessageStatusResult });
  }

  /** `set_status` (§3.3); `source` defaults to `manual` on the broker. */
  setStatus(status: PresenceStatus, source?: StatusSource, options?: RequestOptions): Promise<void> {
    return this.fireOrAwaitOk({ type: "set_status", status, source }, options);
  }

  setSummary(summary: string, options?: RequestOptions): Promise<void> {
    return this.fireOrAwaitOk({ type: "set_summary", summary }, options);
  }

  joinGroup(name: string, role?: string, options?: RequestOptions): Promise<void> {
    return this.fireOrAwaitOk({ type: "join_group", name, role }, options);
  }

  leaveGroup(name: string, options?: RequestOptions): Promise<void> {
    return this.fireOrAwaitOk({ type: "leave_group", name }, options);
  }

  // ---- the mesh ----------------------------------------------------------------------------------

  /** The mesh at a glance (§6.9): peers, groups, your name and groups; counts of shared state. */
  meshInfo(options?: RequestOptions): Promise<MeshInfoResult> {
    return this.request({ type: "mesh_info" }, { ...options, schema: MeshInfoResult });
  }

  // ---- tasks (§6.3) ----------------------------------------------------------------------------------

  /** Creates a task; with `dataKey` its title leaves encrypted (§5.8). Answers the task id. */
  async createTask(input: CreateTaskInput, options?: SharedStateOptions): Promise<string> {
    const frame = {
      type: "create_task" as const,
      title: sealText(input.title, options?.dataKey),
      ...(input.assignee === undefined ? {} : { assignee: input.assignee }),
      ...(input.priority === undefined ? {} : { priority: input.priority }),
      ...(input.tags === undefined ? {} : { tags: input.tags }),
    };
    return (await this.request(frame, { ...options, schema: TaskCreated })).id;
  }

  /** The atomic claim: resolves for exactly one of any number of claimers, else `task_not_claimable`. */
  async claimTask(taskId: string, options?: SharedStateOptions): Promise<TaskList> {
    const list = await this.request({ type: "claim_task", taskId }, { ...options, schema: TaskList });
    return openTaskList(list, options?.dataKey);
  }

  async completeTask(taskId: string, result?: string, options?: SharedStateOptions): Promise<TaskList> {
    const frame = {
      type: "complete_task" as const,
      taskId,
      ...(result === undefined ? {} : { result: sealText(result, options?.dataKey) }),
    };
    return openTaskList(await this.request(frame, { ...options, schema: TaskList }), options?.dataKey);
  }

  /** Tasks newest first (at most 100); titles and results opened with `dataKey`. */
  async listTasks(
    filter: { status?: TaskStatus; assignee?: string } = {},
    options?: SharedStateOptions,
  ): Promise<TaskList> {
    const list = await this.request({ type: "list_tasks", ...filter }, { ...options, schema: TaskList });
    return openTaskList(list, options?.dataKey);
  }

  // ---- leases (§6.9a) --------------------------------------------------------------------------------

  /** Takes (or renews one's own) lease; another member's overlapping lease → `lease_held`. */
  acquireLease(
    resource: string,
    ttlMs: number,
    reason?: string,
    options?: RequestOptions,
  ): Promise<LeaseGranted> {
    const frame = { type: "lease_acquire" as const, resource, ttlMs, ...(reason ? { reason } : {}) };
    return this.request(frame, { ...options, schema: LeaseGranted });
  }

  renewLease(resource: string, ttlMs: number, options?: RequestOptions): Promise<LeaseGranted> {
    return this.request({ type: "lease_renew", resource, ttlMs }, { ...options, schema: LeaseGranted });
  }

  releaseLease(resource: string, options?: RequestOptions): Promise<LeaseReleased> {
    return this.request({ type: "lease_release", resource }, { ...options, schema: LeaseReleased });
  }

  /** Live leases of the mesh, optionally under `prefix`. */
  listLeases(prefix?: string, options?: RequestOptions): Promise<LeaseListResult> {
    const frame = { type: "lease_list" as const, ...(prefix === undefined ? {} : { prefix }) };
    return this.request(frame, { ...options, schema: LeaseListResult });
  }

  // ---- moderation (owner/admin, §2.9) ----------------------------------------------------------------

  /** Moderation `disconnect`: closes the targets' sockets with 1000 (they reconnect). Not a local close. */
  disconnect(target: ModerationTarget, options?: RequestOptions): Promise<DisconnectAck> {
    return this.request({ type: "disconnect", ...target }, { ...options, schema: DisconnectAck });
  }

  kick(target: ModerationTarget, options?: RequestOptions): Promise<KickAck> {
    return this.request({ type: "kick", ...target }, { ...options, schema: KickAck });
  }

  ban(target: string, reason?: string, options?: RequestOptions): Promise<BanAck> {
    return this.request({ type: "ban", target, reason }, { ...options, schema: BanAck });
  }

  unban(target: string, options?: RequestOptions): Promise<UnbanAck> {
    return this.request({ type: "unban", target }, { ...options, schema: UnbanAck });
  }

  async listBans(options?: RequestOptions): Promise<BanEntry[]> {
    return (await this.request({ type: "list_bans" }, { ...options, schema: ListBansReply })).bans;
  }

  /** Leaves the mesh for good (§2.9): the broker revokes this member and closes with 4002 `left`. */
  leaveMesh(options?: RequestOptions): Promise<LeaveMeshAck> {
    return this.request({ type: "leave_mesh" }, { ...options, schema: LeaveMeshAck });
  }
}

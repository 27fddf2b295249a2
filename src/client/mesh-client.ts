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
  AuditResult,
  AuditVerifyResult,
  TopicCreated,
  TopicHistoryResponse,
  TopicKeyClaimed,
  TopicKeyReply,
  TopicKeySealAck,
  TopicListResponse,
  TopicMembersResponse,
  TopicPendingSealsResult,
  type TopicRole,
  type TopicVisibility,
  FileUrl,
  FileList,
  FileStatusResult,
  GrantFileAccessOk,
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
import {
  ContextList,
  ContextResults,
  ContextShared,
  STATE_VALUE_MAX_BYTES,
  StateList,
  StateResult,
  type ContextEntry,
  type StateEntry,
  MemoryResults,
  MemoryStored,
  SkillAck,
  SkillData,
  SkillList,
  type MemoryEntry,
  type SkillDetail,
  type SkillSummary,
} from "../protocol/frames.js";
import { meshDataKey, readText, sealStateValue, sealText } from "./value-crypto.js";
import { AckFrame as AckReply } from "../protocol/frames.js";
import { memoryQueryTokens, sealMemory } from "./memory-skills.js";
import { CancelScheduledAck, ScheduledAck, ScheduledList } from "../protocol/frames.js";
import { MeshConnection } from "./connection.js";
import {
  CONTEXT_RESULTS_LIMIT,
  contextTooLong,
  openContext,
  openEntry,
  type ContextInput,
  type SharedOptions,
} from "./state-contexts.js";
import { ClientErrorCode, MeshClientError } from "./errors.js";
import type { MeshClientOptions } from "./options.js";
import { openTaskList, sealTaskText } from "./task-crypto.js";
import type { SealedCopy } from "./topic-keys.js";
import type { CreateTaskInput, RequestOptions, SendInput, SharedStateOptions } from "./types.js";
import type { ScheduleInput } from "./types.js";
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
      title: sealTaskText(input.title, options?.dataKey),
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
      ...(result === undefined ? {} : { result: sealTaskText(result, options?.dataKey) }),
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

  // ---- files (§6.6) ----------------------------------------------------------------------------------

  /** A 60 s download URL for a file and the key sealed to this member; `forbidden` when there is none. */
  getFile(fileId: string, options?: RequestOptions): Promise<FileUrl> {
    return this.request({ type: "get_file", fileId }, { ...options, schema: FileUrl });
  }

  /** Files this member may see, newest first (at most 100). */
  async listFiles(
    filter: { query?: string; from?: string } = {},
    options?: RequestOptions,
  ): Promise<FileList> {
    return this.request({ type: "list_files", ...filter }, { ...options, schema: FileList });
  }

  fileStatus(fileId: string, options?: RequestOptions): Promise<FileStatusResult> {
    return this.request({ type: "file_status", fileId }, { ...options, schema: FileStatusResult });
  }

  /** Deletes a file (the uploader's member or an admin). */
  deleteFile(fileId: string, options?: RequestOptions): Promise<AckFrame> {
    return this.request({ type: "delete_file", fileId }, { ...options, schema: AckReply });
  }

  /** Gives one more member the file key, sealed to its member key (the file's owner only). */
  grantFileAccess(fileId: string, peerPubkey: string, sealedKey: string, options?: RequestOptions) {
    return this.request(
      { type: "grant_file_access", fileId, peerPubkey, sealedKey },
      { ...options, schema: GrantFileAccessOk },
    );
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

  // ---- audit log (owner/admin, §6.9b) ---------------------------------------------------------------

  /** The mesh's audit entries newest first (`limit` 1-500, default 100), older than `beforeSeq` if given. */
  queryAudit(
    query: { limit?: number; beforeSeq?: number } = {},
    options?: RequestOptions,
  ): Promise<AuditResult> {
    return this.request({ type: "audit_query", ...query }, { ...options, schema: AuditResult });
  }

  /** Recomputes the mesh's hash chain on the broker: `ok`, the entry count, the head hash, `brokenAt`. */
  verifyAudit(options?: RequestOptions): Promise<AuditVerifyResult> {
    return this.request({ type: "audit_verify" }, { ...options, schema: AuditVerifyResult });
  }

  // ---- scheduled messages (§5.7, §6.5) ---------------------------------------------------------------

  /**
   * Schedules a message, sent later (or on every `cron` time) as this member even when it is offline then.
   * A bad cron → `invalid_cron`; over 100 active entries → `limit`.
   */
  schedule(input: ScheduleInput, options?: RequestOptions): Promise<ScheduledAck> {
    const frame = {
      type: "schedule" as const,
      to: input.to,
      message: input.envelope ? "" : (input.message ?? ""),
      ...(input.envelope ?? {}),
      ...(input.deliverAt === undefined ? {} : { deliverAt: input.deliverAt }),
      ...(input.cron === undefined ? {} : { cron: input.cron, recurring: true }),
      ...(input.priority === undefined ? {} : { priority: input.priority }),
      ...(input.clientMessageId === undefined ? {} : { client_message_id: input.clientMessageId }),
    };
    return this.request(frame, { ...options, schema: ScheduledAck });
  }

  /** This member's active scheduled messages, soonest first. */
  listScheduled(options?: RequestOptions): Promise<ScheduledList> {
    return this.request({ type: "list_scheduled" }, { ...options, schema: ScheduledList });
  }

  /** Cancels one of this member's entries; `ok:false` when it has none by that id. */
  cancelScheduled(scheduledId: string, options?: RequestOptions): Promise<CancelScheduledAck> {
    return this.request(
      { type: "cancel_scheduled", scheduledId },
      { ...options, schema: CancelScheduledAck },
    );
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

  // ---- state and contexts (§6.1, §6.7) ----------------------------------------------------------------
  // With `rootKey`, values, summaries, files and findings are encrypted under the mesh data key before
  // they leave (§5.8) and decrypted on read; without it they travel as given (what reference clients do).

  /**
   * `set_state`: last write wins; every other presence gets a `state_change`. Resolves once the broker
   * answered `ok` (capability `ok_replies`), else once written. A value whose wire form is over 32,768
   * bytes is refused here with `too_large`, without sending.
   */
  setState(key: string, value: unknown, options: SharedOptions = {}): Promise<void> {
    const wire = options.rootKey === undefined ? value : sealStateValue(value, meshDataKey(options.rootKey));
    const bytes = Buffer.byteLength(JSON.stringify(wire) ?? "");
    if (bytes > STATE_VALUE_MAX_BYTES) {
      return Promise.reject(
        new MeshClientError(
          "too_large",
          `state value too large: ${bytes} bytes serialized${options.rootKey === undefined ? "" : " once encrypted"} (the limit is ${STATE_VALUE_MAX_BYTES})`,
        ),
      );
    }
    return this.fireOrAwaitOk({ type: "set_state", key, value: wire }, options);
  }

  /** `get_state`: a missing key is `value: null, updatedBy: "", updatedAt: ""`. */
  async getState(key: string, options: SharedOptions = {}): Promise<StateEntry> {
    const {
      type: _t,
      _reqId,
      ...entry
    } = await this.request({ type: "get_state", key }, { ...options, schema: StateResult });
    return openEntry(entry, options.rootKey);
  }

  async listState(options: SharedOptions = {}): Promise<StateEntry[]> {
    const reply = await this.request({ type: "list_state" }, { ...options, schema: StateList });
    return reply.entries.map((e) => openEntry(e, options.rootKey));
  }

  /** `share_context`: replaces this member's context; resolves with its id. */
  async shareContext(context: ContextInput, options: SharedOptions = {}): Promise<string> {
    const seal =
      options.rootKey === undefined
        ? (t: string) => t
        : (
            (key: Uint8Array) => (t: string) =>
              sealText(t, key)
          )(meshDataKey(options.rootKey));
    const frame = {
      type: "share_context",
      summary: seal(context.summary),
      filesRead: context.filesRead?.map(seal),
      keyFindings: context.keyFindings?.map(seal),
      tags: context.tags,
    };
    const over = contextTooLong(frame.summary, frame.filesRead, frame.keyFindings);
    if (over !== null) {
      const how = options.rootKey === undefined ? "" : " once encrypted";
      throw new MeshClientError("too_large", `context ${over}${how}`);
    }
    return (await this.request(frame, { ...options, schema: ContextShared })).id;
  }

  /**
   * Contexts whose summary contains `query` (any case) or that have the tag `query`, newest first, at
   * most 20. With `rootKey` the search runs here over the decrypted `list_contexts` (the broker cannot
   * search encrypted summaries); without it the broker's `get_context` answers.
   */
  async getContext(query: string, options: SharedOptions = {}): Promise<ContextEntry[]> {
    if (options.rootKey === undefined) {
      return (await this.request({ type: "get_context", query }, { ...options, schema: ContextResults }))
        .contexts;
    }
    const needle = query.toLowerCase();
    const all = await this.listContexts(options);
    return all
      .filter((c) => c.summary.toLowerCase().includes(needle) || c.tags.includes(query))
      .slice(0, CONTEXT_RESULTS_LIMIT);
  }

  /** Every member's context, newest first. */
  async listContexts(options: SharedOptions = {}): Promise<ContextEntry[]> {
    const reply = await this.request({ type: "list_contexts" }, { ...options, schema: ContextList });
    return reply.contexts.map((c) => openContext(c, options.rootKey));
  }

  // ---- memory (§6.2) and skills (§6.8) ---------------------------------------------------------------

  /** `remember` as given (plaintext, or an envelope with its tokens): see {@link rememberEncrypted}. */
  remember(
    memory: { content: string; tags?: string[]; searchTokens?: string[] },
    options?: RequestOptions,
  ): Promise<MemoryStored> {
    return this.request({ type: "remember", ...memory }, { ...options, schema: MemoryStored });
  }

  /** Encrypts `text` under the mesh's data key, with blind search tokens, and remembers it. */
  rememberEncrypted(
    text: string,
    rootKey: Uint8Array,
    tags?: string[],
    options?: RequestOptions,
  ): Promise<MemoryStored> {
    return this.remember({ ...sealMemory(text, rootKey), tags }, options);
  }

  /** `recall` as given: full text with `query`, or blind `queryTokens`. Contents come back as stored. */
  async recall(query: string, queryTokens?: string[], options?: RequestOptions): Promise<MemoryEntry[]> {
    const frame = { type: "recall", query, ...(queryTokens === undefined ? {} : { queryTokens }) };
    return (await this.request(frame, { ...options, schema: MemoryResults })).memories;
  }

  /** Recalls by the blind tokens of `query` (never sending its words) and decrypts what comes back. */
  async recallEncrypted(
    query: string,
    rootKey: Uint8Array,
    options?: RequestOptions,
  ): Promise<MemoryEntry[]> {
    const tokens = memoryQueryTokens(query, rootKey);
    if (tokens.length === 0) return [];
    const found = await this.recall("", tokens, options);
    return found.map((m) => ({ ...m, content: readText(m.content, meshDataKey(rootKey)) }));
  }

  /** Soft-deletes a memory; an unknown id rejects with `not_found`. */
  forget(memoryId: string, options?: RequestOptions): Promise<AckFrame> {
    return this.request({ type: "forget", memoryId }, { ...options, schema: AckReply });
  }

  /** `share_skill` as given (upsert by name); see {@link shareSkillEncrypted}. */
  shareSkill(
    skill: {
      name: string;
      description: string;
      instructions: string;
      tags?: string[];
      manifest?: Record<string, unknown>;
    },
    options?: RequestOptions,
  ): Promise<SkillAck> {
    return this.request({ type: "share_skill", ...skill }, { ...options, schema: SkillAck });
  }

  /** Shares a skill with its instructions encrypted under the mesh's data key. */
  shareSkillEncrypted(
    skill: Parameters<MeshClient["shareSkill"]>[0],
    rootKey: Uint8Array,
    options?: RequestOptions,
  ): Promise<SkillAck> {
    return this.shareSkill(
      { ...skill, instructions: sealText(skill.instructions, meshDataKey(rootKey)) },
      options,
    );
  }

  /** One skill as stored (instructions may be an envelope), or null. */
  async getSkill(name: string, options?: RequestOptions): Promise<SkillDetail | null> {
    return (await this.request({ type: "get_skill", name }, { ...options, schema: SkillData })).skill;
  }

  /** One skill with its instructions decrypted, or null. */
  async getSkillDecrypted(
    name: string,
    rootKey: Uint8Array,
    options?: RequestOptions,
  ): Promise<SkillDetail | null> {
    const skill = await this.getSkill(name, options);
    return skill === null
      ? null
      : { ...skill, instructions: readText(skill.instructions, meshDataKey(rootKey)) };
  }

  /** Skills whose name, description or a tag contains `query` (case-insensitive); all without one. */
  async listSkills(query?: string, options?: RequestOptions): Promise<SkillSummary[]> {
    const frame = { type: "list_skills", ...(query === undefined ? {} : { query }) };
    return (await this.request(frame, { ...options, schema: SkillList })).skills;
  }

  removeSkill(name: string, options?: RequestOptions): Promise<SkillAck> {
    return this.request({ type: "remove_skill", name }, { ...options, schema: SkillAck });
  }

  // ---- topics (§6.4, §5.4) -------------------------------------------------------------------------

  /** Creates a topic (idempotent on name); without a sealed copy it starts keyless (claim one next). */
  createTopic(
    input: { name: string; description?: string; visibility?: TopicVisibility; copy?: SealedCopy },
    options?: RequestOptions,
  ): Promise<TopicCreated> {
    const { copy, ...fields } = input;
    return this.request({ type: "topic_create", ...fields, ...copy }, { ...options, schema: TopicCreated });
  }

  /** Public topics and the caller's private ones, with `joined` and `unread`. */
  listTopics(options?: RequestOptions): Promise<TopicListResponse> {
    return this.request({ type: "topic_list" }, { ...options, schema: TopicListResponse });
  }

  /** Joins a public topic, or (a lead or admin) adds `member` to a private one. */
  joinTopic(topic: string, extra: { role?: TopicRole; member?: string } = {}, options?: RequestOptions) {
    return this.fireOrAwaitOk({ type: "topic_join", topic, ...extra }, options);
  }

  leaveTopic(topic: string, options?: RequestOptions): Promise<void> {
    return this.fireOrAwaitOk({ type: "topic_leave", topic }, options);
  }

  topicMembers(topic: string, options?: RequestOptions): Promise<TopicMembersResponse> {
    return this.request({ type: "topic_members", topic }, { ...options, schema: TopicMembersResponse });
  }

  /** One page of history, newest first (bodies as sent: open them with the topic key). */
  topicHistory(
    topic: string,
    page: { limit?: number; beforeId?: string } = {},
    options?: RequestOptions,
  ): Promise<TopicHistoryResponse> {
    return this.request(
      { type: "topic_history", topic, ...page },
      { ...options, schema: TopicHistoryResponse },
    );
  }

  markTopicRead(topic: string, options?: RequestOptions): Promise<void> {
    return this.fireOrAwaitOk({ type: "topic_mark_read", topic }, options);
  }

  /** Sets the key of a keyless topic; rejects `key_already_set` (naming the winner) when it has one. */
  claimTopicKey(topic: string, copy: SealedCopy, options?: RequestOptions): Promise<TopicKeyClaimed> {
    return this.request({ type: "topic_key_claim", topic, ...copy }, { ...options, schema: TopicKeyClaimed });
  }

  /** This member's sealed copy; rejects `key_not_sealed`, `topic_unencrypted`, `forbidden`, `topic_not_found`. */
  getTopicKey(topic: string, options?: RequestOptions): Promise<TopicKeyReply> {
    return this.request({ type: "topic_key_get", topic }, { ...options, schema: TopicKeyReply });
  }

  /** Members of topics this member holds the key of who still lack a copy. */
  pendingTopicSeals(topic?: string, options?: RequestOptions): Promise<TopicPendingSealsResult> {
    const frame = { type: "topic_pending_seals" as const, ...(topic === undefined ? {} : { topic }) };
    return this.request(frame, { ...options, schema: TopicPendingSealsResult });
  }

  /** Hands `memberPubkey` its sealed copy of the topic key. */
  sealTopicKey(
    topic: string,
    memberPubkey: string,
    copy: SealedCopy,
    options?: RequestOptions,
  ): Promise<TopicKeySealAck> {
    const frame = { type: "topic_key_seal" as const, topic, memberPubkey, ...copy };
    return this.request(frame, { ...options, schema: TopicKeySealAck });
  }
}

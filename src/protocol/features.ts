/** Broker features advertised in `hello_ack.features` (protocol.md §1.8). */
export const BROKER_FEATURES = [
  "session_hello",
  "client_ack",
  "client_message_id_dedupe",
  "per_recipient_delivery",
  "hello_replay_guard",
  "unknown_message_type",
  "ok_replies",
  "status_source",
  "body_version",
  "signed_http",
  "bye",
  "moderation",
  "mesh_info",
  "peer_events",
  "peer_pages",
  "state",
  "contexts",
  "memory",
  "skills",
  "tasks",
  "task_change",
  "leases",
  "audit",
  "topics",
  "topic_keys",
  "files",
  "file_shared",
  "schedule",
  "backlog_sent",
] as const;

/** Client capabilities the broker understands. */
export const Capability = {
  clientAck: "client_ack",
  okReplies: "ok_replies",
  topicKeys: "topic_keys",
  noInbox: "no_inbox",
  bodyVersion: "body_version",
  /** Presence events coalesced into at most one `peer_events` push per tick (protocol.md §3.6). */
  peerEvents: "peer_events",
  /** No presence events at all (§3.6): for connections that never show them. */
  noPeerEvents: "no_peer_events",
  /**
   * A `backlog_sent` frame once the deliveries pending when the connection came up have been pushed
   * (protocol.md §4.6).
   */
  backlogSent: "backlog_sent",
} as const;
export type Capability = (typeof Capability)[keyof typeof Capability];

/** Numbers of protocol.md §8 that more than one component needs. */
export const PROTOCOL_VERSION = 2;
export const DEFAULT_BROKER_PORT = 7900;
export const WS_PATH = "/ws";

export const MAX_FRAME_BYTES = 262_144;
export const MAX_SEND_PAYLOAD = 65_536;
export const MAX_HTTP_BODY = 65_536;
/** What encryption adds to a message body: a 24-byte nonce and a 16-byte MAC (crypto_box and secretbox). */
export const ENCRYPTION_NONCE_BYTES = 24;
export const ENCRYPTION_MAC_BYTES = 16;
/** Room kept in MAX_SEND_PAYLOAD for the target spec (a key, a group path) that counts toward it. */
const TARGET_SPEC_ALLOWANCE = 256;
/**
 * The longest message text, in UTF-8 bytes, that always fits MAX_SEND_PAYLOAD once encrypted: nonce and
 * ciphertext travel base64-encoded (4 characters per 3 bytes) next to the target spec.
 */
export const MAX_MESSAGE_TEXT_BYTES =
  Math.floor(
    ((MAX_SEND_PAYLOAD - TARGET_SPEC_ALLOWANCE - Math.ceil(ENCRYPTION_NONCE_BYTES / 3) * 4) / 4) * 3,
  ) - ENCRYPTION_MAC_BYTES;
/** MAX_MESSAGE_TEXT_BYTES in the unit people read: "about N KB of text". */
export const MAX_MESSAGE_TEXT_KB = Math.floor(MAX_MESSAGE_TEXT_BYTES / 1024);

export const HELLO_TIMEOUT_MS = 10_000;
export const TIMESTAMP_SKEW_MS = 60_000;
export const REPLAY_WINDOW_MS = 120_000;
export const ATTESTATION_TTL_MS = 43_200_000;
export const MAX_ATTESTATION_TTL_MS = 86_400_000;
export const HELLO_ACK_WAIT_MS = 5_000;

export const PING_INTERVAL_MS = 30_000;
export const STALE_PONG_MS = 75_000;
export const GRACE_MS = 90_000;
export const PRESENCE_SWEEP_MS = 30_000;

export const DEFAULT_MAX_PEERS_PER_MESH = 100;
export const SEND_BURST = 10;
export const SEND_RATE_PER_MIN = 60;
export const FRAME_BURST = 100;
export const FRAME_RATE_PER_SEC = 50;
/**
 * Rows of each shared family (state keys, memories, tasks, topics, skills) one member may own in a mesh
 * [ours]: one member cannot fill the broker's database. Far above what agents keep, and at each family's
 * largest row in the order of the 1 GiB file quota (protocol.md §6, "Row quota").
 */
export const ROW_QUOTA = 10_000;

export const CLAIM_LEASE_MS = 30_000;
export const REDELIVERY_MAX_DELAY_MS = 5_000;
export const DELIVERY_TTL_MS = 7 * 24 * 3_600_000;
export const IDEMPOTENCY_TTL_MS = 8 * 24 * 3_600_000;

export const HOOK_FRESH_MS = 30_000;
export const WORKING_TIMEOUT_MS = 60_000;
/** A hook's `working` lasts until the hook reports idle; this is only the safety net for a lost Stop hook. */
export const HOOK_WORKING_TIMEOUT_MS = 5 * 60_000;
export const WORKING_SWEEP_MS = 15_000;
export const PENDING_HOOK_HOLD_MS = 10_000;

export const SUMMARY_MAX_CHARS = 1_024;

/** `list_peers.limit` ceiling (§3.5). */
export const LIST_PEERS_MAX_LIMIT = 500;
/** Presence events queued for one `peer_events` push at most; the rest are only counted (§3.6). */
export const PEER_EVENTS_MAX_PER_FRAME = 32;
/** How often queued presence events go out to `peer_events` connections (§3.6)… */
export const PRESENCE_TICK_MS = 250;
/** …per this many such connections in the mesh (started): a 10,000-presence mesh ticks every 2.5 s. */
export const PRESENCE_TICK_RECIPIENTS = 1_000;
export const MAX_MENTIONS = 16;
/**
 * Groups one presence may be in, and the longest group role [ours]: each `join_group` rewrites the
 * presence's whole group list, and every `peers_list` and peer event carries it.
 */
export const MAX_GROUPS_PER_PRESENCE = 64;
export const GROUP_ROLE_MAX_CHARS = 64;

export const RECONNECT_STEPS_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000] as const;

export const INVITE_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const INVITE_CODE_LENGTH = 8;
export const INVITE_DEFAULT_TTL_MS = 7 * 24 * 3_600_000;
/** Most broker URLs one mesh lists (the nodes of one broker cluster), in the config and in invite links. */
export const MAX_BROKER_URLS = 16;

/** How a session wants peer messages (`MessageMode` in frames.ts); here so light modules can list them. */
export const MESSAGE_MODES = ["push", "inbox", "off"] as const;

/** The `channel` a person's presence in the web app declares in its hello. */
export const WEB_CHANNEL = "claudemesh-web";

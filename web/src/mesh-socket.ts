/**
 * The person's live connection to the mesh: one WebSocket to the broker's `/ws`, a member `hello` with
 * `peerType` "human" signed by the key this browser holds (protocol.md §2.3, the SDK's own hello
 * signing), then `list_peers` whenever a presence event arrives (§3.5, §3.6) and at a slow interval for
 * status and summary changes, which have no event.
 */
import { buildMemberHello } from "../../src/client/hello.js";
import type { PeerEntry } from "../../src/protocol/families/presence.js";
import type { Membership } from "./membership.js";

export type { PeerEntry };

export type SocketState =
  | { kind: "connecting" }
  | { kind: "online"; presenceId: string }
  | { kind: "closed"; reason: string; retrying: boolean };

export interface MeshSocketEvents {
  onState(state: SocketState): void;
  onPeers(peers: PeerEntry[]): void;
}

/**
 * Presence events after which the peer list is fetched again (`PEER_EVENT_NAMES` of the protocol module,
 * spelled out here: that module's zod schemas would add hundreds of kilobytes to the page).
 */
const PRESENCE_EVENTS = new Set([
  "peer_joined",
  "peer_returned",
  "peer_left",
  "peer_visible",
  "peer_hidden",
  "peer_events",
]);
const STATUSES = new Set(["idle", "working", "dnd"]);

/** The entries of a `peers_list` that have the fields this page shows, with the right types (§3.5). */
function peersOf(frame: Record<string, unknown>): PeerEntry[] {
  if (!Array.isArray(frame.peers)) return [];
  return frame.peers.filter((value: unknown): value is PeerEntry => {
    if (typeof value !== "object" || value === null) return false;
    const p = value as Record<string, unknown>;
    return (
      typeof p.pubkey === "string" &&
      typeof p.displayName === "string" &&
      typeof p.sessionId === "string" &&
      typeof p.peerRole === "string" &&
      typeof p.status === "string" &&
      STATUSES.has(p.status) &&
      (p.summary === null || typeof p.summary === "string") &&
      (p.peerType === undefined || typeof p.peerType === "string")
    );
  });
}
/** 1008 reasons worth another try with a fresh hello (protocol.md §2.8); every other 1008 is final. */
const RETRYABLE_REFUSALS = new Set(["timestamp_skew", "replayed_hello", "capacity", "hello_timeout"]);
const REFRESH_MS = 15_000;
/** Reconnect backoff of §2.8: 1, 2, 4, 8, 16, 30, 30, … s, plus up to 1 s of jitter. */
const BACKOFF_S = [1, 2, 4, 8, 16, 30];

/** Whether a close lets the page reconnect (§2.8): not after kick, ban, leave, takeover or a refusal. */
function mayReconnect(code: number, reason: string): boolean {
  if (code === 4001 || code === 4002) return false;
  if (code === 1000 && reason === "session_replaced") return false;
  return code !== 1008 || RETRYABLE_REFUSALS.has(reason);
}

function sessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Connects and keeps connecting until `close()`; returns `close`. */
export function connectMesh(membership: Membership, events: MeshSocketEvents): () => void {
  const id = sessionId();
  let socket: WebSocket | null = null;
  let refresh: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let nextReq = 0;
  let attempt = 0;

  const listPeers = (): void => {
    if (socket?.readyState === WebSocket.OPEN)
      socket.send(JSON.stringify({ type: "list_peers", _reqId: `peers-${++nextReq}` }));
  };

  const onFrame = (frame: Record<string, unknown>): void => {
    if (frame.type === "hello_ack") {
      attempt = 0;
      events.onState({ kind: "online", presenceId: String(frame.presenceId ?? "") });
      listPeers();
      refresh = setInterval(listPeers, REFRESH_MS);
    } else if (frame.type === "peers_list") {
      events.onPeers(peersOf(frame));
    } else if (frame.type === "push" && frame.subtype === "system") {
      if (typeof frame.event === "string" && PRESENCE_EVENTS.has(frame.event)) listPeers();
    } else if (frame.type === "error" && typeof frame.message === "string") {
      events.onState({ kind: "closed", reason: frame.message, retrying: false });
    }
  };

  const open = (): void => {
    events.onState({ kind: "connecting" });
    const ws = new WebSocket(membership.brokerUrl);
    socket = ws;
    ws.onopen = () => {
      const hello = buildMemberHello(
        membership.meshId,
        { memberId: membership.memberId, publicKey: membership.pubkey, secretKey: membership.secretKey },
        {
          displayName: membership.displayName,
          sessionId: id,
          pid: 0,
          cwd: "",
          peerType: "human",
          channel: "claudemesh-web",
          capabilities: [],
        },
        Date.now,
      );
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== "string") return;
      try {
        const frame: unknown = JSON.parse(message.data);
        if (typeof frame === "object" && frame !== null) onFrame(frame as Record<string, unknown>);
      } catch {
        // A frame that is not JSON is ignored; the broker never sends one.
      }
    };
    ws.onclose = (close) => {
      clearInterval(refresh);
      if (stopped) return;
      const retrying = mayReconnect(close.code, close.reason);
      events.onState({
        kind: "closed",
        reason: close.reason || `connection closed (${close.code})`,
        retrying,
      });
      if (!retrying) return;
      const seconds = BACKOFF_S[Math.min(attempt++, BACKOFF_S.length - 1)] ?? 30;
      retry = setTimeout(open, seconds * 1000 + Math.random() * 1000);
    };
  };

  open();
  return () => {
    stopped = true;
    clearInterval(refresh);
    clearTimeout(retry);
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "bye" }));
    socket?.close(1000);
  };
}

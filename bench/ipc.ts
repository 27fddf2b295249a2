/** Messages between the benchmark coordinator (run.ts) and its worker processes (worker.ts). */

/** One mesh member the benchmark drives: a real ed25519 identity and its member id. */
export interface BenchPeer {
  index: number;
  memberId: string;
  displayName: string;
  publicKey: string;
  secretKey: string;
}

/** The broker node (0-based) peer `index` connects to: round-robin over the `nodes`. */
export function nodeOf(index: number, nodes: number): number {
  return index % nodes;
}

/**
 * A run has an optional warm-up (JIT, prepared statements, first connections' buffers) whose messages
 * are delivered in full before the measured phase starts, and are not counted.
 */
export type Phase = "warmup" | "measure";

export interface WorkerInit {
  type: "init";
  /**
   * The broker nodes' WebSocket URLs: peer `index` connects to `urls[nodeOf(index, urls.length)]`, so a
   * DM crosses nodes when its sender and recipient are on different ones.
   */
  urls: string[];
  meshId: string;
  /** The peers this worker hosts. */
  peers: BenchPeer[];
  /** Every peer's public key by index: the DM targets and the sender check on receipt. */
  directory: string[];
  msgs: number;
  /** DMs each peer sends in the warm-up phase. */
  warmup: number;
  /** Time between two sends of one peer (ms); null = as fast as the window allows. */
  intervalMs: number | null;
  window: number;
  bytes: number;
}

/** When to start a phase, in ms since the epoch, so every worker starts together. */
export type WorkerStart = { type: "start"; phase: Phase; at: number };
/** Stop: report the measured phase's result, close the connections and exit. */
export type WorkerFinish = { type: "finish" };
export type ToWorker = WorkerInit | WorkerStart | WorkerFinish;

export interface Counters {
  /** Sends attempted (each message once, however often it was retried). */
  attempted: number;
  /** Sends answered with `ack queued:true`. */
  accepted: number;
  /** Messages received at the application, each counted once. */
  received: number;
  /** Messages received again after the first time (same sender and message id). */
  duplicates: number;
  errors: number;
  /** All of this worker's peers got an answer for every send. */
  doneSending: boolean;
}

export interface WorkerResult extends Counters {
  /**
   * Error kinds and how often each happened (send failures, decrypt failures, misattributed pushes);
   * those of the warm-up are prefixed `warmup_`.
   */
  errorKinds: Record<string, number>;
  /** Sends resent after a transient failure (same client_message_id). */
  retries: number;
  /** Acks saying `duplicate:true` (a retry of a send the broker had already accepted). */
  duplicateAcks: number;
  /** Warm-up messages received more than once. */
  warmupDuplicates: number;
  /** Disconnects seen by the clients during the run. */
  disconnects: number;
  firstSendAt: number | null;
  lastSendAt: number | null;
  lastReceiveAt: number | null;
  lastAckAt: number | null;
  /** send→push latency (ms) of each message received whose sender is on the recipient's node, first receipt only. */
  sameNodeLatencies: Float64Array;
  /** The same for messages whose sender is on another node than the recipient. */
  crossNodeLatencies: Float64Array;
  /** send→ack latency of each accepted send (ms). */
  ackLatencies: Float64Array;
  /** CPU seconds (user + system) this worker used from the start of the run. */
  cpuSeconds: number;
}

/** Where a worker's peers stand, reported every 250 ms once they are connected. */
export interface PeerStatus {
  /** Peers whose connection has a `hello_ack` now. */
  connected: number;
  /** When the last of them got its `hello_ack` (ms since the epoch); null before the first. */
  lastConnectedAt: number | null;
  /** System pushes received (a `peer_events` push counts once). */
  systemFrames: number;
  /** Presence events those pushes held, and how many they said were omitted. */
  peerEvents: number;
  omittedEvents: number;
}

export type FromWorker =
  | { type: "ready"; connectMs: number; startedAt: number; doneAt: number }
  | ({ type: "status" } & PeerStatus)
  | ({ type: "progress"; phase: Phase } & Counters)
  | ({ type: "result" } & WorkerResult)
  | { type: "fatal"; message: string };

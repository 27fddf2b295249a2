/** Public types of the broker client's connection API. */
import type { BrokerFrameEnvelope, HelloAck, Priority, PushFrame } from "../protocol/frames.js";

/** A frame the client sends; `_reqId` is added by `request`/`send`. */
export type OutboundFrame = { type: string; [field: string]: unknown };
/** Any broker frame after envelope validation. */
export type BrokerFrame = BrokerFrameEnvelope;
/** A system event (§3.6): a push with `subtype:"system"`. Never decrypted, never acked. */
export type SystemEvent = PushFrame & { subtype: "system" };

export type PushHandler = (push: PushFrame) => void | Promise<void>;
export type SystemEventHandler = (event: SystemEvent) => void;
export type FrameHandler = (frame: BrokerFrame) => void;

export type DisconnectInfo = {
  code: number;
  reason: string;
  willReconnect: boolean;
  /** Delay before the next attempt, when `willReconnect`. */
  retryInMs?: number;
  /** The broker URL of the connection or attempt that ended. */
  url?: string;
  /** The broker URL the next attempt goes to, when `willReconnect`. */
  nextUrl?: string;
  /**
   * Whether every broker URL has failed in a row since the last successful hello (always, with one URL).
   * False while the client is still moving through a cluster's nodes, before it backs off.
   */
  allFailed?: boolean;
};

/** The client gave up for good: kicked, banned/left, replaced, or a permanent hello failure. */
export type TerminalInfo = {
  /** WebSocket close code (0 when no socket could be opened). */
  code: number;
  /** Close reason, or the wire error code when the close carried none. */
  reason: string;
  /** For the user: the broker's message where it sent one (e.g. "Contact the mesh owner to rejoin."). */
  message: string;
  /** The wire error code (`revoked`, `kicked`, `left`, `unauthorized`, `session_replaced`, …). */
  errorCode: string;
};

export type MeshClientEvents = {
  connected: [ack: HelloAck];
  disconnected: [info: DisconnectInfo];
  terminal: [info: TerminalInfo];
  /** Every push the broker held for this connection when it came up has been handled (see `backlogReceived`). */
  backlog: [];
};

export type RequestOptions = {
  /** @default the client's requestTimeoutMs (10 s) */
  timeoutMs?: number;
};

/** Options of the shared-state methods whose values our clients encrypt (protocol.md §5.8). */
export type SharedStateOptions = RequestOptions & {
  /** The mesh data key (`dataKey(rootKey)`): values are sealed under it on write and opened on read. */
  dataKey?: Uint8Array;
};

export type CreateTaskInput = {
  title: string;
  /** A display name. */
  assignee?: string;
  /** @default "normal" on the broker */
  priority?: string;
  tags?: string[];
};

export type SendInput = {
  targetSpec: string;
  /** @default "next" */
  priority?: Priority;
  nonce: string;
  ciphertext: string;
  /** Idempotency key (§4.5); also the correlation `id`. A random `id` is used when absent. */
  clientMessageId?: string;
  requestFingerprint?: string;
  replyToId?: string;
  mentions?: string[];
  bodyVersion?: number;
};

/** A scheduled message (protocol.md §5.7, §6.5): exactly one of `deliverAt` and `cron`. */
export type ScheduleInput = {
  /** A `targetSpec`, resolved by the broker when the entry fires. */
  to: string;
  /**
   * The ready envelope, made with the member key (the session may be gone at fire time): what our
   * clients send. Without it, `message` goes as plaintext the broker can read (the reference form).
   */
  envelope?: { nonce: string; ciphertext: string; bodyVersion?: number };
  /** Plaintext, only without `envelope`. */
  message?: string;
  /** When a one-shot entry fires (ms since the epoch). */
  deliverAt?: number;
  /** 5 fields, UTC: a recurring entry. */
  cron?: string;
  /** @default "now" on the broker */
  priority?: Priority;
  /** Idempotency key: a repeat returns the original entry; the fired message carries it too. */
  clientMessageId?: string;
};

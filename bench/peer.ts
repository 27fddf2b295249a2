/**
 * One benchmark peer: a real MeshClient connection (member hello) that sends crypto_box DMs to random
 * other peers, keeping at most `window` sends waiting for their ack, and decrypts, checks and records
 * every push it gets. MeshClient acks each push (client_ack) once the handler returns.
 */
import { encryptDirect, MeshClient, peerEventsOf } from "../src/client/index.js";
import type { PushFrame } from "../src/protocol/frames.js";
import { nodeOf, type BenchPeer, type PeerStatus, type Phase, type WorkerInit } from "./ipc.js";
import { nowMs, type Recorder } from "./recorder.js";

/** Send failures worth a resend with the same client_message_id (the broker deduplicates it, §4.5). */
const TRANSIENT = new Set([
  "not_connected",
  "connection_closed",
  "request_timeout",
  "internal",
  "rate_limit",
]);
const MAX_ATTEMPTS = 5;
const RETRY_DELAY_MS = 200;
const REQUEST_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The phase tag at the start of each plaintext, so a receiver counts a message in its own phase. */
const TAG: Record<Phase, string> = { warmup: "w", measure: "m" };

/** Where each phase's sends and receipts are recorded. */
export type PhaseRecorders = Record<Phase, Recorder>;

export class PeerRunner {
  readonly client: MeshClient;
  #finishing = false;

  constructor(
    private readonly peer: BenchPeer,
    private readonly init: WorkerInit,
    private readonly recorders: PhaseRecorders,
    status: PeerStatus,
  ) {
    this.client = new MeshClient({
      url: init.urls[nodeOf(peer.index, init.urls.length)]!,
      meshId: init.meshId,
      identity: { memberId: peer.memberId, publicKey: peer.publicKey, secretKey: peer.secretKey },
      displayName: peer.displayName,
      sessionId: `bench-${peer.index}`,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      // As the daemon's member connection asks for them, so connect figures include their cost.
      presenceEvents: "coalesced",
    });
    // `disconnected` also follows an attempt that never got a hello_ack: count links that were up only.
    let up = false;
    this.client.on("connected", () => {
      if (!up) status.connected += 1;
      up = true;
      status.lastConnectedAt = nowMs();
    });
    this.client.onSystemEvent((event) => {
      status.systemFrames += 1;
      const peers = peerEventsOf(event);
      if (peers === null) return;
      status.peerEvents += peers.events.length;
      status.omittedEvents += peers.omitted;
    });
    this.client.onPush((push) => this.#onPush(push));
    this.client.on("disconnected", () => {
      if (up) status.connected -= 1;
      up = false;
      if (!this.#finishing) recorders.measure.disconnects += 1;
    });
    this.client.on("terminal", (info) => recorders.measure.error(`terminal_${info.errorCode}`));
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Sends every message of `phase`; resolves when each has an answer (or failed for good). */
  async run(phase: Phase, startAt: number): Promise<void> {
    const count = phase === "warmup" ? this.init.warmup : this.init.msgs;
    const offset = this.init.intervalMs === null ? 0 : Math.random() * this.init.intervalMs;
    const next = { seq: 0 };
    const lanes = Math.min(this.init.window, count);
    await Promise.all(Array.from({ length: lanes }, () => this.#lane(phase, count, next, startAt + offset)));
  }

  async close(): Promise<void> {
    this.#finishing = true;
    await this.client.close();
  }

  /** One of `window` concurrent senders: takes the next message number, sends it, waits for its ack. */
  async #lane(phase: Phase, count: number, next: { seq: number }, startAt: number): Promise<void> {
    const { intervalMs } = this.init;
    while (next.seq < count) {
      const seq = next.seq++;
      if (intervalMs !== null) {
        // Open-loop pacing: message `seq` is due at its slot, however long earlier acks took.
        const wait = startAt + seq * intervalMs - nowMs();
        if (wait > 0) await sleep(wait);
      }
      await this.#sendOne(phase, seq);
    }
  }

  async #sendOne(phase: Phase, seq: number): Promise<void> {
    const { directory, bytes } = this.init;
    const recorder = this.recorders[phase];
    let to = Math.floor(Math.random() * (directory.length - 1));
    if (to >= this.peer.index) to += 1;
    const recipient = directory[to]!;
    const sentAt = nowMs();
    recorder.sending(sentAt);
    // The sender's clock goes inside the ciphertext, so latency is measured at the receiving application.
    const header = `${TAG[phase]}|${this.peer.index}|${seq}|${sentAt}|`;
    const plaintext = header + "x".repeat(Math.max(0, bytes - header.length));
    const envelope = encryptDirect(plaintext, recipient, this.peer.secretKey);
    const clientMessageId = `${TAG[phase]}${this.peer.index}-${seq}`;
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      try {
        if (!this.client.connected) await this.client.connect();
        const ack = await this.client.send({ targetSpec: recipient, ...envelope, clientMessageId });
        if (ack.queued) {
          recorder.acked(sentAt, nowMs(), ack.duplicate === true);
          return;
        }
        failure = (ack.error ?? "unknown").split(":")[0] ?? "unknown";
      } catch (err) {
        failure = errorCode(err);
      }
      if (!TRANSIENT.has(failure) || attempt >= MAX_ATTEMPTS) {
        recorder.error(`send_${failure}`);
        return;
      }
      recorder.retries += 1;
      await sleep(RETRY_DELAY_MS);
    }
  }

  #onPush(push: PushFrame): void {
    const at = nowMs();
    const opened = this.client.decryptPush(push);
    // Returning normally acks the push: a daemon stores undecryptable messages as such and acks them too.
    if (!opened.ok) {
      this.recorders.measure.error(`decrypt_${opened.reason}`);
      return;
    }
    const [tag, senderText, seqText, sentAtText] = opened.text.split("|", 4);
    const recorder =
      tag === TAG.warmup ? this.recorders.warmup : tag === TAG.measure ? this.recorders.measure : null;
    if (recorder === null) {
      this.recorders.measure.error("bad_plaintext");
      return;
    }
    const sender = Number(senderText);
    const seq = Number(seqText);
    const sentAt = Number(sentAtText);
    if (!Number.isInteger(sender) || !Number.isInteger(seq) || !Number.isFinite(sentAt)) {
      recorder.error("bad_plaintext");
      return;
    }
    if (this.init.directory[sender] !== push.senderMemberPubkey) {
      recorder.error("misattributed_sender");
      return;
    }
    if (push.recipientPubkey !== this.peer.publicKey) {
      recorder.error("misrouted");
      return;
    }
    const nodes = this.init.urls.length;
    recorder.receivedMessage(
      sender,
      seq,
      sentAt,
      at,
      nodeOf(sender, nodes) !== nodeOf(this.peer.index, nodes),
    );
  }
}

function errorCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string")
    return err.code;
  return "exception";
}

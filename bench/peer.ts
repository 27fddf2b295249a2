/**
 * One benchmark peer: a real MeshClient connection (member hello) that sends `msgs` crypto_box DMs to
 * random other peers, keeping at most `window` sends waiting for their ack, and decrypts, checks and
 * records every push it gets. MeshClient acks each push (client_ack) once the handler returns.
 */
import { encryptDirect, MeshClient } from "../src/client/index.js";
import type { PushFrame } from "../src/protocol/frames.js";
import type { BenchPeer, WorkerInit } from "./ipc.js";
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

export class PeerRunner {
  readonly client: MeshClient;
  #next = 0;
  #finishing = false;

  constructor(
    private readonly peer: BenchPeer,
    private readonly init: WorkerInit,
    private readonly recorder: Recorder,
  ) {
    this.client = new MeshClient({
      url: init.url,
      meshId: init.meshId,
      identity: { memberId: peer.memberId, publicKey: peer.publicKey, secretKey: peer.secretKey },
      displayName: peer.displayName,
      sessionId: `bench-${peer.index}`,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    this.client.onPush((push) => this.#onPush(push));
    this.client.on("disconnected", () => {
      if (!this.#finishing) recorder.disconnects += 1;
    });
    this.client.on("terminal", (info) => recorder.error(`terminal_${info.errorCode}`));
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Sends every message; resolves when each has an answer (or failed for good). */
  async run(startAt: number): Promise<void> {
    const phase = this.init.intervalMs === null ? 0 : Math.random() * this.init.intervalMs;
    const lanes = Math.min(this.init.window, this.init.msgs);
    await Promise.all(Array.from({ length: lanes }, () => this.#lane(startAt + phase)));
  }

  async close(): Promise<void> {
    this.#finishing = true;
    await this.client.close();
  }

  /** One of `window` concurrent senders: takes the next message number, sends it, waits for its ack. */
  async #lane(startAt: number): Promise<void> {
    const { intervalMs, msgs } = this.init;
    while (this.#next < msgs) {
      const seq = this.#next++;
      if (intervalMs !== null) {
        // Open-loop pacing: message `seq` is due at its slot, however long earlier acks took.
        const wait = startAt + seq * intervalMs - nowMs();
        if (wait > 0) await sleep(wait);
      }
      await this.#sendOne(seq);
    }
  }

  async #sendOne(seq: number): Promise<void> {
    const { directory, bytes } = this.init;
    const recorder = this.recorder;
    let to = Math.floor(Math.random() * (directory.length - 1));
    if (to >= this.peer.index) to += 1;
    const recipient = directory[to]!;
    const sentAt = nowMs();
    recorder.sending(sentAt);
    // The sender's clock goes inside the ciphertext, so latency is measured at the receiving application.
    const header = `${this.peer.index}|${seq}|${sentAt}|`;
    const plaintext = header + "x".repeat(Math.max(0, bytes - header.length));
    const envelope = encryptDirect(plaintext, recipient, this.peer.secretKey);
    const clientMessageId = `b${this.peer.index}-${seq}`;
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
    const recorder = this.recorder;
    const opened = this.client.decryptPush(push);
    // Returning normally acks the push: a daemon stores undecryptable messages as such and acks them too.
    if (!opened.ok) {
      recorder.error(`decrypt_${opened.reason}`);
      return;
    }
    const [senderText, seqText, sentAtText] = opened.text.split("|", 3);
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
    recorder.receivedMessage(sender, seq, sentAt, at);
  }
}

function errorCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string")
    return err.code;
  return "exception";
}

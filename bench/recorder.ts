/** What one worker saw: counters, latencies, and which messages arrived (to count duplicates). */
import type { Counters, WorkerResult } from "./ipc.js";

/** The machine clock in ms with sub-ms resolution; workers on one machine share it. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** An append-only list of numbers without boxing. */
class Samples {
  #data = new Float64Array(1024);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  toArray(): Float64Array {
    return this.#data.slice(0, this.#length);
  }
}

export class Recorder {
  attempted = 0;
  accepted = 0;
  received = 0;
  duplicates = 0;
  retries = 0;
  duplicateAcks = 0;
  disconnects = 0;
  doneSending = false;
  firstSendAt: number | null = null;
  lastSendAt: number | null = null;
  lastReceiveAt: number | null = null;
  lastAckAt: number | null = null;
  readonly #errorKinds = new Map<string, number>();
  readonly #sameNodeLatencies = new Samples();
  readonly #crossNodeLatencies = new Samples();
  readonly #ackLatencies = new Samples();
  /** Times each message (sender index × msgs + message number) was received; saturates at 255. */
  readonly #seen: Uint8Array;
  #cpuAtStart: NodeJS.CpuUsage | undefined;

  constructor(
    peerCount: number,
    private readonly msgs: number,
  ) {
    this.#seen = new Uint8Array(peerCount * msgs);
  }

  /** Error kinds and their counts. */
  get errorKinds(): Record<string, number> {
    return Object.fromEntries(this.#errorKinds);
  }

  get errors(): number {
    let n = 0;
    for (const count of this.#errorKinds.values()) n += count;
    return n;
  }

  error(kind: string): void {
    this.#errorKinds.set(kind, (this.#errorKinds.get(kind) ?? 0) + 1);
  }

  /** Marks the start of the run: CPU is counted from here. */
  start(): void {
    this.#cpuAtStart = process.cpuUsage();
  }

  sending(at: number): void {
    this.attempted += 1;
    this.firstSendAt ??= at;
    this.lastSendAt = at;
  }

  acked(sentAt: number, at: number, duplicate: boolean): void {
    this.accepted += 1;
    if (duplicate) this.duplicateAcks += 1;
    this.#ackLatencies.push(at - sentAt);
    this.lastAckAt = Math.max(this.lastAckAt ?? at, at);
  }

  /**
   * A decrypted DM from `sender`, number `seq`, stamped `sentAt` by its sender; `crossNode` when the
   * sender is connected to another broker node than the recipient.
   */
  receivedMessage(sender: number, seq: number, sentAt: number, at: number, crossNode: boolean): void {
    const slot = sender * this.msgs + seq;
    const times = this.#seen[slot];
    if (times === undefined) {
      this.error("unknown_message");
      return;
    }
    if (times > 0) {
      this.duplicates += 1;
    } else {
      this.received += 1;
      (crossNode ? this.#crossNodeLatencies : this.#sameNodeLatencies).push(at - sentAt);
      this.lastReceiveAt = Math.max(this.lastReceiveAt ?? at, at);
    }
    if (times < 255) this.#seen[slot] = times + 1;
  }

  counters(): Counters {
    return {
      attempted: this.attempted,
      accepted: this.accepted,
      received: this.received,
      duplicates: this.duplicates,
      errors: this.errors,
      doneSending: this.doneSending,
    };
  }

  /** Everything of this phase (a worker adds what it saw of the warm-up). */
  result(): Omit<WorkerResult, "warmupDuplicates"> {
    const cpu = process.cpuUsage(this.#cpuAtStart);
    return {
      ...this.counters(),
      errorKinds: this.errorKinds,
      retries: this.retries,
      duplicateAcks: this.duplicateAcks,
      disconnects: this.disconnects,
      firstSendAt: this.firstSendAt,
      lastSendAt: this.lastSendAt,
      lastReceiveAt: this.lastReceiveAt,
      lastAckAt: this.lastAckAt,
      sameNodeLatencies: this.#sameNodeLatencies.toArray(),
      crossNodeLatencies: this.#crossNodeLatencies.toArray(),
      ackLatencies: this.#ackLatencies.toArray(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  }
}

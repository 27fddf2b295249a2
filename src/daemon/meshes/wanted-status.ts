/**
 * The presence status a connection should have, kept by the daemon and applied to the broker whenever the
 * connection is (re)established — so a status a hook handed over is never lost to a slow round trip, a
 * reconnect or a broker restart. Writes carry the time their reporter saw the event (`at`): a late write
 * (a slow Stop hook finishing after the next prompt's hook) never undoes a newer one.
 *
 * The manual and the hook status are kept apart and both re-sent, manual first, so the broker's own rules
 * (protocol.md §3.3: dnd is sticky, a hook outranks an inference) decide between them as they did the first
 * time.
 */
import type { Logger } from "pino";
import type { PresenceStatus, StatusSource } from "../../protocol/index.js";

/** What the keeper needs of a broker connection. */
export interface StatusLink {
  readonly connected: boolean;
  setStatus(status: PresenceStatus, source?: StatusSource): Promise<void>;
  on(event: "connected", listener: () => void): unknown;
}

export type WantedSource = "manual" | "hook";

export interface WantedStatus {
  status: PresenceStatus;
  source: WantedSource;
  /** When the reporter saw it (epoch ms). */
  at: number;
}

export class StatusKeeper {
  readonly #link: StatusLink;
  readonly #log: Logger;
  readonly #wanted: Partial<Record<WantedSource, WantedStatus>> = {};

  readonly #keep: ((wanted: WantedStatus) => void) | undefined;

  /**
   * `kept`: a manual status recorded before (the daemon's last run), applied on the first connect;
   * `keep`: told each manual status recorded, to keep it for the next run.
   */
  constructor(
    link: StatusLink,
    log: Logger,
    persisted: { kept?: WantedStatus | null; keep?: (wanted: WantedStatus) => void } = {},
  ) {
    this.#link = link;
    this.#log = log;
    this.#keep = persisted.keep;
    if (persisted.kept) this.#wanted.manual = persisted.kept;
    link.on("connected", () => {
      for (const source of ["manual", "hook"] as const) void this.#apply(this.#wanted[source]);
    });
  }

  /** The newest status written, of either source, or null. */
  get current(): WantedStatus | null {
    const { manual, hook } = this.#wanted;
    if (manual === undefined || hook === undefined) return manual ?? hook ?? null;
    // A manual dnd holds until a manual write leaves it, as on the broker.
    if (manual.status === "dnd") return manual;
    return hook.at > manual.at ? hook : manual;
  }

  /**
   * Records a status and sends it now when the connection is up (later otherwise). Resolves with whether it
   * was recorded (false: older than the one held) and, when it was sent now, once the frame is written.
   */
  async set(wanted: WantedStatus): Promise<{ recorded: boolean; sent: boolean }> {
    const held = this.#wanted[wanted.source];
    if (held !== undefined && held.at > wanted.at) return { recorded: false, sent: false };
    this.#wanted[wanted.source] = wanted;
    if (wanted.source === "manual") this.#keep?.(wanted);
    if (wanted.source === "manual" && this.#wanted.hook !== undefined && this.#wanted.hook.at < wanted.at) {
      // A later manual write replaces what a hook said before it (on the broker as well).
      delete this.#wanted.hook;
    }
    return { recorded: true, sent: await this.#apply(wanted) };
  }

  async #apply(wanted: WantedStatus | undefined): Promise<boolean> {
    if (wanted === undefined || !this.#link.connected) return false;
    try {
      await this.#link.setStatus(wanted.status, wanted.source);
      return true;
    } catch (error) {
      // The connection dropped under the write: the next `connected` sends it again.
      this.#log.warn(
        { err: error instanceof Error ? error.message : String(error), status: wanted.status },
        "status not sent yet; it is sent when the broker connection is back",
      );
      return false;
    }
  }
}

/**
 * The daemon's event stream behind `events`: monotonic ids (kept above every id stored in the
 * inbox, so they grow across restarts), per-caller filtering, and a bounded buffer of non-message events
 * for `Last-Event-ID` replay. Message events are replayed from the inbox, which stores their ids;
 * `file_progress` events are transient and not replayed.
 */
import type { DaemonEventName } from "../daemon-api/contract.js";
import type { Viewer } from "./inbox/store.js";

/** Who an event is for: one session, or member-level (every caller; sessions only for their mesh). */
export interface EventScope {
  meshId: string | null;
  sessionPubkey: string | null;
}

export interface DaemonEvent {
  id: number;
  name: DaemonEventName;
  data: unknown;
  scope: EventScope;
}

export type EventListener = (event: DaemonEvent) => void;

/** How many non-message events are kept for replay. */
const BUFFER_SIZE = 1_000;

/** Events not kept for replay: messages (the inbox replays them) and transient progress. */
const NOT_BUFFERED: ReadonlySet<DaemonEventName> = new Set(["message", "file_progress", "daemon_stopping"]);

/** Whether `viewer` may see an event with `scope` (the same rule as the inbox). */
export function visibleTo(viewer: Viewer, scope: EventScope): boolean {
  if (viewer.session === null) return scope.sessionPubkey === null;
  if (scope.sessionPubkey !== null) return scope.sessionPubkey === viewer.session.pubkey;
  return scope.meshId === null || scope.meshId === viewer.session.meshId;
}

export class EventHub {
  #lastId: number;
  readonly #buffer: DaemonEvent[] = [];
  readonly #listeners = new Set<{ viewer: Viewer; listener: EventListener }>();
  readonly #onListenerError: (error: unknown) => void;

  /** `floor`: the highest id already used (e.g. the inbox's); ids also start above the clock in µs. */
  constructor(floor: number, onListenerError: (error: unknown) => void, now = Date.now()) {
    this.#lastId = Math.max(floor, now * 1_000);
    this.#onListenerError = onListenerError;
  }

  /**
   * The last id handed out. Every event up to it has been published: the inbox reserves, stores and
   * publishes in one synchronous step.
   */
  get position(): number {
    return this.#lastId;
  }

  /** Reserves the next id (the inbox stores it with the message before the event is published). */
  nextId(): number {
    this.#lastId += 1;
    return this.#lastId;
  }

  /** Publishes an event; `id` is the one reserved with {@link nextId}, or a new one. */
  publish(name: DaemonEventName, data: unknown, scope: EventScope, id = this.nextId()): DaemonEvent {
    const event: DaemonEvent = { id, name, data, scope };
    if (!NOT_BUFFERED.has(name)) {
      this.#buffer.push(event);
      if (this.#buffer.length > BUFFER_SIZE) this.#buffer.shift();
    }
    for (const entry of [...this.#listeners]) {
      if (!visibleTo(entry.viewer, scope)) continue;
      try {
        entry.listener(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
    return event;
  }

  /** Buffered non-message events after `afterId` that `viewer` may see. */
  replay(viewer: Viewer, afterId: number): DaemonEvent[] {
    return this.#buffer.filter((e) => e.id > afterId && visibleTo(viewer, e.scope));
  }

  subscribe(viewer: Viewer, listener: EventListener): () => void {
    const entry = { viewer, listener };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }
}

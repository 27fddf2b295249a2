/**
 * The daemon's event stream (`events`, server-sent events) from the client side: the SSE reader
 * and {@link followEvents}, which survives daemon restarts by resuming with `Last-Event-ID`. The HTTP
 * transport is {@link DaemonClient.stream}.
 */
import { on } from "node:events";
import type { IncomingMessage } from "node:http";
import { DaemonUnavailableError, type DaemonClient } from "./client.js";
import { setTimeout as delay } from "node:timers/promises";

/** One server-sent event of `events`. `data` is the parsed JSON (or the raw text if not JSON). */
export interface DaemonEvent {
  /** The event id (usable as Last-Event-ID), or null when the server sent none. */
  id: string | null;
  event: string;
  data: unknown;
}

export interface EventStreamOptions {
  /** Resume after this event id (sent as `Last-Event-ID`). */
  lastEventId?: string | null;
  /** Ends the stream. */
  signal?: AbortSignal;
  mesh?: string;
  /** Awaited once the stream is open, before any event is read (e.g. to fetch a snapshot race-free). */
  onOpen?: () => void | Promise<void>;
  /** Told the id of a block without data: where the stream stands, to resume from (not an event). */
  onPosition?: (id: string) => void;
}

/**
 * Streams the daemon's event stream (the `events` endpoint). Ends when the daemon closes the stream or `signal` aborts; rejects with
 * {@link DaemonUnavailableError} when it cannot connect. Resume after a drop with the last `id` seen.
 */
export async function* daemonEvents(
  client: DaemonClient,
  options: EventStreamOptions = {},
): AsyncGenerator<DaemonEvent, void, undefined> {
  const headers: Record<string, string> = { Accept: "text/event-stream" };
  if (options.lastEventId) headers["Last-Event-ID"] = options.lastEventId;
  let res: IncomingMessage;
  try {
    res = await client.stream({ query: { mesh: options.mesh }, headers, signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) return;
    throw err;
  }
  res.setEncoding("utf8");
  // Read from the moment the stream opens: a daemon that dies while `onOpen` runs must not take with it
  // the bytes already received (a destroyed response drops its buffer), among them the position block.
  const chunks = on(res, "data", { close: ["end", "close"] }) as AsyncIterableIterator<[string]>;
  if (options.onOpen) {
    try {
      await options.onOpen();
    } catch (err) {
      res.destroy();
      await chunks.return?.();
      throw err;
    }
  }
  let buffer = "";
  let id: string | null = null;
  let idInBlock = false;
  let event = "message";
  let data: string[] = [];
  try {
    for await (const [chunk] of chunks) {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.search(/\r?\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer[newline] === "\r" ? 2 : 1));
        if (line === "") {
          if (data.length > 0) yield { id, event, data: parseEventData(data.join("\n")) };
          else if (idInBlock && id !== null) options.onPosition?.(id);
          event = "message";
          data = [];
          idInBlock = false;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") {
          id = value;
          idInBlock = true;
        } else if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
    }
  } catch (err) {
    if (options.signal?.aborted) return;
    // The daemon went away mid-stream (restart, crash): callers resume with the last id.
    throw new DaemonUnavailableError(
      client.socketPath,
      (err as NodeJS.ErrnoException).code ?? "stream broken",
    );
  } finally {
    res.destroy();
  }
}

/**
 * {@link daemonEvents} that survives daemon restarts: when the stream ends or the socket goes away
 * it reconnects every `retryMs`, resuming with the last event id, until `signal` aborts.
 */
export async function* followEvents(
  client: DaemonClient,
  options: Omit<EventStreamOptions, "onOpen" | "onPosition"> & {
    /** Called each time the stream is (re)opened, before any event of it is yielded. */
    onOpen?: (resumed: boolean) => void | Promise<void>;
    /** Called when the daemon went away and the stream is being retried. */
    onLost?: (err: Error) => void;
    /** @default 1000 */
    retryMs?: number;
  } = {},
): AsyncGenerator<DaemonEvent, void, undefined> {
  let last = options.lastEventId ?? null;
  let resumed = false;
  for (;;) {
    try {
      for await (const event of daemonEvents(client, {
        mesh: options.mesh,
        signal: options.signal,
        lastEventId: last,
        onOpen: () => options.onOpen?.(resumed),
        onPosition: (id) => {
          last = id;
        },
      })) {
        if (event.id !== null) last = event.id;
        yield event;
      }
      if (options.signal?.aborted) return;
      options.onLost?.(new DaemonUnavailableError(client.socketPath, "stream ended"));
    } catch (err) {
      if (options.signal?.aborted) return;
      if (!(err instanceof DaemonUnavailableError)) throw err;
      options.onLost?.(err);
    }
    resumed = true;
    // Aborting ends the wait early; the abort listener goes with the timer, so retries never pile up.
    await delay(options.retryMs ?? 1_000, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal?.aborted) return;
  }
}

function parseEventData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

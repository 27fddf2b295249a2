/** Prometheus text metrics (protocol.md §7.2 names). Counters live in memory per node. */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

type Labels = Record<string, string>;

/** How long each event-loop delay figure covers. */
export const EVENT_LOOP_WINDOW_MS = 30_000;
/** How often the event-loop delay is sampled, ms (the smallest delay it tells apart). */
const EVENT_LOOP_RESOLUTION_MS = 10;

interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/**
 * How late the event loop runs what is due (its delay), in seconds, over windows of `windowMs`. A scrape
 * sees the last whole window (the current one until a window has passed), so what it reads does not
 * depend on how often anyone scrapes. A busy or starved broker shows here first: every frame and
 * database answer waits that long.
 */
export class EventLoopDelay {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  readonly #timer: NodeJS.Timeout;
  #last: LoopDelay | null = null;

  constructor(windowMs = EVENT_LOOP_WINDOW_MS) {
    this.#histogram.enable();
    this.#timer = setInterval(() => this.endWindow(), windowMs);
    this.#timer.unref();
  }

  /** Ends the current window: its figures are what scrapes see until the next one ends. */
  endWindow(): void {
    this.#last = this.#read() ?? this.#last;
    this.#histogram.reset();
  }

  #read(): LoopDelay | null {
    const h = this.#histogram;
    if (h.count === 0) return null;
    return { p50: h.percentile(50) / 1e9, p99: h.percentile(99) / 1e9, max: h.max / 1e9 };
  }

  /** The last whole window's figures (the current window's before one has passed); null before any. */
  get seconds(): LoopDelay | null {
    return this.#last ?? this.#read();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" = "counter",
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  set(value: number, labels: Labels = {}): void {
    this.values.set(labelKey(labels), value);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, value] of this.values) lines.push(`${this.name}${key} ${value}`);
    return lines.join("\n");
  }
}

function labelKey(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`).join(",")}}`;
}

export class Metrics {
  readonly connectionsTotal = new Counter("broker_connections_total", "Authenticated connections");
  readonly connectionsRejected = new Counter("broker_connections_rejected_total", "Refused hellos by reason");
  readonly connectionsActive = new Counter(
    "broker_connections_active",
    "Open authenticated sockets",
    "gauge",
  );
  readonly framesTotal = new Counter("broker_frames_total", "Inbound frames by type");
  readonly messagesRouted = new Counter("broker_messages_routed_total", "Accepted sends by priority");
  readonly messagesRejected = new Counter(
    "broker_messages_rejected_total",
    "Refused sends and frames by reason",
  );
  readonly deliveriesTotal = new Counter("broker_deliveries_total", "Pushes written / acked");
  readonly queueDepth = new Counter("broker_queue_depth", "Undelivered deliveries", "gauge");
  readonly ttlSweeps = new Counter("broker_ttl_sweeps_total", "Retention sweeps");
  readonly hookRequests = new Counter("broker_hook_requests_total", "POST /hook/set-status requests");
  readonly hookRateLimited = new Counter(
    "broker_hook_requests_rate_limited_total",
    "POST /hook/set-status requests refused by the rate limit",
  );
  readonly dbHealthy = new Counter("broker_db_healthy", "1 when the store answers", "gauge");
  readonly eventLoopDelay = new Counter(
    "broker_event_loop_delay_seconds",
    "How late the event loop ran what was due, over the last 30 s, by quantile",
    "gauge",
  );
  readonly eventLoopDelayMax = new Counter(
    "broker_event_loop_delay_max_seconds",
    "The longest event-loop delay over the last 30 s",
    "gauge",
  );
  #loopDelay: EventLoopDelay | null = null;

  /** Starts measuring the event loop's delay for the two gauges above; returns what stops it. */
  watchEventLoop(windowMs = EVENT_LOOP_WINDOW_MS): () => void {
    const watch = (this.#loopDelay = new EventLoopDelay(windowMs));
    return () => watch.stop();
  }

  render(): string {
    const delay = this.#loopDelay?.seconds;
    if (delay) {
      this.eventLoopDelay.set(delay.p50, { quantile: "0.5" });
      this.eventLoopDelay.set(delay.p99, { quantile: "0.99" });
      this.eventLoopDelayMax.set(delay.max);
    }
    return (
      [
        this.connectionsTotal,
        this.connectionsRejected,
        this.connectionsActive,
        this.framesTotal,
        this.messagesRouted,
        this.messagesRejected,
        this.deliveriesTotal,
        this.queueDepth,
        this.ttlSweeps,
        this.hookRequests,
        this.hookRateLimited,
        this.dbHealthy,
        this.eventLoopDelay,
        this.eventLoopDelayMax,
      ]
        .map((c) => c.render())
        .join("\n") + "\n"
    );
  }
}

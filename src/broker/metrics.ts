/** Prometheus text metrics (protocol.md §7.2 names). Counters live in memory per node. */
type Labels = Record<string, string>;

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

  render(): string {
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
      ]
        .map((c) => c.render())
        .join("\n") + "\n"
    );
  }
}

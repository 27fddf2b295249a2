/** The benchmark's output: a table for people, or one JSON document with `--json`. */
import { machineRows } from "./machine.js";
import type { ProfileSummary } from "./profile.js";
import type { BenchSummary, Percentiles } from "./summary.js";

const int = (n: number) => n.toLocaleString("en-US");
const ms = (n: number | null) => (n === null ? "-" : n.toFixed(1));
const series = (p: Percentiles) => `${ms(p.p50)} / ${ms(p.p95)} / ${ms(p.p99)} / ${ms(p.max)} ms`;

function brokerCpu(b: BenchSummary["broker"]): string {
  if (b.cpuSeconds === null) return "-";
  const peak = b.peakCpuPercent === null ? "" : `, busiest second ${b.peakCpuPercent}%`;
  return `${b.cpuSeconds.toFixed(1)} s (${b.cpuPercent ?? "-"}% of one core${peak}; ${b.cpuUsPerMessage ?? "-"} µs per DM)`;
}

const rss = (mb: number | null) => (mb === null ? "-" : `${mb.toFixed(1)} MB`);

/** One row per broker node: its peers, RSS and CPU. */
function nodeRows(s: BenchSummary): [string, string][] {
  return s.brokerNodes.map((n) => {
    const cpu =
      n.cpuSeconds === null
        ? "CPU -"
        : `CPU ${n.cpuSeconds.toFixed(1)} s (${n.cpuPercent ?? "-"}% of one core` +
          `${n.peakCpuPercent === null ? "" : `, busiest second ${n.peakCpuPercent}%`})`;
    return [`broker node ${n.node} (${n.peers} peers)`, `peak RSS ${rss(n.peakRssMb)}, ${cpu}`];
  });
}

/** The store, the nodes and, for PostgreSQL, where the run's database is. */
export function storeLine(c: Pick<BenchSummary["config"], "store" | "database" | "nodes">): string {
  const nodes = c.nodes === 1 ? "1 broker node" : `${c.nodes} broker nodes, peers round-robin over them`;
  const store =
    c.store === "sqlite"
      ? "store sqlite (embedded, in the data dir)"
      : `store postgres (${c.database ?? "-"}, made for this run)`;
  return `${store}, ${nodes}`;
}

export function formatTable(s: BenchSummary, profiles: ProfileSummary[]): string {
  const c = s.config;
  const load = c.offeredRate === null ? "unlimited" : `${int(c.offeredRate)} msgs/s`;
  const errors =
    s.errors === 0
      ? "0"
      : `${int(s.errors)} (${Object.entries(s.errorKinds)
          .map(([k, n]) => `${k}: ${n}`)
          .join(", ")})`;
  const rows: [string, string][] = [
    ["sent (peers × msgs)", int(s.sent)],
    ["accepted (ack queued)", int(s.accepted)],
    ["delivered (unique, decrypted)", `${int(s.delivered)} (${s.deliveredPct.toFixed(3)}%)`],
    [
      "duplicates at the application",
      s.warmupDuplicates === 0
        ? int(s.duplicates)
        : `${int(s.duplicates)} (+${int(s.warmupDuplicates)} in the warm-up)`,
    ],
    ["errors", errors],
    ["retries / duplicate acks / disconnects", `${s.retries} / ${s.duplicateAcks} / ${s.disconnects}`],
    ["throughput", `${int(s.throughput)} delivered DMs/s over ${s.wallSeconds.toFixed(2)} s`],
    ["achieved send rate", `${int(s.sendRate)} msgs/s`],
    ["send→push p50 / p95 / p99 / max", series(s.latencyMs)],
  ];
  const split = s.nodeSplit;
  if (split !== null) {
    rows.push(
      [
        "  cross-node DMs",
        `${(split.crossNodeShare * 100).toFixed(1)}% of delivered (sender and recipient on different nodes)`,
      ],
      ["  cross-node send→push", series(split.crossNodeLatencyMs)],
      ["  same-node send→push", series(split.sameNodeLatencyMs)],
    );
  }
  rows.push(["send→ack  p50 / p95 / p99 / max", series(s.ackLatencyMs)]);
  if (s.config.nodes === 1) {
    rows.push(["broker peak RSS", rss(s.broker.peakRssMb)], ["broker CPU", brokerCpu(s.broker)]);
  } else {
    const b = s.broker;
    rows.push(...nodeRows(s), [
      "brokers CPU, all nodes",
      b.cpuSeconds === null
        ? "-"
        : `${b.cpuSeconds.toFixed(1)} s (${b.cpuPercent ?? "-"}% of one core; ${b.cpuUsPerMessage ?? "-"} µs per DM)`,
    ]);
  }
  const pg = s.postgres;
  if (pg !== null) {
    rows.push([
      "PostgreSQL server CPU",
      `${pg.cpuSeconds.toFixed(1)} s (${pg.cpuPercent ?? "-"}% of one core; ${pg.cpuUsPerMessage ?? "-"} µs per DM)`,
    ]);
  }
  rows.push(
    ["workers CPU", `${s.workersCpuSeconds.toFixed(1)} s (${s.workersCpuUsPerMessage ?? "-"} µs per DM)`],
    ...machineRows("during the run", s.machine),
    ["setup / connect", `${s.setupSeconds.toFixed(2)} s / ${s.connectSeconds.toFixed(2)} s`],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `claudemesh bench: ${c.peers} peers × ${int(c.msgsPerPeer)} DMs, offered load ${load}, window ${c.window}, ` +
      `${c.workers} workers, ${c.plaintextBytes} B plaintext, warm-up ${c.warmupPerPeer} DMs per peer`,
    `  ${storeLine(c)}`,
    "",
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  if (s.stalled) lines.push("", "  stopped early: no progress before the stall deadline");
  lines.push("", "  targets");
  for (const check of s.checks) lines.push(`  ${check.ok ? "✓" : "✗"} ${check.name}`);
  for (const p of profiles) lines.push("", ...formatProfile(p));
  return lines.join("\n");
}

export function formatProfile(p: ProfileSummary): string[] {
  const spots = (list: ProfileSummary["self"]) =>
    list.map((h) => `    ${h.pct.toFixed(1).padStart(5)}%  ${String(h.ms).padStart(6)} ms  ${h.fn}`);
  return [
    `  ${p.title ?? "broker"} CPU profile (${p.file}, ${int(p.totalMs)} ms)`,
    "  self time:",
    ...spots(p.self),
    "  inclusive time, our code:",
    ...spots(p.inclusive),
  ];
}

export function formatJson(s: BenchSummary, profiles: ProfileSummary[]): string {
  if (profiles.length === 0) return JSON.stringify(s, null, 2);
  // One node keeps the single `profile` of earlier runs; several have one each.
  return JSON.stringify(profiles.length === 1 ? { ...s, profile: profiles[0] } : { ...s, profiles }, null, 2);
}

/** The benchmark's output: a table for people, or one JSON document with `--json`. */
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

export function formatTable(s: BenchSummary, profile: ProfileSummary | null): string {
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
    ["send→ack  p50 / p95 / p99 / max", series(s.ackLatencyMs)],
    ["broker peak RSS", s.broker.peakRssMb === null ? "-" : `${s.broker.peakRssMb.toFixed(1)} MB`],
    ["broker CPU", brokerCpu(s.broker)],
    ["workers CPU", `${s.workersCpuSeconds.toFixed(1)} s (${s.workersCpuUsPerMessage ?? "-"} µs per DM)`],
    [
      "machine during the run",
      s.machine.busyPct === null
        ? `${s.machine.cores} cores`
        : `${s.machine.cores} cores, ${s.machine.busyPct}% busy, ${s.machine.othersPct ?? "-"}% taken by other processes`,
    ],
    ["setup / connect", `${s.setupSeconds.toFixed(2)} s / ${s.connectSeconds.toFixed(2)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `claudemesh bench: ${c.peers} peers × ${int(c.msgsPerPeer)} DMs, offered load ${load}, window ${c.window}, ` +
      `${c.workers} workers, ${c.plaintextBytes} B plaintext, warm-up ${c.warmupPerPeer} DMs per peer`,
    "",
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  if (s.stalled) lines.push("", "  stopped early: no progress before the stall deadline");
  lines.push("", "  targets");
  for (const check of s.checks) lines.push(`  ${check.ok ? "✓" : "✗"} ${check.name}`);
  if (profile !== null) lines.push("", ...formatProfile(profile));
  return lines.join("\n");
}

export function formatProfile(p: ProfileSummary): string[] {
  const spots = (list: ProfileSummary["self"]) =>
    list.map((h) => `    ${h.pct.toFixed(1).padStart(5)}%  ${String(h.ms).padStart(6)} ms  ${h.fn}`);
  return [
    `  broker CPU profile (${p.file}, ${int(p.totalMs)} ms)`,
    "  self time:",
    ...spots(p.self),
    "  inclusive time, our code:",
    ...spots(p.inclusive),
  ];
}

export function formatJson(s: BenchSummary, profile: ProfileSummary | null): string {
  return JSON.stringify(profile === null ? s : { ...s, profile }, null, 2);
}

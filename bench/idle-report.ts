/** The idle benchmark's output: a table for people, or one JSON document with `--json`. */
import type { IdleSummary, PhaseFigures } from "./idle.js";
import { machineRows } from "./machine.js";
import type { ProfileSummary } from "./profile.js";
import { formatProfile, storeLine } from "./report.js";

const int = (n: number) => n.toLocaleString("en-US");

function cpu(p: PhaseFigures): string {
  if (p.brokerCpuSeconds === null) return "-";
  const share = p.wallSeconds > 0 ? Math.round((p.brokerCpuSeconds / p.wallSeconds) * 100) : 0;
  const peak = p.brokerPeakCpuPercent === null ? "" : `, busiest second ${p.brokerPeakCpuPercent}%`;
  return `${p.brokerCpuSeconds.toFixed(1)} s (${share}% of one core${peak})`;
}

const rss = (n: number | null) => (n === null ? "-" : `${n.toFixed(1)} MB`);

export function formatIdleTable(s: IdleSummary, profile: ProfileSummary | null): string {
  const ev = s.presenceEvents;
  const rows: [string, string][] = [
    ["setup (members through invites)", `${s.setupSeconds.toFixed(2)} s`],
    ["connect (first hello → last hello_ack)", `${s.connectSeconds.toFixed(2)} s`],
    ["hellos/s", int(s.hellosPerSecond)],
    ["broker peak RSS", rss(s.peakRssMb)],
    ["broker CPU while connecting", cpu(s.connect)],
    ...machineRows("while connecting", s.connect.machine),
  ];
  const r = s.restart;
  if (r !== null) {
    rows.push(
      ["restart: kill -9 → listening", `${r.startSeconds.toFixed(2)} s`],
      ["restart: kill -9 → every peer back", `${r.settleSeconds.toFixed(2)} s`],
      ["restart: listening → every peer back", `${r.reconnectSeconds.toFixed(2)} s`],
      ["restarted broker peak RSS", rss(r.peakRssMb)],
      ["broker CPU in the storm", cpu(r.phase)],
      ...machineRows("in the storm", r.phase.machine),
      [
        "/health/ready in the storm",
        `${r.ready.probes} probes, ${r.ready.notReady} not ready, ${r.ready.failed} failed, slowest ${r.ready.maxLatencyMs ?? "-"} ms`,
      ],
    );
  }
  const errors = Object.entries(s.dms.errorKinds)
    .map(([k, n]) => `${k}: ${n}`)
    .join(", ");
  rows.push(
    ["presence pushes / events / omitted", `${int(ev.frames)} / ${int(ev.events)} / ${int(ev.omitted)}`],
    [
      "DMs after connecting",
      `${int(s.dms.delivered)} of ${int(s.dms.sent)} delivered, ${s.dms.duplicates} duplicates, ${s.dms.errors} errors${errors ? ` (${errors})` : ""}`,
    ],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `claudemesh bench: ${int(s.config.peers)} idle peers, ${s.config.workers} workers, presence events coalesced` +
      (s.config.restart ? ", broker restart" : ""),
    `  ${storeLine({ ...s.config, nodes: 1 })}`,
    "",
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    "",
    "  targets",
    ...s.checks.map((c) => `  ${c.ok ? "✓" : "✗"} ${c.name}`),
  ];
  if (profile !== null) lines.push("", ...formatProfile(profile));
  return lines.join("\n");
}

export function formatIdleJson(s: IdleSummary, profile: ProfileSummary | null): string {
  return JSON.stringify(profile === null ? s : { ...s, profile }, null, 2);
}

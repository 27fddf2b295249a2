/** Hot spots of a V8 `.cpuprofile` (written by `node --cpu-prof`): self and inclusive time per function. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface HotSpot {
  fn: string;
  /** Share of all samples, percent. */
  pct: number;
  ms: number;
}

export interface ProfileSummary {
  /** Whose profile it is ("broker node 2"); absent: the one broker. */
  title?: string;
  file: string;
  totalMs: number;
  /** Time spent in the function itself. */
  self: HotSpot[];
  /** Time spent in the function and what it called, for our own code (src/). */
  inclusive: HotSpot[];
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SKIP = new Set(["(root)", "(program)", "(idle)"]);

/**
 * The newest main-thread `.cpuprofile` in `dir` (of process `pid` when given), summarised; null when
 * there is none. Node names them `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`; thread 0 is the
 * main thread (the broker's WAL checkpointer is a worker thread with a profile of its own).
 */
export function summarizeProfileDir(dir: string, top = 20, pid?: number): ProfileSummary | null {
  const files = readdirSync(dir)
    .filter((f) => {
      const parts = f.split(".");
      return f.endsWith(".cpuprofile") && parts[4] === "0" && (pid === undefined || parts[3] === String(pid));
    })
    .sort();
  const file = files.at(-1);
  return file === undefined ? null : summarizeProfile(join(dir, file), top);
}

export function summarizeProfile(file: string, top: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = profile.samples.length > 0 ? totalMs / profile.samples.length : 0;

  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, count] of hits) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const key = label(node);
    self.set(key, (self.get(key) ?? 0) + count);
    // Each function counts once per sample even when it recurses.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n === undefined || !isOurs(n)) continue;
      const k = label(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + count);
    }
  }
  const rank = (m: Map<string, number>): HotSpot[] =>
    [...m]
      .filter(([fn]) => !SKIP.has(fn.split(" ")[0] ?? ""))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, count]) => ({
        fn,
        pct: Math.round((count / profile.samples.length) * 1000) / 10,
        ms: Math.round(count * msPerSample),
      }));
  return { file, totalMs: Math.round(totalMs), self: rank(self), inclusive: rank(inclusive) };
}

function isOurs(n: ProfileNode): boolean {
  return n.callFrame.url.includes("/dist/src/");
}

function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const name = functionName === "" ? "(anonymous)" : functionName;
  if (url === "") return name;
  const path = url.replace(/^file:\/\//, "").replace(ROOT, "");
  return `${name} ${path}:${lineNumber + 1}`;
}

/**
 * A short record of recent hook runs (`<daemon dir>/hook-runs.jsonl`: hook, how long it took, how it
 * ended), so `doctor` can warn when hooks come close to Claude Code's timeout on a busy machine. Written
 * without the daemon (a hook that could not reach it is worth recording too); never throws.
 */
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { daemonDir } from "../../host/paths.js";

export type HookOutcome = "ok" | "out_of_time" | "no_daemon";

export interface HookRun {
  hook: string;
  /** Wall time from process start to the end of its work (ms). */
  ms: number;
  outcome: HookOutcome;
  at: string;
}

/** Runs kept (older lines are dropped once the file grows past this many). */
const KEEP = 50;
const MAX_BYTES = 16 * 1024;

export function hookRunsFile(): string {
  return join(daemonDir(), "hook-runs.jsonl");
}

export function recordHookRun(run: HookRun): void {
  const file = hookRunsFile();
  try {
    appendFileSync(file, `${JSON.stringify(run)}\n`, { mode: 0o600 });
    if (statSync(file).size > MAX_BYTES) writeFileSync(file, recentLines(file).join("\n") + "\n");
  } catch {
    // A missing daemon dir or a full disk: the record is a diagnostic, never worth failing a hook for.
  }
}

function recentLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-KEEP);
}

function isHookRun(value: unknown): value is HookRun {
  return (
    typeof value === "object" &&
    value !== null &&
    "hook" in value &&
    typeof value.hook === "string" &&
    "ms" in value &&
    typeof value.ms === "number" &&
    "outcome" in value &&
    typeof value.outcome === "string"
  );
}

/** The recent runs, oldest first; empty when there is no record. */
export function recentHookRuns(): HookRun[] {
  let lines: string[];
  try {
    lines = recentLines(hookRunsFile());
  } catch {
    // No hook has run yet.
    return [];
  }
  const runs: HookRun[] = [];
  for (const line of lines) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (isHookRun(parsed)) runs.push(parsed);
    } catch {
      // A line cut by a concurrent rewrite: skip it.
    }
  }
  return runs;
}

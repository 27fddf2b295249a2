/**
 * CPU the PostgreSQL server spent on a run, when it runs on this machine: its backends serving the
 * bench database plus the WAL writer, checkpointer and background writer, read from /proc at the start
 * and the end of the measured phase. Backends that exit in between are missed (the brokers' pooled
 * connections stay open through a run), so it is a lower bound.
 */
import { readFileSync } from "node:fs";
import { openServer } from "./database.js";
import { readCpuSeconds } from "./proc-stats.js";

const SHARED_PROCESSES = ["walwriter", "checkpointer", "background writer"];

/** The server's processes that work for `database`, by pid (null when the server cannot be asked). */
async function serverPids(serverUrl: string, database: string): Promise<number[] | null> {
  const sql = openServer(serverUrl);
  try {
    const rows = await sql<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity
      WHERE datname = ${database} OR backend_type IN ${sql(SHARED_PROCESSES)}`;
    return rows.map((r) => r.pid);
  } catch {
    // A figure we cannot get is reported as "-", never a failed run.
    return null;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Whether `pid` here is a PostgreSQL process (so the server is on this machine). */
function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres";
  } catch {
    // Not here, or no /proc.
    return false;
  }
}

export class PostgresCpuMeter {
  readonly #before = new Map<number, number>();

  private constructor(
    private readonly serverUrl: string,
    private readonly database: string,
  ) {}

  /** Starts measuring; null when the server is not on this machine (or cannot be asked). */
  static async start(serverUrl: string, database: string): Promise<PostgresCpuMeter | null> {
    const pids = await serverPids(serverUrl, database);
    if (pids === null || pids.length === 0 || !pids.every(isPostgres)) return null;
    const meter = new PostgresCpuMeter(serverUrl, database);
    for (const pid of pids) meter.#before.set(pid, readCpuSeconds(pid) ?? 0);
    return meter;
  }

  /** CPU seconds since the start; null when the server could not be asked again. */
  async stop(): Promise<number | null> {
    const pids = await serverPids(this.serverUrl, this.database);
    if (pids === null) return null;
    let total = 0;
    for (const pid of pids) {
      const now = readCpuSeconds(pid);
      // A backend opened during the phase counts from zero.
      if (now !== null && isPostgres(pid)) total += now - (this.#before.get(pid) ?? 0);
    }
    return Math.round(total * 100) / 100;
  }
}

/**
 * The benchmark's own PostgreSQL database: a fresh `claudemesh_bench_<random>` on the server of
 * `--database-url`, so runs never see each other's rows, dropped at the end (on failure and Ctrl-C too).
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { driverTarget } from "../src/broker/store/postgres/db.js";

export interface BenchDatabase {
  readonly name: string;
  /** The database's URL (the server's, with the database name replaced): what the brokers get. */
  readonly url: string;
  /** `host:port/name`: says where it is without the user or password. */
  readonly label: string;
  /** Drops the database, closing whatever connections are left on it. Safe to call twice. */
  drop(): Promise<void>;
}

const CONNECT_TIMEOUT_S = 10;

/** A one-connection pool to `url` (TCP or a Unix socket, as the brokers read it). */
export function openServer(url: string): postgres.Sql {
  const target = driverTarget(url);
  return postgres(target.url, {
    ...target.options,
    max: 1,
    connect_timeout: CONNECT_TIMEOUT_S,
    onnotice: () => undefined,
  });
}

/** Runs `work` on a one-connection pool to `url`. */
async function withServer<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = openServer(url);
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** `host:port` of a server URL (a socket directory for the host when it names one), never its user or password. */
export function serverLabel(serverUrl: string): string {
  const url = new URL(serverUrl);
  const { host, port } = driverTarget(serverUrl).options;
  return `${host ?? url.hostname}:${port ?? (url.port || "5432")}`;
}

/**
 * Names the database, hands it to `own` (so a Ctrl-C during the CREATE still drops it), then creates
 * it. A server that cannot be reached or refuses is one line naming the server, never the password.
 */
export async function createBenchDatabase(
  serverUrl: string,
  own: { database?: BenchDatabase },
): Promise<BenchDatabase> {
  const name = `claudemesh_bench_${randomBytes(6).toString("hex")}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | null = null;
  const database: BenchDatabase = {
    name,
    url: url.toString(),
    label: `${serverLabel(serverUrl)}/${name}`,
    drop: () =>
      (dropped ??= withServer(serverUrl, async (sql) => {
        await sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`;
      })),
  };
  own.database = database;
  try {
    await withServer(serverUrl, (sql) => sql`CREATE DATABASE ${sql(name)}`);
  } catch (err) {
    // Nothing was created: nothing to drop.
    delete own.database;
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `could not create a database on ${serverLabel(serverUrl)} (${why}): check that the server runs and ` +
        "that the user in --database-url may CREATE DATABASE",
    );
  }
  return database;
}

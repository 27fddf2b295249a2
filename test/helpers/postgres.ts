/**
 * A fresh PostgreSQL database per test file, on the server of `TEST_DATABASE_URL` (`.ci/run` starts
 * one): created before the file's brokers start, dropped after they stop. Without the variable the
 * suites that need it are skipped, and say so.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll } from "vitest";

export const serverUrl = process.env.TEST_DATABASE_URL;

/** Prints why `suite` is skipped; returns whether it can run. */
export function postgresAvailable(suite: string): boolean {
  if (!serverUrl) console.warn(`${suite}: TEST_DATABASE_URL is not set; these PostgreSQL tests are skipped`);
  return serverUrl !== undefined && serverUrl !== "";
}

/**
 * The directory of the test server's Unix socket (`TEST_DATABASE_SOCKET`; `.ci/run` sets it), for the
 * tests of socket URLs.
 */
export const socketDir = process.env.TEST_DATABASE_SOCKET;

/** Prints why `suite` (which needs the socket too) is skipped; returns whether it can run. */
export function socketAvailable(suite: string): boolean {
  if (!postgresAvailable(suite)) return false;
  if (socketDir === undefined || socketDir === "") {
    console.warn(`${suite}: TEST_DATABASE_SOCKET is not set; these PostgreSQL socket tests are skipped`);
    return false;
  }
  return true;
}

/** Database `name` on the test server through its Unix socket, as libpq writes it (`?host=` a directory). */
export function socketUrl(name: string): string {
  const server = new URL(serverUrl ?? "postgres://localhost/postgres");
  const query = new URLSearchParams({ host: socketDir ?? "", port: server.port || "5432" });
  if (server.username !== "") query.set("user", decodeURIComponent(server.username));
  if (server.password !== "") query.set("password", decodeURIComponent(server.password));
  return `postgres:///${name}?${query.toString()}`;
}

/** `serverUrl` pointing at database `name` on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(serverUrl ?? "postgres://localhost/postgres");
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `work` on a one-connection pool to `url` (the server's default database when absent). */
export async function withDatabase<T>(
  url: string | undefined,
  work: (sql: postgres.Sql) => Promise<T>,
): Promise<T> {
  const sql = postgres(url ?? serverUrl ?? "", { max: 1, onnotice: () => undefined });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

/**
 * Registers hooks making a fresh database for this file (call it before the hooks that start brokers,
 * so the database exists first and goes last); returns its URL.
 */
export function useFreshDatabase(prefix = "cm_it"): string {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  beforeAll(async () => {
    await withDatabase(undefined, (sql) => sql`CREATE DATABASE ${sql(name)}`);
  });
  afterAll(async () => {
    await withDatabase(undefined, (sql) => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`);
  });
  return databaseUrl(name);
}

import { AsyncLocalStorage } from "node:async_hooks";
import postgres from "postgres";
import type { TransactionOptions } from "../port/index.js";
import { KeyedQueue } from "../../../host/keyed-queue.js";

/** Connections per broker: one serves an engine batch's transaction, the rest other store calls. */
const POOL_SIZE = 10;
/** Seconds an idle pooled connection stays open. */
const IDLE_TIMEOUT_S = 60;
/** Seconds to reach the server before a call fails (then the store reports a storage fault). */
const CONNECT_TIMEOUT_S = 10;

/** `BIGINT` columns (epoch ms, ids, counts) read back as JS numbers; all of ours are safe integers. */
const bigintAsNumber = {
  to: 20,
  from: [20],
  serialize: (value: number) => String(value),
  parse: (text: string): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT ${text} is not a safe JS integer`);
    return value;
  },
};

export interface ConnectOptions {
  url: string;
  /** Schema holding the tables (`search_path`); the server's default when absent. */
  schema?: string;
}

/**
 * A pool of connections to `url`. Result columns come back camelCased (`mesh_id` → `meshId`), so row
 * types read like the port's. Notices (`CREATE … IF NOT EXISTS` skipping) are dropped.
 */
export function connect({ url, schema }: ConnectOptions) {
  const target = driverTarget(url);
  return postgres(target.url, {
    ...target.options,
    max: POOL_SIZE,
    idle_timeout: IDLE_TIMEOUT_S,
    connect_timeout: CONNECT_TIMEOUT_S,
    types: { bigint: bigintAsNumber },
    transform: { column: { from: postgres.toCamel } },
    connection: {
      application_name: "claudemesh-broker",
      ...(schema === undefined ? {} : { search_path: quoteIdentifier(schema) }),
    },
    onnotice: () => undefined,
  });
}

/** A socket directory percent-encoded as a URL's host (`%2Fvar%2Frun%2Fpostgresql`), else null. */
function encodedSocketDir(parsed: URL): string | null {
  try {
    const host = decodeURIComponent(parsed.hostname);
    return host.startsWith("/") ? host : null;
  } catch {
    // A malformed escape: not a directory; the driver says what it makes of the host.
    return null;
  }
}

/** A database URL as the driver takes it: the URL, and options that override what it says. */
export interface DriverTarget {
  url: string;
  options: { host?: string; port?: number; user?: string; password?: string };
}

/**
 * `url` for the driver, which reads the server only from the URL's host and port. libpq's other ways to
 * name it, common for a server on the same machine, would otherwise be lost: `?host=` and `?port=`
 * (`postgres:///claudemesh?host=/var/run/postgresql`, a Unix socket directory or a host name), `?user=`
 * and `?password=` (which the driver would send to the server as settings it refuses), and a socket
 * directory percent-encoded as the host (`postgres://me@%2Fvar%2Frun%2Fpostgresql/claudemesh`). They
 * become driver options; an unparsable URL passes as it is, for the driver's own error. Throws on a
 * `?port=` that is not a port number.
 */
export function driverTarget(url: string): DriverTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, options: {} };
  }
  const options: DriverTarget["options"] = {};
  const socketDir = encodedSocketDir(parsed);
  if (socketDir !== null) options.host = socketDir;
  const query = parsed.searchParams;
  for (const name of ["host", "port", "user", "password"] as const) {
    const value = query.get(name);
    if (value === null) continue;
    query.delete(name);
    if (name !== "port") options[name] = value;
    else if (/^\d{1,5}$/.test(value) && Number(value) <= 65_535) options.port = Number(value);
    else throw new Error(`port=${value} in the database URL is not a port number`);
  }
  return { url: Object.keys(options).length === 0 ? url : parsed.toString(), options };
}

export type Sql = ReturnType<typeof connect>;
type Types = Sql extends postgres.Sql<infer T> ? T : never;
/** What a method's statements run on: the pool, or the connection of the transaction they belong to. */
export type Db = postgres.ISql<Types>;

/**
 * `host:port/database` of a database URL (a socket directory for the host when it names one), without
 * the user and password (for messages and logs).
 */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get("host") ?? encodedSocketDir(parsed);
    const port = parsed.searchParams.get("port");
    const server =
      host === null && port === null
        ? parsed.host
        : `${host ?? parsed.hostname}:${port ?? (parsed.port || "5432")}`;
    return `${server}${parsed.pathname}`;
  } catch {
    // Not a URL at all: say so rather than echo what may hold a password.
    return "(an unparsable URL)";
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * `names` as a column list for a statement (`"a", "b"`, or `"m"."a", "m"."b"` with `alias`), made once and
 * put in with `db.unsafe`. The driver's `${db(names)}` helper searches the statement text before it for
 * keywords on every call, which costs more than building the rest of a long statement.
 */
export function columnList(names: readonly string[], alias?: string): string {
  const prefix = alias === undefined ? "" : `${quoteIdentifier(alias)}.`;
  return names.map((name) => prefix + quoteIdentifier(name)).join(", ");
}

/** Connection failures as the driver and Node report them (no SQLSTATE: the server never answered). */
const CONNECTION_ERRORS = new Set([
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * A server that cannot be reached becomes SQLSTATE 08006 (connection_failure), so the store's health
 * (`isStorageFault`) treats it like a full disk: sends refused with `store_unavailable` until a probe
 * write succeeds. Other errors pass through.
 */
export function asStorageError(err: unknown): unknown {
  if (typeof err !== "object" || err === null || !("code" in err) || typeof err.code !== "string") return err;
  if (!CONNECTION_ERRORS.has(err.code)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(`PostgreSQL unreachable: ${message}`, { cause: err }), { code: "08006" });
}

/** A column of {@link itemsTable}: its name, its SQL type, and its value for an item. */
export type ItemColumn<T> = readonly [
  name: string,
  type: string,
  value: (item: T) => string | boolean | null,
];

/**
 * `items` as rows for a statement's FROM, named `alias`: the `columns`, then `ord` (the item's position,
 * from 1). Several items are unnested arrays, one item is a row of parameters. The server plans a
 * statement over arrays on every call (it estimates the rows from the arrays, so a plan made without them
 * never looks as cheap), and for one item that planning costs more than running the statement; a row of
 * parameters always has the same estimate, so each connection plans the statement once and reuses it.
 */
export function itemsTable<T>(
  db: Db,
  alias: string,
  items: readonly T[],
  columns: readonly ItemColumn<T>[],
): postgres.Fragment {
  const list = (parts: postgres.Fragment[]) => parts.reduce((joined, part) => db`${joined}, ${part}`);
  const [only] = items;
  if (items.length === 1 && only !== undefined) {
    const fields = columns.map(
      ([name, type, value]) => db`${value(only)}::${db.unsafe(`${type} AS ${name}`)}`,
    );
    return db`(SELECT ${list(fields)}, 1 AS ord) ${db.unsafe(alias)}`;
  }
  const arrays = columns.map(([, type, value]) => {
    const values = items.map(value);
    // A plain JS array of booleans goes out as one boolean, not as `boolean[]`: say it is an array.
    return type === "boolean"
      ? db`${db.array(values as boolean[])}::boolean[]`
      : db`${values as (string | null)[]}::${db.unsafe(`${type}[]`)}`;
  });
  const names = columns.map(([name]) => name).join(", ");
  return db`unnest(${list(arrays)}) WITH ORDINALITY AS ${db.unsafe(`${alias}(${names}, ord)`)}`;
}

interface OpenTransaction {
  sql: ReservedSql;
  /** False once `work` has finished: async work it left behind (timers) must not join a committed one. */
  open: boolean;
  /** The calls made inside run one after another, as a connection runs one statement sequence. */
  queue: Promise<unknown>;
  /** The first call that failed inside it: the transaction is doomed and rolls back. */
  failure?: { error: unknown };
  /**
   * Statements sent ahead without waiting for their answers, each settling to null or to its error and
   * awaited with COMMIT: BEGIN (and the commit's setting) travels in the same write as the first
   * statements, and notifications in the same write as COMMIT.
   */
  ahead: Promise<unknown>[];
}

/** A statement's answer as null, or its error: awaited later, so its failure is never unhandled. */
function settled(statement: Promise<unknown>): Promise<unknown> {
  return statement.then(
    () => null,
    (err: unknown) => err,
  );
}

/**
 * Shared by the adapter's modules: the pool, and the transaction `transaction()` holds open for the
 * async context it runs `work` in ({@link AsyncLocalStorage}), which every method called inside joins.
 *
 * Round trips are what a transaction costs here (each one wakes the server and this process), so BEGIN is
 * sent ahead with the first statements instead of waiting for its own answer.
 *
 * A transaction is all or nothing: the calls made inside it join it without a savepoint, and the first
 * one that fails dooms it (the calls after it fail with the same error, and `transaction()` rolls
 * everything back and rejects with it, even when `work` caught it), as in the SQLite adapter.
 */
export class PgContext {
  readonly #open = new AsyncLocalStorage<OpenTransaction>();
  /** Pending writes per row key, for {@link inOrder}. */
  readonly #pending = new KeyedQueue();

  constructor(readonly sql: Sql) {}

  #current(): OpenTransaction | undefined {
    const tx = this.#open.getStore();
    return tx?.open ? tx : undefined;
  }

  /**
   * Runs one method's statements. Inside `transaction()` they join it (a failure dooms it). Outside, an
   * `atomic` method (several statements) gets its own transaction; a single statement runs on the pool.
   */
  async run<T>(atomic: boolean, fn: (db: Db) => Promise<T>): Promise<T> {
    const tx = this.#current();
    try {
      if (tx) {
        const result = tx.queue.then(() => {
          if (tx.failure) throw tx.failure.error;
          return fn(tx.sql);
        });
        // The next call waits for this one, failed or not; this call's own caller sees its failure.
        tx.queue = result.catch((err: unknown) => {
          tx.failure ??= { error: err };
        });
        return await result;
      }
      if (!atomic) return await fn(this.sql);
      return await this.#begin((tx) => fn(tx.sql), true);
    } catch (err) {
      throw asStorageError(err);
    }
  }

  /**
   * {@link run}, after every earlier call for the same `key` has settled. Pooled statements may run on
   * different connections in any order; writes to one row issued without awaiting (presence updates)
   * must land in the order they were made, the later winning.
   */
  async inOrder<T>(key: string, atomic: boolean, fn: (db: Db) => Promise<T>): Promise<T> {
    // Inside a transaction calls already run one after another, and waiting on a pooled write that may
    // itself wait on this transaction's locks could never end.
    if (this.#current()) return this.run(atomic, fn);
    return this.#pending.run(key, () => this.run(atomic, fn));
  }

  /**
   * `LifecycleStore.notifyAtCommit`: sent at once on the transaction's connection without waiting for the
   * answer, so it leaves in the same write as COMMIT; the server delivers it when that commits.
   */
  notifyAtCommit(channel: string, payload: string): boolean {
    const tx = this.#current();
    if (!tx) return false;
    tx.ahead.push(settled(tx.sql`SELECT pg_notify(${channel}, ${payload})`));
    return true;
  }

  /** `LifecycleStore.transaction`: `work` and every store call it makes commit together, or none do. */
  async transaction<T>(work: () => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.#current()) return work();
    try {
      return await this.#begin((tx) => this.#open.run(tx, work), options.durable ?? true);
    } catch (err) {
      throw asStorageError(err);
    }
  }

  /**
   * Runs `body` in a transaction on a reserved connection: BEGIN goes out with its first statements, and
   * COMMIT is sent once BEGIN, `body` and every call it queued have succeeded.
   */
  async #begin<T>(body: (tx: OpenTransaction) => Promise<T>, durable: boolean): Promise<T> {
    const sql = await this.sql.reserve();
    // Not durable: COMMIT answers without waiting for the server's log flush (a crash of the server may
    // lose it, whole).
    const ahead = [
      settled(sql.unsafe("BEGIN")),
      ...(durable ? [] : [settled(sql.unsafe("SET LOCAL synchronous_commit = off"))]),
    ];
    const tx: OpenTransaction = { sql, open: true, queue: Promise.resolve(), ahead };
    let result: T;
    try {
      result = await body(tx);
      await tx.queue;
      tx.open = false;
      if (tx.failure) throw tx.failure.error;
      // A statement sent ahead that failed is thrown, whatever COMMIT answered; had a statement failed
      // unseen, the server answers COMMIT with ROLLBACK (not an error), which is thrown too.
      const [commit, ...answers] = await Promise.all([sql.unsafe("COMMIT"), ...tx.ahead]);
      const failedAhead = answers.find((answer) => answer !== null);
      if (failedAhead !== undefined) throw failedAhead;
      if (commit.command !== "COMMIT") throw new Error(`COMMIT answered ${commit.command}`);
    } catch (err) {
      tx.open = false;
      const answered = await sql.unsafe("ROLLBACK").then(
        () => true,
        () => false,
      );
      // A connection that no longer answers was closed under the transaction and is already back among
      // the pool's closed ones (reconnected on demand): releasing it would list it as open.
      if (answered) sql.release();
      throw err;
    }
    sql.release();
    return result;
  }
}

type ReservedSql = postgres.ReservedSql<Types>;

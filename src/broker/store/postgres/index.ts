/**
 * The PostgreSQL adapter of the storage port, for one or several brokers sharing a database (protocol.md
 * §4.14: the database is the truth).
 *
 * Driver: `postgres` (porsager/postgres.js). It pipelines queries on a connection, its tagged templates
 * parameterize every value, `sql.reserve` gives a connection of its own for a transaction, and
 * `sql.listen` (with reconnects) is there for the LISTEN/NOTIFY wake-up of several nodes; it has no
 * native parts. Statements are prepared once per connection.
 *
 * `transaction(work)` holds one reserved connection's transaction in an AsyncLocalStorage for `work`'s
 * async context; every store method called inside joins it, and the first that fails dooms it (see
 * `PgContext`).
 */
import { postgresTarget } from "../../../migrations/postgres.js";
import { runMigrations } from "../../../migrations/runner.js";
import { POSTGRES_MIGRATIONS } from "../migrations/postgres.js";
import type { Store } from "../port/index.js";
import { claimMethods } from "./claims.js";
import { PgContext, asStorageError, connect, describeDatabaseUrl, type ConnectOptions } from "./db.js";
import { deliveryMethods } from "./deliveries.js";
import { inviteMethods } from "./invites.js";
import { limitMethods } from "./limits.js";
import { memberMethods } from "./members.js";
import { meshInfoMethods } from "./mesh-info.js";
import { stateMethods } from "./state.js";
import { messageMethods } from "./messages.js";
import { presenceMethods } from "./presences.js";
import { sweepMethods } from "./sweep.js";
import { memoryMethods } from "./memory.js";
import { skillMethods } from "./skills.js";
import { taskMethods } from "./tasks.js";
import { leaseMethods } from "./leases.js";
import { auditMethods } from "./audit.js";
import { topicMethods } from "./topics.js";
import { fileMethods } from "./files.js";
import { scheduleMethods } from "./schedules.js";
import { ownedRowMethods } from "./owned-rows.js";

/** Seconds `close()` lets running queries finish before it cuts the connections. */
const CLOSE_TIMEOUT_S = 5;

export type PostgresStoreOptions = ConnectOptions;

/**
 * A store on the PostgreSQL database at `url` (`postgres://user:pass@host:port/db`). Connections open on
 * first use; `migrate()` creates `schema` when given. Call `migrate()` before anything but
 * `ping()`/`close()`.
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const sql = connect(options);
  const ctx = new PgContext(sql);
  const target = postgresTarget(sql, {
    label:
      `the PostgreSQL database ${describeDatabaseUrl(options.url)}` +
      (options.schema === undefined ? "" : ` (schema ${options.schema})`),
    schema: options.schema,
  });
  let closed: Promise<void> | null = null;

  return {
    kind: "postgres",
    async migrate() {
      try {
        return await runMigrations(target, POSTGRES_MIGRATIONS);
      } catch (err) {
        throw asStorageError(err);
      }
    },
    async ping() {
      await ctx.run(false, (db) => db`SELECT 1`);
    },
    async probeWrite(now) {
      await ctx.run(
        false,
        (db) => db`
          INSERT INTO health_probe (id, at) VALUES (1, ${now}) ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at`,
      );
    },
    async adoptAdminTokenHash(hash) {
      // A node that lost the race to another node's insert sees neither row in its statement's snapshot;
      // the next statement sees the winner's.
      for (;;) {
        const [row] = await ctx.run(
          false,
          (db) => db<{ value: string }[]>`
            WITH adopted AS (
              INSERT INTO broker_settings (name, value) VALUES ('admin_token_sha256', ${hash})
              ON CONFLICT (name) DO NOTHING RETURNING value)
            SELECT value FROM adopted
            UNION ALL SELECT value FROM broker_settings WHERE name = 'admin_token_sha256'`,
        );
        if (row) return row.value;
      }
    },
    async checkpoint() {
      // The server manages its write-ahead log.
    },
    transaction: (work, options) => ctx.transaction(work, options),
    notifyAtCommit: (channel, payload) => ctx.notifyAtCommit(channel, payload),
    async close() {
      closed ??= sql.end({ timeout: CLOSE_TIMEOUT_S });
      await closed;
    },
    ...memberMethods(ctx),
    ...inviteMethods(ctx),
    ...limitMethods(ctx),
    ...presenceMethods(ctx),
    ...messageMethods(ctx),
    ...claimMethods(ctx),
    ...deliveryMethods(ctx),
    ...sweepMethods(ctx),
    ...meshInfoMethods(ctx),
    ...stateMethods(ctx),
    ...memoryMethods(ctx),
    ...skillMethods(ctx),
    ...taskMethods(ctx),
    ...leaseMethods(ctx),
    ...auditMethods(ctx),
    ...topicMethods(ctx),
    ...fileMethods(ctx),
    ...scheduleMethods(ctx),
    ...ownedRowMethods(ctx),
  };
}

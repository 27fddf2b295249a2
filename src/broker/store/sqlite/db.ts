import Database from "better-sqlite3";
import type { MessageRow } from "../port/index.js";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

export type Db = Database.Database;

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;
/** Page cache per connection, in KiB (SQLite's default is 2 MiB). */
const CACHE_KIB = 16_384;
/**
 * WAL pages between automatic checkpoints (default 1,000). A checkpoint costs two fsyncs, and a batch of
 * 50 accepts dirties ~150 pages (two random-keyed indexes), so the default checkpointed every few batches.
 */
export const WAL_CHECKPOINT_PAGES = 4_000;

/** SQLite's companion files, which it creates with the database file's permissions. */
const COMPANIONS = ["", "-wal", "-shm", "-journal"];

/**
 * Makes the database file exist with mode 0600 before SQLite opens it (whatever the umask), so the -wal
 * and -shm files SQLite creates next to it get 0600 too; tightens files an earlier version left wider.
 */
function makePrivate(path: string): void {
  closeSync(openSync(path, "a", 0o600));
  for (const suffix of COMPANIONS) {
    const file = `${path}${suffix}`;
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

/**
 * Opens `path` (or ":memory:"), creating its directory if needed, with the pragmas the adapter relies on.
 * The file and its companions are 0600. A failure names the file: SQLite's own message does not.
 */
export function openDatabase(path: string): Db {
  const inMemory = path === ":memory:" || path === "";
  let db: Db;
  try {
    if (!inMemory) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      makePrivate(path);
    }
    db = new Database(path);
  } catch (err) {
    const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
    // Node's own errors repeat the path; SQLite's ("unable to open database file") give none.
    const reason = err instanceof Error && !("syscall" in err) ? err.message : code || String(err);
    throw Object.assign(new Error(`cannot open database ${path}: ${reason}`), { code });
  }
  db.pragma("journal_mode = WAL");
  // NORMAL under WAL: a crashed process loses nothing; an OS crash or power cut may lose the last
  // commits, never the database. FULL (an fsync per commit, ~6 ms here) would cap throughput.
  db.pragma("synchronous = NORMAL");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma("foreign_keys = ON");
  // Statement journals in memory: a write that may fail half way inside a transaction journals every
  // page it touches, which on disk cost a system call per page.
  db.pragma("temp_store = MEMORY");
  db.pragma(`cache_size = -${CACHE_KIB}`);
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  return db;
}

/** Messages kept by {@link RecentMessages} (the oldest goes first). */
const RECENT_MESSAGES = 4_096;

/**
 * Messages this adapter accepted lately, by `seq`, so a claim soon after the accept takes the message
 * from memory instead of reading its row back. Sound because a message never changes while it has an
 * open delivery (only retention, after every delivery is finished, drops its body). Every insert into
 * `messages` is an accept, which records the row here, so a `seq` handed out again (after a rollback, or
 * after retention deleted the newest row) replaces its entry; rollbacks and deletions clear the whole
 * map all the same, so it never holds a row that does not exist.
 */
export class RecentMessages {
  readonly #bySeq = new Map<number, MessageRow>();

  add(seq: number, message: MessageRow): void {
    if (this.#bySeq.size >= RECENT_MESSAGES) {
      const oldest = this.#bySeq.keys().next();
      if (!oldest.done) this.#bySeq.delete(oldest.value);
    }
    this.#bySeq.set(seq, message);
  }

  get(seq: number): MessageRow | undefined {
    return this.#bySeq.get(seq);
  }

  clear(): void {
    this.#bySeq.clear();
  }
}

/** The transaction {@link SqliteContext.transaction} holds open for `work`. */
interface OpenTransaction {
  /** The first store call that failed inside it: the transaction is doomed and rolls back. */
  failure?: { error: unknown };
}

/**
 * Shared by the adapter's modules: the connection, statements prepared once, on first use, the recently
 * accepted messages, and the transaction `transaction()` holds open. Preparing needs the tables, so it is
 * refused with a clear error before `migrate()`.
 *
 * A transaction is all or nothing: the store calls made inside it join it without a savepoint, and the
 * first one that fails dooms it (the calls after it fail with the same error, and `transaction()` rolls
 * everything back and rejects with it, even when `work` caught it). A savepoint per call would let the
 * others go on, but it copies every page it touches into a statement journal, which cost a fifth of the
 * broker's time on the hot path.
 */
export class SqliteContext {
  private migrated = false;
  readonly recentMessages = new RecentMessages();
  #open: OpenTransaction | null = null;
  /** A `transaction()` waiting for the write lock: later ones wait for it, then join what it opened. */
  #beginning: Promise<void> | null = null;
  readonly #beginWrite: Database.Statement;
  readonly #noBusyWait: Database.Statement;
  readonly #busyWait: Database.Statement;
  readonly #beginRead: Database.Statement;
  readonly #commit: Database.Statement;
  readonly #rollback: Database.Statement;

  constructor(readonly db: Db) {
    this.#beginWrite = db.prepare("BEGIN IMMEDIATE");
    this.#noBusyWait = db.prepare("PRAGMA busy_timeout = 0");
    this.#busyWait = db.prepare(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.#beginRead = db.prepare("BEGIN DEFERRED");
    this.#commit = db.prepare("COMMIT");
    this.#rollback = db.prepare("ROLLBACK");
  }

  markMigrated(): void {
    this.migrated = true;
  }

  /** Returns a getter that runs `make` once (after migration) and then returns its result. */
  statements<T>(make: (db: Db) => T): () => T {
    let made: T | undefined;
    return () => {
      if (made === undefined) {
        if (!this.migrated) throw new Error("the SQLite store was used before migrate()");
        made = make(this.db);
      }
      return made;
    };
  }

  /**
   * `fn` made atomic: called with no transaction open, it runs in one of its own (`write`: BEGIN IMMEDIATE;
   * `read`: a deferred one, for several reads that must see one snapshot), committed when it returns and
   * rolled back when it throws. Called inside an open transaction, it joins it (no savepoint).
   */
  atomic<A extends unknown[], R>(fn: (...args: A) => R, mode: "write" | "read" = "write"): (...args: A) => R {
    return (...args) => {
      if (this.db.inTransaction) return fn(...args);
      (mode === "write" ? this.#beginWrite : this.#beginRead).run();
      try {
        const result = fn(...args);
        this.#commit.run();
        return result;
      } catch (err) {
        this.#rollBack();
        throw err;
      }
    };
  }

  /** `LifecycleStore.transaction`: `work` and every store call it makes commit together, or none do. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    while (this.#beginning) await this.#beginning;
    if (this.#open) return work();
    const open: OpenTransaction = {};
    if (!this.#tryBegin()) {
      const began = this.#beginAfterWaiting();
      this.#beginning = began.then(
        () => undefined,
        () => undefined,
      );
      try {
        await began;
      } finally {
        this.#beginning = null;
      }
    }
    this.#open = open;
    try {
      const result = await work();
      if (open.failure) throw open.failure.error;
      this.#commit.run();
      return result;
    } catch (err) {
      this.#rollBack();
      throw err;
    } finally {
      this.#open = null;
    }
  }

  /**
   * BEGIN IMMEDIATE without SQLite's busy handler: while the checkpoint worker holds the write lock (a
   * RESTART checkpoint, some milliseconds), that handler would put the event loop to sleep in steps of 1,
   * 2, 5, 10 ms and more, past the moment the lock is free. False when the lock is taken.
   */
  #tryBegin(): boolean {
    this.#noBusyWait.get();
    try {
      this.#beginWrite.run();
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === "SQLITE_BUSY") return false;
      throw err;
    } finally {
      this.#busyWait.get();
    }
  }

  /** {@link #tryBegin} again every millisecond, the event loop free meanwhile, for up to the busy timeout. */
  async #beginAfterWaiting(): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      await delay(1);
      if (this.#tryBegin()) return;
      if (Date.now() >= deadline) {
        // What the busy handler would have ended with.
        this.#beginWrite.run();
        return;
      }
    }
  }

  /** Ends a failed transaction and forgets its accepts (their `seq`s will be handed out again). */
  #rollBack(): void {
    // A failed COMMIT may already have ended it.
    if (this.db.inTransaction) this.#rollback.run();
    this.recentMessages.clear();
  }

  /**
   * `methods` with every call watched: inside `transaction()`, a call after a failed one throws that
   * failure, and a call that fails dooms the transaction.
   */
  guard<T extends object>(methods: T): T {
    const guarded: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(methods)) {
      guarded[name] =
        typeof method !== "function"
          ? method
          : (...args: unknown[]): unknown => {
              const open = this.#open;
              if (!open) return method(...args);
              return this.#call(open, () => method(...args));
            };
    }
    return guarded as T;
  }

  async #call(open: OpenTransaction, call: () => unknown): Promise<unknown> {
    if (open.failure) throw open.failure.error;
    try {
      return await call();
    } catch (err) {
      open.failure ??= { error: err };
      throw err;
    }
  }
}

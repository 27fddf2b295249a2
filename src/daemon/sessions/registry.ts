/**
 * Launched Claude Code sessions: each has a session key pair (kept per Claude session id), its own
 * `session_hello` connection, and a random token its callers present in `Authorization:
 * ClaudeMesh-Session <hex>`. Only a hash of the token is kept, in memory and in `sessions.json` (0600),
 * so a restarted daemon takes back the sessions whose processes still run.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { z } from "zod";
import { randomHexToken, sha256Hex, type Identity } from "../../crypto/index.js";
import type { SessionInfo } from "../../daemon-api/contract.js";
import type { MessageMode } from "../../protocol/index.js";
import { writeSecretFile } from "../../host/secure-fs.js";
import type { BrokerLink } from "../links.js";
import { processStartTime, sameProcessAlive } from "../../host/process-info.js";
import { StatusKeeper } from "../meshes/wanted-status.js";
import type { SessionKeyStore } from "./keys.js";

export const REAP_INTERVAL_MS = 5_000;

const SessionRecord = z.object({
  token_hash: z.string(),
  session_id: z.string(),
  mesh_id: z.string(),
  pubkey: z.string(),
  display_name: z.string(),
  pid: z.number(),
  start_time: z.string().nullable(),
  cwd: z.string(),
  role: z.string().nullable(),
  groups: z.array(z.string()),
  message_mode: z.enum(["push", "inbox", "off"]),
  channel_flag: z.boolean(),
  registered_at: z.string(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

export interface LiveSession extends SessionRecord {
  slug: string;
  link: BrokerLink;
  /** The session connection's status, re-applied on every reconnect. */
  status: StatusKeeper;
}

export type SessionEndReason = "deregistered" | "process_gone" | "mesh_gone" | "replaced" | "daemon_stopping";

export interface SessionRegistryDeps {
  file: string;
  keys: SessionKeyStore;
  logger: Logger;
  /** Opens (and starts) the `session_hello` connection of a session. */
  openLink: (record: SessionRecord, identity: Identity) => BrokerLink;
  /** The slug of a joined, usable mesh, or null when the mesh is gone or disabled. */
  meshSlug: (meshId: string) => string | null;
  /** Called after a session is removed (emit `session_end`, …). */
  onEnded: (session: LiveSession, reason: SessionEndReason) => void;
}

export interface RegisterInput {
  mesh_id: string;
  session_id: string;
  pid: number;
  cwd: string;
  display_name: string;
  role: string | null;
  groups: string[];
  message_mode: MessageMode;
  channel_flag: boolean;
}

export class SessionRegistry {
  readonly #deps: SessionRegistryDeps;
  readonly #log: Logger;
  /** token hash → session. */
  readonly #byToken = new Map<string, LiveSession>();
  #reaper: NodeJS.Timeout | null = null;
  #reaping = false;

  constructor(deps: SessionRegistryDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: "sessions" });
  }

  /** Takes back persisted sessions whose process still runs (after a daemon restart). */
  restore(): void {
    for (const record of this.#readFile()) {
      const slug = this.#deps.meshSlug(record.mesh_id);
      if (slug === null || !sameProcessAlive(record.pid, record.start_time)) continue;
      const identity = this.#deps.keys.loadOrCreate(record.mesh_id, record.session_id);
      if (identity.publicKey !== record.pubkey) continue;
      this.#byToken.set(record.token_hash, this.#live(record, slug, identity));
    }
    this.#persist();
    this.#log.info({ sessions: this.#byToken.size }, "sessions restored");
  }

  /**
   * Registers a session (or re-registers the same Claude session id in the same mesh, which replaces the
   * old entry and its token). Returns the new token; only its hash is kept.
   */
  async register(input: RegisterInput): Promise<{ token: string; session: LiveSession }> {
    const slug = this.#deps.meshSlug(input.mesh_id);
    if (slug === null) throw new Error(`mesh ${input.mesh_id} is not usable`);
    const previous = [...this.#byToken.values()].find(
      (s) => s.mesh_id === input.mesh_id && s.session_id === input.session_id,
    );
    // The new connection takes the presence over (same session key: a silent reattach on the broker).
    if (previous !== undefined) await this.end(previous, "replaced", { bye: false });
    const identity = this.#deps.keys.loadOrCreate(input.mesh_id, input.session_id);
    const token = randomHexToken(32);
    const record: SessionRecord = {
      ...input,
      token_hash: hashToken(token),
      pubkey: identity.publicKey,
      start_time: processStartTime(input.pid),
      registered_at: new Date().toISOString(),
    };
    const session = this.#live(record, slug, identity);
    this.#byToken.set(record.token_hash, session);
    this.#persist();
    this.#log.info(
      { mesh: slug, session_pubkey: record.pubkey.slice(0, 12), pid: input.pid },
      "session registered",
    );
    return { token, session };
  }

  /** The session a token belongs to, or null. */
  byToken(token: string): LiveSession | null {
    return this.#byToken.get(hashToken(token)) ?? null;
  }

  byPubkey(pubkey: string): LiveSession | null {
    for (const session of this.#byToken.values()) if (session.pubkey === pubkey) return session;
    return null;
  }

  list(): LiveSession[] {
    return [...this.#byToken.values()];
  }

  /** Removes a session: says `bye` on its connection (unless told not to) and reports the end. */
  async end(
    session: LiveSession,
    reason: SessionEndReason,
    options: { bye: boolean } = { bye: true },
  ): Promise<void> {
    if (this.#byToken.get(session.token_hash) !== session) return;
    this.#byToken.delete(session.token_hash);
    this.#persist();
    this.#log.info(
      { mesh: session.slug, session_pubkey: session.pubkey.slice(0, 12), reason },
      "session ended",
    );
    this.#deps.onEnded(session, reason);
    try {
      if (options.bye) await session.link.bye();
      else await session.link.close();
    } catch (error) {
      this.#log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "closing a session link failed",
      );
    }
  }

  /** Ends sessions whose process is gone or whose pid now belongs to another program. */
  async reap(): Promise<void> {
    if (this.#reaping) return;
    this.#reaping = true;
    try {
      const gone = this.list().filter((s) => !sameProcessAlive(s.pid, s.start_time));
      await Promise.all(gone.map((s) => this.end(s, "process_gone")));
    } finally {
      this.#reaping = false;
    }
  }

  startReaper(intervalMs = REAP_INTERVAL_MS): void {
    if (this.#reaper !== null) return;
    this.#reaper = setInterval(() => {
      this.reap().catch((error: unknown) =>
        this.#log.error({ err: error instanceof Error ? error.message : String(error) }, "reaper failed"),
      );
    }, intervalMs);
    this.#reaper.unref();
  }

  /**
   * Stops the reaper and closes every session connection. With `bye` (daemon shutting down for good) the
   * broker drops the presences at once; the registry file is kept so a restart can take them back.
   */
  async closeAll(options: { bye: boolean }): Promise<void> {
    if (this.#reaper !== null) clearInterval(this.#reaper);
    this.#reaper = null;
    await Promise.all(
      this.list().map(async (s) => {
        try {
          if (options.bye) await s.link.bye();
          else await s.link.close();
        } catch (error) {
          this.#log.warn(
            { err: error instanceof Error ? error.message : String(error) },
            "closing a session link failed",
          );
        }
      }),
    );
  }

  /** The API view of a session (never its token or keys). */
  static info(session: LiveSession): SessionInfo {
    return {
      session_id: session.session_id,
      session_pubkey: session.pubkey,
      mesh_id: session.mesh_id,
      slug: session.slug,
      display_name: session.display_name,
      pid: session.pid,
      cwd: session.cwd,
      role: session.role,
      groups: session.groups,
      message_mode: session.message_mode,
      connected: session.link.connected,
      registered_at: session.registered_at,
      channel_flag: session.channel_flag,
    };
  }

  #live(record: SessionRecord, slug: string, identity: Identity): LiveSession {
    const link = this.#deps.openLink(record, identity);
    return { ...record, slug, link, status: new StatusKeeper(link, this.#log) };
  }

  #readFile(): SessionRecord[] {
    let raw: string;
    try {
      raw = readFileSync(this.#deps.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.#log.warn(
          { err: (error as Error).message },
          "cannot read the sessions file; starting without sessions",
        );
      }
      return [];
    }
    try {
      const parsed = z.array(SessionRecord).safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch {
      // Reported below: a damaged file only costs the sessions it held (they re-register on next launch).
    }
    this.#log.warn({}, "the sessions file is damaged; starting without sessions");
    return [];
  }

  #persist(): void {
    const records: SessionRecord[] = this.list().map((s) => SessionRecord.parse(s));
    writeSecretFile(this.#deps.file, `${JSON.stringify(records, null, 2)}\n`);
  }
}

/** Tokens are kept only as hashes, so neither memory dumps nor the sessions file reveal one. */
function hashToken(token: string): string {
  return sha256Hex(`claudemesh-session-token|${token.toLowerCase()}`);
}

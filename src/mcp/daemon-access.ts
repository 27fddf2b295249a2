/**
 * The MCP server's way to the daemon: found or started lazily (never while answering `initialize`),
 * through the one lifecycle helper, retried after a failure, and started again when it dies under the
 * session. A failure carries the exact command to run.
 */
import type { SessionInfo } from "../daemon-api/contract.js";
import { DaemonApiError, type DaemonClient } from "../daemon-api/client.js";
import { ensureDaemon } from "../daemon-api/lifecycle.js";
import { listsAMesh } from "../host/config-peek.js";
import { loadConfig, requireJoinedMesh } from "../host/config.js";

/** What to tell the model when the daemon cannot be reached. */
export function unreachableText(err: unknown): string {
  const hint =
    err instanceof Error && "hint" in err && typeof err.hint === "string"
      ? err.hint
      : "start it with `claudemesh daemon up`";
  const message = err instanceof Error ? err.message : String(err);
  return `claudemesh: ${message}. To fix: ${hint}.`;
}

interface Connected {
  client: DaemonClient;
  /** The launched session this server belongs to, or null in ambient mode. */
  session: SessionInfo | null;
}

export class DaemonAccess {
  #connected: Promise<Connected> | null = null;
  #reviving: Promise<void> | null = null;

  constructor(
    private readonly options: {
      /** Start the daemon when it is not running. @default true */
      spawn?: boolean;
      /** Per-request timeout. @default 10000 */
      timeoutMs?: number;
      /** Told when a session token from the environment is unknown to the daemon. */
      onStaleToken?: () => void;
    } = {},
  ) {}

  /** A client of the running daemon (started if needed). A failed attempt is retried on the next call. */
  async client(): Promise<DaemonClient> {
    return (await this.connect()).client;
  }

  /**
   * The launched session this server belongs to (`CLAUDEMESH_IPC_TOKEN_FILE`), or null in ambient mode.
   * A token the daemon no longer knows counts as ambient: the server then acts for the member.
   */
  async session(): Promise<SessionInfo | null> {
    return (await this.connect()).session;
  }

  connect(): Promise<Connected> {
    if (this.#connected === null) {
      const attempt = this.#open();
      this.#connected = attempt;
      attempt.catch(() => {
        if (this.#connected === attempt) this.#connected = null;
      });
    }
    return this.#connected;
  }

  /**
   * Starts the daemon again when it is not running (it died under a running session: nothing else would
   * start it until someone runs a command, and the session's messages would wait until then). One attempt
   * at a time; a daemon that fails to start is not retried within the lifecycle's cooldown. Never throws:
   * a failure is reported to `onError`.
   */
  revive(onError: (err: unknown) => void): Promise<void> {
    if (this.options.spawn === false) return Promise.resolve();
    this.#reviving ??= ensureDaemon({ spawn: true, client: { token: null } })
      .then(
        () => undefined,
        (err: unknown) => onError(err),
      )
      .finally(() => {
        this.#reviving = null;
      });
    return this.#reviving;
  }

  async #open(): Promise<Connected> {
    // As the CLI does: with no mesh joined, say so (an empty peer list or inbox would mislead) and start
    // no daemon; the pump tries again, so a mesh joined later is followed.
    if (listsAMesh() !== true) requireJoinedMesh(loadConfig());
    const spawn = this.options.spawn ?? true;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const client = await ensureDaemon({ spawn, client: { timeoutMs } });
    if (!client.token) return { client, session: null };
    try {
      return { client, session: await client.call("sessionsMe", {}) };
    } catch (err) {
      if (!(err instanceof DaemonApiError) || err.status !== 401) throw err;
      this.options.onStaleToken?.();
      return { client: await ensureDaemon({ spawn, client: { timeoutMs, token: null } }), session: null };
    }
  }
}

/**
 * The one place where an error becomes what the user sees: a code, a one-line message, a hint saying what
 * to do, and the exit code of cli.md (0 ok, 2 bad input, 3 auth/permission, 4 unreachable, 1 otherwise).
 * Callers check `code`, never `instanceof`, across module boundaries.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  unreachable: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI raises itself, with everything the user needs. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    readonly exitCode: ExitCode = ExitCode.failure,
    /** Lines shown under the error (e.g. a log tail); never in `--json` output. */
    readonly logTail = "",
  ) {
    super(message);
  }
}

/** A usage error: bad argument, flag or input (exit 2). */
export function usageError(message: string, hint: string, code = "invalid_argument"): CliError {
  return new CliError(code, message, hint, ExitCode.usage);
}

export interface Failure {
  code: string;
  message: string;
  hint: string;
  exitCode: ExitCode;
}

const AUTH_CODES = new Set([
  "unauthorized",
  "forbidden",
  "revoked",
  "banned",
  "kicked",
  "left",
  "bad_signature",
  "bad_claim_token",
  "invite_forged",
  "not_owner",
  "expired",
  "exhausted",
  "permission_denied",
  "mesh_disabled",
  "invalid_session_token",
  "unknown_session",
  "origin_refused",
  "host_refused",
  "admin_token_required",
  "insecure_permissions",
]);
const UNREACHABLE_CODES = new Set([
  "broker_unreachable",
  "daemon_unavailable",
  "daemon_not_running",
  "daemon_spawn_failed",
  "daemon_dir_unusable",
  "connect_failed",
  "hello_ack_timeout",
  "not_connected",
  "connection_closed",
  "request_timeout",
  "mesh_disconnected",
  "broker_disconnected",
  "not_present",
]);
const USAGE_CODES = new Set([
  "invalid_argument",
  "invalid",
  "bad_request",
  "unknown_target",
  "ambiguous_target",
  "no_recipient",
  "ambiguous_prefix",
  "invalid_group_name",
  "no_mesh",
  "unknown_mesh",
  "mesh_required",
  "invalid_link",
  "too_large",
  "invalid_encoding",
  "not_found",
  "idempotency_key_reused",
  "invalid_target",
  "invalid_request",
  "invalid_json",
  "unsupported_target",
  "unknown_command",
  "already_joined",
  "already_done",
  "in_flight",
  "confirmation_required",
  "file_exists",
  "unsafe_file_name",
  "port_in_use",
  "claude_not_found",
  "config_invalid",
]);

/** Refusals that are an outcome, not bad input: exit 1 whatever the HTTP status (cli.md, tasks and leases). */
const OUTCOME_CODES = new Set([
  "task_not_claimable",
  "task_already_done",
  "task_not_found",
  "lease_held",
  "limit",
]);

/** For codes not listed above: the daemon's and broker's HTTP status says which family it is. */
function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 502 || status === 503 || status === 504) return ExitCode.unreachable;
  if (status >= 400 && status < 500) return ExitCode.usage;
  return ExitCode.failure;
}

/** Exit code for an error code from the daemon, the broker or the client core. */
export function exitCodeFor(code: string): ExitCode {
  if (AUTH_CODES.has(code)) return ExitCode.auth;
  if (UNREACHABLE_CODES.has(code)) return ExitCode.unreachable;
  if (USAGE_CODES.has(code)) return ExitCode.usage;
  return ExitCode.failure;
}

const DEFAULT_HINTS: Record<string, string> = {
  unauthorized: "check that you are still a member of this mesh (`claudemesh whoami`)",
  revoked: "you were removed from this mesh; ask its owner for a new invite",
  banned: "you were removed from this mesh; ask its owner for a new invite",
  timestamp_skew: "fix this machine's clock (enable NTP), then retry",
  daemon_unavailable: "start it with `claudemesh daemon up`",
  broker_unreachable: "check that the broker is running and the address is right (`claudemesh doctor`)",
  connect_failed: "check that the broker is running and the address is right (`claudemesh doctor`)",
  rate_limit: "slow down and retry in a few seconds",
  config_invalid: "fix the file, or move it away and run `claudemesh join` again",
  task_not_claimable: "see who holds it with `claudemesh task list`",
  lease_held: "wait for it to expire or ask its holder to release it (`claudemesh lease list`)",
};

function field(err: object, name: string): unknown {
  return (err as Record<string, unknown>)[name];
}

function commanderMessage(err: Error): string {
  return (
    err.message
      .replace(/^error: /, "")
      .replace(/\n\(Did you mean (.+)\?\)/, " (did you mean $1?)")
      .split("\n")[0]
      ?.trim() ?? err.message
  );
}

/** A Node system error (EACCES, ENOSPC, …): a file or the machine refused. */
function systemFailure(err: Error, code: string): Failure {
  if (code === "EACCES" || code === "EPERM") {
    return {
      code: "permission_denied",
      message: err.message,
      hint: "check the permissions of that path",
      exitCode: 3,
    };
  }
  if (code === "ENOSPC") {
    return { code: "disk_full", message: err.message, hint: "free some disk space and retry", exitCode: 1 };
  }
  return {
    code: code === "" ? "system_error" : code.toLowerCase(),
    message: err.message,
    hint: "",
    exitCode: 1,
  };
}

/** Turns anything thrown into what the user sees. Never shows a stack trace. */
export function describeError(err: unknown): Failure {
  if (err instanceof CliError) {
    return { code: err.code, message: err.message, hint: err.hint, exitCode: err.exitCode };
  }
  if (err instanceof Error) {
    const code = typeof field(err, "code") === "string" ? String(field(err, "code")) : "";
    if (code.startsWith("commander.")) {
      return {
        code: "invalid_argument",
        message: commanderMessage(err),
        hint: "see `claudemesh --help`",
        exitCode: ExitCode.usage,
      };
    }
    if (err.name === "InviteLinkError") {
      return {
        code: "invalid_link",
        message: err.message,
        hint: "ask for the whole link again",
        exitCode: 2,
      };
    }
    if (field(err, "errno") !== undefined || field(err, "syscall") !== undefined)
      return systemFailure(err, code);
    const own = field(err, "hint");
    const hint = typeof own === "string" && own !== "" ? own : (DEFAULT_HINTS[code] ?? "");
    if (code !== "") {
      const status = field(err, "status");
      const known = exitCodeFor(code);
      const exitCode =
        known === ExitCode.failure && typeof status === "number" && !OUTCOME_CODES.has(code)
          ? exitCodeForStatus(status)
          : known;
      return { code, message: err.message, hint, exitCode };
    }
    return { code: "internal", message: err.message, hint: "", exitCode: ExitCode.failure };
  }
  return { code: "internal", message: String(err), hint: "", exitCode: ExitCode.failure };
}

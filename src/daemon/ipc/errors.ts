/**
 * The daemon's errors: one class with a stable code (the `error` field of the API body), a message and a
 * hint. Domain code throws it without thinking about HTTP; the status comes from the code, here, in one
 * place ({@link httpStatus}), as the CLI maps codes to exit codes in one place.
 */
import type { ApiError, TargetCandidate } from "../../daemon-api/contract.js";
import { ClientErrorCode, MeshClientError } from "../../client/index.js";

export class LocalError extends Error {
  override readonly name = "LocalError";
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly candidates?: TargetCandidate[],
    /** Additive fields for the body (documented per route in daemon-api/contract.ts). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The HTTP status the local API answers this error with. */
  get status(): number {
    return httpStatus(this.code);
  }

  toBody(): ApiError & Record<string, unknown> {
    return {
      ...this.extra,
      error: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.candidates === undefined ? {} : { candidates: this.candidates }),
    };
  }
}

const UNREACHABLE: ReadonlySet<string> = new Set([
  ClientErrorCode.notConnected,
  ClientErrorCode.connectionClosed,
  ClientErrorCode.requestTimeout,
  ClientErrorCode.closed,
]);

/** Error code → HTTP status; a code not listed is a refusal of the input (400). */
const HTTP_STATUS: Record<string, number> = {
  unauthorized: 401,
  invalid_session_token: 401,
  no_session: 401,
  forbidden: 403,
  mesh_disabled: 403,
  origin_refused: 403,
  insecure_permissions: 403,
  host_refused: 403,
  not_found: 404,
  unknown_mesh: 404,
  no_mesh: 404,
  unknown_session: 404,
  unknown_target: 404,
  method_not_allowed: 405,
  already_done: 409,
  in_flight: 409,
  idempotency_key_reused: 409,
  task_not_claimable: 409,
  task_already_done: 409,
  lease_held: 409,
  task_not_found: 404,
  limit: 429,
  ambiguous_target: 409,
  file_exists: 409,
  ambiguous_prefix: 409,
  too_large: 413,
  // A send the broker refused for its target.
  no_recipient: 422,
  rate_limit: 429,
  internal: 500,
  config_invalid: 500,
  // The broker connection failed in a way that is not a refusal of the request.
  hello_ack_timeout: 502,
  connect_failed: 502,
  invalid_reply: 502,
  frame_too_large: 502,
  bad_config: 502,
  timestamp_skew: 502,
  broker_unreachable: 503,
  not_present: 503,
};

export function httpStatus(code: string): number {
  return HTTP_STATUS[code] ?? 400;
}

/** Turns a failure of a broker request into an API error (broker unreachable → 503). */
export function brokerFailure(error: unknown, slug: string): LocalError {
  if (error instanceof LocalError) return error;
  if (error instanceof MeshClientError) {
    if (UNREACHABLE.has(error.code)) {
      return new LocalError(
        "broker_unreachable",
        `the broker of mesh "${slug}" is not reachable right now (${error.message})`,
        "check that the broker runs (`claudemesh doctor`); the daemon keeps reconnecting on its own",
      );
    }
    return new LocalError(error.code, error.message);
  }
  return new LocalError("internal", error instanceof Error ? error.message : String(error));
}

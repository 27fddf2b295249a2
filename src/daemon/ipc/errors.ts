/** Local API errors: one class carrying the HTTP status and the `{error, message, hint?}` body. */
import type { ApiError, TargetCandidate } from "../../daemon-api/contract.js";
import { ClientErrorCode, MeshClientError } from "../../client/index.js";

export class ApiFailure extends Error {
  override readonly name = "ApiFailure";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly candidates?: TargetCandidate[],
    /** Additive fields for the body (documented per route in daemon-api/contract.ts). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
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

const STATUS_BY_CODE: Record<string, number> = {
  forbidden: 403,
  not_found: 404,
  invalid: 400,
  invalid_argument: 400,
  invalid_group_name: 400,
  invalid_message: 400,
  ambiguous_prefix: 409,
  rate_limit: 429,
};

/** Turns a failure of a broker request into an API error (broker unreachable → 503). */
export function brokerFailure(error: unknown, slug: string): ApiFailure {
  if (error instanceof ApiFailure) return error;
  if (error instanceof MeshClientError) {
    if (UNREACHABLE.has(error.code)) {
      return new ApiFailure(
        503,
        "broker_unreachable",
        `the broker of mesh "${slug}" is not reachable right now (${error.message})`,
        "check that the broker runs (`claudemesh doctor`); the daemon keeps reconnecting on its own",
      );
    }
    return new ApiFailure(STATUS_BY_CODE[error.code] ?? 502, error.code, error.message);
  }
  return new ApiFailure(500, "internal", error instanceof Error ? error.message : String(error));
}

/**
 * Local errors of the broker client. `code` is either a wire error code the broker sent (`unauthorized`,
 * `revoked`, `timestamp_skew`, `forbidden`, …) or one of the client's own codes below. Callers check
 * `code`, not `instanceof`, at process boundaries.
 */
export const ClientErrorCode = {
  /** The socket is not open and authenticated. */
  notConnected: "not_connected",
  /** The connection closed while the request was pending. */
  connectionClosed: "connection_closed",
  /** No reply within the request timeout. */
  requestTimeout: "request_timeout",
  /** `hello_ack` did not arrive within 5 s of sending the hello. */
  helloAckTimeout: "hello_ack_timeout",
  /** The socket could not be opened or closed before `hello_ack`. */
  connectFailed: "connect_failed",
  /** `close()` was called while connecting. */
  closed: "closed",
  /** The broker's reply did not have the expected shape. */
  invalidReply: "invalid_reply",
  /** The serialised frame exceeds the broker's frame limit; it was not sent. */
  frameTooLarge: "frame_too_large",
  /** The options cannot produce a valid hello (e.g. no way to sign an attestation). */
  badConfig: "bad_config",
  /** The local clock is off from the broker's by more than the allowed skew, even after a re-sign. */
  clockSkew: "timestamp_skew",
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class MeshClientError extends Error {
  override readonly name = "MeshClientError";
  /** Wire error code or a {@link ClientErrorCode}. */
  readonly code: string;
  /** WebSocket close code, when the error comes from a closed connection. */
  readonly closeCode: number | undefined;
  /** Broker time (ms) from a `timestamp_skew` error, when the broker sent it. */
  readonly serverTime: number | undefined;

  constructor(code: string, message: string, details: { closeCode?: number; serverTime?: number } = {}) {
    super(message);
    this.code = code;
    this.closeCode = details.closeCode;
    this.serverTime = details.serverTime;
  }
}

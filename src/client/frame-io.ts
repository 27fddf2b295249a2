/** Turning socket bytes into validated broker frames and outgoing frames into text. */
import type { RawData } from "ws";

import { MAX_FRAME_BYTES } from "../protocol/constants.js";
import { BrokerFrameEnvelope, ErrorFrame } from "../protocol/frames.js";
import type { ConnectionError } from "./close-policy.js";
import { ClientErrorCode, MeshClientError } from "./errors.js";
import type { BrokerFrame, OutboundFrame, SendInput } from "./types.js";

/** A broker frame with a string `type`, or why it is not one. */
export function parseBrokerFrame(data: RawData): { frame: BrokerFrame } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(rawText(data));
  } catch {
    return { problem: "not JSON" };
  }
  const envelope = BrokerFrameEnvelope.safeParse(json);
  return envelope.success ? { frame: envelope.data } : { problem: "not an object with a string type" };
}

/** JSON text of `frame`; a frame over the broker's limit would kill the socket (1009), so it is refused. */
export function serializeFrame(frame: OutboundFrame): string {
  const text = JSON.stringify(frame);
  if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
    throw new MeshClientError(
      ClientErrorCode.frameTooLarge,
      `${frame.type} frame is larger than ${MAX_FRAME_BYTES} bytes; not sent`,
    );
  }
  return text;
}

/** The wire `send` frame (§4.1): note the snake_case idempotency fields. */
export function sendFrame(input: SendInput, id: string, reqId: string): OutboundFrame {
  return {
    type: "send",
    targetSpec: input.targetSpec,
    priority: input.priority ?? "next",
    nonce: input.nonce,
    ciphertext: input.ciphertext,
    id,
    client_message_id: input.clientMessageId,
    request_fingerprint: input.requestFingerprint,
    replyToId: input.replyToId,
    mentions: input.mentions,
    bodyVersion: input.bodyVersion,
    _reqId: reqId,
  };
}

/** The code, message and server time of an `error` frame, tolerating a sloppy one. */
export function connectionError(frame: BrokerFrame): ConnectionError {
  const parsed = ErrorFrame.safeParse(frame);
  if (parsed.success) {
    return { code: parsed.data.code, message: parsed.data.message, serverTime: parsed.data.serverTime };
  }
  const code = typeof frame.code === "string" ? frame.code : "error";
  return { code, message: typeof frame.message === "string" ? frame.message : code };
}

export function errorFromFrame(error: ConnectionError, closeCode?: number): MeshClientError {
  return new MeshClientError(error.code, error.message, {
    ...(closeCode === undefined ? {} : { closeCode }),
    ...(error.serverTime === undefined ? {} : { serverTime: error.serverTime }),
  });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}

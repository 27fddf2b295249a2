/**
 * Claude Code skips channel notifications on a connection that negotiated a "modern" MCP revision
 * (2026-07-28 and later), so this server never agrees to one: an `initialize` asking for a newer revision
 * is answered as if it had asked for {@link MAX_CHANNEL_PROTOCOL_VERSION}. Done at the transport, so it
 * holds whatever revisions a future SDK supports.
 */
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";

/** The newest MCP revision on which Claude Code still delivers channel notifications. */
export const MAX_CHANNEL_PROTOCOL_VERSION = "2025-11-25";

/** Revisions are ISO dates, so string order is time order. */
export function cappedVersion(requested: string): string {
  return requested > MAX_CHANNEL_PROTOCOL_VERSION ? MAX_CHANNEL_PROTOCOL_VERSION : requested;
}

/** The message, with an `initialize` request's `protocolVersion` capped. */
export function capInitialize(message: JSONRPCMessage): JSONRPCMessage {
  if (!("method" in message) || message.method !== "initialize" || !("id" in message)) return message;
  const params = message.params;
  if (typeof params !== "object" || params === null) return message;
  const requested = "protocolVersion" in params ? params.protocolVersion : undefined;
  if (typeof requested !== "string" || cappedVersion(requested) === requested) return message;
  return { ...message, params: { ...params, protocolVersion: cappedVersion(requested) } };
}

/** Wraps a transport so the server behind it never negotiates a revision without channels. */
export class ChannelSafeTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  constructor(private readonly inner: Transport) {
    inner.onmessage = (message, extra) => this.onmessage?.(capInitialize(message), extra);
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }
}

/**
 * `send` through the daemon, safe to repeat. The request carries a client message id (a time-ordered UUID
 * made here when the caller gave none), so when the daemon goes away mid-request — it may have committed
 * the message to its outbox just before — the same request goes again to a daemon started anew (the
 * lifecycle helper), which answers with the first outcome instead of sending the message twice.
 */
import { timeOrderedUuid } from "../crypto/ids.js";
import { DaemonUnavailableError, type DaemonClient } from "./client.js";
import type { SendResponse } from "./contract.js";
import { ensureDaemon } from "./lifecycle.js";
import type { EndpointInput } from "./schemas.js";

/** Tries in all: the first, and the ones after the daemon was started again. */
const ATTEMPTS = 3;

export async function sendOnce(client: DaemonClient, request: EndpointInput<"send">): Promise<SendResponse> {
  const body = { ...request, client_message_id: request.client_message_id ?? timeOrderedUuid() };
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.call("send", body);
    } catch (err) {
      if (!(err instanceof DaemonUnavailableError) || attempt >= ATTEMPTS) throw err;
      // Throws when the daemon cannot be started: that error says what to run.
      await ensureDaemon({ spawn: true, client: { token: null } });
    }
  }
}

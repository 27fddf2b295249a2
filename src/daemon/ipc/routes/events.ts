/**
 * `events`: server-sent events filtered for the caller like the inbox. `Last-Event-ID` replays
 * missed `message` events from the inbox and buffered other events; then an id-only block gives the
 * position to resume from; a keepalive comment every 15 s; the stream of a session ends after its
 * `session_end`.
 */
import type { DaemonEvent } from "../../events.js";
import { headerValue, type SseSink, type StreamHandler } from "../app.js";

export const KEEPALIVE_MS = 15_000;

function frame(event: DaemonEvent): string {
  return `id: ${event.id}\nevent: ${event.name}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export const eventsRoute: StreamHandler = ({ daemon, caller, headers }, input) => {
  const meshId = input.mesh === undefined ? undefined : daemon.meshFor(input.mesh, caller.session).meshId;
  const lastEventId = Number(headerValue(headers, "last-event-id") ?? input.last_event_id ?? "");
  const viewer = caller.viewer;
  const sessionPubkey = caller.session?.pubkey ?? null;
  return {
    status: 200,
    sse: (sink: SseSink) => {
      let open = true;
      let replaying = true;
      let lastSent = Number.isFinite(lastEventId) && lastEventId > 0 ? lastEventId : 0;
      const held: DaemonEvent[] = [];
      const send = (event: DaemonEvent): void => {
        if (!open || event.id <= lastSent) return;
        if (meshId !== undefined && event.scope.meshId !== null && event.scope.meshId !== meshId) return;
        lastSent = event.id;
        sink.write(frame(event));
        if (
          event.name === "session_end" &&
          sessionPubkey !== null &&
          event.scope.sessionPubkey === sessionPubkey
        ) {
          close();
        }
      };
      const unsubscribe = daemon.events.subscribe(viewer, (event) => {
        if (replaying) held.push(event);
        else send(event);
      });
      const keepalive = setInterval(() => sink.write(": keepalive\n\n"), KEEPALIVE_MS);
      keepalive.unref();
      const close = (): void => {
        if (!open) return;
        open = false;
        clearInterval(keepalive);
        unsubscribe();
        sink.end();
      };
      sink.onClose(close);
      sink.write(": connected\n\n");
      if (lastSent > 0) {
        const missed: DaemonEvent[] = [
          ...daemon.inbox.since(viewer, lastSent).map((m): DaemonEvent => ({
            id: m.eventId,
            name: "message",
            data: { message: m.message, session_pubkey: m.sessionPubkey },
            scope: { meshId: m.meshId, sessionPubkey: m.sessionPubkey },
          })),
          ...daemon.events.replay(viewer, lastSent),
        ].sort((a, b) => a.id - b.id);
        for (const event of missed) send(event);
      }
      // The stream's position, as a block with an id and no data (no event): a client that resumes from
      // it gets what it missed, even when nothing has been sent to it yet.
      sink.write(`id: ${Math.max(lastSent, daemon.events.position)}\n\n`);
      replaying = false;
      for (const event of held.sort((a, b) => a.id - b.id)) send(event);
      held.length = 0;
    },
  };
};

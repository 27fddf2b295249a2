/**
 * Scheduled messages (protocol.md §5.7, §6.5) on the mesh's member connection. The daemon resolves the
 * target and encrypts the message now, with the member key (a session may be gone when it fires), the
 * same way `send` does; the broker keeps the envelope and fires it as this member.
 */
import { timeOrderedUuid } from "../../../crypto/index.js";
import { scheduleCreatedView, scheduleView } from "../../../daemon-api/schedules.js";
import { envelopeFor, resolveSendTarget } from "../../outbox/prepare.js";
import type { Implementations } from "../app.js";
import { LocalError } from "../errors.js";
import { ask } from "./tasks.js";

export const scheduleRoutes = {
  createSchedule: async ({ daemon, caller }, input) => {
    if ((input.deliver_at === undefined) === (input.cron === undefined)) {
      throw new LocalError(
        "invalid",
        "give exactly one of deliver_at (a time) and cron (a recurring rule)",
        'e.g. {"deliver_at":"2030-01-01T09:00:00Z"} or {"cron":"0 9 * * 1-5"}',
      );
    }
    const mesh = daemon.meshFor(input.mesh, caller.session);
    mesh.assertUsable();
    const target = await resolveSendTarget(mesh, input.to);
    const envelope = envelopeFor(mesh, input.message, target, null);
    const ack = await ask(mesh.slug, () =>
      mesh.control.schedule({
        to: target.spec,
        envelope,
        ...(input.deliver_at === undefined ? {} : { deliverAt: Date.parse(input.deliver_at) }),
        ...(input.cron === undefined ? {} : { cron: input.cron }),
        ...(input.priority === undefined ? {} : { priority: input.priority }),
        clientMessageId: input.client_message_id ?? timeOrderedUuid(),
      }),
    );
    return scheduleCreatedView(ack);
  },

  listSchedules: async ({ daemon, caller }, input) => {
    const mesh = daemon.meshFor(input.mesh, caller.session);
    mesh.assertUsable();
    const list = await ask(mesh.slug, () => mesh.control.listScheduled());
    const members = await mesh.members({ allowStale: true }).catch(() => []);
    const names = new Map(members.map((m) => [m.pubkey, m.displayName]));
    return { scheduled: list.messages.map((entry) => scheduleView(entry, names)) };
  },

  cancelSchedule: async ({ daemon, caller }, input) => {
    const mesh = daemon.meshFor(input.mesh, caller.session);
    mesh.assertUsable();
    const ack = await ask(mesh.slug, () => mesh.control.cancelScheduled(input.id));
    return { id: input.id, cancelled: ack.ok };
  },
} satisfies Partial<Implementations>;

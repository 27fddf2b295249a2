/**
 * Leases (protocol.md §6.9a) on the caller's own connection, so a launched session's leases end with it.
 * `checkLeases` answers which of the given paths (already normalized to resources by the caller, which
 * knows the repository) fall under another member's lease.
 */
import { leasesOverlap } from "../../../protocol/index.js";
import { leaseGrantView, leaseView, type LeaseConflict } from "../../../daemon-api/tasks-leases.js";
import type { Implementations } from "../app.js";
import { ask, sharedLink } from "./tasks.js";

/** `--ttl` when none is given: 30 minutes. */
export const DEFAULT_LEASE_TTL_MS = 30 * 60_000;

export const leaseRoutes = {
  acquireLease: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    const ttl = input.ttl_ms ?? DEFAULT_LEASE_TTL_MS;
    return leaseGrantView(await ask(slug, () => link.acquireLease(input.resource, ttl, input.reason)));
  },

  renewLease: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    const ttl = input.ttl_ms ?? DEFAULT_LEASE_TTL_MS;
    return leaseGrantView(await ask(slug, () => link.renewLease(input.resource, ttl)));
  },

  releaseLease: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    const reply = await ask(slug, () => link.releaseLease(input.resource));
    return { resource: reply.resource, released: reply.released };
  },

  listLeases: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    const reply = await ask(slug, () => link.listLeases(input.prefix));
    return { leases: reply.leases.map(leaseView) };
  },

  checkLeases: async (ctx, input) => {
    const { link, slug, pubkey } = sharedLink(ctx, input.mesh);
    const { leases } = await ask(slug, () => link.listLeases());
    const others = leases.filter((l) => l.holderPubkey !== pubkey);
    const conflicts: LeaseConflict[] = [];
    for (const { path, resource } of input.paths) {
      const held = others.find((l) => leasesOverlap(l.resource, resource));
      if (held) {
        conflicts.push({
          path,
          resource: held.resource,
          holder_name: held.holderName,
          expires_at: held.expiresAt,
        });
      }
    }
    return { conflicts };
  },
} satisfies Partial<Implementations>;

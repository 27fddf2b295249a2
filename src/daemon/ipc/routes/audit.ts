/** The audit log (protocol.md §6.9b): read and verify the mesh's hash chain (owner and admin only). */
import { auditEntryView, auditVerifyView } from "../../../daemon-api/audit.js";
import type { Implementations } from "../app.js";
import { ask, sharedLink } from "./tasks.js";

export const auditRoutes = {
  auditLog: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    const query = {
      ...(input.limit === undefined ? {} : { limit: input.limit }),
      ...(input.before_seq === undefined ? {} : { beforeSeq: input.before_seq }),
    };
    const reply = await ask(slug, () => link.queryAudit(query));
    return { entries: reply.entries.map(auditEntryView) };
  },

  /**
   * The broker recomputes the chain, which cannot show that its newest entries were cut off. So the daemon
   * keeps the head it last verified and checks that the log still holds that entry, unchanged.
   */
  auditVerify: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    const meshId = ctx.daemon.meshFor(input.mesh, ctx.caller.session).meshId;
    const view = auditVerifyView(await ask(slug, () => link.verifyAudit()));
    if (!view.ok) return view;
    const store = ctx.daemon.outbox.store;
    const seen = store.auditHead(meshId);
    if (seen !== null && seen.seq > 0) {
      if (view.entries < seen.seq) return { ...view, ok: false, broken_at: view.entries + 1 };
      const [entry] = (await ask(slug, () => link.queryAudit({ beforeSeq: seen.seq + 1, limit: 1 }))).entries;
      if (entry?.seq !== seen.seq || entry.hash !== seen.hash)
        return { ...view, ok: false, broken_at: seen.seq };
    }
    store.saveAuditHead(meshId, view.entries, view.head);
    return view;
  },
} satisfies Partial<Implementations>;

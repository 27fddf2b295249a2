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

  auditVerify: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    return auditVerifyView(await ask(slug, () => link.verifyAudit()));
  },
} satisfies Partial<Implementations>;

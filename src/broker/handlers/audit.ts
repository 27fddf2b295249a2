/** audit log (protocol.md §6.9b): query and verify a mesh's hash chain; owner and admin only. */
import { AUDIT_QUERY_DEFAULT, ErrorCode } from "../../protocol/index.js";
import { verifyAuditChain } from "../store/audit-chain.js";
import type { HandlerArgs, HandlerTable } from "./types.js";

type AuditHandlers = Pick<HandlerTable, "audit_query" | "audit_verify">;

function refused({ conn, presence }: HandlerArgs, frame: { _reqId?: string }): boolean {
  if (presence.memberRole === "owner" || presence.memberRole === "admin") return false;
  conn.error(frame, ErrorCode.forbidden, "only the mesh owner or an admin may read the audit log");
  return true;
}

export const auditHandlers: AuditHandlers = {
  async audit_query(args, frame) {
    if (refused(args, frame)) return;
    const rows = await args.ctx.store.listAudit(
      args.presence.meshId,
      frame.beforeSeq ?? null,
      frame.limit ?? AUDIT_QUERY_DEFAULT,
    );
    args.conn.reply(frame, {
      type: "audit_result",
      entries: rows.map(({ meshId: _mesh, ...entry }) => entry),
    });
  },

  async audit_verify(args, frame) {
    if (refused(args, frame)) return;
    const check = verifyAuditChain(await args.ctx.store.auditChain(args.presence.meshId));
    args.conn.reply(frame, { type: "audit_verify_result", ...check });
  },
};

/**
 * The row quota (protocol.md §6, "Row quota"): a create in the state, memory, tasks, topics or skills
 * family runs through {@link withinRowQuota}, which counts what the member owns in the same store
 * transaction and answers `limit` instead of creating past `--row-quota`.
 */
import { ErrorCode } from "../protocol/index.js";
import type { HandlerArgs } from "./handlers/types.js";
import type { OwnedRowFamily } from "./store/port/index.js";

type Request = Parameters<HandlerArgs["conn"]["error"]>[0];

/** What the refusal calls the family's rows, and what the member can do about it. */
const REFUSAL: Record<OwnedRowFamily, { rows: string; remedy: string }> = {
  state: { rows: "state keys", remedy: "write a key it already has instead" },
  memories: { rows: "memories", remedy: "forget some first (claudemesh forget <id>)" },
  tasks: { rows: "tasks", remedy: "tasks stay once done, so ask the broker's operator to raise it" },
  topics: { rows: "topics", remedy: "ask the broker's operator to raise it" },
  skills: { rows: "skills", remedy: "remove some first (claudemesh skill remove <name>)" },
};

/** The `limit` message for a create of `family` refused at `max`. */
export function rowQuotaMessage(family: OwnedRowFamily, max: number): string {
  const { rows, remedy } = REFUSAL[family];
  return `a member may own at most ${max} ${rows} in this mesh (the broker's --row-quota): ${remedy}`;
}

/**
 * Runs `create`, which adds at most one row of `family` owned by the caller's member (`key`: the row's
 * state key or name when it may replace one, else null), unless that would take the member past the
 * quota: then answers `request` with `limit` and returns null, nothing written.
 */
export async function withinRowQuota<T>(
  { ctx, conn, presence }: HandlerArgs,
  request: Request,
  family: OwnedRowFamily,
  key: string | null,
  create: () => Promise<T>,
): Promise<{ value: T } | null> {
  const max = ctx.opts.rowQuota;
  if (max <= 0) return { value: await create() };
  const row = { family, meshId: presence.meshId, memberId: presence.memberId, key, max };
  const created = await ctx.store.withinRowQuota(row, create);
  if (created === null) conn.error(request, ErrorCode.limit, rowQuotaMessage(family, max));
  return created;
}

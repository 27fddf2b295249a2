/** Scheduled messages: `schedule`, `schedule list|cancel` through the daemon (or its one-shot form). */
import type { Context } from "../command.js";
import { usageError } from "../errors.js";
import type { SCHEDULE_FLAGS } from "../flags/schedules.js";
import { parseAt, parseDuration } from "../schedule-time.js";
import { daemon, meshParam } from "../services.js";
import { messageArg, withCandidates } from "./talk.js";

/** The one-shot time or the cron rule of the command line: exactly one of --in, --at, --cron. */
function when(ctx: Context<typeof SCHEDULE_FLAGS>, now: number): { deliver_at: string } | { cron: string } {
  const given = (["in", "at", "cron"] as const).filter((name) => ctx.flags[name] !== undefined);
  if (given.length !== 1) {
    throw usageError(
      given.length === 0
        ? "say when: give one of --in, --at and --cron"
        : `give only one of --in, --at and --cron (got ${given.map((n) => `--${n}`).join(" and ")})`,
      'e.g. --in 10m, --at "tomorrow 09:00", or --cron "0 9 * * 1-5" (UTC)',
    );
  }
  if (ctx.flags.cron !== undefined) return { cron: ctx.flags.cron.trim() };
  const at = ctx.flags.in !== undefined ? now + parseDuration(ctx.flags.in) : parseAt(ctx.flags.at!, now);
  return { deliver_at: new Date(at).toISOString() };
}

/** A short "in 10m" for the confirmation line. */
function fromNow(iso: string, now: number): string {
  const s = Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
  if (s < 90) return `${s}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m`;
  if (s < 36 * 3600) return `${Math.round(s / 360) / 10}h`;
  return `${Math.round(s / 8640) / 10}d`;
}

export async function scheduleCreate(ctx: Context<typeof SCHEDULE_FLAGS>): Promise<void> {
  const now = Date.now();
  const time = when(ctx, now);
  const to = ctx.args.to ?? "";
  const message = await messageArg(ctx, "schedule a shorter message");
  const priority = ctx.flags.priority as "now" | "next" | "low" | undefined;
  const view = await (
    await daemon(ctx)
  )
    .call("createSchedule", { to, message, priority, mesh: meshParam(ctx), ...time })
    .catch(withCandidates);
  ctx.out.result({ ...view }, () =>
    ctx.out.line(
      view.cron === null
        ? `scheduled ${view.id} for ${view.deliver_at} (in ${fromNow(view.deliver_at, now)})`
        : `scheduled ${view.id} on "${view.cron}" (UTC); next at ${view.deliver_at}`,
    ),
  );
}

export async function scheduleList(ctx: Context): Promise<void> {
  const { scheduled } = await (await daemon(ctx)).call("listSchedules", { mesh: meshParam(ctx) });
  ctx.out.result({ scheduled }, () =>
    ctx.out.table(
      [{ header: "ID" }, { header: "NEXT" }, { header: "CRON (UTC)" }, { header: "TO" }, { header: "FIRED" }],
      scheduled.map((s) => [s.id, s.deliver_at, s.cron ?? "", s.to_name, String(s.fired_count)]),
      "no scheduled messages",
    ),
  );
}

export async function scheduleCancel(ctx: Context): Promise<number> {
  const id = (ctx.args.id ?? "").trim();
  if (id === "") throw usageError("no id given", "pass the id `claudemesh schedule list` shows");
  const view = await (await daemon(ctx)).call("cancelSchedule", { id, mesh: meshParam(ctx) });
  ctx.out.result({ ...view }, () =>
    ctx.out.line(view.cancelled ? `cancelled ${id}` : `you have no scheduled message ${id}`),
  );
  return view.cancelled ? 0 : 1;
}

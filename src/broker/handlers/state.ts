/** Shared key–value state (protocol.md §6.1): `set_state` (no reply, §1.9), `get_state`, `list_state`. */
import { ErrorCode, STATE_VALUE_MAX_BYTES, type StateEntry } from "../../protocol/index.js";
import type { StateRow } from "../store/port/index.js";
import { withinRowQuota } from "../row-quota.js";
import { publishStateChange } from "../state/changes.js";
import type { HandlerTable } from "./types.js";

function toEntry(row: StateRow): StateEntry {
  return {
    key: row.key,
    value: JSON.parse(row.valueJson) as unknown,
    updatedBy: row.updatedBy,
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export const stateHandlers: Pick<HandlerTable, "set_state" | "get_state" | "list_state"> = {
  async set_state(args, frame) {
    const { ctx, conn, presence } = args;
    const valueJson = JSON.stringify(frame.value);
    const bytes = Buffer.byteLength(valueJson);
    if (bytes > STATE_VALUE_MAX_BYTES) {
      conn.error(
        frame,
        ErrorCode.tooLarge,
        `state value too large: ${bytes} bytes serialized (the limit is ${STATE_VALUE_MAX_BYTES})`,
      );
      return;
    }
    const updatedAt = Date.now();
    const updatedBy = presence.displayName;
    const row = { key: frame.key, valueJson, updatedBy, updatedAt };
    const set = () => ctx.store.setState(presence.meshId, row, presence.memberId);
    if (!(await withinRowQuota(args, frame, "state", frame.key, set))) return;
    conn.ok(frame);
    publishStateChange(
      ctx,
      {
        meshId: presence.meshId,
        exceptPresenceId: presence.id,
        source: "state",
        ref: frame.key,
        key: frame.key,
        updatedBy,
        updatedAt: new Date(updatedAt).toISOString(),
      },
      JSON.parse(valueJson) as unknown,
    );
  },

  async get_state({ ctx, conn, presence }, frame) {
    const row = await ctx.store.getState(presence.meshId, frame.key);
    const entry = row === null ? { key: frame.key, value: null, updatedBy: "", updatedAt: "" } : toEntry(row);
    conn.reply(frame, { type: "state_result", ...entry });
  },

  async list_state({ ctx, conn, presence }, frame) {
    const rows = await ctx.store.listState(presence.meshId);
    conn.reply(frame, { type: "state_list", entries: rows.map(toEntry) });
  },
};

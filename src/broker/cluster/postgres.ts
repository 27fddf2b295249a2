/**
 * The cluster of several broker nodes on one PostgreSQL database: notices go out with `NOTIFY` on one
 * channel and come in through `LISTEN` (the driver reconnects and listens again after a lost connection;
 * what was said meanwhile is lost, which the nodes' own timers cover). Each payload stays under the
 * server's 8,000-byte limit: offers, drops and member-targeted pushes are split, and a presence event too large to send is dropped
 * with a warning (it is a live hint). Jobs that must run once cluster-wide take a transaction-scoped advisory lock.
 */
import postgres from "postgres";
import type { Logger } from "../log.js";
import { ClusterHandlers, ClusterMessage, type ClusterBus } from "./bus.js";
import { driverTarget } from "../store/postgres/db.js";

const CHANNEL = "claudemesh_cluster";
/** Bytes of one NOTIFY payload we allow ourselves (the server refuses 8,000 and more). */
const MAX_PAYLOAD = 7_500;
/** First key of the advisory locks this broker takes (the second is the job name's hash). */
const LOCK_SPACE = 0x636d; // "cm"

export interface PostgresBusOptions {
  /** The database the nodes share (notices reach only the nodes on the same database). */
  url: string;
  nodeId: string;
  log: Logger;
  /**
   * Sends a notice inside the store transaction open in the caller's async context, delivered when it
   * commits (`LifecycleStore.notifyAtCommit`); false when none is open.
   */
  atCommit?: (channel: string, payload: string) => boolean;
}

/** A notice with a list of more than one entry, as two notices of half the list each. */
function split(m: ClusterMessage): [ClusterMessage, ClusterMessage] | null {
  const halve = <T>(list: T[]): [T[], T[]] => {
    const half = Math.ceil(list.length / 2);
    return [list.slice(0, half), list.slice(half)];
  };
  if (m.kind === "offer" && m.recipients.length > 1) {
    const [a, b] = halve(m.recipients);
    return [
      { ...m, recipients: a },
      { ...m, recipients: b },
    ];
  }
  if (m.kind === "mesh_push" && m.members !== undefined && m.members.length > 1) {
    const [a, b] = halve(m.members);
    return [
      { ...m, members: a },
      { ...m, members: b },
    ];
  }
  if (m.kind === "drop" && m.presenceIds.length > 1) {
    const [a, b] = halve(m.presenceIds);
    return [
      { ...m, presenceIds: a },
      { ...m, presenceIds: b },
    ];
  }
  return null;
}

export async function createPostgresBus({
  url,
  nodeId,
  log,
  atCommit,
}: PostgresBusOptions): Promise<ClusterBus> {
  const target = driverTarget(url);
  const sql = postgres(target.url, {
    ...target.options,
    max: 2,
    idle_timeout: 60,
    connect_timeout: 10,
    connection: { application_name: "claudemesh-broker-cluster" },
    onnotice: () => undefined,
  });
  const handlers = new ClusterHandlers();
  let closed: Promise<void> | null = null;

  const receive = (payload: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      log.warn("cluster notice that is not JSON ignored");
      return;
    }
    if (typeof parsed !== "object" || parsed === null || !("from" in parsed) || !("m" in parsed)) return;
    if (parsed.from === nodeId) return;
    const message = ClusterMessage.safeParse(parsed.m);
    if (!message.success) {
      log.warn({ issue: message.error.issues[0]?.message }, "malformed cluster notice ignored");
      return;
    }
    handlers.dispatch(message.data);
  };
  await sql.listen(CHANNEL, receive);

  const send = (m: ClusterMessage): void => {
    if (closed) return;
    const payload = JSON.stringify({ from: nodeId, m });
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_PAYLOAD) {
      const halves = split(m);
      if (halves) for (const half of halves) send(half);
      else log.warn({ kind: m.kind, bytes }, "cluster notice too large to send; dropped");
      return;
    }
    if (atCommit?.(CHANNEL, payload)) return;
    sql.notify(CHANNEL, payload).catch((err: unknown) => {
      // Other nodes learn of it on their next re-offer or expiry tick.
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "cluster notice not sent");
    });
  };

  return {
    shared: true,
    publish(message) {
      if (message.kind === "offer" && message.recipients.length === 0) return;
      send(message);
    },
    on: (kind, handler) => handlers.on(kind, handler),
    async exclusive(job, work) {
      await sql.begin(async (tx) => {
        const [row] = await tx<{ locked: boolean }[]>`
          SELECT pg_try_advisory_xact_lock(${LOCK_SPACE}, hashtext(${job})) AS locked`;
        if (row?.locked) await work();
      });
    },
    async close() {
      closed ??= sql.end({ timeout: 5 });
      await closed;
    },
  };
}

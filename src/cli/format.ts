/** Human renderings shared by several verbs (inbox, the live view of `up`). */
import type { InboxMessage, PeerEvent } from "../daemon-api/contract.js";
import type { Colors, Column } from "./output.js";

function clock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const today = new Date().toDateString() === date.toDateString();
  const time = date.toTimeString().slice(0, 8);
  return today ? time : `${date.toISOString().slice(0, 10)} ${time}`;
}

function recipient(m: InboxMessage): string {
  if (m.topic) return `#${m.topic}`;
  const to = m.to;
  if (to === "*" || to === "@all") return "everyone";
  if (to.startsWith("@") || to.startsWith("#")) return to;
  if (m.for_ended_session !== undefined && m.for_session) return `ended session ${m.for_session.slice(0, 8)}`;
  return "you";
}

/** How to get a message for an ended session in front of that session: resume it in the mesh. */
function resumeHint(m: InboxMessage, c: Colors): string {
  const id = m.for_ended_session?.session_id;
  return id ? c.dim(` (resume it: claudemesh launch -- --resume ${id})`) : "";
}

/** `12:01:33 alice → you [now]: text` (further lines indented); peer text is shown as data, never styled. */
export function formatMessage(m: InboxMessage, c: Colors): string {
  const from = `${c.bold(m.from_name)} ${c.dim(`(${m.from_pubkey.slice(0, 8)})`)}`;
  const priority = m.priority === "next" ? "" : ` [${m.priority}]`;
  const body = m.undecryptable ? c.red("(could not be decrypted)") : m.body.replace(/\n/g, "\n    ");
  const reply = m.reply_to ? c.dim(` (reply to ${m.reply_to})`) : "";
  return `${c.dim(clock(m.sent_at))} ${from} → ${recipient(m)}${resumeHint(m, c)}${priority}${reply}: ${body}  ${c.dim(m.id)}`;
}

export function formatPeerEvent(kind: "peer_join" | "peer_leave", p: PeerEvent, c: Colors): string {
  const who = `${c.bold(p.display_name)} ${c.dim(`(${(p.session_pubkey ?? p.pubkey).slice(0, 8)}, ${p.peer_role})`)}`;
  return kind === "peer_join"
    ? `${c.green("+")} ${who} joined ${p.mesh}`
    : `${c.red("-")} ${who} left ${p.mesh}`;
}

/**
 * A leading MESH column for a table whose rows come from more than one mesh (a verb run without `--mesh`
 * lists every joined mesh); none for one mesh.
 */
export function meshColumn(rows: readonly { mesh: string }[]): {
  columns: Column[];
  cell: (row: { mesh: string }) => string[];
} {
  const several = new Set(rows.map((row) => row.mesh)).size > 1;
  return several
    ? { columns: [{ header: "MESH" }], cell: (row) => [row.mesh] }
    : { columns: [], cell: () => [] };
}

/**
 * Scheduled messages (protocol.md §5.7, §6.5): this member's entries (to whom, when or on which cron
 * rule, the next run), a form to schedule one to a member, a group, everyone or a `#topic` in N minutes,
 * at a time, or on a cron rule, and cancel. The message is encrypted here now, with the member key (or
 * the topic's key), exactly as `send` would; the broker keeps only the envelope and fires it later.
 */
import { randomHexToken } from "../../../src/crypto/ids.js";
import { useState } from "preact/hooks";
import { envelopeOf, type EnvelopeTarget } from "../../../src/client/send-envelope.js";
import type { MemberEntry } from "../../../src/protocol/families/presence.js";
import type { ScheduledEntry } from "../../../src/protocol/frames.js";
import type { ViewProps } from "../dashboard.js";
import type { WebMesh } from "../mesh.js";
import { messageOf } from "../mesh.js";
import { messageTextProblem } from "../compose.js";
import { useWhenOnline } from "../online.js";
import { useValue } from "../store.js";

type When = "in" | "at" | "cron";

/** The target of `to`: a member's key (direct), `*` / `@group` (multicast), or `#topic` with its key. */
async function targetOf(mesh: WebMesh, to: string): Promise<EnvelopeTarget> {
  if (to.startsWith("#")) {
    const found = await mesh.topics.keyFor(to.slice(1));
    if (found === null)
      throw new Error(`your copy of the key of topic ${to} has not arrived yet; try again shortly`);
    return { kind: "topic", spec: to, topicKey: found.key };
  }
  if (to === "*" || to.startsWith("@")) return { kind: "multicast", spec: to };
  return { kind: "member", spec: to, recipientPubkey: to };
}

export default function SchedulesView({ mesh }: ViewProps) {
  const connection = useValue(mesh.connection);
  const [entries, setEntries] = useState<ScheduledEntry[]>([]);
  const [members, setMembers] = useState<MemberEntry[]>([]);
  const [topics, setTopics] = useState<string[]>([]);
  /** What went wrong with scheduling or cancelling; a reload of the list never clears it. */
  const [error, setError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const reload = (): void => {
    mesh.client.listScheduled().then(
      (list) => {
        setEntries(list.messages);
        setLoadError(null);
      },
      (err: unknown) => setLoadError(messageOf(err)),
    );
  };
  useWhenOnline(mesh, () => {
    reload();
    mesh.client.listMembers().then(setMembers, () => undefined);
    mesh.client.listTopics().then(
      (list) => setTopics(list.topics.filter((t) => t.joined !== false).map((t) => t.name)),
      () => undefined,
    );
  });

  const names = new Map(members.map((m) => [m.pubkey, m.displayName]));
  const nameOf = (to: string): string => names.get(to) ?? (to.length === 64 ? `${to.slice(0, 12)}…` : to);

  const cancel = async (id: string): Promise<void> => {
    setError(null);
    try {
      const ack = await mesh.client.cancelScheduled(id);
      if (!ack.ok) setError("that entry had already fired or been cancelled");
    } catch (err) {
      setError(messageOf(err));
    }
    reload();
  };

  return (
    <section id="schedules-view">
      <h2>Scheduled messages</h2>
      <ScheduleForm
        mesh={mesh}
        members={members.filter((m) => m.pubkey !== mesh.membership.pubkey)}
        topics={topics}
        onDone={reload}
        onError={setError}
      />
      {error !== null && (
        <p id="schedules-error" class="error" role="alert">
          {error}
        </p>
      )}
      {loadError !== null && <p class="error">{loadError}</p>}
      <div class="scroll">
        <table id="schedules">
          <thead>
            <tr>
              <th>To</th>
              <th>When</th>
              <th>Next run</th>
              <th>Fired</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id} class="schedule" data-id={entry.id}>
                <td class="schedule-to">{nameOf(entry.to)}</td>
                <td class="schedule-when mono">{entry.cron ?? "once"}</td>
                <td class="schedule-next">{new Date(entry.deliverAt).toLocaleString()}</td>
                <td class="schedule-fired">{entry.firedCount ?? 0}</td>
                <td class="actions">
                  <button class="danger schedule-cancel" type="button" onClick={() => void cancel(entry.id)}>
                    Cancel
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {entries.length === 0 && connection.kind === "online" && <p class="muted">Nothing scheduled.</p>}
    </section>
  );
}

function ScheduleForm(props: {
  mesh: WebMesh;
  members: MemberEntry[];
  topics: string[];
  onDone: () => void;
  onError: (message: string | null) => void;
}) {
  const [to, setTo] = useState("");
  const [message, setMessage] = useState("");
  const [when, setWhen] = useState<When>("in");
  const [minutes, setMinutes] = useState("10");
  const [at, setAt] = useState("");
  const [cron, setCron] = useState("0 9 * * 1-5");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const text = message.trim();
    if (to === "") return props.onError("choose whom the message is for");
    const wrong = messageTextProblem(message);
    if (wrong !== null) return props.onError(wrong);
    let timing: { deliverAt?: number; cron?: string };
    if (when === "in") {
      const n = Number(minutes);
      if (!Number.isFinite(n) || n <= 0) return props.onError("give a number of minutes above 0");
      timing = { deliverAt: Date.now() + Math.round(n * 60_000) };
    } else if (when === "at") {
      const instant = Date.parse(at);
      if (Number.isNaN(instant)) return props.onError("choose a date and time");
      if (instant <= Date.now()) return props.onError("that time has passed: choose one in the future");
      timing = { deliverAt: instant };
    } else {
      if (cron.trim() === "") return props.onError("give a cron rule (5 fields, UTC)");
      timing = { cron: cron.trim() };
    }
    setBusy(true);
    props.onError(null);
    try {
      const target = await targetOf(props.mesh, to);
      const envelope = envelopeOf(text, target, {
        senderSecretKey: props.mesh.membership.secretKey,
        rootKey: props.mesh.rootKey,
      });
      await props.mesh.client.schedule({
        to: target.spec,
        envelope,
        ...timing,
        clientMessageId: `web-${randomHexToken(12)}`,
      });
      setMessage("");
    } catch (err) {
      props.onError(messageOf(err));
    }
    setBusy(false);
    props.onDone();
  };

  return (
    <form id="schedule-create" onSubmit={(e) => void submit(e)}>
      <select
        id="schedule-to"
        aria-label="To"
        required
        value={to}
        onChange={(e) => setTo((e.target as HTMLSelectElement).value)}
      >
        <option value="">To…</option>
        {props.members.map((m) => (
          <option key={m.pubkey} value={m.pubkey}>
            {m.displayName}
          </option>
        ))}
        <option value="*">everyone</option>
        {props.topics.map((t) => (
          <option key={t} value={`#${t}`}>
            #{t}
          </option>
        ))}
      </select>
      <input
        id="schedule-message"
        class="grow"
        required
        placeholder="Message"
        value={message}
        onInput={(e) => setMessage((e.target as HTMLInputElement).value)}
      />
      <select
        id="schedule-when"
        aria-label="When"
        value={when}
        onChange={(e) => setWhen((e.target as HTMLSelectElement).value as When)}
      >
        <option value="in">in … minutes</option>
        <option value="at">at a time</option>
        <option value="cron">repeat (cron, UTC)</option>
      </select>
      {when === "in" && (
        <input
          id="schedule-minutes"
          class="narrow"
          type="number"
          min="0.1"
          step="any"
          aria-label="Minutes from now"
          value={minutes}
          onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
        />
      )}
      {when === "at" && (
        <input
          id="schedule-at"
          type="datetime-local"
          step="1"
          aria-label="Time"
          value={at}
          onInput={(e) => setAt((e.target as HTMLInputElement).value)}
        />
      )}
      {when === "cron" && (
        <input
          id="schedule-cron"
          class="mono"
          aria-label="Cron rule"
          placeholder="m h dom mon dow"
          value={cron}
          onInput={(e) => setCron((e.target as HTMLInputElement).value)}
        />
      )}
      <button id="schedule-add" type="submit" disabled={busy}>
        Schedule
      </button>
    </form>
  );
}

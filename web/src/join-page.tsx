/**
 * The join page of an invite link (`/join/<code>#<secret>`): who invites you to which mesh, and the name
 * form. A link without its secret, or an invite the broker refuses (used up, expired, revoked, unknown,
 * wrong secret), says so and what to do, and offers no form.
 */
import { useEffect, useState } from "preact/hooks";
import type { InvitePreview } from "../../src/client/broker-http.js";
import { NAME_RULE, isAllowedName } from "../../src/client/invites.js";
import type { InviteLink } from "../../src/protocol/invite-link.js";
import { InviteRefusedError, joinMesh, linkFromLocation, previewInvite } from "./join.js";
import type { Membership } from "./membership.js";
import { messageOf } from "./mesh.js";

export function JoinPage({ onJoined }: { onJoined: (membership: Membership) => void }) {
  const [link] = useState<InviteLink | string>(() => linkFromLocation(location.href));
  const [preview, setPreview] = useState<InvitePreview | null>(null);
  const [error, setError] = useState<string | null>(typeof link === "string" ? link : null);
  /** The invite cannot be used from this link: nothing to offer but the reason. */
  const [unusable, setUnusable] = useState(typeof link === "string");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  // Changing it asks the broker about the invite again.
  const [attempt, setAttempt] = useState(0);

  const failed = (err: unknown): void => {
    setError(messageOf(err));
    if (err instanceof InviteRefusedError) setUnusable(true);
  };

  useEffect(() => {
    if (typeof link === "string") return;
    previewInvite(link).then((p) => {
      setPreview(p);
      setError(null);
    }, failed);
  }, [link, attempt]);

  const submit = (event: Event): void => {
    event.preventDefault();
    if (typeof link === "string") return;
    const chosen = name.trim();
    if (chosen === "") {
      setError("type the name the others in the mesh will know you by");
      return;
    }
    if (!isAllowedName(chosen)) {
      setError(`this name cannot be used: ${NAME_RULE}`);
      return;
    }
    setBusy(true);
    setError(null);
    joinMesh(link, chosen).then(onJoined, (err: unknown) => {
      failed(err);
      setBusy(false);
    });
  };

  return (
    <section>
      <h1>Join a mesh</h1>
      {preview && (
        <p id="invite-preview">
          <span class="inviter">{preview.inviter_name}</span> invites you to{" "}
          <strong class="mesh-name">{preview.mesh_name}</strong> as {preview.role}.
        </p>
      )}
      {preview !== null && !unusable && (
        <form id="join-form" onSubmit={submit}>
          <label>
            Your name{" "}
            <input
              id="display-name"
              name="displayName"
              autocomplete="nickname"
              maxLength={64}
              required
              value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          </label>{" "}
          <button id="join" type="submit" disabled={busy}>
            {busy ? "Joining…" : "Join"}
          </button>
        </form>
      )}
      {error !== null && (
        <p id="join-error" class="error" role="alert">
          {error}
        </p>
      )}
      {preview === null && !unusable && error !== null && (
        <button id="join-retry" type="button" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      )}
      {unusable && (
        <p>
          <a href="/">Go to the start page</a>
        </p>
      )}
      <p class="note">
        Your keys are made in this browser and kept in its storage; the part of the link after # never leaves
        it.
      </p>
    </section>
  );
}

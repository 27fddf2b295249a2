/** The join form shown on an invite link (`/join/<code>#<secret>`). */
import { useEffect, useState } from "preact/hooks";
import type { InvitePreview } from "../../src/client/broker-http.js";
import type { InviteLink } from "../../src/protocol/invite-link.js";
import { joinMesh, linkFromLocation, previewInvite } from "./join.js";
import type { Membership } from "./membership.js";
import { messageOf } from "./mesh.js";

export function JoinPage({ onJoined }: { onJoined: (membership: Membership) => void }) {
  const [link] = useState<InviteLink | string>(() => linkFromLocation(location.href));
  const [preview, setPreview] = useState<InvitePreview | null>(null);
  const [error, setError] = useState<string | null>(typeof link === "string" ? link : null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (typeof link === "string") return;
    previewInvite(link).then(setPreview, (err: unknown) => setError(messageOf(err)));
  }, [link]);

  const submit = (event: Event): void => {
    event.preventDefault();
    if (typeof link === "string" || name.trim() === "") return;
    setBusy(true);
    setError(null);
    joinMesh(link, name.trim()).then(onJoined, (err: unknown) => {
      setError(messageOf(err));
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
      {typeof link !== "string" && (
        <form onSubmit={submit}>
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
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="note">
        Your keys are made in this browser and kept in its storage; the part of the link after # never leaves
        it.
      </p>
    </section>
  );
}

/**
 * Invites: `invite`, `invite list|revoke` (owner/admin) and `join <link>` (implementations in
 * handlers/invite.ts).
 */
import { defineVerb } from "../command.js";
import { INVITE_FLAGS, INVITE_LIST_FLAGS, JOIN_FLAGS } from "../flags/invite.js";

const invite = defineVerb({
  path: ["invite"],
  section: "Meshes and membership",
  summary: "Make an invite link (signed by your owner/admin key) for someone to join",
  description:
    "Prints claudemesh://join/<host[:port]>/<code>[?tls=0]#<secret> (tls=0 for plain ws:// brokers), and\n" +
    "https://<public url>/join/<code>#<secret> when the broker has a public URL. The secret after # never\n" +
    "reaches the broker. A mesh on several broker nodes adds broker=<host[:port]> after the code per further node.\n" +
    "See the mesh's invites with `claudemesh invite list`; stop a link from working with\n" +
    "`claudemesh invite revoke <code>`.",
  flags: INVITE_FLAGS,
  mesh: true,
  examples: [
    "claudemesh invite",
    "claudemesh invite --role admin --uses 3 --expires 1d",
    "claudemesh invite --qr",
  ],
  handler: async (ctx) => (await import("../handlers/invite.js")).invite(ctx),
});

const list = defineVerb({
  path: ["invite", "list"],
  section: "Meshes and membership",
  summary: "Owner/admin: the mesh's invites, newest first, with their state and uses",
  description:
    "Every invite of the mesh, by anyone: its code, state (active, expired, revoked or exhausted), role,\n" +
    "uses, expiry and inviter. Never a link's secret: the broker does not have it. A plain member → exit 3,\n" +
    "forbidden.",
  flags: INVITE_LIST_FLAGS,
  mesh: true,
  examples: ["claudemesh invite list", "claudemesh invite list --active", "claudemesh invite list --json"],
  handler: async (ctx) => (await import("../handlers/invite.js")).inviteList(ctx),
});

const revoke = defineVerb({
  path: ["invite", "revoke"],
  section: "Meshes and membership",
  summary: "Owner/admin: stop an invite link from working (for a link that leaked or is no longer needed)",
  description:
    "Anyone who tries the link afterwards is told it was revoked; members who already joined with it stay\n" +
    "(remove them with `claudemesh kick` or `claudemesh ban`). Revoking an invite again changes nothing.\n" +
    "A code this mesh does not have → exit 2, not_found; a plain member → exit 3, forbidden.",
  args: [
    {
      name: "code",
      description:
        "the invite code (`claudemesh invite list`), or the whole link — its code is taken from it",
    },
  ],
  mesh: true,
  examples: [
    "claudemesh invite revoke K7QX2MZP",
    "claudemesh invite revoke 'claudemesh://join/mesh.example.com/K7QX2MZP#…'",
  ],
  handler: async (ctx) => (await import("../handlers/invite.js")).inviteRevoke(ctx),
});

const join = defineVerb({
  path: ["join"],
  section: "Meshes and membership",
  summary: "Join a mesh with an invite link",
  description:
    "Claims the invite, makes your member key pair, checks the inviter's signature, decrypts the mesh key\n" +
    "from the link's secret part and writes the config (0600), with every broker node the link names.\n" +
    "Quote the link: it contains #, ? and &.",
  args: [{ name: "link", description: "claudemesh://join/…#secret or https://<host>/join/<code>#secret" }],
  flags: JOIN_FLAGS,
  examples: ["claudemesh join 'claudemesh://join/127.0.0.1:7900/ABCD2345?tls=0#…' --name alice"],
  handler: async (ctx) => (await import("../handlers/invite.js")).join(ctx),
});

export const INVITE_VERBS = [invite, list, revoke, join];

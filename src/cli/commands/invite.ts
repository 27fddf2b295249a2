/** Invites: `invite` (owner/admin) and `join <link>` (implementations in handlers/invite.ts). */
import { defineVerb } from "../command.js";
import { INVITE_FLAGS, JOIN_FLAGS } from "../flags/invite.js";

const invite = defineVerb({
  path: ["invite"],
  section: "Meshes and membership",
  summary: "Make an invite link (signed by your owner/admin key) for someone to join",
  description:
    "Prints claudemesh://join/<host[:port]>/<code>[?tls=0]#<secret> (tls=0 for plain ws:// brokers), and\n" +
    "https://<public url>/join/<code>#<secret> when the broker has a public URL. The secret after # never\n" +
    "reaches the broker. A mesh on several broker nodes adds broker=<host[:port]> after the code per further node.",
  flags: INVITE_FLAGS,
  mesh: true,
  examples: [
    "claudemesh invite",
    "claudemesh invite --role admin --uses 3 --expires 1d",
    "claudemesh invite --qr",
  ],
  handler: async (ctx) => (await import("../handlers/invite.js")).invite(ctx),
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

export const INVITE_VERBS = [invite, join];

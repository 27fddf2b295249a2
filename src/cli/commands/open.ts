/** `open`: the web dashboard in your browser, as you (implementation in handlers/open.ts). */
import { defineVerb } from "../command.js";
import { OPEN_FLAGS } from "../flags/open.js";

export const openVerb = defineVerb({
  path: ["open"],
  section: "Getting started",
  summary: "Open the web dashboard in your browser, logged in as you",
  description:
    "Opens http(s)://<broker>/#login=… in your browser: a one-time login link, valid for 5 minutes, that\n" +
    "hands your member keys and the mesh key to that browser. Everything after # stays in the browser (it is\n" +
    "never sent to the broker); the page removes it from the address bar and refuses the same link twice.\n" +
    "The browser is sent to a one-time page on 127.0.0.1 that takes it on to the link, so the keys never\n" +
    "appear on a command line other users could read. With --print (or when no browser comes for that page\n" +
    "within a minute) the link is printed instead: it holds your keys, so\n" +
    "paste it only into your own browser. Reads your keys from your config, not from the daemon.",
  flags: OPEN_FLAGS,
  mesh: true,
  examples: ["claudemesh open", "claudemesh open --mesh work", "claudemesh open --print"],
  handler: async (ctx) => (await import("../handlers/open.js")).open(ctx),
});

/** Flags of the `open` verb: read by its definition (commands/) and its handler (handlers/). */
import { defineFlags } from "../command.js";

export const OPEN_FLAGS = defineFlags({
  print: {
    type: "boolean",
    description: "print the login link instead of opening a browser (it holds your keys: keep it private)",
  },
});

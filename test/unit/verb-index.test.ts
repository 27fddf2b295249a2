/**
 * The verb index loads, for a command line's first word, the module that defines its verbs: every verb of
 * the table is found through its first word, and a command line loads no other group.
 */
import { describe, expect, it } from "vitest";
import { VERBS } from "../../src/cli/table.js";
import { VERB_INDEX, verbsFor } from "../../src/cli/verb-index.js";

describe("verb index", () => {
  it("finds every verb of the table through its first word, and lists no word the table lacks", async () => {
    for (const verb of VERBS) {
      const word = verb.path[0] ?? "";
      const load = VERB_INDEX[word];
      expect(load, `no index entry for "${word}"`).toBeDefined();
      expect(await load?.()).toContain(verb);
    }
    const words = new Set(VERBS.map((v) => v.path[0]));
    expect(Object.keys(VERB_INDEX).filter((w) => !words.has(w))).toEqual([]);
  });

  it("loads the group of the first word, the whole table otherwise", async () => {
    const send = await verbsFor(["send", "bob", "hi", "--json"]);
    expect(send.map((v) => v.path.join(" "))).toEqual(["peers", "send", "message status"]);
    expect((await verbsFor(["--json", "group", "join", "x"])).map((v) => v.path[0])).toEqual([
      "status",
      "summary",
      "group",
      "group",
      "group",
    ]);
    expect(await verbsFor(["--help"])).toBe(VERBS);
    expect(await verbsFor(["nonsense"])).toBe(VERBS);
    expect(await verbsFor(["--", "send"])).toBe(VERBS);
    expect(await verbsFor(["constructor"])).toBe(VERBS);
  });
});

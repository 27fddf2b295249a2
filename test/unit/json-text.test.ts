import { describe, expect, it } from "vitest";
import { JsonTooDeepError, MAX_JSON_DEPTH, parseJsonText } from "../../src/protocol/index.js";

const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);

describe("JSON text from outside", () => {
  it("parses a document nested exactly as deep as the limit, and refuses one level more", () => {
    expect(parseJsonText(nested(MAX_JSON_DEPTH))).toBeInstanceOf(Array);
    expect(() => parseJsonText(nested(MAX_JSON_DEPTH + 1))).toThrow(JsonTooDeepError);
  });

  it("counts only brackets outside strings, however many a string holds", () => {
    const text = JSON.stringify({ type: "set_state", value: { note: "{[".repeat(5_000) } });
    expect(parseJsonText(text)).toEqual(JSON.parse(text));
  });

  it("counts nesting, not brackets: many siblings are one level", () => {
    const text = JSON.stringify(Array.from({ length: 1_000 }, (_, i) => ({ i, tags: [i] })));
    expect(parseJsonText(text)).toHaveLength(1_000);
  });

  it("says what is not JSON as the parser does", () => {
    expect(() => parseJsonText("{nope")).toThrow(SyntaxError);
  });
});

/**
 * The small text rules of memory and skills: the words a plaintext recall searches for (stop words dropped
 * the same way on both adapters), a SKILL.md's front matter, and what our clients make of a memory (an
 * envelope plus the blind tokens of its words, which a recall of the same words reproduces).
 */
import { describe, expect, it } from "vitest";
import { queryWords } from "../../src/broker/memory/full-text.js";
import {
  UNREADABLE_TEXT,
  meshDataKey,
  memoryQueryTokens,
  openText,
  readText,
  sealMemory,
  sealText,
} from "../../src/client/index.js";
import { parseSkillFile } from "../../src/cli/skill-file.js";

const ROOT_KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(8);

describe("queryWords", () => {
  it("normalizes like the search tokens and drops English stop words", () => {
    expect(queryWords("The Staging-DB: is it on port 5433?")).toEqual(["staging", "db", "port", "5433"]);
    expect(queryWords("the and of")).toEqual([]);
    expect(queryWords("Ｃａｆé x")).toEqual(["café"]);
  });
});

describe("parseSkillFile", () => {
  it("takes the description and manifest from front matter and the rest as instructions", () => {
    const text =
      '---\nname: review\ndescription: "Review a PR"\nmodel: opus\nallowed-tools: Bash, Read\n---\n\n# Steps\nRead.\n';
    expect(parseSkillFile(text)).toEqual({
      description: "Review a PR",
      manifest: { model: "opus", "allowed-tools": "Bash, Read" },
      instructions: "# Steps\nRead.",
    });
  });

  it("treats a file without front matter as instructions only", () => {
    expect(parseSkillFile("Just do it.\n")).toEqual({
      description: null,
      manifest: null,
      instructions: "Just do it.",
    });
    expect(parseSkillFile("---\nnot closed\n")).toMatchObject({
      description: null,
      instructions: "---\nnot closed",
    });
  });
});

describe("sealed memories and skills", () => {
  it("encrypts content, makes tokens a recall of the same words finds, and opens only with the mesh key", () => {
    const sealed = sealMemory("Deploy keys live in Vault", ROOT_KEY);
    expect(sealed.content).toMatch(/^cm:enc1:/);
    expect(sealed.content).not.toContain("Vault");
    expect(sealed.searchTokens).toHaveLength(5);
    expect(sealed.searchTokens).toEqual(expect.arrayContaining(memoryQueryTokens("VAULT deploy", ROOT_KEY)));
    expect(memoryQueryTokens("vault", OTHER_KEY)[0]).not.toBe(memoryQueryTokens("vault", ROOT_KEY)[0]);
    expect(memoryQueryTokens("a", ROOT_KEY)).toEqual([]);

    const key = meshDataKey(ROOT_KEY);
    expect(openText(sealed.content, key)).toEqual({
      value: "Deploy keys live in Vault",
      encrypted: true,
      undecryptable: false,
    });
    expect(openText(sealed.content, meshDataKey(OTHER_KEY))).toMatchObject({
      encrypted: true,
      undecryptable: true,
    });
    expect(readText(sealed.content, meshDataKey(OTHER_KEY))).toBe(UNREADABLE_TEXT);
    expect(readText("plain from a reference client", key)).toBe("plain from a reference client");
    expect(readText(sealText("step one", key), key)).toBe("step one");
  });
});

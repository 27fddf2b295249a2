/** Read–modify–write of the JSON files Claude Code owns: written only when the content changes, 0600, atomically. */
import { isDeepStrictEqual } from "node:util";
import { readJsonObject, type JsonObject } from "../files.js";
import { writeSecretFile } from "../../host/secure-fs.js";

export interface JsonFile {
  path: string;
  /** The document as read (`{}` when the file is missing). */
  before: JsonObject;
  /** Whether the file existed. */
  existed: boolean;
  /** The text as read, to keep its trailing-newline style. */
  raw: string | null;
}

export function loadJsonFile(path: string): JsonFile {
  const { doc, raw } = readJsonObject(path);
  return { path, before: doc, existed: raw !== null, raw };
}

/** Writes `after` when it differs from what was read; returns whether it wrote. */
export function saveJsonFile(file: JsonFile, after: JsonObject): boolean {
  if (file.existed && isDeepStrictEqual(file.before, after)) return false;
  const newline = file.raw === null || file.raw.endsWith("\n") ? "\n" : "";
  writeSecretFile(file.path, `${JSON.stringify(after, null, 2)}${newline}`);
  return true;
}

/** A deep copy, so edits never touch the document as read. */
export function clone(doc: JsonObject): JsonObject {
  return structuredClone(doc);
}

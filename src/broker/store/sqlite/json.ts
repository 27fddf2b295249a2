import type { z } from "zod";

/** JSON columns are validated on the way out, so a hand-edited row fails loudly instead of leaking. */
export function readJson<T>(text: string, schema: z.ZodType<T>): T {
  return schema.parse(JSON.parse(text));
}

export function readNullableJson<T>(text: string | null, schema: z.ZodType<T>): T | null {
  return text === null ? null : readJson(text, schema);
}

export function writeNullableJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export { GroupList, Profile, SavedStateSchema, Stats } from "../json-schemas.js";

/**
 * A glance at the user config without validating it: whether it lists any mesh. Validation loads a schema
 * library, which a warm command (the daemon knows the config already) should not pay for; the daemon and
 * the verbs that use the config's fields validate it.
 */
import { readFileSync } from "node:fs";
import { configFile } from "./paths.js";

/** True when config.json lists at least one mesh; null when that cannot be told at a glance. */
export function listsAMesh(path = configFile()): boolean | null {
  try {
    const doc: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (typeof doc !== "object" || doc === null || !("meshes" in doc) || !Array.isArray(doc.meshes))
      return null;
    return doc.meshes.length > 0;
  } catch {
    // Missing or not JSON: the full load says which.
    return null;
  }
}

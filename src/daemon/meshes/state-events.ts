/**
 * The daemon's `state_change` stream events (protocol.md §6.1, §6.7): a `state_change` frame from the
 * broker, decrypted with the mesh data key (a context's summary is a string envelope, a state value a
 * JSON-value envelope; plaintext from reference clients passes as it is).
 */
import { meshDataKey, openStateValue, openText } from "../../client/value-crypto.js";
import type { StateChangeEvent } from "../../daemon-api/contract.js";
import { StateChangeFrame } from "../../protocol/index.js";

const dataKeys = new WeakMap<Uint8Array, Uint8Array>();

function keyOf(rootKey: Uint8Array): Uint8Array {
  let key = dataKeys.get(rootKey);
  if (key === undefined) {
    key = meshDataKey(rootKey);
    dataKeys.set(rootKey, key);
  }
  return key;
}

/** The stream event for a broker frame, or null when it is not a well-formed `state_change`. */
export function stateChangeEvent(slug: string, rootKey: Uint8Array, frame: unknown): StateChangeEvent | null {
  const parsed = StateChangeFrame.safeParse(frame);
  if (!parsed.success) return null;
  const { key, value, updatedBy, updatedAt } = parsed.data;
  const dataKey = keyOf(rootKey);
  const opened =
    key.startsWith("_context:") && typeof value === "string"
      ? openText(value, dataKey).value
      : openStateValue(value, dataKey).value;
  return {
    mesh: slug,
    key,
    value: opened,
    updated_by: updatedBy,
    updated_at: updatedAt ?? new Date().toISOString(),
  };
}

/** Keys derived from the mesh root key (protocol.md §5.3): keyed BLAKE2b-256 over a UTF-8 label. */
import { utf8 } from "./encoding.js";
import { sodium } from "./sodium.js";

export const ROOT_KEY_BYTES = 32;
export const DERIVED_KEY_BYTES = 32;

export const BROADCAST_LABEL = "claudemesh/v1/broadcast";
export const DATA_LABEL = "claudemesh/v1/data";
export const SEARCH_LABEL = "claudemesh/v1/search";

/** `claudemesh/v1/group|<name>`, the exact group name without `@`. */
export function groupLabel(name: string): string {
  return `claudemesh/v1/group|${name}`;
}

/**
 * The label for a multicast target spec: `*` and `@all` share the broadcast label, `@<name>` is group
 * `<name>`. Throws for anything else (DM targets use crypto_box, topics their own key).
 */
export function multicastLabel(targetSpec: string): string {
  if (targetSpec === "*" || targetSpec === "@all") return BROADCAST_LABEL;
  if (targetSpec.startsWith("@") && targetSpec.length > 1) return groupLabel(targetSpec.slice(1));
  throw new Error(`no root-key derivation for target "${targetSpec}": only *, @all and @<group> have one`);
}

/** BLAKE2b (32-byte output) of the UTF-8 `label`, keyed with the 32-byte `rootKey`. */
export function deriveKey(rootKey: Uint8Array, label: string): Uint8Array {
  if (rootKey.length !== ROOT_KEY_BYTES) throw new Error(`root key must be ${ROOT_KEY_BYTES} bytes`);
  return sodium.crypto_generichash(DERIVED_KEY_BYTES, utf8(label), rootKey);
}

export function broadcastKey(rootKey: Uint8Array): Uint8Array {
  return deriveKey(rootKey, BROADCAST_LABEL);
}

/** Key of group `name` (without the `@`). */
export function groupKey(rootKey: Uint8Array, name: string): Uint8Array {
  return deriveKey(rootKey, groupLabel(name));
}

/** Key for a multicast target spec (`*`, `@all`, `@<group>`); see {@link multicastLabel}. */
export function multicastKey(rootKey: Uint8Array, targetSpec: string): Uint8Array {
  return deriveKey(rootKey, multicastLabel(targetSpec));
}

/** Key for shared-state values (§5.8). */
export function dataKey(rootKey: Uint8Array): Uint8Array {
  return deriveKey(rootKey, DATA_LABEL);
}

/** Key for memory search tokens (§5.8). */
export function searchKey(rootKey: Uint8Array): Uint8Array {
  return deriveKey(rootKey, SEARCH_LABEL);
}

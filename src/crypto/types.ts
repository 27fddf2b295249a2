/** base64 `nonce` and `ciphertext`, as they travel on the wire (protocol.md §0). */
export type Envelope = { nonce: string; ciphertext: string };
